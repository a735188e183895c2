"""Stability curves, cumulative incidence and comparisons of simulated arrangements."""

from .survival import (
    CAUSES,
    MONTHS_PER_YEAR,
    OUTCOMES,
    SUMMARY_YEARS,
    Comparison,
    StabilityCurves,
    compare,
    format_comparison_table,
    format_summary_table,
    stability_curves,
)

__all__ = [
    "CAUSES",
    "MONTHS_PER_YEAR",
    "OUTCOMES",
    "SUMMARY_YEARS",
    "Comparison",
    "StabilityCurves",
    "compare",
    "format_comparison_table",
    "format_summary_table",
    "stability_curves",
]
