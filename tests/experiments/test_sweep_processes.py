"""Sweeps as real processes: killed and resumed, stopped by SIGTERM, losing a worker, and on a
real Dask LocalCluster on loopback. Each compares with an uninterrupted local sweep, byte for
byte."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIVERGENT = (ROOT / "scenarios" / "divergent_four.toml").as_posix()
POINTS = 12


@pytest.fixture(scope="module")
def experiment(tmp_path_factory) -> Path:
    """Twelve points of 400 replications: long enough (some seconds) to interrupt."""
    path = tmp_path_factory.mktemp("experiment") / "twelve.toml"
    values = [round(0.4 * i, 1) for i in range(POINTS)]
    path.write_text(f"""# Question: a sweep to interrupt?
schema_version = 1
name = "twelve"
scenario = "{DIVERGENT}"
[run]
replications = 400
seed = 3
horizon_years = 15
[[factors]]
key = "levers.joint_meetings_per_month"
values = {values}
""")
    return path


@pytest.fixture(scope="module")
def reference(experiment, tmp_path_factory) -> bytes:
    """points.csv of an uninterrupted sweep in one process."""
    out = tmp_path_factory.mktemp("reference") / "out"
    done = sweep_command(experiment, out, "--jobs", "1")
    assert done.wait(timeout=300) == 0, done.stderr.read()
    done.stderr.close()
    return (out / "points.csv").read_bytes()


def sweep_command(experiment: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "samenwerkingsim", "sweep", str(experiment),
                             "--out", str(out), "--quiet", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def finished_chunks(out: Path) -> list[tuple]:
    store = out / "store.sqlite"
    if not store.exists():
        return []
    try:
        with sqlite3.connect(store, timeout=5) as db:
            return db.execute("SELECT point, first, finished FROM chunks ORDER BY point").fetchall()
    except sqlite3.OperationalError:  # the tables are being created
        return []


def wait_for_chunks(out: Path, at_least: int, process: subprocess.Popen) -> list[tuple]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        chunks = finished_chunks(out)
        if len(chunks) >= at_least:
            return chunks
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.05)
    raise AssertionError("the sweep did not get going")


def test_a_sweep_killed_with_sigkill_resumes_without_recomputing_or_duplicating(
        experiment, reference, tmp_path):
    out = tmp_path / "out"
    first = sweep_command(experiment, out, "--jobs", "2")
    before = wait_for_chunks(out, 3, first)
    first.kill()
    first.communicate()
    kept = finished_chunks(out)
    assert 3 <= len(kept) < POINTS, "kill came too late to test a resume"
    resumed = sweep_command(experiment, out, "--jobs", "2")
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    resumed.stderr.close()
    after = finished_chunks(out)
    assert len(after) == POINTS
    # the chunks finished before the kill kept their time of finishing: not recomputed
    assert set(kept) <= set(after) and set(before) <= set(after)
    with sqlite3.connect(out / "store.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == POINTS * 400
    assert (out / "points.csv").read_bytes() == reference


def test_sigterm_stops_the_sweep_keeps_its_finished_work_and_exits_143(experiment, tmp_path):
    out = tmp_path / "out"
    process = sweep_command(experiment, out, "--jobs", "2")
    wait_for_chunks(out, 2, process)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143
    assert "stopped by SIGTERM" in err and "Traceback" not in err
    assert len(finished_chunks(out)) >= 2
    assert not (out.parent / ".out.lock").exists()


def test_a_killed_worker_does_not_lose_the_sweep(experiment, reference, tmp_path):
    out = tmp_path / "out"
    process = sweep_command(experiment, out, "--jobs", "2")
    wait_for_chunks(out, 1, process)
    workers = [int(p) for p in
               Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()]
    assert workers
    os.kill(workers[0], signal.SIGKILL)
    assert process.wait(timeout=300) == 0, process.stderr.read()
    process.stderr.close()
    assert (out / "points.csv").read_bytes() == reference


def test_a_real_dask_local_cluster_gives_byte_identical_results(experiment, reference,
                                                                 tmp_path):
    # no skip: the test extra brings the cluster extra, so CI runs this on a real cluster
    import distributed  # noqa: F401

    out = tmp_path / "out"
    process = sweep_command(experiment, out, "--cluster", "local:2")
    assert process.wait(timeout=300) == 0, process.stderr.read()
    process.stderr.close()
    assert (out / "points.csv").read_bytes() == reference
    manifest = (out / "manifest.json").read_text()
    assert "local Dask cluster of 2 workers on 127.0.0.1" in manifest
