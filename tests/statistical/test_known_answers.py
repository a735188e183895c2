"""Seeded checks against a known answer and against stylised facts of the model.

Every tolerance is derived from a standard error in a comment next to it, and set at 4 of them
or more, so each test would pass for almost any seed (a correct model fails a 4-SE check with
probability about 6e-5 on each side).
"""

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from samenwerkingsim.analysis import stability_curves
from samenwerkingsim.experiments.runner import run_scenario
from samenwerkingsim.model import rules
from samenwerkingsim.model.engine import EVENT_CODE, Context, advance_month, initial_state
from samenwerkingsim.model.rules import DISSOLUTION, sigmoid
from samenwerkingsim.model.seeding import ReplicationStreams
from samenwerkingsim.scenarios import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
Z = 4.0  # standard errors allowed


def load(stem, years=None):
    scenario = load_scenario(SCENARIOS / f"{stem}.toml")
    if years is not None:
        scenario = dataclasses.replace(
            scenario, run=dataclasses.replace(scenario.run, horizon_years=years))
    return scenario


def with_behaviour(scenario, **overrides):
    return dataclasses.replace(scenario, behaviour=scenario.behaviour.with_overrides(**overrides))


def with_levers(scenario, **levers):
    return dataclasses.replace(scenario, levers=dataclasses.replace(scenario.levers, **levers))


# --------------------------------------------------------------------------------------------
# (a) Known answer: a constant exit hazard in the decision windows
#
# Noaberkracht (two members, start 2013-01) with every behavioural feedback on the decisions
# switched off: an exit depends neither on value, nor on scepticism, nor on the exit cost, nor
# on ownership, so a member leaves in a decision window with the constant p =
# sigmoid(exit_logit). No commitment period, no mergers (initiative log-odds -15 with every
# slope 0: p = 3e-7 a window), no dissolution on value (threshold -2, below any smoothed value
# the model reaches), no early departures of wethouders and so no political breaches and no
# crisis windows. What is left are the general windows: every November, and April, May and
# June of each election year (2014, 2018, 2022, ...).
#
# With two members, the first exit announcement leaves fewer than two staying members, so the
# arrangement is dissolved when the exit takes effect, EXIT_LAG_MONTHS later (set to 1 month
# here). Both members decide independently in each window, so a window is survived with
# probability (1 - p)**2 and
#
#     S(m) = P(end_month > m) = (1 - p) ** (2 * N(m - lag)),
#
# where N(x) is the number of window months w (0-based months since the start) with w <= x.

EXIT_LOGIT = -3.6  # p = 0.0266; S(10 years) is about 0.40
EXIT_LAG = 1
CONSTANT_HAZARD = {
    "exit_logit": EXIT_LOGIT, "exit_value_slope": 0.0, "exit_scepticism_slope": 0.0,
    "exit_cost_slope": 0.0, "exit_ownership_slope": 0.0, "commitment_years": 0.0,
    "merger_initiative_logit": -15.0, "merger_initiative_support_slope": 0.0,
    "merger_initiative_trust_slope": 0.0,
    "dissolution_value_threshold": -2.0,
    "early_departure_per_month": 0.0, "election_attitude_shift": 0.0,
    "scepticism_value_pull": 0.0,
}
KNOWN_ANSWER_REPLICATIONS = 6000
KNOWN_ANSWER_YEARS = 10


def window_months(start_year, start_month, horizon_months):
    """0-based months since the start that are general decision windows, from the calendar:
    the November budget, and the three months after the March elections of 2006, 2010, ..."""
    windows = []
    for t in range(horizon_months + 1):
        year, month = divmod((start_month - 1) + t, 12)
        year, month = start_year + year, month + 1
        if month == 11 or (year % 4 == 2 and 4 <= month <= 6):
            windows.append(t)
    return np.array(windows)


def closed_form_survival(months, windows, p, lag):
    """S(m) = (1 - p) ** (2 N(m - lag)) for each month m."""
    n_windows = np.searchsorted(windows, np.asarray(months) - lag, side="right")
    return (1.0 - p) ** (2 * n_windows)


