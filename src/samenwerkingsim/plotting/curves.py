"""Figures of stability curves, scenario comparisons and state trajectories.

Each plot function takes ``ax=None`` (or ``axes=None``) and returns what it drew on, so figures
can be composed. Figures are built with :class:`matplotlib.figure.Figure` rather than pyplot:
no global state, and nothing needs a display, so the same code runs on a cluster node. The CLI
chooses the backend; this module never does.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MultipleLocator

from samenwerkingsim.analysis import MONTHS_PER_YEAR, Comparison, StabilityCurves

__all__ = [
    "TRAJECTORY_METRICS",
    "new_figure",
    "plot_comparison",
    "plot_posterior_stability",
    "plot_stability",
    "plot_trajectories",
    "save_figure",
]

#: The state variables shown by :func:`plot_trajectories`, one panel each.
TRAJECTORY_METRICS = ("trust", "ownership", "value", "quality")

_BAND_ALPHA = 0.2
_GRID_STYLE = {"color": "0.85", "linewidth": 0.6}

# Keyword arguments that belong to Figure.subplots rather than to the Figure itself.
_SUBPLOTS_KW = frozenset(
    {"sharex", "sharey", "squeeze", "width_ratios", "height_ratios", "subplot_kw", "gridspec_kw"}
)


def new_figure(nrows: int = 1, ncols: int = 1, **kw):
    """Create a figure and its axes without touching pyplot's global state.

    Parameters
    ----------
    nrows, ncols : int
        Grid of axes.
    **kw
        ``sharex``, ``sharey``, ``squeeze``, ``width_ratios``, ``height_ratios``,
        ``subplot_kw`` and ``gridspec_kw`` go to :meth:`Figure.subplots`; everything else
        (``figsize``, ``dpi``, ``layout``, ...) to :class:`Figure`. The default layout is
        ``"constrained"`` and the default size grows with the grid.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : Axes or ndarray of Axes
        As :meth:`Figure.subplots` returns them (a single Axes for a 1 x 1 grid).
    """
    subplots_kw = {k: kw.pop(k) for k in list(kw) if k in _SUBPLOTS_KW}
    kw.setdefault("figsize", (1.6 + 4.8 * ncols, 0.8 + 3.4 * nrows))
    kw.setdefault("layout", "constrained")
    fig = Figure(**kw)
    axes = fig.subplots(nrows, ncols, **subplots_kw)
    return fig, axes


def save_figure(fig: Figure, path, metadata: Mapping[str, str], *, dpi: int = 150) -> Path:
    """Write a figure to a PNG file atomically, with provenance in its text chunks.

    The image is first written to a hidden temporary file in the same folder and then moved
    into place with :func:`os.replace`, so a reader never sees a half-written PNG and an
    interrupted run leaves the previous figure intact.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or os.PathLike
        Destination; the folder must exist. Written as PNG whatever the suffix.
    metadata : mapping of str to str
        PNG text chunks, e.g. ``{"Software": "samenwerkingsim 0.1.0",
        "Description": "scenario hash ..."}``. Non-string values are converted with ``str``.
    dpi : int
        Resolution in dots per inch.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = {str(k): str(v) for k, v in metadata.items()}
    # Unique per call, so concurrent writers of the same figure do not clobber each other's
    # temporary file; the leading dot keeps it out of casual listings.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        fig.savefig(tmp, format="png", dpi=dpi, metadata=text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _new_axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = new_figure()
    return ax


#: Most intervals between major year ticks, so the year labels never crowd (at most 11 ticks).
_MAX_YEAR_INTERVALS = 10


def _year_tick_step(span_years: float) -> float | None:
    """Spacing, in years, of the major ticks on a time axis ``span_years`` long.

    Every 5 years while that gives at most :data:`_MAX_YEAR_INTERVALS` intervals (spans up to
    50 years), so the summary years 5, 10, 15 and 20 are ticks of the usual 20- to 40-year
    horizons; then the first of 10, 20, 25, 50, 100, 200, 250, 500, ... that does. None for
    spans under 10 years, where matplotlib's own choice (every year or half year) reads well.
    """
    if span_years < 10:
        return None
    for exponent in range(0, 10):
        for mantissa in (1.0, 2.0, 2.5, 5.0):
            step = mantissa * 10.0**exponent
            if step >= 5 and span_years / step <= _MAX_YEAR_INTERVALS + 1e-9:
                return step
    raise ValueError(f"span of {span_years!r} years is too long for a time axis")


