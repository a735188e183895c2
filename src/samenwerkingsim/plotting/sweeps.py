"""Figures of sweeps: an output against each factor, a heat map of two-factor grids, and the
stability curves of chosen points overlaid. Each function takes ``ax=None`` and returns it."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from .curves import _draw_survival, _new_axes, _style_time_axis, new_figure

__all__ = ["OUTPUT_LABELS", "plot_contrasts", "plot_factor_effect", "plot_factor_effects",
           "plot_heatmap", "plot_point_curves"]

OUTPUT_LABELS = {
    "s_5y": "still standing after 5 years", "s_10y": "still standing after 10 years",
    "s_15y": "still standing after 15 years", "s_20y": "still standing after 20 years",
    "dissolution_10y": "dissolved within 10 years", "merger_10y": "merged within 10 years",
}


def _is_numeric(column) -> bool:
    return np.asarray(column).dtype.kind in "biuf"


MAX_LINES = 8  # lines per panel before a grid's other factors are averaged over
MAX_FACTORS_IN_LABEL = 3  # factor values spelt out in a curve's legend entry


def plot_factor_effect(result, factor: str, output: str = "s_10y", ax: Axes | None = None):
    """``output`` (default S(10y)) against one factor, with 95% Monte Carlo bands.

    In a grid, one line per combination of the other factors' values (and per base scenario),
    each with its band; with more than :data:`MAX_LINES` combinations, the mean over them. In
    a sampled design (lhs, sobol, morris) each point is a dot with its interval. The y-axis
    spans the values shown, so that small differences stay visible; read its ticks.
    """
    ax = _new_axes(ax)
    table = result.table
    x = np.asarray(table[factor])
    y = np.asarray(table[output], dtype=float)
    low = np.asarray(table.get(f"{output}_low", y), dtype=float)
    high = np.asarray(table.get(f"{output}_high", y), dtype=float)
    positions = _positions(x)
    if result.experiment.design.kind == "grid":
        groups = _grid_groups(result, factor)
        if len(groups) > MAX_LINES:
            _draw_mean_over_groups(ax, positions, y, groups)
        else:
            for label, rows in groups.items():
                order = rows[np.argsort(positions[rows], kind="stable")]
                (line,) = ax.plot(positions[order], y[order], marker="o", markersize=4,
                                  label=label or OUTPUT_LABELS.get(output, output))
                ax.fill_between(positions[order], low[order], high[order],
                                color=line.get_color(), alpha=0.15, linewidth=0)
    else:
        ax.errorbar(positions, y, yerr=np.vstack([y - low, high - y]), fmt="o", markersize=3,
                    elinewidth=0.8, alpha=0.7)
    _label_factor_axis(ax, x, factor)
    ax.set_ylabel(OUTPUT_LABELS.get(output, output))
    if output.startswith(("s_", "dissolution", "merger")):
        shown = np.concatenate([low[np.isfinite(low)], high[np.isfinite(high)]])
        if shown.size:
            pad = max(0.02, 0.1 * (shown.max() - shown.min()))
            ax.set_ylim(max(0.0, shown.min() - pad), min(1.0, shown.max() + pad))
    ax.grid(True, color="0.85", linewidth=0.6)
    ax.set_axisbelow(True)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="x-small", loc="best")
    return ax


def _positions(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind in "biuf":
        return x.astype(float)
    categories = list(dict.fromkeys(x.tolist()))
    return np.array([categories.index(v) for v in x.tolist()], dtype=float)


def _label_factor_axis(ax: Axes, x: np.ndarray, factor: str) -> None:
    if x.dtype.kind == "b":
        ax.set_xticks([0, 1], ["false", "true"])
        ax.set_xlim(-0.5, 1.5)
    elif x.dtype.kind not in "iuf":
        categories = list(dict.fromkeys(x.tolist()))
        ax.set_xticks(range(len(categories)), [_tick(v) for v in categories], rotation=30,
                      ha="right")
    ax.set_xlabel(factor)


def _grid_groups(result, factor: str) -> dict[str, np.ndarray]:
    """Rows of the table per combination of the other factors (and base scenario)."""
    table = result.table
    others = [f.key for f in result.experiment.factors if f.key != factor]
    several = len(set(table["scenario"])) > 1
    groups: dict[str, list[int]] = {}
    for i in range(len(table["point"])):
        parts = [str(table["scenario"][i])] if several else []
        parts += [f"{key.split('.')[-1]} = {_tick(_item(table[key][i]))}" for key in others]
        groups.setdefault(", ".join(parts), []).append(i)
    return {label: np.array(rows) for label, rows in groups.items()}


def _item(value):
    return value.item() if isinstance(value, np.generic) else value


def _draw_mean_over_groups(ax: Axes, positions, y, groups) -> None:
    levels = np.unique(positions)
    means = [np.nanmean(y[positions == level]) for level in levels]
    ax.plot(levels, means, marker="o", label=f"mean over {len(groups)} combinations of the "
                                             "other factors")


def plot_factor_effects(result, output: str = "s_10y", axes=None):
    """One panel of :func:`plot_factor_effect` per factor; returns the array of Axes."""
    factors = [f.key for f in result.experiment.factors]
    if axes is None:
        cols = min(3, len(factors))
        rows = -(-len(factors) // cols)
        _, axes = new_figure(rows, cols, figsize=(max(7.0, 4.6 * cols), 4.0 * rows),
                             squeeze=False)
    axes = np.asarray(axes, dtype=object).ravel()
    for ax, factor in zip(axes, factors, strict=False):
        plot_factor_effect(result, factor, output=output, ax=ax)
    for ax in axes[len(factors):]:
        ax.set_visible(False)
    return axes


def plot_heatmap(result, output: str = "s_10y", ax: Axes | None = None):
    """``output`` over a two-factor grid: the first factor on the rows, the second on the
    columns, each cell labelled with its value."""
    ax = _new_axes(ax)
    first, second = (f.key for f in result.experiment.factors[:2])
    table = result.table
    rows = list(dict.fromkeys(table[first].tolist()))
    cols = list(dict.fromkeys(table[second].tolist()))
    grid = np.full((len(rows), len(cols)), np.nan)
    for a, b, value in zip(table[first].tolist(), table[second].tolist(),
                           np.asarray(table[output], float), strict=True):
        grid[rows.index(a), cols.index(b)] = value
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis", vmin=0, vmax=1)
    for i in range(len(rows)):
        for j in range(len(cols)):
            if np.isfinite(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=8,
                        color="white" if grid[i, j] < 0.6 else "black")
    ax.set_xticks(range(len(cols)), [_tick(v) for v in cols])
    ax.set_yticks(range(len(rows)), [_tick(v) for v in rows])
    ax.set_xlabel(second)
    ax.set_ylabel(first)
    ax.figure.colorbar(image, ax=ax, label=OUTPUT_LABELS.get(output, output))
    return ax


def _tick(value) -> str:
    """A factor value as the experiment file writes it (true, 0.5, "equal")."""
    value = _item(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)


def plot_point_curves(result, points=None, ax: Axes | None = None):
    """The stability curves S(t) of a handful of points overlaid, each with its 95% band
    (Monte Carlo), labelled by the point's factor values."""
    ax = _new_axes(ax)
    points = result.experiment.curves if points is None else points
    horizon = 0
    for point in points:
        curves = result.curves_by_point.get(point)
        if curves is None:
            continue
        values = dict(result.experiment.points[point].values)
        label = ", ".join(f"{k.split('.')[-1]} = {_tick(v)}" for k, v in values.items())
        if len(values) > MAX_FACTORS_IN_LABEL:  # a sampled design: points.csv has the values
            label = f"{len(values)} factors, see points.csv"
        _draw_survival(ax, curves, f"point {point}: {label}")
        horizon = max(horizon, curves.horizon_months)
    if horizon:
        _style_time_axis(ax, horizon)
    ax.set_ylabel("probability still standing")
    ax.legend(fontsize="small", loc="best")
    return ax


