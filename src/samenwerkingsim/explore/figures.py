"""Figures of the explorer: the arrangement as a network, its monthly indicators, the event
timeline, and the Monte Carlo comparison.

Each function draws on a :class:`matplotlib.figure.Figure` (no pyplot, no global state) and
:func:`png` turns it into the bytes the page shows. They read a running
:class:`~samenwerkingsim.explore.state.ExplorerModel` and never change it.
"""

from __future__ import annotations

import io
import math

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from ..model.params import PORTFOLIOS
from ..model.rules import DISSOLUTION, RUNNING, is_election_month
from ..plotting import new_figure
from .montecarlo import EXPLORED, SCENARIO_FILE, MonteCarloComparison, format_p
from .state import TIMELINE_ROWS, ExplorerModel, TimelineEntry

#: Trust, stance: red (low) through yellow to blue (high); readable with red-green colour
#: blindness, and red is bad as in the value scale.
TRUST_COLOURS = colormaps["RdYlBu"]
#: Ownership: light (none) to dark purple (full).
OWNERSHIP_COLOURS = colormaps["Purples"]
#: Value: red (costs outweigh benefits) through white to blue (worth it).
VALUE_COLOURS = colormaps["RdBu"]
#: The value scale of the node colours; values beyond are drawn as the extremes.
VALUE_LIMIT = 1.0
#: A wethouder counts as new for this many months (drawn with a ring).
NEW_WETHOUDER_MONTHS = 6

NODE_COLOURINGS = ("ownership", "value")
INDICATORS = (
    ("trust", "Trust between municipalities", (0.0, 1.0)),
    ("ownership", "Ownership (eigenaarschap)", (0.0, 1.0)),
    ("value", "Value the councils see in it", None),
    ("quality", "Quality of the organisation", (0.0, 1.0)),
)
_ROW_LABELS = {
    "elections": "elections",
    "wethouders": "wethouders leaving",
    "incidents": "incidents",
    "director": "new director",
    "governance": "governance change",
    "members": "members leaving",
    "merger": "merger proposals, votes",
    "end": "end of the arrangement",
}
_ROW_STYLE = {  # marker, colour
    "elections": ("|", "0.45"),
    "wethouders": ("v", "tab:orange"),
    "incidents": ("x", "tab:red"),
    "director": ("s", "tab:blue"),
    "governance": ("D", "tab:purple"),
    "members": ("o", "black"),
    "merger": ("^", "tab:green"),
    "end": ("X", "black"),
}


def png(fig: Figure, dpi: int = 90) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _year(model: ExplorerModel, month: float) -> float:
    """Calendar time (2013.25 is April 2013) of model month ``month``."""
    return model.start_index / 12 + month / 12


def time_window(model: ExplorerModel) -> tuple[float, float]:
    """The years the time axes show: from the start to two years past now, at least ten years
    and at most the horizon (so the first months are not lost in a 40-year axis)."""
    months = min(model.horizon_months, max(120, model.month + 24))
    return _year(model, 0), _year(model, months)


def status_text(model: ExplorerModel) -> str:
    """Where the run is, in words: "Month 37 of 480 (2013-02): still standing"."""
    month = model.month
    horizon = model.horizon_months
    where = f"Month {month} of {horizon} ({model.date_of(max(month - 1, 0))})"
    outcome = model.outcome
    if outcome == "censored":
        state = ("still standing at the end of the horizon" if month >= horizon
                 else "still standing")
    else:
        end = int(model.state.end_month[0])
        state = {"dissolution": f"dissolved in {model.date_of(end)}",
                 "merger": f"ended in a merger (herindeling) in {model.date_of(end)}"}[outcome]
    pending = int(model.state.pending_outcome[0])
    if outcome == "censored" and pending != RUNNING:
        when = model.date_of(int(model.state.pending_end_month[0]))
        state += (f", but the members decided to dissolve it (ends {when})" if pending
                  == DISSOLUTION else f", but a merger was approved (herindeling {when})")
    members = [m for m in model.municipalities if m.status in ("member", "leaving")]
    return f"{where}: {state}; {len(members)} of {len(model.municipalities)} members take part"


