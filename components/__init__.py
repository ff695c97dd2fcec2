"""Reusable UI pieces as pure functions: KPI cards, figure builders, controls."""