CONTRAST_LABELS = {"s_10y": "S(10y)", "s_15y": "S(15y)", "intact_15y": "intact(15y)",
                   "merger_10y": "merged by 10y"}


def plot_contrasts(table: dict, axes=None):
    """Each contrast's difference (variant - base) as a dot with its 95% interval, one panel
    per output of :data:`CONTRAST_LABELS`; ``table`` is
    :meth:`~samenwerkingsim.experiments.contrasts.ContrastsResult.table`. Returns the axes."""
    names = list(dict.fromkeys(table["name"]))
    outputs = [o for o in CONTRAST_LABELS if o in table["output"]]
    if axes is None:
        _, axes = new_figure(1, len(outputs), sharey=True, squeeze=False,
                             figsize=(3.2 * len(outputs) + 3, 0.45 * len(names) + 1.6))
        axes = axes[0]
    rows = {(n, o): i for i, (n, o) in enumerate(zip(table["name"], table["output"],
                                                     strict=True))}
    y = np.arange(len(names))[::-1]
    for ax, output in zip(axes, outputs, strict=True):
        for position, name in zip(y, names, strict=True):
            i = rows.get((name, output))
            if i is None:
                continue
            mid, low, high = (table[k][i] for k in ("difference", "low", "high"))
            colour = "C3" if high < 0 else "C2" if low > 0 else "0.4"
            ax.errorbar(mid, position, xerr=[[mid - low], [high - mid]], fmt="o",
                        color=colour, markersize=4, capsize=2)
        ax.axvline(0, color="0.6", linewidth=0.8)
        ax.set_title(CONTRAST_LABELS[output], fontsize="small")
        ax.set_xlabel("variant - base")
        ax.grid(axis="x", alpha=0.4)
    axes[0].set_yticks(y, names, fontsize="small")
    return axes