def _set_year_ticks(ax: Axes, span_years: float) -> None:
    """Major x ticks every :func:`_year_tick_step` years; gridlines follow them."""
    step = _year_tick_step(span_years)
    if step is not None:
        # Gridlines (not axvlines) on the ticks: they mark the summary years without adding
        # to ax.lines.
        ax.xaxis.set_major_locator(MultipleLocator(step))


def _style_time_axis(ax: Axes, horizon_months: int) -> None:
    """Years on x with light gridlines on the major ticks, probabilities 0-1 on y."""
    horizon_years = horizon_months / MONTHS_PER_YEAR
    ax.set_xlim(0, horizon_years)
    _set_year_ticks(ax, horizon_years)
    # a little room at both ends: a curve at 1 (a stable case) or at 0 (no dissolutions)
    # shows as a line of its own rather than on the frame
    ax.set_ylim(-0.02, 1.02)
    ax.grid(True, **_GRID_STYLE)
    ax.set_axisbelow(True)
    ax.set_xlabel("years since start")
    ax.set_ylabel("probability")


def _draw_survival(ax: Axes, curves: StabilityCurves, label: str, which: str = "survival",
                   **line_kw):
    """S(t) (or the intact curve, ``which="intact"``) as a step line with its 95% band in the
    same colour; return the line."""
    years = curves.months / MONTHS_PER_YEAR
    (line,) = ax.plot(years, getattr(curves, which), drawstyle="steps-post", label=label,
                      **line_kw)
    ax.fill_between(
        years,
        getattr(curves, f"{which}_low"),
        getattr(curves, f"{which}_high"),
        step="post",
        color=line.get_color(),
        alpha=_BAND_ALPHA,
        linewidth=0,
    )
    return line


def plot_stability(curves: StabilityCurves, ax: Axes | None = None, label: str | None = None):
    """Plot how long the organisation lasts and how it ends.

    Draws the Kaplan-Meier probability of still standing, S(t), as a solid step line with its
    95% band, the intact curve (all founding members still in, dash-dotted, with its band)
    when the curves have it, and the cumulative incidence of dissolution (dashed) and of
    merger (dotted). The lines share one colour so several scenarios can be overlaid.

    Parameters
    ----------
    curves : StabilityCurves
        From :func:`samenwerkingsim.analysis.stability_curves`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is made if None.
    label : str, optional
        Scenario name, prefixed to the legend entries.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _new_axes(ax)
    prefix = f"{label}: " if label else ""
    years = curves.months / MONTHS_PER_YEAR
    line = _draw_survival(ax, curves, f"{prefix}still standing (95% CI)")
    if curves.intact is not None:
        _draw_survival(ax, curves, f"{prefix}intact: all founding members in (95% CI)",
                       which="intact", color=line.get_color(), linestyle="-.", linewidth=1.0)
    for cause, style, text in (
        ("dissolution", "--", "dissolved"),
        ("merger", ":", "merged"),
    ):
        ax.plot(
            years,
            curves.incidence[cause],
            drawstyle="steps-post",
            linestyle=style,
            color=line.get_color(),
            label=f"{prefix}{text} (cumulative)",
        )
    _style_time_axis(ax, curves.horizon_months)
    ax.legend(loc="best", fontsize="small", framealpha=0.9)
    return ax


def plot_posterior_stability(curves, ax: Axes | None = None, label: str | None = None,
                             incidences: bool = True):
    """Stability under the posterior: the median over posterior draws of S(t) (solid) and of
    the intact curve (dash-dotted), each with its 95% band over the draws, which holds
    parameter uncertainty and Monte Carlo noise together; optionally the cumulative
    incidences (median). ``curves`` is a
    :class:`~samenwerkingsim.calibration.posterior.PosteriorCurves`."""
    ax = _new_axes(ax)
    prefix = f"{label}: " if label else ""
    years = curves.months / MONTHS_PER_YEAR
    low, mid, high = curves.band("survival")
    (line,) = ax.plot(years, mid, drawstyle="steps-post",
                      label=f"{prefix}still standing (median, 95% band over draws)")
    ax.fill_between(years, low, high, step="post", color=line.get_color(), alpha=_BAND_ALPHA,
                    linewidth=0)
    low, mid, high = curves.band("intact")
    ax.plot(years, mid, drawstyle="steps-post", linestyle="-.", color=line.get_color(),
            linewidth=1.0, label=f"{prefix}intact")
    ax.fill_between(years, low, high, step="post", color=line.get_color(), alpha=0.1,
                    linewidth=0)
    if incidences:
        for cause, style, text in (("dissolution", "--", "dissolved"),
                                   ("merger", ":", "merged")):
            ax.plot(years, curves.band(cause)[1], drawstyle="steps-post", linestyle=style,
                    color=line.get_color(), label=f"{prefix}{text} (median)")
    _style_time_axis(ax, len(curves.months) - 1)
    ax.set_title(f"{prefix}{curves.draws} posterior draws", fontsize="small")
    ax.legend(loc="best", fontsize="x-small", framealpha=0.9)
    return ax


def plot_comparison(comparison: Comparison, ax: Axes | None = None):
    """Plot the probability of still standing, S(t), of every scenario, with 95% bands, and
    its intact curve (all founding members in) dash-dotted in the same colour when known.

    Parameters
    ----------
    comparison : Comparison
        From :func:`samenwerkingsim.analysis.compare`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is made if None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _new_axes(ax)
    for name in comparison.names:
        curves = comparison.curves[name]
        line = _draw_survival(ax, curves, name)
        if curves.intact is not None:
            _draw_survival(ax, curves, f"{name}: intact", which="intact",
                           color=line.get_color(), linestyle="-.", linewidth=1.0)
    horizon = max(c.horizon_months for c in comparison.curves.values())
    _style_time_axis(ax, horizon)
    ax.set_ylabel("probability still standing (intact: dash-dotted)")
    ax.legend(loc="best", fontsize="small", framealpha=0.9)
    return ax


