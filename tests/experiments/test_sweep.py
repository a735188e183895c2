"""Sweeps: each point equals the corresponding run, results do not depend on the executor,
and the store resumes without recomputing, losing or duplicating anything."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

import samenwerkingsim as sws
from samenwerkingsim.cli import main
from samenwerkingsim.experiments import sweep as sweep_module
from samenwerkingsim.experiments.executors import ClusterUnavailable, executor_for
from samenwerkingsim.experiments.spec import load_experiment
from samenwerkingsim.experiments.sweep import CHUNK_SIZE, chunk_tasks, run_sweep

ROOT = Path(__file__).resolve().parents[2]
DIVERGENT = (ROOT / "scenarios" / "divergent_four.toml").as_posix()


def small_experiment(tmp_path: Path, replications: int = 60, values=(0.0, 1.0, 4.3),
                     extra: str = "") -> Path:
    path = tmp_path / "small.toml"
    path.write_text(f"""# Question: a small test sweep?
schema_version = 1
name = "small"
scenario = "{DIVERGENT}"
[run]
replications = {replications}
seed = 11
horizon_years = 12
{extra}
[[factors]]
key = "levers.joint_meetings_per_month"
values = {list(values)}
""")
    return path


def chunk_rows(folder: Path) -> list[tuple]:
    with sqlite3.connect(folder / "store.sqlite") as db:
        return db.execute("SELECT point, first, count, finished FROM chunks "
                          "ORDER BY point, first").fetchall()


def test_each_point_equals_a_run_of_the_base_with_its_factors_set(tmp_path):
    path = small_experiment(tmp_path, replications=150)
    result = sws.sweep(path, out=tmp_path / "sweep", write_outputs=False)
    for point in (1, 2):
        value = dict(result.experiment.points[point].values)["levers.joint_meetings_per_month"]
        out = tmp_path / f"run{point}"
        assert main(["run", DIVERGENT, "-n", "150", "--seed", "11", "--quiet", "--out",
                     str(out), "--set", f"levers.joint_meetings_per_month={value}",
                     "--set", "run.horizon_years=12"]) == 0
        summary = json.loads((out / "summary.json").read_text())
        row = result.records()[point]
        for years in ("5", "10"):
            assert row[f"s_{years}y"] == pytest.approx(summary["survival"][years], abs=1e-6)
            low, high = summary["survival_ci"][years]
            assert (row[f"s_{years}y_low"], row[f"s_{years}y_high"]) == pytest.approx(
                (low, high), abs=1e-6)
        assert row["merger_10y"] == pytest.approx(summary["incidence_10y"]["merger"], abs=1e-6)
        assert row["share_censored"] == pytest.approx(summary["outcome_shares"]["censored"],
                                                      abs=1e-6)


def test_without_common_random_numbers_points_draw_different_streams(tmp_path):
    same = sws.sweep(small_experiment(tmp_path, values=(1.0, 1.0 + 1e-9)),
                     out=tmp_path / "crn", write_outputs=False)
    assert same.table["s_10y"][0] == same.table["s_10y"][1]
    sws.sweep(small_experiment(tmp_path, values=(1.0, 1.0 + 1e-9),
                               extra="common_random_numbers = false"),
              out=tmp_path / "independent", write_outputs=False)
    with sqlite3.connect(tmp_path / "independent" / "store.sqlite") as db:
        runs = db.execute("SELECT point, end_month FROM runs ORDER BY point, replication")
        runs = runs.fetchall()
    first = [m for p, m in runs if p == 0]
    second = [m for p, m in runs if p == 1]
    assert first != second  # the same settings, other streams: other histories


def test_points_csv_is_identical_for_one_and_two_workers(tmp_path):
    path = small_experiment(tmp_path)
    for jobs in (1, 2):
        assert main(["sweep", str(path), "--jobs", str(jobs), "--quiet",
                     "--out", str(tmp_path / f"j{jobs}")]) == 0
    assert (tmp_path / "j1" / "points.csv").read_bytes() == (
        tmp_path / "j2" / "points.csv").read_bytes()


def test_chunks_depend_on_the_experiment_not_on_the_workers(tmp_path):
    experiment = load_experiment(small_experiment(tmp_path, replications=CHUNK_SIZE + 500))
    tasks = chunk_tasks(experiment)
    per_point = [t for t in tasks if t.point == 0]
    assert [(t.first, t.count) for t in per_point] == [(0, 1250), (1250, 1250)]
    assert sum(t.count for t in tasks) == experiment.total_replications


def test_a_finished_sweep_resumes_without_simulating(tmp_path, monkeypatch):
    path = small_experiment(tmp_path)
    first = sws.sweep(path, out=tmp_path / "s")
    before = chunk_rows(tmp_path / "s")

    def refuse(task):
        raise AssertionError("a finished chunk was simulated again")

    monkeypatch.setattr(sweep_module, "run_chunk", refuse)
    again = sws.sweep(path, out=tmp_path / "s")
    assert again.replications_run == 0
    assert chunk_rows(tmp_path / "s") == before
    assert again.records() == first.records()


def test_a_partly_finished_sweep_runs_only_the_missing_chunks(tmp_path, monkeypatch):
    path = small_experiment(tmp_path)
    complete = sws.sweep(path, out=tmp_path / "s")
    store = tmp_path / "s" / "store.sqlite"
    with sqlite3.connect(store) as db:  # as if the run had been killed before point 1 ended
        for table in ("chunks", "runs", "trajectories"):
            db.execute(f"DELETE FROM {table} WHERE point = 1")
    simulated = []
    original = sweep_module.run_chunk
    monkeypatch.setattr(sweep_module, "run_chunk",
                        lambda task: simulated.append(task.point) or original(task))
    resumed = sws.sweep(path, out=tmp_path / "s")
    assert simulated == [1]
    assert resumed.records() == complete.records()
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 3 * 60


def test_a_changed_experiment_is_refused_for_resume_and_restart_starts_over(tmp_path, capsys):
    path = small_experiment(tmp_path)
    assert main(["sweep", str(path), "--quiet", "--out", str(tmp_path / "s")]) == 0
    small_experiment(tmp_path, values=(0.0, 2.0, 4.3))  # the file changes
    assert main(["sweep", str(path), "--quiet", "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert "cannot be resumed" in err and "--restart" in err
    assert main(["sweep", str(path), "--quiet", "--restart", "--out", str(tmp_path / "s")]) == 0
    values = [row[1] for row in np.genfromtxt(tmp_path / "s" / "points.csv", delimiter=",",
                                              names=True)[["point",
                                                           "leversjoint_meetings_per_month"]]]
    assert values == [0.0, 2.0, 4.3]


def test_a_store_of_another_package_version_is_refused(tmp_path):
    path = small_experiment(tmp_path)
    sws.sweep(path, out=tmp_path / "s", write_outputs=False)
    with sqlite3.connect(tmp_path / "s" / "store.sqlite") as db:
        db.execute("UPDATE meta SET value = '0.0.1' WHERE key = 'package_version'")
    with pytest.raises(Exception, match=r"made by samenwerkingsim 0\.0\.1"):
        sws.sweep(path, out=tmp_path / "s", write_outputs=False)


def test_a_failing_point_is_recorded_with_its_parameters_and_does_not_stop_the_others(
        tmp_path, monkeypatch, capsys):
    original = sweep_module.simulate_chunk

    def fail_on_weekly(scenario, *args, **kwargs):
        if scenario.levers.joint_meetings_per_month > 4:
            raise RuntimeError("a deliberately failing point")
        return original(scenario, *args, **kwargs)

    monkeypatch.setattr(sweep_module, "simulate_chunk", fail_on_weekly)
    path = small_experiment(tmp_path)
    out = tmp_path / "s"
    assert main(["sweep", str(path), "--quiet", "--out", str(out)]) == 3
    assert "1 point(s) failed: [2]" in capsys.readouterr().out
    failures = (out / "failures.csv").read_text()
    assert "a deliberately failing point" in failures and "Traceback" in failures
    assert "joint_meetings_per_month" in failures
    status = [line.split(",")[-1] for line in (out / "points.csv").read_text().splitlines()[1:]]
    assert status == ["ok", "ok", "failed"]
    monkeypatch.setattr(sweep_module, "simulate_chunk", original)
    assert main(["sweep", str(path), "--quiet", "--out", str(out)]) == 0  # retried, now fine
    assert not (out / "failures.csv").exists()


def test_a_folder_with_files_of_someone_else_is_refused(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("x")
    assert main(["sweep", str(small_experiment(tmp_path)), "--quiet", "--out", str(out)]) == 2
    assert "thesis.docx" in capsys.readouterr().err


def test_cluster_flags_without_dask_say_what_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name.startswith(("distributed", "dask")):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(ClusterUnavailable, match=r'pip install -e "\.\[cluster\]"'):
        executor_for(cluster="local:2", check_only=True)


@pytest.mark.parametrize("flag", ["local", "local:0", "remote:2", "local:two"])
def test_a_malformed_cluster_flag_is_explained(flag, tmp_path, capsys):
    assert main(["sweep", str(small_experiment(tmp_path)), "--cluster", flag,
                 "--out", str(tmp_path / "s")]) == 2
    assert "expected local:N" in capsys.readouterr().err


def test_sweep_outputs_and_python_api_agree(tmp_path):
    path = small_experiment(tmp_path)
    result = sws.sweep(path, out=tmp_path / "s")
    names = {p.name for p in (tmp_path / "s").iterdir()}
    assert {"points.csv", "manifest.json", "stability_by_factor.png", "curves.png",
            "store.sqlite"} <= names
    header = (tmp_path / "s" / "points.csv").read_text().splitlines()[0].split(",")
    assert header[:3] == ["point", "scenario", "levers.joint_meetings_per_month"]
    assert header == result.columns
    assert len(result.records()) == 3
    assert result.curves(0).n == 60
    assert set(result.trajectories[0]) == {"standing", "trust", "ownership", "value", "quality"}
    assert result.plot().get_xlabel() == "levers.joint_meetings_per_month"
    with sqlite3.connect(tmp_path / "s" / "store.sqlite") as db:
        rows = db.execute("SELECT point, s_10y FROM point_results ORDER BY point").fetchall()
    assert [r[1] for r in rows] == pytest.approx(result.table["s_10y"].tolist())


def test_run_sweep_locks_its_folder(tmp_path):
    from samenwerkingsim.output.folders import FolderInUse, FolderLock

    folder = tmp_path / "s"
    lock = FolderLock(folder)
    lock.acquire(str(folder))
    try:
        with pytest.raises(FolderInUse):
            run_sweep(load_experiment(small_experiment(tmp_path)), folder)
    finally:
        lock.release()
