"""Figures of sensitivity analyses: horizontal bars of Morris' mu* and sigma or of Sobol' S1
and ST per factor, with their bootstrap intervals and the level Monte Carlo noise could
reach. Each function takes ``ax=None`` (or ``axes=None``) and returns what it drew on."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..experiments.sensitivity import short_factor_names
from .curves import _new_axes, new_figure
from .sweeps import OUTPUT_LABELS

__all__ = ["plot_morris", "plot_sensitivity", "plot_sensitivity_panels", "plot_sobol"]

_BAR_HEIGHT = 0.38
_FIRST, _SECOND = "tab:blue", "tab:orange"
_FAINT = 0.35  # alpha of an index that cannot be told from noise
_NOISE_STYLE = {"color": "0.3", "linestyle": "--", "linewidth": 1.0}


def plot_sensitivity(result, output: str = "s_10y", ax: Axes | None = None):
    """The indices of one output: :func:`plot_morris` or :func:`plot_sobol`, by method."""
    plot = plot_morris if result.method == "morris" else plot_sobol
    return plot(result, output=output, ax=ax)


def plot_morris(result, output: str = "s_10y", ax: Axes | None = None):
    """Morris mu* and sigma of ``output`` per factor, largest mu* at the top.

    Bars carry their bootstrap intervals; the dashed line is the standard deviation of one
    elementary effect from Monte Carlo noise alone, and a mu* bar that does not clear it is
    drawn faint (Morris 1991; Campolongo et al. 2007).
    """
    ax = _new_axes(ax)
    rows = result.rows(output)
    noise = result.noise_of(output)["elementary_effect_noise"]
    order = _order(rows["mu_star"])
    _draw_pair(ax, rows, order, ("mu_star", "sigma"), rows["mu_star_above_noise"])
    line = ax.axvline(noise, **_NOISE_STYLE, label="noise of one effect")
    ax.set_xlabel(f"change of '{OUTPUT_LABELS.get(output, output)}' over a factor's range")
    ax.set_xlim(left=0)
    handles = [Patch(color=_FIRST, label="mu* (mean |effect|)"),
               Patch(color=_SECOND, label="sigma (spread: interactions)"),
               Patch(color=_FIRST, alpha=_FAINT, label="mu* within noise"), line]
    ax.legend(handles=handles, fontsize="small", loc="lower right")
    return _finish(ax, rows, order, output, result.noise_of(output)["noise_share"])


def plot_sobol(result, output: str = "s_10y", ax: Axes | None = None):
    """Sobol' first-order (S1) and total (ST) indices of ``output`` per factor, largest ST at
    the top, with their bootstrap intervals (Saltelli 2002; Saltelli et al. 2010).

    The dashed line is the share of the output's variance that Monte Carlo noise could
    explain; an index that does not clear it, or whose interval reaches 0, is drawn faint.
    """
    ax = _new_axes(ax)
    rows = result.rows(output)
    share = result.noise_of(output)["noise_share"]
    order = _order(rows["ST"])
    _draw_pair(ax, rows, order, ("S1", "ST"), rows["S1_above_noise"], rows["ST_above_noise"])
    ax.axvline(0, color="0.5", linewidth=0.6)
    line = _noise_share_line(ax, rows, share)
    ax.set_xlabel(f"share of the variance of '{OUTPUT_LABELS.get(output, output)}'")
    handles = [Patch(color=_FIRST, label="S1 (first order)"),
               Patch(color=_SECOND, label="ST (total)"),
               Patch(color="0.5", alpha=_FAINT, label="within noise")]
    if line is not None:
        handles.append(line)
    ax.legend(handles=handles, fontsize="small", loc="lower right")
    return _finish(ax, rows, order, output, result.noise_of(output)["noise_share"])


def _noise_share_line(ax: Axes, rows: dict, share: float | None):
    """The noise share as a dashed line; when it lies beyond every index and 1 (the output
    hardly varies beyond noise), only in the legend, so that the bars keep their scale."""
    if share is None:
        return None
    reach = np.nanmax(np.abs(np.r_[rows["S1_high"], rows["ST_high"], rows["S1_low"]]))
    if share <= max(1.0, reach):
        return ax.axvline(share, **_NOISE_STYLE, label="noise share of the variance")
    return Line2D([], [], **_NOISE_STYLE, label=f"noise share {share:.2f} (off the axis)")


def plot_sensitivity_panels(result, axes=None):
    """One panel of :func:`plot_sensitivity` per analysed output; returns the array of Axes."""
    outputs = result.outputs
    if axes is None:
        cols = min(2, len(outputs))
        rows = -(-len(outputs) // cols)
        height = 1.2 + 0.42 * len(result.factors)
        _, axes = new_figure(rows, cols, figsize=(7.0 * cols, height * rows), squeeze=False)
    axes = np.asarray(axes, dtype=object).ravel()
    for ax, output in zip(axes, outputs, strict=False):
        plot_sensitivity(result, output=output, ax=ax)
    for ax in axes[len(outputs):]:
        ax.set_visible(False)
    return axes


def _order(values: np.ndarray) -> np.ndarray:
    """Factor positions from the smallest to the largest index (barh draws bottom up), NaN
    first."""
    return np.argsort(np.nan_to_num(np.asarray(values, float), nan=-np.inf), kind="stable")


def _draw_pair(ax: Axes, rows: dict, order: np.ndarray, names: tuple[str, str],
               first_clear: np.ndarray, second_clear: np.ndarray | None = None) -> None:
    """Two bars per factor (the first above the second), each with its interval; bars whose
    index is within noise are faint."""
    y = np.arange(len(order))
    for name, colour, offset, clear in ((names[0], _FIRST, _BAR_HEIGHT / 2, first_clear),
                                        (names[1], _SECOND, -_BAR_HEIGHT / 2, second_clear)):
        value = np.asarray(rows[name], float)[order]
        low = np.asarray(rows[f"{name}_low"], float)[order]
        high = np.asarray(rows[f"{name}_high"], float)[order]
        alpha = (np.ones(len(order)) if clear is None
                 else np.where(np.asarray(clear, bool)[order], 1.0, _FAINT))
        bars = ax.barh(y + offset, np.nan_to_num(value), height=_BAR_HEIGHT, color=colour)
        for bar, a in zip(bars, alpha, strict=True):
            bar.set_alpha(a)
        err = np.vstack([value - low, high - value])
        ax.errorbar(value, y + offset, xerr=np.nan_to_num(err), fmt="none", ecolor="0.15",
                    elinewidth=0.8, capsize=2)


def _share(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.2f}"


def _finish(ax: Axes, rows: dict, order: np.ndarray, output: str, share) -> Axes:
    labels = short_factor_names(list(rows["factor"]))
    ax.set_yticks(np.arange(len(order)), [labels[i] for i in order], fontsize="small")
    ax.set_ylim(-0.6, len(order) - 0.4)
    ax.set_title(f"{OUTPUT_LABELS.get(output, output)} (noise share {_share(share)})",
                 fontsize="medium")
    ax.grid(True, axis="x", color="0.85", linewidth=0.6)
    ax.set_axisbelow(True)
    return ax
