"""Sweeps: every point of an experiment, resumable, on any executor, with identical results.

The work is cut into chunks of at most :data:`CHUNK_SIZE` replications of one point, a cut that
depends on the experiment alone (not on the number of workers), so a resumed sweep knows
exactly which chunks are finished. Each finished chunk is saved in the store in one
transaction by this process, the only writer. The points table is computed from the store in
point order: the same numbers whatever ran where, in whatever order.

With common random numbers (the default) every point draws from the streams of point 0, so
point p reproduces ``samenwerkingsim run BASE --set <p's factors> --seed S`` replication by
replication, and differences between points are not noise.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .. import __version__
from ..analysis import SUMMARY_YEARS, StabilityCurves, stability_curves
from ..model.ensemble import FIXED_POINT, METRICS, simulate_chunk
from ..model.params import Scenario
from ..output.folders import FolderLock, OutputFolderError, check_folder_path
from .executors import LocalExecutor
from .spec import Experiment
from .store import STORE_NAME, ChunkFailure, ChunkOutcome, Store, StoreMismatch
from .tables import plain, plain_rows

__all__ = ["CHUNK_SIZE", "SWEEP_OUTPUT_NAMES", "ChunkTask", "SweepResult", "run_sweep"]

CHUNK_SIZE = 2000  # as the ensemble engine's own chunks: numpy's overhead spread thin

#: What a sweep (and a sensitivity analysis) writes into its folder.
SWEEP_OUTPUT_NAMES = frozenset({
    STORE_NAME, f"{STORE_NAME}-wal", f"{STORE_NAME}-shm", "points.csv", "failures.csv",
    "manifest.json", "stability_by_factor.png", "heatmap.png", "curves.png",
    "morris.csv", "sobol.csv", "noise.csv", "morris.png", "sobol.png", "report.md",
    "effects.csv", "effects.md", "contrasts.csv", "contrasts.md", "contrasts.png",
})


@dataclass(frozen=True)
class ChunkTask:
    """Replications ``first .. first + count - 1`` of one point: what a worker runs."""

    point: int
    stream: int
    first: int
    count: int
    scenario: Scenario
    seed: int
    keep_events: bool


def run_chunk(task: ChunkTask) -> ChunkOutcome | ChunkFailure:
    """Simulate one chunk on the ensemble engine (in a worker); an error becomes a
    :class:`ChunkFailure` with its traceback, so that it does not stop the other points."""
    started = time.perf_counter()
    horizon = task.scenario.run.horizon_months
    try:
        result = simulate_chunk(task.scenario, task.seed, task.stream,
                                range(task.first, task.first + task.count), horizon,
                                events=task.keep_events, histograms=False)
    except Exception as error:  # recorded with the point, not raised
        return ChunkFailure(task.point, task.first, task.count,
                            f"{type(error).__name__}: {error}", traceback.format_exc())
    return ChunkOutcome(task.point, task.first, result.runs, result.trajectories.standing,
                        result.trajectories.sums, result.trajectories.square_sums,
                        result.events if task.keep_events else None,
                        time.perf_counter() - started)


def chunk_tasks(experiment: Experiment) -> list[ChunkTask]:
    """Every chunk of every point, in point order (each point runs its scenario's
    replications)."""
    tasks = []
    for point in experiment.points:
        n = point.scenario.run.replications
        n_chunks = -(-n // CHUNK_SIZE)
        size = -(-n // n_chunks)  # equal chunks: a point of 2,500 runs as 1,250 + 1,250
        tasks += [ChunkTask(point.index, experiment.point_stream(point.index), first,
                            min(size, n - first), point.scenario, experiment.seed,
                            experiment.keep_events)
                  for first in range(0, n, size)]
    return tasks


# --------------------------------------------------------------------------------------------
# The result


@dataclass(eq=False)
class SweepResult:
    """The points of a finished (or partly failed) sweep.

    Attributes
    ----------
    experiment : Experiment
    folder : Path
        Where the store and the outputs are.
    table : dict of str to ndarray
        One entry per column of ``points.csv``, one row per point (:meth:`records` gives the
        same as a list of dicts).
    failures : list of dict
        Chunks that raised: point, first replication, count, parameters, error, traceback.
    replications_run : int
        Replications simulated by this call (0 when everything was already in the store).
    seconds : float
        Wall time of this call.
    """

    experiment: Experiment
    folder: Path
    table: dict[str, np.ndarray]
    failures: list[dict]
    replications_run: int = 0
    seconds: float = 0.0
    executor: str = "this process"

    @property
    def columns(self) -> list[str]:
        return list(self.table)

    def records(self) -> list[dict]:
        """One dict per point, with plain Python values."""
        return plain_rows(self.table)

    @cached_property
    def curves_by_point(self) -> dict[int, StabilityCurves]:
        """The stability curve and cumulative incidences of every point with finished runs."""
        with Store(self.folder / STORE_NAME) as store:
            return point_curves(self.experiment, store)

    def curves(self, point: int) -> StabilityCurves:
        """The stability curve and cumulative incidences of one point."""
        return self.curves_by_point[point]

    @cached_property
    def trajectories(self) -> dict[int, dict[str, np.ndarray]]:
        """Monthly means of trust, ownership, value and quality per point (over the
        arrangements still standing), from the exact sums in the store."""
        out = {}
        with Store(self.folder / STORE_NAME) as store:
            for point in self.experiment.points:
                horizon = point.scenario.run.horizon_months
                standing, sums, _ = store.trajectory_sums(point.index, horizon)
                with np.errstate(invalid="ignore", divide="ignore"):
                    out[point.index] = {"standing": standing, **{
                        metric: np.where(standing > 0, sums[k] / FIXED_POINT / standing,
                                         np.nan) for k, metric in enumerate(METRICS)}}
        return out

    @property
    def ok(self) -> bool:
        return not self.failures

    def plot(self, ax=None, output: str = "s_10y"):
        """``output`` against the first factor, with its 95% band; returns the Axes."""
        from ..plotting.sweeps import plot_factor_effect

        return plot_factor_effect(self, self.experiment.factors[0].key, output=output, ax=ax)




def point_curves(experiment: Experiment, store: Store) -> dict[int, StabilityCurves]:
    """The curves of every point with finished runs, from the store."""
    curves: dict[int, StabilityCurves] = {}
    for point, months, outcomes, first_exits in store.point_runs():
        horizon = experiment.points[point].scenario.run.horizon_months
        curves[point] = stability_curves(months, outcomes, horizon, first_exit_month=first_exits)
    return curves


def points_table(experiment: Experiment, curves: dict[int, StabilityCurves]) -> dict:
    """The summary of every point, in point order."""
    columns: dict[str, list] = {"point": [], "scenario": []}
    for f in experiment.factors:
        columns[f.column] = []
    summary_columns = ["n_replications"]
    for y in SUMMARY_YEARS:
        summary_columns += [f"s_{y}y", f"s_{y}y_low", f"s_{y}y_high"]
    for y in SUMMARY_YEARS:
        summary_columns += [f"intact_{y}y", f"intact_{y}y_low", f"intact_{y}y_high"]
    summary_columns += ["median_lifetime_years", "dissolution_10y", "merger_10y",
                        "share_dissolution", "share_merger", "share_censored", "status"]
    for name in summary_columns:
        columns[name] = []
    for point in experiment.points:
        columns["point"].append(point.index)
        columns["scenario"].append(point.label)
        values = dict(point.values)
        for f in experiment.factors:
            # a one-at-a-time point sets one factor: the others keep the scenario's own value
            columns[f.column].append(values.get(f.key))
        for name, value in _point_summary(curves.get(point.index),
                                          point.scenario.run.replications).items():
            columns[name].append(value)
    return {name: _column(values) for name, values in columns.items()}


def _point_summary(curves: StabilityCurves | None, expected: int) -> dict:
    nan = float("nan")
    out: dict = {"n_replications": 0 if curves is None else curves.n}
    for y in SUMMARY_YEARS:
        inside = curves is not None and y * 12 <= curves.horizon_months
        out[f"s_{y}y"] = curves.survival_at(y) if inside else nan
        low, high = curves.survival_ci_at(y) if inside else (nan, nan)
        out[f"s_{y}y_low"], out[f"s_{y}y_high"] = low, high
    for y in SUMMARY_YEARS:
        inside = curves is not None and y * 12 <= curves.horizon_months
        out[f"intact_{y}y"] = curves.intact_at(y) if inside else nan
        low, high = curves.intact_ci_at(y) if inside else (nan, nan)
        out[f"intact_{y}y_low"], out[f"intact_{y}y_high"] = low, high
    has_10y = curves is not None and curves.horizon_months >= 120
    median = None if curves is None else curves.median_lifetime_years
    out["median_lifetime_years"] = nan if median is None else median
    out["dissolution_10y"] = curves.incidence_at("dissolution", 10) if has_10y else nan
    out["merger_10y"] = curves.incidence_at("merger", 10) if has_10y else nan
    shares = curves.outcome_shares if curves is not None else {}
    for outcome in ("dissolution", "merger", "censored"):
        out[f"share_{outcome}"] = shares.get(outcome, nan)
    out["status"] = "ok" if curves is not None and curves.n == expected else "failed"
    return out


def _column(values: list) -> np.ndarray:
    if all(isinstance(v, bool) for v in values):
        return np.array(values, dtype=bool)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return np.array(values, dtype=np.int64)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return np.array(values, dtype=float)
    return np.array(values, dtype=object)


# --------------------------------------------------------------------------------------------
# Running


def run_sweep(experiment: Experiment, out: str | Path, *,
              executor_factory: Callable[[], object] | None = None, restart: bool = False,
              progress: Callable[[int, int], None] | None = None,
              write_outputs: Callable[[SweepResult], None] | None = None) -> SweepResult:
    """Run (or resume) every point of an experiment, saving each chunk as it finishes.

    Parameters
    ----------
    experiment : Experiment
    out : path
        The experiment's folder: its store and outputs. It is locked while this runs.
    executor_factory : callable, optional
        Makes the executor (:func:`~.executors.executor_for`) once the folder has been checked
        and locked, and only when there is work left; it is closed at the end. Default: this
        process.
    restart : bool
        Throw away the store and the outputs and start over; otherwise finished chunks are
        kept and only the missing ones are run.
    progress : callable, optional
        Called as ``progress(replications, points_done)`` once with what the store already
        holds and then after every chunk.
    write_outputs : callable, optional
        Called with the result, while the folder is still locked, to write the outputs; not
        called when a finished sweep is resumed and its outputs are already there.

    Raises
    ------
    OutputFolderError
        When the folder cannot be used, is in use, or holds a store of another experiment or
        package version (then ``restart=True`` starts over).
    """
    started = time.perf_counter()
    folder = check_folder_path(out)
    shown = str(out)
    folder.parent.mkdir(parents=True, exist_ok=True)
    lock = FolderLock(folder)
    lock.acquire(shown)
    try:
        _check_sweep_folder(folder, shown)
        if restart:
            _clear(folder)
        folder.mkdir(exist_ok=True)
        with Store(folder / STORE_NAME) as store:
            try:
                store.claim(experiment.digest(), __version__, experiment.resolved,
                            experiment.points)
            except StoreMismatch as mismatch:
                raise OutputFolderError(
                    f"--out {shown} holds a store that cannot be resumed: {mismatch}; rerun "
                    "with --restart to start over (the store is then deleted)") from None
            finished = store.finished_chunks()
            tasks = chunk_tasks(experiment)
            todo = [t for t in tasks if (t.point, t.first) not in finished]
            if progress is not None:
                progress(sum(t.count for t in tasks) - sum(t.count for t in todo),
                         len({t.point for t in tasks} - {t.point for t in todo}))
            described = "nothing (all finished before)"
            if todo:
                executor = (executor_factory or LocalExecutor)()
                try:
                    described = executor.description
                    _run_chunks(experiment, store, executor, todo, progress)
                finally:
                    executor.close()
            up_to_date = not todo and store.meta().get("outputs_written") == "yes"
            table = (_stored_table(experiment, store) if up_to_date else None)
            result = SweepResult(experiment, folder, table or {}, store.failures(),
                                 sum(t.count for t in todo), 0.0, described)
            if table is None:
                result.table = points_table(experiment, result.curves_by_point)
                _save_point_results(store, result.table)
                store.set_meta("outputs_written", "no")
        if write_outputs is not None and not up_to_date:
            write_outputs(result)
            with Store(folder / STORE_NAME) as store:
                store.set_meta("outputs_written", "yes")
        result.seconds = time.perf_counter() - started
        return result
    finally:
        lock.release()


def _run_chunks(experiment: Experiment, store: Store, executor, todo: list[ChunkTask],
                progress) -> None:
    points_left = {t.point for t in todo}
    chunks_left = {}
    for t in todo:
        chunks_left[t.point] = chunks_left.get(t.point, 0) + 1
    done_points = experiment.n_points - len(points_left)
    for task, outcome in executor.run(run_chunk, todo):
        if isinstance(outcome, ChunkFailure):
            store.record_failure(outcome, {"scenario": experiment.points[task.point].label,
                                           **dict(experiment.points[task.point].values)})
        else:
            store.save(outcome)
        chunks_left[task.point] -= 1
        if chunks_left[task.point] == 0:
            done_points += 1
        if progress is not None:
            progress(task.count, done_points)


def _stored_table(experiment: Experiment, store: Store) -> dict | None:
    """The points table as saved when the sweep finished, with the factor values as they
    were given (SQLite keeps no booleans); None if it is not there."""
    try:
        cursor = store.connection.execute("SELECT * FROM point_results ORDER BY point")
    except sqlite3.OperationalError:
        return None
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    if len(rows) != experiment.n_points:
        return None
    columns = {name: [row[i] for row in rows] for i, name in enumerate(names)}
    for f in experiment.factors:
        columns[f.column] = [dict(p.values).get(f.key) for p in experiment.points]
    return {name: _column([float("nan") if v is None else v for v in values])
            for name, values in columns.items()}


def _save_point_results(store: Store, table: dict) -> None:
    columns = list(table)
    rows = [tuple(plain(table[c][i]) if not isinstance(table[c][i], list | tuple)
                  else json.dumps(table[c][i]) for c in columns)
            for i in range(len(table["point"]))]
    store.write_point_results(columns, rows)


def _check_sweep_folder(folder: Path, shown: str) -> None:
    if not folder.exists():
        return
    foreign = [p.name for p in sorted(folder.iterdir())
               if p.name not in SWEEP_OUTPUT_NAMES or not p.is_file()]
    if foreign:
        raise OutputFolderError(
            f"--out {shown} holds {', '.join(map(repr, foreign[:3]))}, which a samenwerkingsim "
            "experiment did not write; choose a new or empty folder, or the folder of this "
            "experiment")
    names = {p.name for p in folder.iterdir()}
    if names and STORE_NAME not in names:
        raise OutputFolderError(f"--out {shown} holds outputs but no {STORE_NAME}; choose "
                                "another folder")


def _clear(folder: Path) -> None:
    if folder.exists():
        for path in folder.iterdir():
            if path.name in SWEEP_OUTPUT_NAMES:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
