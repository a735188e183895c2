"""Result tables as the experiment layer keeps them (one array or list per column) and as
users read them (one dict per row)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["plain", "plain_rows", "rows"]


def rows(table: dict) -> list[dict]:
    """One dict per row of a table of equally long columns."""
    n = len(next(iter(table.values()), ()))
    return [{name: column[i] for name, column in table.items()} for i in range(n)]


def plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds; a number that is not finite as None (as
    the CSV and JSON outputs leave it empty or null)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def plain_rows(table: dict) -> list[dict]:
    """:func:`rows` with :func:`plain` values."""
    return [{name: plain(value) for name, value in row.items()} for row in rows(table)]
