"""Figures; every plot function takes ``ax=None`` (or ``axes=None``) and returns what it drew on."""

from .curves import (
    TRAJECTORY_METRICS,
    new_figure,
    plot_comparison,
    plot_stability,
    plot_trajectories,
    save_figure,
)

__all__ = [
    "TRAJECTORY_METRICS",
    "new_figure",
    "plot_comparison",
    "plot_stability",
    "plot_trajectories",
    "save_figure",
]
