"""Stability curves under the posterior: parameter uncertainty carried into what a user reads.

The shipped calibration's accepted points (``data/posterior.csv``) are the posterior of the
calibrated behavioural parameters; every other parameter stays at its default. A predictive
run draws ``N`` points from it (weighted, with replacement, seeded), runs the scenario at each
with the same replication streams (common random numbers), and reports for every quantity
the median over the draws and the 2.5% and 97.5% quantiles: a band that holds parameter
uncertainty and Monte Carlo noise together. Comparing designs draw by draw gives the
posterior probability that one design beats another.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..analysis import SUMMARY_YEARS, StabilityCurves, stability_curves
from ..experiments.draws import Posterior, load_posterior, posterior_draws, posterior_scenarios
from ..model.engine import OUTCOME_NAMES
from ..model.ensemble import simulate_chunk
from ..model.params import Scenario

__all__ = ["Posterior", "PosteriorCurves", "load_posterior", "posterior_draws",
           "posterior_scenarios", "probability_better", "simulate_draws", "summarise_draws"]


@dataclass(eq=False)
class PosteriorCurves:
    """Curves of one scenario over posterior draws: median and 95% band over the draws."""

    months: np.ndarray
    quantities: dict[str, np.ndarray]   # name -> (draws, months) array
    draws: int

    @property
    def years(self) -> np.ndarray:
        """The time axis of :meth:`band`, in years (one point a month)."""
        return self.months / 12

    def band(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The 2.5%, 50% and 97.5% quantiles over the draws of ``name`` (``survival``,
        ``intact``, ``dissolution`` or ``merger``), month by month: three arrays along
        :attr:`years`."""
        low, mid, high = np.percentile(self.quantities[name], [2.5, 50, 97.5], axis=0)
        return low, mid, high

    def at(self, name: str, years: float) -> np.ndarray:
        """The quantity after ``years`` in every draw (one value per draw; summarise it with
        ``np.percentile`` or compare two designs draw by draw)."""
        return self.quantities[name][:, round(12 * years)]

    def to_summary(self) -> dict:
        horizon_years = (len(self.months) - 1) / 12
        years = [y for y in SUMMARY_YEARS if y <= horizon_years]
        out = {"draws": self.draws, "band": "2.5%, 50% and 97.5% over the posterior draws: "
                                            "parameter uncertainty and Monte Carlo noise"}
        for name in self.quantities:
            out[name] = {str(y): dict(zip(("low", "median", "high"), np.percentile(
                self.at(name, y), [2.5, 50, 97.5]).tolist(), strict=True)) for y in years}
        return out


def _simulate_draw(task) -> StabilityCurves:
    scenario, seed, replications = task
    result = simulate_chunk(scenario, seed, 0, range(replications),
                            scenario.run.horizon_months, events=False, histograms=False)
    outcomes = np.array([OUTCOME_NAMES[int(c)] for c in result.runs["outcome"]])
    return stability_curves(result.runs["end_month"], outcomes, scenario.run.horizon_months,
                            first_exit_month=result.runs["first_exit_month"])


def simulate_draws(scenarios: list[Scenario], replications: int, seed: int, jobs: int = 1,
                   progress=None) -> list[StabilityCurves]:
    """The curves of each draw's scenario, every draw on the same replication streams."""
    from ..experiments.executors import LocalExecutor

    tasks = [(s, seed, replications) for s in scenarios]
    order = {id(t): i for i, t in enumerate(tasks)}
    curves: list = [None] * len(tasks)
    executor = LocalExecutor(jobs)
    try:
        for task, result in executor.run(_simulate_draw, tasks):
            curves[order[id(task)]] = result
            if progress is not None:
                progress(replications)
    finally:
        executor.close()
    return curves


def summarise_draws(curves: list[StabilityCurves]) -> PosteriorCurves:
    return PosteriorCurves(
        months=curves[0].months,
        quantities={"survival": np.array([c.survival for c in curves]),
                    "intact": np.array([c.intact for c in curves]),
                    "dissolution": np.array([c.incidence["dissolution"] for c in curves]),
                    "merger": np.array([c.incidence["merger"] for c in curves])},
        draws=len(curves))


def probability_better(a: PosteriorCurves, b: PosteriorCurves, name: str = "survival",
                       years: float = 10) -> float:
    """Posterior probability that ``b`` has the higher quantity after ``years`` (ties count
    half), draw by draw."""
    x, y = a.at(name, years), b.at(name, years)
    return float(np.mean((y > x) + 0.5 * (y == x)))
