"""Contrasts: one scenario against another at every point of an experiment, point by point.

With a ``posterior`` design every point is a draw from the posterior and both scenarios run
the same replications at it (common random numbers), so the differences over the draws are a
posterior distribution of the effect: its 2.5% and 97.5% quantiles are a 95% credible
interval (holding Monte Carlo noise too), and the share of draws with a negative difference is
the posterior probability that the variant lowers the quantity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .tables import rows

__all__ = ["CONTRAST_OUTPUTS", "ContrastsResult", "contrasts"]

CONTRAST_OUTPUTS = ("s_10y", "s_15y", "intact_10y", "intact_15y", "merger_10y",
                    "share_merger")


@dataclass(eq=False)
class ContrastsResult:
    """One row per contrast and output: the median difference (variant - base) over the
    points, its 95% interval and the probability that it is negative."""

    table: dict[str, list]

    def records(self) -> list[dict]:
        return rows(self.table)


def contrasts(result) -> ContrastsResult:
    experiment = result.experiment
    labels = [p.label for p in experiment.points]
    columns = {k: [] for k in ("name", "base", "variant", "output", "base_median",
                               "variant_median", "difference", "low", "high",
                               "p_negative", "points")}
    for name, base, variant in experiment.contrasts:
        a = np.array([i for i, label in enumerate(labels) if label == base])
        b = np.array([i for i, label in enumerate(labels) if label == variant])
        for output in CONTRAST_OUTPUTS:
            x = np.asarray(result.table[output], dtype=float)[a]
            y = np.asarray(result.table[output], dtype=float)[b]
            if not (np.isfinite(x).all() and np.isfinite(y).all()):
                continue  # beyond the horizon
            d = y - x
            low, mid, high = np.percentile(d, [2.5, 50, 97.5])
            for key, value in (("name", name), ("base", base), ("variant", variant),
                               ("output", output), ("base_median", float(np.median(x))),
                               ("variant_median", float(np.median(y))), ("difference", mid),
                               ("low", low), ("high", high),
                               ("p_negative", float(np.mean(d < 0))), ("points", len(d))):
                columns[key].append(value)
    return ContrastsResult(columns)
