"""The explorer's Monte Carlo panel, without the page: many replications of the settings on the
ensemble engine, their stability and intact curves beside the scenario file's own, and the
log-rank tests between them.

Runs are meant to go off the page's thread: :func:`run_replications` reports its progress and
stops when asked, between chunks (the workers of a process pool are terminated then).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..analysis import Comparison, StabilityCurves, compare, stability_curves
from ..analysis.survival import intact_times as survival_intact_times
from ..experiments.runner import RunResult, run_scenario
from ..model.params import Scenario

#: Replications per task of the ensemble engine when one process runs them all: small enough
#: for a progress bar that moves and a stop within a fraction of a second, large enough for
#: numpy to be quick (the result does not depend on it).
PROGRESS_CHUNK = 250

#: Labels of the two curves in every comparison: the settings of the page against the file.
EXPLORED, SCENARIO_FILE = "explored settings", "scenario file"

_stop_all = threading.Event()


class Stopped(Exception):
    """A Monte Carlo run was stopped before it finished (by the page, or the server going
    down)."""


def stop_all_runs() -> None:
    """Stop every Monte Carlo run of this process at its next chunk (the server shuts down)."""
    _stop_all.set()


def run_replications(scenario: Scenario, replications: int, seed: int, *, jobs: int = 1,
                     progress: Callable[[float], None] | None = None,
                     should_stop: Callable[[], bool] | None = None) -> RunResult:
    """Run ``replications`` replications of ``scenario`` from ``seed`` on the ensemble engine.

    Parameters
    ----------
    jobs : int
        Worker processes (the runner's process pool for more than one).
    progress : callable, optional
        Called with the share done, 0 to 1, after every chunk.
    should_stop : callable, optional
        Asked after every chunk; when it returns True the run stops with :class:`Stopped`.

    Raises
    ------
    Stopped
        When ``should_stop`` said so, or :func:`stop_all_runs` was called.
    """
    done = 0

    def chunk_finished(count: int) -> None:
        nonlocal done
        done += count
        if _stop_all.is_set() or (should_stop is not None and should_stop()):
            # raised inside the runner, so that a process pool is torn down at once
            raise Stopped(f"stopped after {done} of {replications} replications")
        if progress is not None:
            progress(done / replications)

    if _stop_all.is_set():
        raise Stopped("the explorer is shutting down")
    return run_scenario(scenario, replications=replications, seed=seed, jobs=jobs,
                        engine="ensemble", chunk_size=PROGRESS_CHUNK if jobs == 1 else None,
                        progress=chunk_finished)


def intact_times(result: RunResult) -> tuple[np.ndarray, np.ndarray]:
    """When each replication stopped being intact (all founding members still in), as the
    ``(end_month, outcome)`` pair that :func:`stability_curves` reads.

    The event is the first member exit or the end of the arrangement, whichever comes first
    (labelled ``"dissolution"``: only the all-cause curve is used, for its log-rank test); a
    replication with neither within the horizon is censored there.
    """
    months, lost = survival_intact_times(result.runs["end_month"], result.outcomes,
                                         result.runs["first_exit_month"])
    return months, np.where(lost, "dissolution", "censored")


def intact_curve(result: RunResult) -> StabilityCurves:
    """Kaplan-Meier probability that all founding members are still in after t years, as a
    :class:`StabilityCurves` whose ``survival`` is the intact curve (so that two of them can
    be compared with a log-rank test)."""
    end, outcome = intact_times(result)
    return stability_curves(end, outcome, result.scenario.run.horizon_months)


@dataclass(frozen=True, eq=False)
class Outcomes:
    """What the comparison needs of a run: per replication, when and how it ended, and when
    it stopped being intact (small enough to keep, unlike the event log)."""

    replications: int
    seed: int
    horizon_months: int
    end_month: np.ndarray
    outcome: np.ndarray
    intact_end_month: np.ndarray
    intact_outcome: np.ndarray

    @classmethod
    def of(cls, result: RunResult) -> Outcomes:
        intact_end, intact_outcome = intact_times(result)
        return cls(len(result.runs), int(result.scenario.run.seed),
                   result.scenario.run.horizon_months, result.runs["end_month"].copy(),
                   result.outcomes, intact_end, intact_outcome)


@dataclass(frozen=True, eq=False)
class MonteCarloComparison:
    """The explored settings against the scenario file, over the same replications and seed.

    Attributes
    ----------
    replications, seed, horizon_months : int
    stability, intact : Comparison
        Of :data:`EXPLORED` against :data:`SCENARIO_FILE` (the reference): the probability
        that the arrangement still stands, and that all founding members are still in, each
        with its log-rank test.
    changed : bool
        Whether the explored settings differ from the file (if not, the curves coincide).
    """

    replications: int
    seed: int
    horizon_months: int
    stability: Comparison
    intact: Comparison
    changed: bool

    @property
    def p_stability(self) -> float:
        """Log-rank p of the stability curves (NaN when undefined: no ending in either)."""
        return self.stability.logrank[EXPLORED][1]

    @property
    def p_intact(self) -> float:
        return self.intact.logrank[EXPLORED][1]

    def summary(self) -> list[str]:
        """Plain sentences for the page."""
        years = min(10, self.horizon_months // 12)
        lines = []
        for label, comparison in (("still standing", self.stability),
                                  ("all founding members still in", self.intact)):
            explored = comparison.curves[EXPLORED].survival_at(years)
            own = comparison.curves[SCENARIO_FILE].survival_at(years)
            lines.append(f"Probability {label} after {years} years: {explored:.2f} with the "
                         f"explored settings, {own:.2f} with the scenario file.")
        for label in (EXPLORED, SCENARIO_FILE):
            shares = self.stability.curves[label].outcome_shares
            lines.append(f"Within {self.horizon_months / 12:g} years, with the {label}: "
                         f"{100 * shares['dissolution']:.1f}% dissolved, "
                         f"{100 * shares['merger']:.1f}% merged, "
                         f"{100 * shares['censored']:.1f}% still standing.")
        if self.changed:
            lines.append(f"Log-rank test of the explored settings against the scenario file: "
                         f"{format_p(self.p_stability)} for standing, "
                         f"{format_p(self.p_intact)} for intact (small p: the difference "
                         "is unlikely to be chance).")
        else:
            lines.append("The settings are those of the scenario file, so the curves coincide.")
        return lines


def format_p(p: float) -> str:
    """A p-value as the page writes it: "p = 0.042", "p < 0.001", or why there is none."""
    if math.isnan(p):
        return "p n/a (no endings to compare)"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def compare_outcomes(explored: Outcomes, own: Outcomes, changed: bool) -> MonteCarloComparison:
    """Stability and intact curves of two runs of the same size, seed and horizon, with
    log-rank tests of the explored settings against the scenario file."""
    if (explored.replications, explored.seed, explored.horizon_months) != (
            own.replications, own.seed, own.horizon_months):
        raise ValueError("compare runs of the same size, seed and horizon")
    horizon = own.horizon_months
    stability = compare({SCENARIO_FILE: (own.end_month, own.outcome),
                         EXPLORED: (explored.end_month, explored.outcome)}, horizon)
    intact = compare({SCENARIO_FILE: (own.intact_end_month, own.intact_outcome),
                      EXPLORED: (explored.intact_end_month, explored.intact_outcome)}, horizon)
    return MonteCarloComparison(own.replications, own.seed, horizon, stability, intact, changed)