def test_known_answer_constant_exit_hazard(monkeypatch):
    monkeypatch.setattr(rules, "EXIT_LAG_MONTHS", EXIT_LAG)
    scenario = with_behaviour(load("noaberkracht", years=KNOWN_ANSWER_YEARS), **CONSTANT_HAZARD)
    case = scenario.case
    assert len(case.members) == 2 and (case.start_year, case.start_month) == (2013, 1)
    horizon = scenario.run.horizon_months
    result = run_scenario(scenario, replications=KNOWN_ANSWER_REPLICATIONS, seed=20231031)
    runs, events = result.runs, result.events

    # the mechanism is what the closed form assumes: every ending is a dissolution one lag
    # after an exit announced in a general window
    windows = window_months(2013, 1, horizon)
    ended = runs["outcome"] != 0
    assert (runs["outcome"][ended] == DISSOLUTION).all()
    announced = events[events["event"] == EVENT_CODE["exit_announced"]]
    assert np.isin(announced["month"], windows).all()
    first_announcement = {}
    for row in announced:
        first_announcement.setdefault(int(row["replication"]), int(row["month"]))
    for r in np.flatnonzero(ended):
        assert runs["end_month"][r] == first_announcement[r] + EXIT_LAG

    p = float(sigmoid(EXIT_LOGIT))
    curves = stability_curves(runs["end_month"], result.outcomes, horizon)
    n = len(runs)
    for years in (1, 2, 3, 4, 5, 6, 8, 10):
        month = 12 * years
        expected = float(closed_form_survival([month], windows, p, EXIT_LAG)[0])
        # Nothing is censored before the horizon, so the Kaplan-Meier estimate at month m is
        # the share of the n independent replications still standing: a binomial proportion
        # with standard error sqrt(S (1 - S) / n) (at most 0.0065 for n = 6000). Eight checks
        # at 4 SE: a false alarm with probability below 1e-3.
        se = math.sqrt(expected * (1.0 - expected) / n)
        assert curves.survival_at(years) == pytest.approx(expected, abs=Z * se), (
            f"S({years} years): Kaplan-Meier {curves.survival_at(years):.4f}, closed form "
            f"{expected:.4f} (SE {se:.4f})")


def test_closed_form_calendar():
    # Noaberkracht starts January 2013: November 2013 (month 10) is the first window, then
    # April-June 2014 after the elections (15, 16, 17) and November 2014 (22)
    windows = window_months(2013, 1, 60)
    assert windows.tolist() == [10, 15, 16, 17, 22, 34, 46, 58]
    # seven windows in every four years
    assert len(window_months(2013, 1, 48 * 3 - 1)) == 21
    assert closed_form_survival([10, 11, 16], windows, 0.1, 1).tolist() == pytest.approx(
        [1.0, 0.81, 0.81 ** 2])


# --------------------------------------------------------------------------------------------
# (b) Stylised facts, as mechanisms: paired comparisons with common random numbers
#
# Both arms run the same replications from the same seed, so each replication meets the same
# uniforms under both designs and the comparison is paired: d_r = x_r(A) - x_r(B). We test
# mean(d) > 4 SE with SE = sd(d) / sqrt(n), a one-sided test that a correct mechanism fails for
# almost no seed. The decisions are switched off (no exits, mergers or dissolutions), so every
# replication is standing after five years and no arm keeps only its survivors.

NO_ENDINGS = {"exit_logit": -20.0, "merger_initiative_logit": -20.0,
              "dissolution_value_threshold": -2.0}
MECHANISM_REPLICATIONS = 200
FIVE_YEARS = 60


def state_after(scenario, months, replications=MECHANISM_REPLICATIONS, seed=2024):
    """The state of ``replications`` replications after ``months`` months, without endings."""
    scenario = with_behaviour(scenario, **NO_ENDINGS)
    streams = ReplicationStreams(seed, 0, range(replications), scenario.max_members)
    state = initial_state(scenario, streams.setup())
    ctx = Context.for_scenario(scenario)
    for t in range(months):
        advance_month(state, streams.month(t), ctx)
    assert state.running.all()
    return state


def mean_trust(state):
    return state.municipal_trust.mean(axis=1)  # every pair is active: no one has left


