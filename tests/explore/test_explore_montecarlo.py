"""The Monte Carlo panel's runs and curves: the intact curve from the event log, stopping,
and the runner's process pool once Mesa has set the spawn start method."""

from __future__ import annotations

import dataclasses
import multiprocessing
import threading
from pathlib import Path

import numpy as np
import pytest

from samenwerkingsim.experiments.runner import RunResult
from samenwerkingsim.experiments.workers import usable_cores
from samenwerkingsim.explore import montecarlo
from samenwerkingsim.explore.montecarlo import (
    EXPLORED,
    SCENARIO_FILE,
    Outcomes,
    Stopped,
    compare_outcomes,
    intact_curve,
    intact_times,
    run_replications,
)
from samenwerkingsim.model.engine import EVENT_CODE
from samenwerkingsim.model.ensemble import EVENT_DTYPE, RUN_DTYPE, Trajectories
from samenwerkingsim.model.rules import DISSOLUTION, MERGER, RUNNING
from samenwerkingsim.scenarios import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def hand_made_result(horizon_months: int = 60) -> RunResult:
    """Four replications with known exits and endings.

    0: a member leaves in month 10, still standing at the horizon;
    1: dissolved in month 30 with no exit before (the exit that ends it is not logged as one);
    2: an exit announced in month 5 that takes effect in month 17, merged in month 40;
    3: nothing happens.
    """
    scenario = load_scenario(ROOT / "scenarios" / "noaberkracht.toml")
    scenario = dataclasses.replace(scenario, run=dataclasses.replace(
        scenario.run, replications=4, horizon_years=horizon_months / 12, seed=1))
    runs = np.zeros(4, dtype=RUN_DTYPE)
    runs["replication"] = [0, 1, 2, 3]
    runs["end_month"] = [horizon_months, 30, 40, horizon_months]
    runs["outcome"] = [RUNNING, DISSOLUTION, MERGER, RUNNING]
    runs["first_exit_month"] = [10, -1, 17, -1]
    events = np.zeros(5, dtype=EVENT_DTYPE)
    for row, (rep, month, name) in enumerate([(0, 10, "member_exit"), (1, 30, "dissolution"),
                                              (2, 5, "exit_announced"), (2, 17, "member_exit"),
                                              (2, 40, "merger")]):
        events[row] = (rep, month, EVENT_CODE[name], 0)
    return RunResult(scenario, "ensemble", runs, events, Trajectories(horizon_months))


def test_the_runs_table_dates_the_first_exit_as_the_event_log_does():
    scenario = load_scenario(ROOT / "scenarios" / "divergent_four.toml")
    result = run_replications(scenario, 300, seed=5)
    exits = result.events[result.events["event"] == EVENT_CODE["member_exit"]]
    logged = {}
    for replication, month in zip(exits["replication"], exits["month"], strict=True):
        logged[int(replication)] = min(int(month), logged.get(int(replication), month))
    table = dict(zip(result.runs["replication"].tolist(),
                     result.runs["first_exit_month"].tolist(), strict=True))
    assert logged, "no member left in 300 replications: the check proves nothing"
    assert {rep: month for rep, month in table.items() if month >= 0} == logged


def test_intact_ends_at_the_first_exit_or_the_end():
    result = hand_made_result()
    end, outcome = intact_times(result)
    assert end.tolist() == [10, 30, 17, 60]
    assert outcome.tolist() == ["dissolution", "dissolution", "dissolution", "censored"]
    curve = intact_curve(result)
    # Kaplan-Meier with four at risk: 3/4 after month 10, 2/4 after 17, 1/4 after 30
    assert curve.survival[[9, 10, 17, 30, 60]].tolist() == [1.0, 0.75, 0.5, 0.25, 0.25]


def test_intact_never_lies_above_still_standing():
    scenario = load_scenario(ROOT / "scenarios" / "divergent_four.toml")
    result = run_replications(scenario, 300, seed=5)
    intact, standing = intact_curve(result), result.curves()
    assert np.all(intact.survival <= standing.survival + 1e-12)
    # an exit the arrangement survived takes it out of the intact ones before it ends
    if (result.runs["n_member_exits"] > 0).any():
        assert np.any(intact.survival < standing.survival)


def test_the_same_settings_coincide_with_the_file():
    scenario = load_scenario(ROOT / "scenarios" / "divergent_four.toml")
    outcomes = Outcomes.of(run_replications(scenario, 200, seed=3))
    comparison = compare_outcomes(outcomes, outcomes, changed=False)
    assert np.array_equal(comparison.stability.curves[EXPLORED].survival,
                          comparison.stability.curves[SCENARIO_FILE].survival)
    assert "coincide" in comparison.summary()[-1]
    with pytest.raises(ValueError, match="same size"):
        compare_outcomes(Outcomes.of(run_replications(scenario, 100, seed=3)), outcomes, True)


def test_a_run_stops_when_asked(monkeypatch):
    monkeypatch.setattr(montecarlo, "_stop_all", threading.Event())
    scenario = load_scenario(ROOT / "scenarios" / "kempengemeenten.toml")
    shares = []
    with pytest.raises(Stopped, match="stopped after 250 of 1000"):
        run_replications(scenario, 1000, seed=1, progress=shares.append,
                         should_stop=lambda: True)
    montecarlo.stop_all_runs()
    with pytest.raises(Stopped, match="shutting down"):
        run_replications(scenario, 10, seed=1)


def test_the_process_pool_works_after_mesa_set_the_start_method():
    """Importing Mesa 3.3's visualisation forces the spawn start method process-wide; the
    Monte Carlo panel's pool still gives the same replications as one process, from a thread
    as on the page."""
    pytest.importorskip("solara", reason="the explore extra is not installed")
    import samenwerkingsim.explore.app  # noqa: F401  (imports Mesa's SolaraViz)

    method = multiprocessing.get_start_method(allow_none=True)
    scenario = load_scenario(ROOT / "scenarios" / "kempengemeenten.toml")
    pooled: list = []
    worker = threading.Thread(target=lambda: pooled.append(
        run_replications(scenario, 600, seed=11, jobs=2)))
    worker.start()
    worker.join(timeout=120)
    alone = run_replications(scenario, 600, seed=11, jobs=1)
    assert pooled, f"the pool (start method {method!r}) gave no result"
    assert pooled[0].jobs == min(2, usable_cores())
    assert np.array_equal(pooled[0].runs, alone.runs)
    assert np.array_equal(pooled[0].events, alone.events)
