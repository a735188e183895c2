"""Replications of a scenario on a choice of engine and executor.

The model is a function from (scenario, seed, point, replication) to a history. This module
splits the replications into fixed chunks, runs them in the calling process or in a pool of
processes, and merges the chunks in replication order. Because every replication draws from
its own stream and the aggregates are exact, the result is the same for any number of workers
and any chunk size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from ..analysis import StabilityCurves, stability_curves
from ..model.engine import OUTCOME_NAMES
from ..model.ensemble import (
    EVENT_DTYPE,
    RUN_DTYPE,
    ChunkResult,
    Trajectories,
    event_rows,
    run_rows,
    simulate_chunk,
)
from ..model.params import Scenario
from .workers import usable_cores, worker_pool

ENGINES = ("ensemble", "mesa")
# replications per task: large enough that numpy's per-call overhead is spread thin, small
# enough to keep a chunk's arrays in cache
DEFAULT_CHUNK_SIZE = {"ensemble": 2000, "mesa": 20}


def simulate_chunk_mesa(scenario: Scenario, seed: int, point: int, replications,
                        horizon_months: int) -> ChunkResult:
    """Run the replications one by one through the Mesa model."""
    from ..model.mesa_model import (
        SharedServiceModel,  # Mesa is only imported when this engine is used
    )

    runs, events = [], []
    trajectories = Trajectories(horizon_months)
    for r in replications:
        model = SharedServiceModel(scenario, seed, point, int(r))
        model.run_until_end()
        runs.append(run_rows(model.state, [r], horizon_months))
        events.append(event_rows(model.state, [r]))
        trajectories.add(model.observation_array()[:, :, None])
    return ChunkResult(np.concatenate(runs) if runs else np.zeros(0, RUN_DTYPE),
                       np.concatenate(events) if events else np.zeros(0, EVENT_DTYPE),
                       trajectories)


SIMULATORS: dict[str, Callable[..., ChunkResult]] = {
    "ensemble": simulate_chunk,
    "mesa": simulate_chunk_mesa,
}


@dataclass
class RunResult:
    """Everything a run of one scenario produced."""

    scenario: Scenario
    engine: str
    runs: np.ndarray            # RUN_DTYPE, one row per replication, in replication order
    events: np.ndarray          # EVENT_DTYPE
    trajectories: Trajectories
    jobs: int = 1               # worker processes that actually ran

    @property
    def outcomes(self) -> np.ndarray:
        """Outcome label per replication: dissolution, merger or censored."""
        return np.array([OUTCOME_NAMES[int(code)] for code in self.runs["outcome"]])

    @cached_property
    def trajectory_table(self) -> dict[str, np.ndarray]:
        """Monthly mean and 5%/95% quantiles of each metric (computed once)."""
        return self.trajectories.table()

    def curves(self) -> StabilityCurves:
        """Stability curve, intact curve and cumulative incidences of this run."""
        return stability_curves(self.runs["end_month"], self.outcomes,
                                self.scenario.run.horizon_months,
                                first_exit_month=self.runs["first_exit_month"])

    def records(self) -> list[dict]:
        """One dict per replication: when and how it ended, and its member exits."""
        outcomes = self.outcomes
        names = [n for n in self.runs.dtype.names if n not in ("outcome", "left_month")]
        members = self.scenario.member_names
        return [{**{n: self.runs[n][i].item() for n in names}, "outcome": str(outcomes[i]),
                 "left_month": dict(zip(members, self.runs["left_month"][i].tolist(),
                                        strict=False))}
                for i in range(len(self.runs))]

    def plot(self, ax=None):
        """The stability curve with its band and the cumulative incidences; returns the Axes."""
        from ..plotting import plot_stability

        return plot_stability(self.curves(), ax=ax, label=self.scenario.name)


def balanced_chunk_size(n: int, jobs: int, largest: int) -> int:
    """A chunk size of at most ``largest`` that gives every worker the same number of chunks,
    and with several workers at least three each, so that an unlucky slow chunk (a machine
    shared with others) does not keep the rest waiting."""
    per_worker = -(-n // (jobs * largest))
    if jobs > 1:
        per_worker = max(per_worker, 3)
    return max(1, -(-n // (jobs * per_worker)))


def chunks(n: int, size: int) -> Iterator[range]:
    """Consecutive ranges of replication indices of at most ``size``."""
    for start in range(0, n, size):
        yield range(start, min(start + size, n))


def run_scenario(scenario: Scenario, *, replications: int | None = None,
                 seed: int | None = None, jobs: int = 1, engine: str = "ensemble",
                 chunk_size: int | None = None, point: int = 0,
                 progress: Callable[[int], None] | None = None) -> RunResult:
    """Run the replications of a scenario.

    Parameters
    ----------
    scenario : Scenario
        What to simulate; its ``run`` settings give the defaults below.
    replications, seed : int, optional
        Override the scenario's run settings.
    jobs : int
        Worker processes; 1 runs in this process. More than :func:`usable_cores` run as
        that many (the result records how many ran). The result does not depend on it.
    engine : {"ensemble", "mesa"}
        Many replications at once (fast), or the Mesa model one by one; same histories.
    chunk_size : int, optional
        Replications per task; does not change the result.
    point : int
        Parameter-point index in the seed's spawn key (sweeps).
    progress : callable, optional
        Called with the number of replications finished in each chunk.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, found {jobs}")
    jobs = min(jobs, usable_cores())
    run = replace(scenario.run,
                  replications=scenario.run.replications if replications is None else replications,
                  seed=scenario.run.seed if seed is None else seed)
    scenario = replace(scenario, run=run)
    size = chunk_size or balanced_chunk_size(run.replications, jobs,
                                             DEFAULT_CHUNK_SIZE[engine])
    tasks = [(scenario, run.seed, point, list(r), run.horizon_months)
             for r in chunks(run.replications, size)]
    simulate = SIMULATORS[engine]
    workers = min(jobs, len(tasks))
    trajectories = Trajectories(run.horizon_months)
    if workers == 1:
        results = (simulate(*task) for task in tasks)
        runs, events = _collect(results, trajectories, progress)
    else:
        with worker_pool(workers) as pool:
            runs, events = _collect(pool.map(simulate, *zip(*tasks, strict=True)),
                                    trajectories, progress)
    return RunResult(scenario, engine, np.concatenate(runs), np.concatenate(events),
                     trajectories, jobs=workers)


def _collect(results, trajectories: Trajectories, progress) -> tuple[list, list]:
    """The run and event rows of the chunks in order; their trajectories are merged into
    ``trajectories`` as they come, so that only one chunk's histograms are held at a time."""
    runs, events = [], []
    for part in results:
        runs.append(part.runs)
        events.append(part.events)
        trajectories.merge(part.trajectories)
        if progress is not None:
            progress(len(part.runs))
    return runs, events
