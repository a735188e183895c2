"""Invariants of the state that must hold after every month, for every shipped scenario.

Each scenario runs through the engine month by month, exactly as
:func:`samenwerkingsim.model.ensemble.simulate_chunk` does, and the whole state is checked after
every month: ranges, no NaN, valid and consistent membership, and an event log that agrees
with it. The runs go on to the horizon even after every replication ended, so that anything
happening after an ending is caught.
"""

import dataclasses
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from samenwerkingsim.model import rules
from samenwerkingsim.model.engine import EVENT_CODE, EVENTS, Context, advance_month, initial_state
from samenwerkingsim.model.params import GovernanceChange
from samenwerkingsim.model.rules import (
    ABSENT,
    DISSOLUTION,
    LEAVING,
    LEFT,
    MEMBER,
    MERGED,
    MERGER,
    RUNNING,
)
from samenwerkingsim.model.seeding import ReplicationStreams
from samenwerkingsim.scenarios import load_scenario

SCENARIO_FILES = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.toml"))
REPLICATIONS = 30
MAX_YEARS = 20
SEED = 7

# quantities that are shares, probabilities or attitudes: always in [0, 1]
UNIT_INTERVAL = ("pair_similarity", "dominated", "pair_dominance", "agenda",
                 "autonomy_preference", "control_demand", "merger_support", "merger_base",
                 "council_scepticism", "ownership", "burden", "stance", "personal_trust",
                 "municipal_trust", "competence", "bias", "effort", "maturity", "quality")
UNIT_LEVERS = ("scope_back_office", "scope_policy", "culture_build_new")
# status changes that can happen from one month to the next (LEAVING -> MERGED cannot: a
# merger is only proposed when no member is leaving, and no one leaves once it is approved)
# MEMBER -> LEFT happens only at a dissolution (checked below), when every remaining member leaves
ALLOWED_TRANSITIONS = {(MEMBER, MEMBER), (MEMBER, LEAVING), (MEMBER, MERGED), (MEMBER, LEFT),
                       (LEAVING, LEAVING), (LEAVING, LEFT),
                       (LEFT, LEFT), (MERGED, MERGED), (ABSENT, ABSENT)}
# what may still be logged in the month an arrangement ends
ENDING_EVENTS = {EVENT_CODE[name] for name in ("member_exit", "dissolution", "merger")}


def capped(scenario, years=MAX_YEARS):
    run = dataclasses.replace(scenario.run, horizon_years=min(scenario.run.horizon_years, years))
    return dataclasses.replace(scenario, run=run)


def float_arrays(state):
    """Every float array of the state (levers included), by name."""
    for holder, prefix in ((state, ""), (state.levers, "levers.")):
        for f in dataclasses.fields(holder):
            value = getattr(holder, f.name)
            if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                yield prefix + f.name, value


def derived_afresh(state, ctx, behaviour):
    """What the state keeps as derived quantities, recomputed from status and case data."""
    active = (state.status == MEMBER) | (state.status == LEAVING)
    pair_active = active[:, ctx.first] & active[:, ctx.second]
    combined = (state.population * active).sum(axis=1)
    return {
        "active": lambda: active,
        "pair_active": lambda: pair_active,
        "n_active": lambda: active.sum(axis=1),
        "combined_population": lambda: combined,
        "population_share": lambda: state.population * active
        / np.maximum(combined, 1.0)[:, None],
        "cost_share": lambda: rules.cost_shares(state.population, active,
                                                state.levers.equal_cost_key),
        "member_similarity": lambda: rules.member_mean_over_pairs(
            state.pair_similarity, pair_active, ctx.member_pairs, default=1.0),
        "regional_weight": lambda: rules.regional_weight(state.population, combined),
        "standalone_quality": lambda: rules.standalone_quality(state.population,
                                                               behaviour.quality_half_population),
    }


def check_derived(state, ctx, behaviour):
    """Derived quantities the state caches are never stale (those the State has)."""
    for name, afresh in derived_afresh(state, ctx, behaviour).items():
        if hasattr(state, name):
            np.testing.assert_allclose(getattr(state, name), afresh(), rtol=1e-12, atol=1e-15,
                                       err_msg=f"{name} is stale in month {state.month - 1}")


