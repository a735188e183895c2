"""The store of finished work of an experiment: one SQLite file, one transaction per chunk.

SQLite (Python's own ``sqlite3``) needs no server, survives a killed process without losing a
committed transaction (its journal rolls back a half-written one), and can be queried by users
with any SQLite tool::

    sqlite3 results/my_sweep/store.sqlite "SELECT point, s_10y FROM point_results"

Tables:

- ``meta``: the experiment's fingerprint, the package version, the resolved experiment;
- ``points``: each point's scenario and factor values (JSON);
- ``chunks``: the finished chunks (point, first replication, count, seconds);
- ``runs``: one row per finished replication: end month, outcome, member exits, the month of
  the first exit (-1 if none);
- ``trajectories``: per chunk and month, the replications standing and the exact fixed-point
  sums of trust, ownership, value and quality over them, and of their squares;
- ``events``: the event log, only when the experiment asks for it (``keep_events``);
- ``failures``: chunks that raised, with the point's parameters and the traceback;
- ``point_results``: the summary of every point, written when the work is done.

A chunk is saved in one transaction (its run rows, trajectory rows and chunk row together), so
after any interruption the store holds whole chunks only, and a resumed run recomputes exactly
the chunks that are missing.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..model.engine import EVENTS, OUTCOME_NAMES
from ..model.ensemble import METRICS

STORE_NAME = "store.sqlite"
STORE_SCHEMA_VERSION = 1
OUTCOME_CODES = {name: code for code, name in OUTCOME_NAMES.items()}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (
    point INTEGER PRIMARY KEY, scenario TEXT NOT NULL, factors TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    point INTEGER NOT NULL, first INTEGER NOT NULL, count INTEGER NOT NULL,
    seconds REAL NOT NULL, finished TEXT NOT NULL, PRIMARY KEY (point, first));
CREATE TABLE IF NOT EXISTS runs (
    point INTEGER NOT NULL, replication INTEGER NOT NULL, end_month INTEGER NOT NULL,
    outcome TEXT NOT NULL, n_member_exits INTEGER NOT NULL, first_exit_month INTEGER NOT NULL,
    PRIMARY KEY (point, replication)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trajectories (
    point INTEGER NOT NULL, first INTEGER NOT NULL, month INTEGER NOT NULL,
    standing INTEGER NOT NULL, trust_sum INTEGER NOT NULL, ownership_sum INTEGER NOT NULL,
    value_sum INTEGER NOT NULL, quality_sum INTEGER NOT NULL, trust_square_sum INTEGER NOT NULL,
    ownership_square_sum INTEGER NOT NULL, value_square_sum INTEGER NOT NULL,
    quality_square_sum INTEGER NOT NULL,
    PRIMARY KEY (point, first, month)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    point INTEGER NOT NULL, replication INTEGER NOT NULL, month INTEGER NOT NULL,
    event TEXT NOT NULL, member INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS failures (
    point INTEGER NOT NULL, first INTEGER NOT NULL, count INTEGER NOT NULL,
    parameters TEXT NOT NULL, error TEXT NOT NULL, traceback TEXT NOT NULL,
    failed TEXT NOT NULL, PRIMARY KEY (point, first));
"""


@dataclass
class ChunkOutcome:
    """What a chunk of replications of one point produced, in the compact form the store
    keeps (no histograms; events only when asked for)."""

    point: int
    first: int
    runs: np.ndarray               # RUN_DTYPE rows, in replication order
    standing: np.ndarray           # (months,) int64
    sums: np.ndarray               # (metrics, months) int64, fixed point
    square_sums: np.ndarray        # (metrics, months) int64, coarser fixed point
    events: np.ndarray | None      # EVENT_DTYPE rows, or None
    seconds: float


@dataclass
class ChunkFailure:
    """A chunk that raised: the error and its traceback, recorded for its point."""

    point: int
    first: int
    count: int
    error: str
    traceback: str


class StoreMismatch(Exception):
    """The store was made by another experiment or another version of the package."""