def plot_trajectories(trajectories: Mapping[str, np.ndarray], axes=None):
    """Plot the mean and 5-95% band of trust, ownership, value and quality over time.

    Parameters
    ----------
    trajectories : mapping of str to ndarray
        ``"month"`` (int, months since start) and, for each metric in
        :data:`TRAJECTORY_METRICS`, ``f"{metric}_mean"``, ``f"{metric}_q05"`` and
        ``f"{metric}_q95"`` over the replications still standing; NaN where none is.
    axes : array of 4 Axes, optional
        Where to draw, in the order of :data:`TRAJECTORY_METRICS`; a new 2 x 2 figure if None.

    Returns
    -------
    ndarray of Axes
        ``axes`` as given, or the new 2 x 2 array.
    """
    keys = ["month"] + [f"{m}_{s}" for m in TRAJECTORY_METRICS for s in ("mean", "q05", "q95")]
    missing = [k for k in keys if k not in trajectories]
    if missing:
        raise KeyError(f"trajectories lack {missing[0]!r}; expected keys {keys}")
    if axes is None:
        _, axes = new_figure(2, 2, sharex=True)
    axes = np.asarray(axes, dtype=object)
    if axes.size != len(TRAJECTORY_METRICS):
        raise ValueError(f"plot_trajectories needs 4 Axes, got {axes.size}")

    years = np.asarray(trajectories["month"]) / MONTHS_PER_YEAR
    for ax, metric in zip(axes.flat, TRAJECTORY_METRICS, strict=True):
        (line,) = ax.plot(years, trajectories[f"{metric}_mean"], label="mean")
        ax.fill_between(
            years,
            trajectories[f"{metric}_q05"],
            trajectories[f"{metric}_q95"],
            color=line.get_color(),
            alpha=_BAND_ALPHA,
            linewidth=0,
            label="5-95%",
        )
        ax.set_title(metric)
        ax.set_xlim(years[0], years[-1])
        _set_year_ticks(ax, years[-1] - years[0])
        ax.grid(True, **_GRID_STYLE)
        ax.set_axisbelow(True)
    for ax in axes.flat:
        spec = ax.get_subplotspec()
        if spec is None or spec.is_last_row():
            ax.set_xlabel("years since start")
    axes.flat[0].legend(loc="best", fontsize="small")
    return axes