def check_month(state, previous, first_status):
    """Everything that must hold after the month just simulated."""
    month = state.month - 1  # the month that was just simulated
    for name, values in float_arrays(state):
        assert np.isfinite(values).all(), f"{name} is not finite in month {month}"
    for name in UNIT_INTERVAL:
        values = getattr(state, name)
        assert ((values >= 0.0) & (values <= 1.0)).all(), (
            f"{name} outside [0, 1] in month {month}: {values.min()}..{values.max()}")
    for name in UNIT_LEVERS:
        values = getattr(state.levers, name)
        assert ((values >= 0.0) & (values <= 1.0)).all(), name
    assert (state.incident_load >= 0.0).all()
    assert (state.frustration >= 0.0).all()
    assert np.isin(state.merger_position, [-1, 0, 1]).all()
    # the first exit is the earliest month any member left
    left = np.where(state.left_month >= 0, state.left_month, np.iinfo(np.int64).max)
    earliest = np.where((state.left_month >= 0).any(axis=1), left.min(axis=1), -1)
    assert (state.first_exit_month == earliest).all(), "first_exit_month disagrees"
    assert (state.status[state.left_month >= 0] == LEFT).all(), "left, but not LEFT"
    assert (state.appointed_month <= month).all(), "a wethouder appointed in the future"

    # membership
    status = state.status
    valid = np.isin(status, [MEMBER, LEAVING, LEFT, MERGED, ABSENT])
    assert valid.all(), f"invalid status codes {np.unique(status[~valid])} in month {month}"
    absent = first_status == ABSENT
    assert ((status == ABSENT) == absent).all(), "an ABSENT slot changed or appeared"
    assert (state.population[absent] == 0).all()
    assert (state.population[~absent] > 0).all()
    transitions = set(zip(previous["status"].ravel().tolist(), status.ravel().tolist(),
                          strict=True))
    unexpected = transitions - ALLOWED_TRANSITIONS
    assert not unexpected, f"status changes {unexpected} in month {month}"
    dropped_out = ((previous["status"] == MEMBER) & (status == LEFT)).any(axis=1)
    assert (state.outcome[dropped_out] == DISSOLUTION).all(), "a member left without an exit"
    leaving = status == LEAVING
    assert (state.exit_month[leaving] > month).all(), "a LEAVING member is overdue"
    assert (state.exit_month[status == MEMBER] == -1).all()

    # the ending
    ended = state.end_month >= 0
    assert ((state.outcome != RUNNING) == ended).all(), "outcome set iff end_month >= 0"
    assert np.isin(state.outcome, [RUNNING, DISSOLUTION, MERGER]).all()
    assert (state.end_month <= month).all()
    was_ended = previous["end_month"] >= 0
    assert (state.end_month[was_ended] == previous["end_month"][was_ended]).all()
    assert (state.outcome[was_ended] == previous["outcome"][was_ended]).all()
    assert ((state.pending_outcome != RUNNING) == (state.pending_end_month >= 0)).all()
    assert (state.outcome[ended] == state.pending_outcome[ended]).all()
    merged = state.outcome == MERGER
    assert not (merged[:, None] & ((status == MEMBER) | (status == LEAVING))).any()
    dissolved = state.outcome == DISSOLUTION
    assert not (dissolved[:, None] & ((status == MEMBER) | (status == LEAVING))).any()
    left = (status == LEFT).sum(axis=1)
    assert (state.n_member_exits[~dissolved] == left[~dissolved]).all()
    assert (state.n_member_exits[dissolved] <= left[dissolved]).all()


def check_new_events(state, n_before, log):
    """Events logged this month: after no ending, and collected per replication."""
    month = state.month - 1
    for logged_month, code, replications, members in state.events[n_before:]:
        assert logged_month == month
        for i, r in enumerate(replications.tolist()):
            end = state.end_month[r]
            assert end < 0 or end >= month, (
                f"{EVENTS[code]} logged in month {month} after the end in month {end}")
            if end == month:
                assert code in ENDING_EVENTS, f"{EVENTS[code]} in the month of the end"
            log[r].append((month, code, -1 if members is None else int(members[i])))


