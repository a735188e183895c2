"""Effects of one-at-a-time changes: each point against its reference, paired replication by
replication.

In a one-at-a-time experiment with common random numbers every point replays the same
replications, so the effect of a change on a 10-year indicator (still standing, intact,
dissolved, merged) is the mean of the paired differences ``d_r = x_r(point) - x_r(reference)``
with standard error ``sd(d) / sqrt(n)``: the noise that both arms share cancels. The
trajectories (trust, ownership, value after 10 years, over the arrangements still standing) are
means over different sets of survivors, so their difference has the unpaired standard error
``sqrt(se_a**2 + se_b**2)`` (conservative). Intervals are 95% (1.96 standard errors).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..model.ensemble import FIXED_POINT, METRICS, SQUARE_FIXED_POINT
from .store import STORE_NAME, Store
from .tables import rows

__all__ = ["EFFECT_OUTPUTS", "EffectsResult", "lever_effects"]

YEARS = 10
Z = 1.96
#: 10-year indicators compared replication by replication, and the trajectories compared
EFFECT_OUTPUTS = ("s_10y", "intact_10y", "dissolution_10y", "merger_10y")
TRAJECTORY_OUTPUTS = ("trust", "ownership", "value")


@dataclass(eq=False)
class EffectsResult:
    """One row per changed point: the factor, scenario, reference and new value, and for each
    output its effect with a 95% interval (``<output>``, ``<output>_low``, ``<output>_high``)."""

    table: dict[str, list]

    def records(self) -> list[dict]:
        return rows(self.table)

    def distinguishable(self, row: dict) -> list[str]:
        """The outputs whose interval excludes 0 in a row."""
        return [o for o in (*EFFECT_OUTPUTS, *TRAJECTORY_OUTPUTS)
                if row[f"{o}_low"] > 0 or row[f"{o}_high"] < 0]


def indicators(end_month, outcome, first_exit, months: int) -> dict[str, np.ndarray]:
    """Per replication, 0/1 indicators at ``months``: still standing (no ending in or before
    that month, as S(t) counts it), intact, dissolved by then, merged by then."""
    end_month, first_exit = np.asarray(end_month), np.asarray(first_exit)
    ended = (np.asarray(outcome) != "censored") & (end_month <= months)
    standing = ~ended
    exited = (first_exit >= 0) & (first_exit <= months)
    return {"s_10y": standing.astype(float),
            "intact_10y": (standing & ~exited).astype(float),
            "dissolution_10y": (ended & (np.asarray(outcome) == "dissolution")).astype(float),
            "merger_10y": (ended & (np.asarray(outcome) == "merger")).astype(float)}


def paired_effect(new: np.ndarray, reference: np.ndarray) -> tuple[float, float, float]:
    """Mean paired difference and its 95% interval."""
    d = new - reference
    mean = float(d.mean())
    se = float(d.std(ddof=1) / math.sqrt(len(d))) if len(d) > 1 else math.nan
    return mean, mean - Z * se, mean + Z * se


def trajectory_at(store: Store, point: int, horizon: int, month: int) -> dict[str, tuple]:
    """(mean, standard error) of each metric over the arrangements standing after ``month``."""
    standing, sums, squares = store.trajectory_sums(point, horizon)
    n = int(standing[month])
    out = {}
    for k, metric in enumerate(METRICS):
        if n < 2:
            out[metric] = (math.nan, math.nan)
            continue
        mean = sums[k, month] / FIXED_POINT / n
        variance = max(squares[k, month] / SQUARE_FIXED_POINT / n - mean * mean, 0.0)
        out[metric] = (mean, math.sqrt(variance * n / (n - 1) / n))
    return out


def lever_effects(result) -> EffectsResult:
    """The effect of every non-reference point of a one-at-a-time sweep on the 10-year
    indicators and trajectories, against its reference point."""
    experiment = result.experiment
    if experiment.design.kind != "one_at_a_time":
        raise ValueError(f"effects need a one_at_a_time design, found {experiment.design.kind!r}")
    if not experiment.common_random_numbers:
        raise ValueError("paired effects need common random numbers (run.common_random_numbers)")
    months = 12 * YEARS
    columns: dict[str, list] = {name: [] for name in (
        "point", "reference", "factor", "scenario", "from", "to", "n")}
    for output in (*EFFECT_OUTPUTS, *TRAJECTORY_OUTPUTS):
        for suffix in ("", "_low", "_high"):
            columns[f"{output}{suffix}"] = []
    with Store(result.folder / STORE_NAME) as store:
        runs = {point: indicators(end, outcome, first, months)
                for point, end, outcome, first in store.point_runs()}
        for point in experiment.points:
            if point.reference is None or point.index == point.reference:
                continue
            reference = experiment.points[point.reference]
            (key, value), = point.values
            columns["point"].append(point.index)
            columns["reference"].append(reference.index)
            columns["factor"].append(key)
            columns["scenario"].append(point.label)
            columns["from"].append(dict(reference.values)[key])
            columns["to"].append(value)
            columns["n"].append(len(runs[point.index]["s_10y"]))
            for output in EFFECT_OUTPUTS:
                effect = paired_effect(runs[point.index][output], runs[reference.index][output])
                for suffix, x in zip(("", "_low", "_high"), effect, strict=True):
                    columns[f"{output}{suffix}"].append(x)
            horizon = point.scenario.run.horizon_months
            new = trajectory_at(store, point.index, horizon, months - 1)
            old = trajectory_at(store, reference.index, horizon, months - 1)
            for output in TRAJECTORY_OUTPUTS:
                difference = new[output][0] - old[output][0]
                se = math.hypot(new[output][1], old[output][1])
                for suffix, x in zip(("", "_low", "_high"),
                                     (difference, difference - Z * se, difference + Z * se),
                                     strict=True):
                    columns[f"{output}{suffix}"].append(x)
    return EffectsResult(columns)
