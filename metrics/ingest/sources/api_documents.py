"""Telling a tool's API JSON from anything else: the documents of a file that a reader recognises,
shared by the readers of API responses (argocd, jenkins)."""
from __future__ import annotations

from typing import Callable

from ..report import LoadError


def recognised(docs: list, is_document: Callable, name: str, expected: str) -> list:
    """The documents ``is_document`` recognises, a JSON array's values each counted as one when any
    of them is one (the others stay, for the mapping to reject one by one; an empty array is empty);
    LoadError naming the file ``name`` and saying what was ``expected`` when a document is none."""
    out = []
    for doc in docs:
        if is_document(doc):
            out.append(doc)
        elif isinstance(doc, list) and (not doc or any(is_document(d) for d in doc)):
            out.extend(doc)
        else:
            raise LoadError(f"{name}: {expected}")
    return out