def check_event_log(state, log, behaviour):
    """The whole log agrees with the final state and with the lags of the decisions."""
    exit_lag = rules.EXIT_LAG_MONTHS
    code = EVENT_CODE
    for r in range(state.n_replications):
        events = log[r]
        exits = [(m, who) for m, c, who in events if c == code["member_exit"]]
        announced = {(m, who) for m, c, who in events if c == code["exit_announced"]}
        # n_member_exits counts the exits the arrangement survived, not one that ended it
        survived = [(m, who) for m, who in exits if m != state.end_month[r]]
        assert len(survived) == state.n_member_exits[r]
        for month, who in exits:
            assert (month - exit_lag, who) in announced, (
                f"replication {r}: member {who} left in month {month} without announcing it "
                f"{exit_lag} months earlier")
            assert state.status[r, who] == LEFT
        assert len({who for _, who in exits}) == len(exits), "a member left twice"
        assert len(announced) == len({who for _, who in announced}), "announced twice"
        for _, who in announced:
            assert state.status[r, who] in (LEAVING, LEFT)

        endings = [(m, c) for m, c, _ in events if c in (code["dissolution"], code["merger"])]
        if state.outcome[r] == RUNNING:
            assert not endings
            continue
        assert endings == [(state.end_month[r], code["dissolution"] if state.outcome[r]
                            == DISSOLUTION else code["merger"])]
        end = state.end_month[r]
        if state.outcome[r] == MERGER:
            assert (end - rules.MERGER_LAG_MONTHS, code["merger_approved"], -1) in events
        else:
            decided = [m for m, c, _ in events if c == code["dissolution_decided"]]
            assert len(decided) == 1
            assert end - decided[0] in (exit_lag, rules.DISSOLUTION_LAG_MONTHS)
        assert max(m for m, _, _ in events) == end


def run_and_check(scenario, replications=REPLICATIONS, seed=SEED):
    streams = ReplicationStreams(seed, 0, range(replications), scenario.max_members)
    state = initial_state(scenario, streams.setup())
    ctx = Context.for_scenario(scenario)
    first_status = state.status.copy()
    assert np.isin(first_status, [MEMBER, ABSENT]).all()
    check_derived(state, ctx, scenario.behaviour)
    assert (state.end_month == -1).all() and not state.events
    log = defaultdict(list)
    for t in range(scenario.run.horizon_months):
        previous = {"status": state.status.copy(), "end_month": state.end_month.copy(),
                    "outcome": state.outcome.copy()}
        n_before = len(state.events)
        advance_month(state, streams.month(t), ctx)
        assert state.month == t + 1
        check_month(state, previous, first_status)
        check_derived(state, ctx, scenario.behaviour)
        check_new_events(state, n_before, log)
    check_event_log(state, log, scenario.behaviour)
    return state, log


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=[p.stem for p in SCENARIO_FILES])
def test_invariants_every_month(path):
    run_and_check(capped(load_scenario(path)))


def test_invariants_exercise_every_way_of_ending():
    """The invariant checks above see exits, dissolutions and mergers, not only quiet runs."""
    scenario = load_scenario(SCENARIO_FILES[0].parent / "step_to_merger.toml")
    restless = scenario.behaviour.with_overrides(exit_logit=-3.5, merger_initiative_logit=-1.0,
                                                 commitment_years=0.0)
    state, log = run_and_check(capped(dataclasses.replace(scenario, behaviour=restless)),
                               replications=60)
    assert (state.outcome == MERGER).any()
    assert (state.outcome == DISSOLUTION).any()
    assert state.n_member_exits.sum() > 0
    codes = {c for events in log.values() for _, c, _ in events}
    assert {EVENT_CODE["merger_blocked"], EVENT_CODE["exit_announced"]} <= codes


def test_invariants_through_a_governance_timeline():
    """Dated lever changes (a new cost key, a separate director, committees) keep the state
    valid and its derived quantities fresh."""
    scenario = load_scenario(SCENARIO_FILES[0].parent / "divergent_four.toml")
    start = scenario.case.start_year
    timeline = (
        GovernanceChange(start + 1, 3, (("cost_key", "equal"),)),
        GovernanceChange(start + 2, 1, (("separate_director", True),
                                        ("has_committees", True), ("chairs_in_db", True))),
        GovernanceChange(start + 4, 7, (("cost_key", "population"),
                                        ("joint_meetings_per_month", 4.3))),
    )
    restless = scenario.behaviour.with_overrides(exit_logit=-3.5, commitment_years=0.0)
    state, log = run_and_check(capped(dataclasses.replace(
        scenario, timeline=timeline, behaviour=restless), years=8))
    changes = [m for events in log.values() for m, c, _ in events
               if c == EVENT_CODE["governance_change"]]
    assert len(changes) > 0
    assert state.n_member_exits.sum() > 0


