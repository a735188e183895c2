"""Figures of a calibration: screening, implausibility by wave, prior against posterior, pairs,
and posterior predictive stability curves against the targets. Each function takes ``ax=None``
(or ``axes=None``) and returns what it drew on."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from ..analysis import MONTHS_PER_YEAR
from .curves import _new_axes, _style_time_axis, new_figure

__all__ = ["plot_implausibility", "plot_pairs", "plot_posterior_marginals",
           "plot_predictive", "plot_screening"]


def plot_screening(calibration, ax: Axes | None = None, most: int = 25):
    """The largest scaled Morris mu* of each parameter over the targets (bars), the kept ones
    in colour."""
    ax = _new_axes(ax)
    influence = calibration.screening["influence"]
    names = sorted(influence, key=influence.get, reverse=True)[:most][::-1]
    colours = ["C0" if n in calibration.kept else "0.7" for n in names]
    ax.barh(range(len(names)), [influence[n] for n in names], color=colours)
    ax.set_yticks(range(len(names)), names, fontsize="x-small")
    ax.set_xlabel("largest Morris mu* over the targets, in units of the target's scale")
    ax.set_title(f"screening: the {len(calibration.kept)} kept (blue) of {len(influence)}")
    return ax


def plot_implausibility(calibration, ax: Axes | None = None):
    """The distribution of the largest implausibility per point in each wave, with its
    cutoff."""
    ax = _new_axes(ax)
    for wave in calibration.waves:
        worst = np.clip(wave["max_implausibility"], 0, 20)
        ax.hist(worst, bins=40, range=(0, 20), histtype="step",
                label=f"wave {wave['wave']}: {wave['nroy'].mean():.1%} not implausible")
        ax.axvline(wave["cutoff"], color="0.5", linestyle=":")
    ax.set_xlabel("largest implausibility over the targets (cut at 20)")
    ax.set_ylabel("points")
    ax.legend(fontsize="small")
    return ax


def plot_posterior_marginals(calibration, axes=None):
    """Prior (the grey band of its range) against posterior (histogram) of each kept
    parameter, in its sampling coordinate, with the chosen point."""
    from ..calibration.run import ParameterSpace

    space = ParameterSpace(calibration.kept)
    posterior = calibration.posterior
    n = len(space.names)
    if axes is None:
        cols = min(4, n)
        rows = -(-n // cols)
        _, axes = new_figure(rows, cols, figsize=(3.2 * cols, 2.4 * rows), squeeze=False)
    axes = np.asarray(axes, dtype=object).ravel()
    chosen = space.coordinates(calibration.chosen["values"]) if calibration.chosen else None
    for j, (ax, name) in enumerate(zip(axes, space.names, strict=False)):
        low, high = space.bounds[j]
        ax.axvspan(low, high, color="0.9", label="prior range")
        ax.hist(posterior["u"][:, j], bins=20, range=(low, high), density=True, color="C0",
                alpha=0.8, label="posterior")
        if chosen is not None:
            ax.axvline(chosen[j], color="C3", label="chosen")
        kind = space.priors[j].kind
        ax.set_title(f"{name}\n(contraction {posterior['contraction'][j]:.2f})",
                     fontsize="x-small")
        ax.set_xlabel("log of the value" if kind == "loguniform" else "value",
                      fontsize="x-small")
        ax.tick_params(labelsize="x-small")
        ax.set_yticks([])
    for ax in axes[n:]:
        ax.set_visible(False)
    axes[0].legend(fontsize="xx-small")
    return axes


def plot_pairs(calibration, axes=None, most: int = 6):
    """Pairs of the most contracted kept parameters: accepted points (blue) over the points of
    the reference table (grey), in sampling coordinates."""
    from ..calibration.run import ParameterSpace

    space = ParameterSpace(calibration.kept)
    order = np.argsort(-calibration.posterior["contraction"])[:most]
    k = len(order)
    if axes is None:
        _, axes = new_figure(k, k, figsize=(1.9 * k, 1.9 * k), squeeze=False)
    axes = np.asarray(axes, dtype=object)
    table = calibration.reference["u"]
    accepted = calibration.posterior["u"]
    for a, i in enumerate(order):
        for b, j in enumerate(order):
            ax = axes[a, b]
            if a == b:
                ax.hist(accepted[:, i], bins=15, color="C0")
            else:
                ax.scatter(table[:, j], table[:, i], s=2, color="0.8")
                ax.scatter(accepted[:, j], accepted[:, i], s=3, color="C0")
            ax.tick_params(labelsize="xx-small")
            if a == k - 1:
                ax.set_xlabel(space.names[j], fontsize="xx-small")
            if b == 0:
                ax.set_ylabel(space.names[i], fontsize="xx-small")
    axes[0, 0].figure.suptitle(
        f"the {k} most contracted parameters: accepted points (blue) over the reference table "
        "(grey), in sampling coordinates (the logarithm for a log-uniform prior)",
        fontsize="small")
    return axes


def plot_predictive(calibration, label: str, ax: Axes | None = None):
    """The posterior predictive stability curve of one scenario: the median over posterior
    draws and the 95% band over them (parameter uncertainty and Monte Carlo noise together),
    with the cumulative incidences, and the targets of that scenario as boxes or lines."""
    ax = _new_axes(ax)
    draws = calibration.predictive["curves"][label]
    months = draws[0].months
    years = months / MONTHS_PER_YEAR
    for what, colour, text in (("survival", "C0", "still standing"),
                               ("dissolution", "C1", "dissolved"),
                               ("merger", "C2", "merged"),
                               ("intact", "C4", "intact")):
        stack = np.array([getattr(c, what) if what in ("survival", "intact")
                          else c.incidence[what] for c in draws])
        low, mid, high = np.percentile(stack, [2.5, 50, 97.5], axis=0)
        # intact dash-dotted, as in stability.png: where no exit leaves the rest standing
        # (two members) it lies on the stability curve
        ax.plot(years, mid, drawstyle="steps-post", color=colour, label=f"{text} (median)",
                linestyle="-." if what == "intact" else "-")
        ax.fill_between(years, low, high, step="post", color=colour, alpha=0.2, linewidth=0)
    for target in calibration.spec.targets:
        if target.scenario != label:
            continue
        output = target.output.split("_")[0]
        colour = {"s": "C0", "dissolution": "C1", "merger": "C2", "intact": "C4"}[output]
        ax.plot([target.years] * 2, [target.low, target.high], color=colour, linewidth=6,
                alpha=0.6, solid_capstyle="butt")
    _style_time_axis(ax, int(months[-1]))
    ax.set_title(f"{label}: posterior predictive, {len(draws)} draws\nbands: 95% over the "
                 "draws (parameter and Monte Carlo uncertainty); bars: targets",
                 fontsize="small")
    ax.legend(fontsize="x-small", loc="best")
    return ax
