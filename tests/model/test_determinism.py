"""Reproducibility (DESIGN.md section 6): the same (seed, point, replication) gives the same
history whatever the number of workers, the chunking, the number of replications beside it,
or the engine (Mesa one by one, or the ensemble many at once)."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from samenwerkingsim.experiments.runner import run_scenario
from samenwerkingsim.model.engine import Context, advance_month, initial_state
from samenwerkingsim.model.mesa_model import Director, Municipality, SharedServiceModel, Wethouder
from samenwerkingsim.model.params import PORTFOLIOS
from samenwerkingsim.model.rules import ABSENT
from samenwerkingsim.model.seeding import ReplicationStreams
from samenwerkingsim.scenarios import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SCENARIO_FILES = sorted(SCENARIOS.glob("*.toml"))
SEED = 11


def capped(scenario, years):
    run = dataclasses.replace(scenario.run, horizon_years=min(scenario.run.horizon_years, years))
    return dataclasses.replace(scenario, run=run)


def scenario(stem, years=10):
    return capped(load_scenario(SCENARIOS / f"{stem}.toml"), years)


def assert_same_result(a, b):
    """Runs, events and every column of the trajectory table agree exactly (NaN == NaN)."""
    np.testing.assert_array_equal(a.runs, b.runs)
    np.testing.assert_array_equal(a.events, b.events)
    table_a, table_b = a.trajectories.table(), b.trajectories.table()
    assert table_a.keys() == table_b.keys()
    for column in table_a:
        np.testing.assert_array_equal(table_a[column], table_b[column], err_msg=column)


def test_same_seed_same_history():
    s = scenario("national")
    first = run_scenario(s, replications=40, seed=SEED)
    second = run_scenario(s, replications=40, seed=SEED)
    assert_same_result(first, second)
    assert len(first.events) > 0


def test_different_seeds_differ():
    s = scenario("national")
    first = run_scenario(s, replications=40, seed=SEED)
    other = run_scenario(s, replications=40, seed=SEED + 1)
    assert not np.array_equal(first.runs, other.runs)
    assert not np.array_equal(first.events, other.events)
    # the sampled arrangements differ too, not only the histories
    assert not np.array_equal(first.runs["start_year"], other.runs["start_year"])


def test_parameter_points_have_their_own_streams():
    s = scenario("national")
    point0 = run_scenario(s, replications=40, seed=SEED, point=0)
    point1 = run_scenario(s, replications=40, seed=SEED, point=1)
    assert not np.array_equal(point0.runs, point1.runs)


def test_one_worker_equals_two_workers():
    s = scenario("national")
    serial = run_scenario(s, replications=60, seed=SEED, jobs=1, chunk_size=15)
    parallel = run_scenario(s, replications=60, seed=SEED, jobs=2, chunk_size=15)
    assert_same_result(serial, parallel)
    np.testing.assert_array_equal(parallel.runs["replication"], np.arange(60))


@pytest.mark.parametrize("stem", ["national", "kempengemeenten_late_director"])
def test_chunk_size_does_not_matter(stem):
    s = scenario(stem)
    small = run_scenario(s, replications=50, seed=SEED, chunk_size=7)
    large = run_scenario(s, replications=50, seed=SEED, chunk_size=50)
    assert_same_result(small, large)


def test_a_replication_does_not_depend_on_how_many_run_beside_it():
    s = scenario("national")
    few = run_scenario(s, replications=10, seed=SEED)
    many = run_scenario(s, replications=30, seed=SEED)
    np.testing.assert_array_equal(many.runs[:10], few.runs)
    np.testing.assert_array_equal(many.events[many.events["replication"] < 10], few.events)


def test_a_replication_alone_equals_it_in_a_batch():
    # state level: replication 5 alone goes through exactly the same states as in a batch
    s = scenario("divergent_four", years=5)
    ctx = Context.for_scenario(s)
    batch_streams = ReplicationStreams(SEED, 0, range(8), s.max_members)
    alone_streams = ReplicationStreams(SEED, 0, [5], s.max_members)
    batch = initial_state(s, batch_streams.setup())
    alone = initial_state(s, alone_streams.setup())
    for t in range(s.run.horizon_months):
        advance_month(batch, batch_streams.month(t), ctx)
        advance_month(alone, alone_streams.month(t), ctx)
        for name in ("personal_trust", "municipal_trust", "ownership", "smoothed_value",
                     "stance", "appointed_month", "quality", "maturity", "status", "outcome"):
            np.testing.assert_array_equal(getattr(alone, name)[0], getattr(batch, name)[5],
                                          err_msg=f"{name} in month {t}")


# The equivalence test: the Mesa model, one replication at a time, and the ensemble engine give
# the same histories for every shipped scenario.
@pytest.mark.parametrize("path", SCENARIO_FILES, ids=[p.stem for p in SCENARIO_FILES])
def test_mesa_engine_equals_ensemble_engine(path):
    s = capped(load_scenario(path), 15)
    ensemble = run_scenario(s, replications=6, seed=SEED, engine="ensemble")
    mesa = run_scenario(s, replications=6, seed=SEED, engine="mesa")
    assert_same_result(ensemble, mesa)


@pytest.mark.parametrize("stem", ["kempengemeenten_late_director", "national"])
def test_mesa_agents_expose_the_state(stem):
    s = scenario(stem, years=5)
    model = SharedServiceModel(s, seed=SEED, point=0, replication=3)
    state = model.state
    present = [slot for slot in range(s.max_members) if state.status[0, slot] != ABSENT]
    assert [m.slot for m in model.municipalities] == present
    if s.case is not None:
        assert [m.name for m in model.municipalities] == [m.name for m in s.case.members]
    else:
        assert [m.name for m in model.municipalities] == [f"member_{i + 1}" for i in present]
    assert len(model.wethouders) == len(present) * len(PORTFOLIOS)
    assert all(isinstance(m, Municipality) for m in model.municipalities)
    assert all(isinstance(w, Wethouder) for w in model.wethouders)
    assert isinstance(model.director, Director)

    for _ in range(30):
        model.step()
        check_agents(model)
    model.run_until_end()
    check_agents(model)


def check_agents(model):
    state = model.state
    first, second = model.context.first, model.context.second
    for m in model.municipalities:
        assert m.population == state.population[0, m.slot]
        assert m.ownership == state.ownership[0, m.slot]
        assert m.smoothed_value == state.smoothed_value[0, m.slot]
        assert m.council_scepticism == state.council_scepticism[0, m.slot]
        assert m.status in ("member", "leaving", "left", "merged")
        for other in model.municipalities:
            if other is m:
                with pytest.raises(ValueError, match="two different members"):
                    m.trust_in(other)
                continue
            k = model.pair_index(m.slot, other.slot)
            assert {int(first[k]), int(second[k])} == {m.slot, other.slot}
            assert m.trust_in(other) == state.municipal_trust[0, k] == other.trust_in(m)
    for w in model.wethouders:
        p = w.portfolio_index
        assert w.portfolio == PORTFOLIOS[p]
        # wethouder arrays are (R, P, M)
        assert w.stance == state.stance[0, p, w.municipality.slot]
        assert w.tenure_months == state.month - state.appointed_month[0, p, w.municipality.slot]
        assert w.tenure_months >= 0
        for v in model.wethouders:
            if v.municipality is w.municipality:
                continue
            if v.portfolio_index != p:
                with pytest.raises(ValueError, match="counterparts of the same portfolio"):
                    w.trust_in(v)
                continue
            k = model.pair_index(w.municipality.slot, v.municipality.slot)
            assert w.trust_in(v) == state.personal_trust[0, p, k] == v.trust_in(w)
    d = model.director
    assert d.competence == state.competence[0]
    assert d.bias == state.bias[0]
    assert d.effort == state.effort[0]
    assert d.is_separate == bool(state.levers.separate_director[0])
    assert model.maturity == state.maturity[0]
    assert model.quality == state.quality[0]


def test_mesa_director_follows_the_governance_timeline():
    # Kempengemeenten with a separate director only from 2017-01 (start 2010-01: month 84)
    s = scenario("kempengemeenten_late_director", years=8)
    model = SharedServiceModel(s, seed=SEED, point=0, replication=0)
    assert not model.director.is_separate
    while model.month < 84:
        model.step()
    assert not model.director.is_separate
    model.step()
    assert model.outcome == "censored"  # this replication is still standing in 2017
    assert model.director.is_separate