class Store:
    """The SQLite store of one experiment's finished work."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.connection = sqlite3.connect(self.path, isolation_level=None)
        # WAL: a reader (a user's query) never blocks the writer; NORMAL sync is durable
        # against a killed process, which is what resuming needs
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self.connection.executescript(_SCHEMA)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- what the store is of ------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        return dict(self.connection.execute("SELECT key, value FROM meta"))

    def claim(self, digest: str, version: str, experiment: dict, points: Iterable) -> None:
        """Mark a new store as that of this experiment, or check that it is.

        Raises
        ------
        StoreMismatch
            When the store holds work of another experiment or package version.
        """
        meta = self.meta()
        if not meta:
            with self.transaction():
                rows = {"store_schema_version": str(STORE_SCHEMA_VERSION),
                        "experiment_digest": digest, "package_version": version,
                        "experiment": json.dumps(experiment, sort_keys=True),
                        "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
                self.connection.executemany("INSERT INTO meta VALUES (?, ?)", rows.items())
                self.connection.executemany(
                    "INSERT INTO points VALUES (?, ?, ?)",
                    [(p.index, p.label, json.dumps(dict(p.values))) for p in points])
            return
        if meta.get("experiment_digest") != digest:
            raise StoreMismatch(
                f"it holds the work of a different experiment (fingerprint "
                f"{meta.get('experiment_digest')}, this one is {digest}): the experiment file "
                "or one of its scenarios changed since")
        if meta.get("package_version") != version:
            raise StoreMismatch(
                f"it was made by samenwerkingsim {meta.get('package_version')}, this is "
                f"{version}: results of two versions of the model would be mixed")

    # -- finished work --------------------------------------------------------------------------

    def finished_chunks(self) -> set[tuple[int, int]]:
        return set(self.connection.execute("SELECT point, first FROM chunks"))

    def save(self, outcome: ChunkOutcome) -> None:
        """Save a finished chunk as a whole, in one transaction."""
        runs = outcome.runs
        names = np.array([OUTCOME_NAMES[code] for code in range(len(OUTCOME_NAMES))])
        run_rows = zip([outcome.point] * len(runs), runs["replication"].tolist(),
                       runs["end_month"].tolist(), names[runs["outcome"]].tolist(),
                       runs["n_member_exits"].tolist(), runs["first_exit_month"].tolist(),
                       strict=True)
        months = np.arange(len(outcome.standing))
        trajectory_rows = zip([outcome.point] * len(months), [outcome.first] * len(months),
                              months.tolist(), outcome.standing.tolist(),
                              *(outcome.sums[k].tolist() for k in range(len(METRICS))),
                              *(outcome.square_sums[k].tolist() for k in range(len(METRICS))),
                              strict=True)
        with self.transaction():
            self.connection.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?)", run_rows)
            self.connection.executemany(
                "INSERT INTO trajectories VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                trajectory_rows)
            if outcome.events is not None and len(outcome.events):
                e = outcome.events
                self.connection.executemany(
                    "INSERT INTO events VALUES (?, ?, ?, ?, ?)",
                    zip([outcome.point] * len(e), e["replication"].tolist(), e["month"].tolist(),
                        np.array(EVENTS)[e["event"]].tolist(), e["member"].tolist(),
                        strict=True))
            self.connection.execute("DELETE FROM failures WHERE point = ? AND first = ?",
                                    (outcome.point, outcome.first))
            self.connection.execute("INSERT INTO chunks VALUES (?, ?, ?, ?, ?)",
                                    (outcome.point, outcome.first, len(runs), outcome.seconds,
                                     time.strftime("%Y-%m-%dT%H:%M:%S")))

    def record_failure(self, failure: ChunkFailure, parameters: dict) -> None:
        with self.transaction():
            self.connection.execute(
                "INSERT OR REPLACE INTO failures VALUES (?, ?, ?, ?, ?, ?, ?)",
                (failure.point, failure.first, failure.count, json.dumps(parameters),
                 failure.error, failure.traceback, time.strftime("%Y-%m-%dT%H:%M:%S")))

    def failures(self) -> list[dict]:
        cursor = self.connection.execute(
            "SELECT point, first, count, parameters, error, traceback FROM failures "
            "ORDER BY point, first")
        return [{"point": p, "first": f, "count": c, "parameters": json.loads(params),
                 "error": error, "traceback": tb} for p, f, c, params, error, tb in cursor]

    # -- reading back ---------------------------------------------------------------------------

    def point_runs(self) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
        """(point, end_month, outcome label, first_exit_month) of every point with finished
        runs, in point order, replications in order."""
        cursor = self.connection.execute(
            "SELECT point, end_month, outcome, first_exit_month FROM runs "
            "ORDER BY point, replication")
        current, rows = None, []
        for point, *row in cursor:
            if point != current and current is not None:
                yield current, *_columns(rows)
                rows = []
            current = point
            rows.append(row)
        if current is not None:
            yield current, *_columns(rows)

    def trajectory_sums(self, point: int, horizon_months: int):
        """Replications standing, and fixed-point sums and square sums per month, of one
        point, all chunks added (exact integers: the order of the chunks does not matter)."""
        standing = np.zeros(horizon_months, dtype=np.int64)
        sums = np.zeros((len(METRICS), horizon_months), dtype=np.int64)
        squares = np.zeros((len(METRICS), horizon_months), dtype=np.int64)
        metric_columns = ", ".join(f"SUM({m}_sum)" for m in METRICS)
        square_columns = ", ".join(f"SUM({m}_square_sum)" for m in METRICS)
        cursor = self.connection.execute(
            f"SELECT month, SUM(standing), {metric_columns}, {square_columns} FROM trajectories "
            "WHERE point = ? GROUP BY month", (point,))
        k = len(METRICS)
        for month, n, *values in cursor:
            standing[month] = n
            sums[:, month] = values[:k]
            squares[:, month] = values[k:]
        return standing, sums, squares

    def write_point_results(self, columns: list[str], rows: list[tuple]) -> None:
        """Replace the ``point_results`` table (the summary of every point)."""
        quoted = ", ".join(f'"{c}"' for c in columns)
        with self.transaction():
            self.connection.execute("DROP TABLE IF EXISTS point_results")
            self.connection.execute(f"CREATE TABLE point_results ({quoted})")
            marks = ", ".join("?" * len(columns))
            self.connection.executemany(f"INSERT INTO point_results VALUES ({marks})", rows)

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.connection.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def transaction(self):
        return _Transaction(self.connection)


def _columns(rows: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    months, outcomes, first_exits = zip(*rows, strict=True)
    return np.array(months), np.array(outcomes), np.array(first_exits)


class _Transaction:
    """BEGIN ... COMMIT, or ROLLBACK when the block raises (Ctrl-C included)."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def __enter__(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, value, traceback) -> None:
        self.connection.execute("COMMIT" if kind is None else "ROLLBACK")