# --------------------------------------------------------------------------------------------
# The arrangement as a network


def _positions(n: int) -> np.ndarray:
    """Municipalities on a circle, the first at the top, clockwise."""
    angles = math.pi / 2 - 2 * math.pi * np.arange(n) / n
    if n == 2:
        angles = np.array([math.pi, 0.0])
    return np.column_stack([np.cos(angles), np.sin(angles)])


def node_radius(population: float, largest: float) -> float:
    """Radius of a municipality's node, in the figure's units: its area grows with the
    population, the largest member's radius is 0.27."""
    return max(0.06, 0.27 * math.sqrt(population / largest))


def network_figure(model: ExplorerModel, colour_by: str = "ownership") -> Figure:
    """The municipalities as nodes sized by population and coloured by ownership or value,
    links between them coloured by trust, each municipality's three wethouders coloured by
    their stance, and the director in the middle."""
    if colour_by not in NODE_COLOURINGS:
        raise ValueError(f"colour_by must be one of {NODE_COLOURINGS}, found {colour_by!r}")
    # fixed positions rather than a constrained layout: the figure is drawn every step, and
    # the layout engine would double the time it takes
    fig = Figure(figsize=(5.0, 4.4))
    ax = fig.add_axes((0.0, 0.23, 1.0, 0.71))
    members = model.municipalities
    xy = _positions(len(members))
    taking_part = [m.status in ("member", "leaving") for m in members]
    trust_norm = Normalize(0.0, 1.0)
    for i in range(len(members)):
        for j in range(i + 1, len(members)):
            if not (taking_part[i] and taking_part[j]):
                continue
            trust = members[i].trust_in(members[j])
            ax.plot(*zip(xy[i], xy[j], strict=True), color=TRUST_COLOURS(trust_norm(trust)),
                    linewidth=1.5 + 6 * trust, solid_capstyle="round", zorder=1)

    if colour_by == "ownership":
        node_norm, node_colours = Normalize(0.0, 1.0), OWNERSHIP_COLOURS
        values = [m.ownership for m in members]
        node_label = "municipalities: ownership\n(eigenaarschap, 0 to 1)"
    else:
        node_norm = TwoSlopeNorm(0.0, -VALUE_LIMIT, VALUE_LIMIT)
        node_colours = VALUE_COLOURS
        values = [float(np.clip(m.smoothed_value, -VALUE_LIMIT, VALUE_LIMIT)) for m in members]
        node_label = "municipalities: value the council sees\n(below 0: costs outweigh benefits)"
    largest = max(m.population for m in members)
    for k, m in enumerate(members):
        part = taking_part[k]
        radius = node_radius(m.population, largest)
        ax.add_patch(Circle(xy[k], radius, zorder=3,
                            facecolor=node_colours(node_norm(values[k])) if part else "0.9",
                            edgecolor="black", linewidth=1.6 if part else 1.0,
                            linestyle="--" if m.status == "leaving" else "-",
                            hatch=None if part else "///"))
        # the wethouders: three dots on the outer side of the node, coloured by stance
        outward = math.atan2(xy[k][1], xy[k][0])
        if part:
            for p in range(len(PORTFOLIOS)):
                angle = outward + (p - 1) * 0.5
                spot = xy[k] + (radius + 0.07) * np.array([math.cos(angle), math.sin(angle)])
                wethouder = next(w for w in model.wethouders
                                 if w.municipality is m and w.portfolio_index == p)
                new = wethouder.tenure_months < NEW_WETHOUDER_MONTHS and model.month > 0
                ax.scatter(*spot, s=60, zorder=5, color=TRUST_COLOURS(wethouder.stance),
                           edgecolors="black" if new else "0.35",
                           linewidths=2.0 if new else 0.6)
        note = {"leaving": " (leaving)", "left": " (left)", "merged": " (merged)"}.get(
            m.status, "")
        direction = np.array([math.cos(outward), math.sin(outward)])
        anchor = xy[k] + (radius + 0.2) * direction
        ha = "left" if direction[0] > 0.3 else "right" if direction[0] < -0.3 else "center"
        va = "bottom" if direction[1] > 0.3 else "top" if direction[1] < -0.3 else "center"
        ax.text(*anchor, f"{m.name}{note}\n{m.population / 1000:.1f}k inhabitants", ha=ha,
                va=va, fontsize=9.5, zorder=4)

    director = model.director
    ax.scatter(0, 0, s=260, marker="s", color=colormaps["Blues"](0.25 + 0.75 * director.effort),
               edgecolors="black", zorder=6)
    ax.text(0.0, -0.13, "director", ha="center", va="top", fontsize=8, zorder=6,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
    ax.set_xlim(-2.65, 2.65)
    ax.set_ylim(-1.75, 1.8)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"The arrangement in {model.date_of(max(model.month - 1, 0))}", fontsize=11)
    for left, norm, colours, label in (
        (0.06, trust_norm, TRUST_COLOURS, "links: trust between municipalities;\n"
                                          "dots: wethouders' stance (0 to 1)"),
        (0.54, node_norm, node_colours, node_label),
    ):
        bar = fig.colorbar(ScalarMappable(norm, colours),
                           cax=fig.add_axes((left, 0.14, 0.4, 0.03)), orientation="horizontal")
        bar.set_label(label, fontsize=9)
        bar.ax.tick_params(labelsize=8)
    return fig


