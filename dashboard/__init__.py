"""The Dash app: factory, layout and callbacks (thin: they call ``metrics`` and ``components``)."""