def mean_ownership(state):
    return state.ownership.mean(axis=1)


def assert_paired_higher(higher, lower, what):
    d = higher - lower
    se = d.std(ddof=1) / math.sqrt(len(d))
    assert d.mean() > Z * se, f"{what}: mean difference {d.mean():.4f}, SE {se:.4f}"


def test_joint_meetings_and_build_new_culture_build_trust():
    noaberkracht = load("noaberkracht")
    assert noaberkracht.levers.joint_meetings_per_month == 4.3
    assert noaberkracht.levers.culture_build_new == 0.85
    rich = with_levers(noaberkracht, joint_meetings_per_month=4.3, culture_build_new=0.85)
    poor = with_levers(noaberkracht, joint_meetings_per_month=0.0, culture_build_new=0.15)
    assert_paired_higher(mean_trust(state_after(rich, FIVE_YEARS)),
                         mean_trust(state_after(poor, FIVE_YEARS)),
                         "trust after 5 years, weekly meetings and build-new culture vs none")


def test_committees_with_chairs_build_ownership():
    with_committees = load("kempengemeenten")
    without = load("kempengemeenten_no_committees")
    assert with_committees.levers.has_committees and with_committees.levers.chairs_in_db
    assert not without.levers.has_committees and not without.levers.chairs_in_db
    assert_paired_higher(mean_ownership(state_after(with_committees, FIVE_YEARS)),
                         mean_ownership(state_after(without, FIVE_YEARS)),
                         "ownership after 5 years, committees with chairs in the DB vs none")


@pytest.mark.parametrize("base", ["noaberkracht", "kempengemeenten"])
def test_divergent_agendas_lower_trust(base):
    similar = load(base)
    divergent = load(f"{base}_divergent_agendas")
    assert_paired_higher(mean_trust(state_after(similar, FIVE_YEARS)),
                         mean_trust(state_after(divergent, FIVE_YEARS)),
                         f"trust after 5 years in {base}, similar vs divergent agendas")


def test_national_ensemble_survival_at_ten_years():
    # The requirement for the default parameters: 30-80% of the national ensemble stands after
    # 10 years. Nothing is censored before the 10-year horizon, so S(10) is a binomial
    # proportion with standard error sqrt(S (1 - S) / n) <= 0.5 / sqrt(n) = 0.0112 for
    # n = 2000; we accept the estimate within 4 of those of the required range.
    n = 2000
    result = run_scenario(load("national", years=10), replications=n, seed=20231031)
    s10 = result.curves().survival_at(10)
    tolerance = Z * 0.5 / math.sqrt(n)
    assert 0.3 - tolerance <= s10 <= 0.8 + tolerance, f"S(10 years) = {s10:.3f}"


def test_the_long_run_level_of_trust_rises_with_how_often_wethouders_meet():
    # Noaberkracht after 20 years with one, two and weekly joint meetings: personal trust
    # erodes without contact, so meeting more often lifts its level, not only its speed.
    # Paired comparisons (the same streams), each mean difference above 4 SE.
    base = load("noaberkracht")
    trust = {n: mean_trust(state_after(with_levers(base, joint_meetings_per_month=n), 240))
             for n in (1.0, 2.0, 4.3)}
    assert_paired_higher(trust[2.0], trust[1.0], "trust after 20 years, 2 vs 1 meetings")
    assert_paired_higher(trust[4.3], trust[2.0], "trust after 20 years, weekly vs 2 meetings")


def test_the_ownership_of_a_member_follows_its_own_participation():
    # Ownership is per member: in an arrangement of five, a member whose wethouders are
    # more positive attends more of the joint meetings and comes to own more of it. With
    # committees and chairs in the DB every member's ownership rises (paired, 4 SE), and it
    # does not sit at a bound: the mean stays well inside (0.2, 0.9).
    with_committees = state_after(load("kempengemeenten"), FIVE_YEARS)
    without = state_after(load("kempengemeenten_no_committees"), FIVE_YEARS)
    for member in range(5):
        assert_paired_higher(with_committees.ownership[:, member], without.ownership[:, member],
                             f"ownership of member {member}, committees vs none")
    assert 0.2 < with_committees.ownership.mean() < 0.9