def network_caption(model: ExplorerModel) -> str:
    """What the network figure shows, in words, with the director's current traits."""
    director = model.director
    role = ("a separate director" if director.is_separate
            else "a director who is also one of the gemeentesecretarissen")
    return (f"Node area: population. Links: trust between two municipalities (thicker and "
            f"bluer is more trust). Small dots: each municipality's three wethouders "
            f"(bedrijfsvoering, sociaal domein, fysiek domein), coloured by their stance "
            f"towards the shared organisation; a ring marks one who took office in the last "
            f"{NEW_WETHOUDER_MONTHS} months. Centre: {role}, with competence "
            f"{director.competence:.2f}, effort on the boards {director.effort:.2f} and bias "
            f"towards the largest member {director.bias:.2f} (each 0 to 1).")


# --------------------------------------------------------------------------------------------
# Monthly indicators


def indicators_figure(model: ExplorerModel) -> Figure:
    """Trust, ownership, value and quality month by month, over the whole horizon."""
    fig = Figure(figsize=(5.0, 4.4))  # a fixed layout, as in network_figure
    axes = fig.subplots(2, 2, sharex=True)
    fig.subplots_adjust(left=0.1, right=0.97, top=0.93, bottom=0.12, wspace=0.32, hspace=0.3)
    months = np.arange(len(model.observations))
    start, end = time_window(model)
    elections = [t for t in range(model.horizon_months)
                 if is_election_month((model.start_index + t) // 12,
                                      (model.start_index + t) % 12 + 1)]
    for ax, (metric, title, limits) in zip(axes.flat, INDICATORS, strict=True):
        values = np.array([row[metric] for row in model.observations])
        for t in elections:
            ax.axvline(_year(model, t), color="0.88", linewidth=0.8, zorder=0)
        if len(values):
            ax.plot(_year(model, months), values, color="tab:blue", linewidth=1.6)
            ax.plot(_year(model, months[-1]), values[-1], "o", color="tab:blue", markersize=4)
        ax.set_title(title, fontsize=10.5)
        ax.set_xlim(start, end)
        if limits is not None:
            ax.set_ylim(*limits)
        else:
            ax.axhline(0.0, color="0.4", linewidth=0.8)
            ax.text(0.02, 0.04, "below 0: costs outweigh benefits", transform=ax.transAxes,
                    fontsize=7.5, color="0.35")
            span = max(0.5, float(np.nanmax(np.abs(values))) * 1.15) if len(values) else 0.5
            ax.set_ylim(-span, span)
        ax.grid(True, color="0.92", linewidth=0.6)
        ax.tick_params(labelsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("year (grey: elections)", fontsize=9)
    return fig


# --------------------------------------------------------------------------------------------
# The event timeline


def timeline_figure(model: ExplorerModel, entries: list[TimelineEntry]) -> Figure:
    """Every event so far on one time axis, a row per kind."""
    fig = Figure(figsize=(5.6, 3.0))  # a fixed layout, as in network_figure
    ax = fig.add_subplot()
    fig.subplots_adjust(left=0.33, right=0.96, top=0.96, bottom=0.18)
    rows = list(TIMELINE_ROWS)
    for entry in entries:
        marker, colour = _ROW_STYLE[entry.row]
        y = len(rows) - 1 - rows.index(entry.row)
        filled = entry.kind in ("member_exit", "dissolution", "merger", "merger_approved")
        ax.plot(_year(model, entry.month + 0.5), y, marker, color=colour, markersize=7,
                markerfacecolor=colour if (filled or marker in "|x") else "white",
                markeredgewidth=1.6 if marker in "|x" else 1.0)
        if entry.row == "members" and entry.municipality:
            ax.annotate(entry.municipality, (_year(model, entry.month + 0.5), y),
                        xytext=(0, 7), textcoords="offset points", ha="center", fontsize=7)
    ax.axvline(_year(model, model.month), color="tab:blue", linewidth=1, linestyle=":")
    ax.set_yticks(range(len(rows)), [_ROW_LABELS[r] for r in reversed(rows)], fontsize=9)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlim(*time_window(model))
    ax.grid(True, axis="x", color="0.9", linewidth=0.6)
    ax.tick_params(axis="x", labelsize=9)
    ax.set_xlabel("year (dotted: now; filled: exits, approved mergers, the end)", fontsize=8.5)
    return fig


# --------------------------------------------------------------------------------------------
# Monte Carlo


def _survival_step(ax, curves, label: str, colour: str, linestyle: str) -> None:
    years = curves.months / 12
    ax.plot(years, curves.survival, drawstyle="steps-post", color=colour,
            linestyle=linestyle, linewidth=1.8, label=f"{label} (95% band)")
    ax.fill_between(years, curves.survival_low, curves.survival_high, step="post",
                    color=colour, alpha=0.18, linewidth=0)


def monte_carlo_figure(result: MonteCarloComparison) -> Figure:
    """Stability and intact curves of the explored settings beside the scenario file's, with
    their 95% bands and log-rank p."""
    fig, axes = new_figure(1, 2, figsize=(10.0, 3.6), sharey=True)
    horizon_years = result.horizon_months / 12
    for ax, comparison, title, ylabel in (
        (axes[0], result.stability, "Still standing (neither dissolved nor merged)",
         "probability"),
        (axes[1], result.intact, "Intact: all founding members still in", None),
    ):
        _survival_step(ax, comparison.curves[SCENARIO_FILE], SCENARIO_FILE, "0.35", "--")
        _survival_step(ax, comparison.curves[EXPLORED], EXPLORED, "tab:orange", "-")
        p = comparison.logrank[EXPLORED][1]
        ax.set_title(f"{title}\nlog-rank test: {format_p(p)}", fontsize=10)
        if ylabel:
            ax.set_ylabel(ylabel, fontsize=9)
        ax.set_xlim(0, horizon_years)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("years since the start", fontsize=9)
        ax.grid(True, color="0.9", linewidth=0.6)
        ax.tick_params(labelsize=8)
        ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    fig.suptitle(f"{result.replications} replications each, seed {result.seed}", fontsize=9)
    return fig