# The lags (rules.EXIT_LAG_MONTHS, DISSOLUTION_LAG_MONTHS, MERGER_LAG_MONTHS) are facts of
# the institutions, but a lag of 0 or 1 month must work too: settle_decisions looks for
# exit_month <= t and pending_end_month <= t at the start of a month t, while decide sets
# them to t + lag during month t. With "==" a lag of 0 would have passed unnoticed: the member
# stays LEAVING forever and the arrangement never ends.
LAG_ZERO = {
    # everyone leaves in the first window
    "EXIT_LAG_MONTHS": {"exit_logit": 5.0},
    # every council starts well below the dissolution threshold, nobody leaves
    "DISSOLUTION_LAG_MONTHS": {"exit_logit": -20.0, "initial_expected_value": -2.0,
                               "dissolution_value_threshold": 0.0},
    # an initiative in every window, every council votes yes, nobody leaves
    "MERGER_LAG_MONTHS": {"exit_logit": -20.0, "merger_initiative_logit": 5.0,
                          "merger_vote_logit": 10.0},
}


def run_with_lag(lag, months, monkeypatch):
    """Noaberkracht for three years, with every replication deciding in its first window."""
    monkeypatch.setattr(rules, lag, months)
    scenario = load_scenario(SCENARIO_FILES[0].parent / "noaberkracht.toml")
    behaviour = scenario.behaviour.with_overrides(**LAG_ZERO[lag], commitment_years=0.0)
    scenario = capped(dataclasses.replace(scenario, behaviour=behaviour), years=3)
    streams = ReplicationStreams(SEED, 0, range(10), scenario.max_members)
    state = initial_state(scenario, streams.setup())
    ctx = Context.for_scenario(scenario)
    for t in range(scenario.run.horizon_months):
        advance_month(state, streams.month(t), ctx)
    assert (state.pending_outcome != RUNNING).all()  # the overrides work as meant
    return state


@pytest.mark.parametrize("lag", sorted(LAG_ZERO))
def test_a_decision_with_lag_one_takes_effect_a_month_later(lag, monkeypatch):
    state = run_with_lag(lag, 1, monkeypatch)
    assert (state.outcome == state.pending_outcome).all()
    assert (state.end_month == state.pending_end_month).all()


@pytest.mark.parametrize("lag", sorted(LAG_ZERO))
def test_a_decision_with_lag_zero_takes_effect(lag, monkeypatch):
    state = run_with_lag(lag, 0, monkeypatch)
    # taking effect at once, or at the latest at the start of the next month
    assert (state.outcome == state.pending_outcome).all()
    assert (state.end_month - state.pending_end_month <= 1).all()


def test_no_member_exit_after_the_end_when_exits_take_longer_than_dissolution(monkeypatch):
    # Four members; a member announces its exit (24 months to go), then all councils judge
    # the arrangement negative in a later window and dissolve it within 3 months. The
    # pending exit should die with the arrangement; it takes effect 20 months later.
    monkeypatch.setattr(rules, "EXIT_LAG_MONTHS", 24)
    monkeypatch.setattr(rules, "DISSOLUTION_LAG_MONTHS", 3)
    scenario = load_scenario(SCENARIO_FILES[0].parent / "divergent_four.toml")
    behaviour = scenario.behaviour.with_overrides(
        exit_logit=-3.0, dissolution_value_threshold=-0.05, commitment_years=0.0)
    scenario = capped(dataclasses.replace(scenario, behaviour=behaviour), years=10)
    streams = ReplicationStreams(1, 0, range(40), scenario.max_members)
    state = initial_state(scenario, streams.setup())
    ctx = Context.for_scenario(scenario)
    exits_at_end = np.zeros(state.n_replications, dtype=np.int64)
    for t in range(scenario.run.horizon_months):
        advance_month(state, streams.month(t), ctx)
        exits_at_end = np.where(state.end_month == t, state.n_member_exits, exits_at_end)
    assert (state.outcome == DISSOLUTION).sum() > 20  # the scenario does what it should
    late = [(month, r) for month, c, reps, _ in state.events if c == EVENT_CODE["member_exit"]
            for r in reps.tolist() if 0 <= state.end_month[r] < month]
    assert not late, f"member exits after the end (month, replication): {late[:5]}"
    ended = state.end_month >= 0
    assert (state.n_member_exits[ended] == exits_at_end[ended]).all()
