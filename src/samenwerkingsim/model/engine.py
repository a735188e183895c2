"""State of a batch of replications and the order of one month.

:class:`State` holds every quantity of DESIGN.md section 2 as arrays with a leading replication
axis. :func:`initial_state` builds it from a scenario and the setup uniforms;
:func:`advance_month` runs one month in order (earlier decisions take effect, the governance
timeline, then the six processes of DESIGN.md section 3), calling the rules in
:mod:`samenwerkingsim.model.rules`. The Mesa model runs this for one replication, the
ensemble engine for many at once: the same code, so the same history.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from . import rules
from .params import Behaviour, Case, Levers, PopulationSample, Scenario
from .rules import (
    ABSENT,
    DISSOLUTION,
    LEAVING,
    LEFT,
    MEMBER,
    MERGED,
    MERGER,
    RUNNING,
    any_axis,
    sum_axis,
)
from .seeding import N_PORTFOLIOS

EVENTS = (
    "governance_change",   # a dated lever change from the scenario's timeline
    "political_breach",    # a wethouder left early in a political breach
    "incident",            # cost overrun or service failure in the shared organisation
    "director_turnover",   # a new director
    "exit_announced",      # a member decided to leave (takes effect after the exit lag)
    "member_exit",         # a member's exit took effect
    "merger_initiative",   # a bestuurlijke fusie was proposed to the councils
    "merger_blocked",      # at least one council voted no
    "merger_approved",     # every council voted yes
    "dissolution_decided", # the members decided to end the arrangement
    "dissolution",         # the arrangement ended by dissolution (ontvlechting)
    "merger",              # the arrangement ended in a herindeling
)
EVENT_CODE = {name: code for code, name in enumerate(EVENTS)}
OUTCOME_NAMES = {RUNNING: "censored", DISSOLUTION: "dissolution", MERGER: "merger"}


@dataclass
class LeverArrays:
    """Lever values per replication, ``(R,)`` arrays (they may change over time)."""

    has_committees: np.ndarray
    chairs_in_db: np.ndarray
    separate_director: np.ndarray
    joint_meetings_per_month: np.ndarray
    scope_back_office: np.ndarray
    scope_policy: np.ndarray
    culture_build_new: np.ndarray
    equal_cost_key: np.ndarray
    exit_cost_years: np.ndarray
    designed_as_step_to_merger: np.ndarray


@dataclass
class State:
    """Everything that changes during a run, for R replications and M member slots."""

    month: int
    # the arrangement (case data, per replication)
    start_index: np.ndarray           # (R,) calendar month index of the start: year*12 + month-1
    is_centrumgemeente: np.ndarray    # (R,) bool
    provincial_pressure: np.ndarray   # (R,)
    population: np.ndarray            # (R, M) inhabitants (0 for absent slots)
    agenda: np.ndarray                # (R, M, D) profile of challenges (opgaven) in [0, 1];
                                      #        drifts at elections
    pair_similarity: np.ndarray       # (R, K) agenda similarity of each pair
    levers: LeverArrays
    # municipalities
    status: np.ndarray                # (R, M) MEMBER, LEAVING, LEFT, MERGED or ABSENT
    # derived from status, refreshed by refresh_membership whenever members leave or merge
    active: np.ndarray                # (R, M) taking part (exit announced but not yet effective
                                      #        included)
    pair_active: np.ndarray           # (R, K) both members of the pair take part
    member_similarity: np.ndarray     # (R, M) mean agenda similarity with the other active
                                      #        members
    combined_population: np.ndarray   # (R,) inhabitants of the active members
    meetings: np.ndarray              # (R, P, K) meetings a month of each pair of counterparts
    n_active: np.ndarray              # (R,) number of active members
    population_share: np.ndarray      # (R, M) share of the active members' inhabitants
    cost_share: np.ndarray            # (R, M) share of the contribution under the cost key
    regional_weight: np.ndarray       # (R, M) weight in the region gained by membership
    standalone_quality: np.ndarray    # (R, M) quality a member would reach alone
    is_largest: np.ndarray            # (R, M) bool: the largest active member, the largest
                                      #        payer (host of a centrumgemeente)
    dominated: np.ndarray             # (R, M) 1 - population / largest active population
    pair_dominance: np.ndarray        # (R, K) how much the largest member dominates each pair
    exit_month: np.ndarray            # (R, M) month an announced exit takes effect, -1 if none
    autonomy_preference: np.ndarray   # (R, M)
    control_demand: np.ndarray        # (R, M)
    merger_support: np.ndarray        # (R, M) the council's support for a merger, [0, 1]
    merger_base: np.ndarray           # (R, M) the merger preference it started with
    merger_position: np.ndarray       # (R, M) int8: +1 yes, -1 no, 0 none taken
    support_at_vote: np.ndarray       # (R, M) the council's support when it took its position
    council_scepticism: np.ndarray    # (R, M)
    ownership: np.ndarray             # (R, M)
    burden: np.ndarray                # (R, M) accumulated burden of joint operation
    value: np.ndarray                 # (R, M) perceived net value this month
    smoothed_value: np.ndarray        # (R, M) the council's judgement on its experience
    frustration: np.ndarray           # (R, M) value lost over a blocked merger, fading
    crisis_window_until: np.ndarray   # (R, M) last month of a decision window after a crisis
    # wethouders: one per portfolio per member
    stance: np.ndarray                # (R, P, M) towards the shared organisation, [0, 1]
    appointed_month: np.ndarray       # (R, P, M) month the wethouder took office (< 0: before)
    personal_trust: np.ndarray        # (R, P, K) between counterpart wethouders of each pair
    municipal_trust: np.ndarray       # (R, K) between the municipalities of each pair
    # director
    competence: np.ndarray            # (R,)
    bias: np.ndarray                  # (R,) towards the largest member
    effort: np.ndarray                # (R,) on relationships with the boards
    director_since: np.ndarray        # (R,) month the director was appointed (-1: before the start)
    # the shared organisation
    maturity: np.ndarray              # (R,)
    quality: np.ndarray               # (R,)
    incident_load: np.ndarray         # (R,) recent incidents, decaying
    merger_blocked_until: np.ndarray  # (R,) no new initiative before this month
    step_vote_held: np.ndarray        # (R,) bool: the planned merger of a step design was voted
    # ending
    outcome: np.ndarray               # (R,) RUNNING, DISSOLUTION or MERGER
    end_month: np.ndarray             # (R,) month the arrangement ended, -1 while running
    pending_outcome: np.ndarray       # (R,) decided ending, RUNNING if none
    pending_end_month: np.ndarray     # (R,)
    n_member_exits: np.ndarray        # (R,) exits that took effect
    left_month: np.ndarray            # (R, M) month a member's exit took effect, -1 if none
    first_exit_month: np.ndarray      # (R,) month the first member left, -1 if none
    events: list = field(default_factory=list)
    record_events: bool = True        # False: keep no event log (sweeps that do not need it)

    @property
    def n_replications(self) -> int:
        return len(self.outcome)

    def keep(self, rows: np.ndarray) -> None:
        """Go on with the replications at positions ``rows`` only (the others have ended).

        Every rule works row by row, so dropping rows changes nothing for the rows kept.
        """
        n = self.n_replications
        for holder in (self, self.levers):
            for f in fields(holder):
                value = getattr(holder, f.name)
                if isinstance(value, np.ndarray) and value.ndim and value.shape[0] == n:
                    setattr(holder, f.name, value[rows])

    @property
    def running(self) -> np.ndarray:
        return self.outcome == RUNNING

    def record(self, name: str, where: np.ndarray) -> None:
        """Log an event for each True in ``where``, ``(R,)`` or ``(R, M)``."""
        if not self.record_events or not where.any():
            return
        if where.ndim == 1:
            replications, members = np.nonzero(where)[0], None
        else:
            replications, members = np.nonzero(where)
        self.events.append((self.month, EVENT_CODE[name], replications, members))


# --------------------------------------------------------------------------------------------
# Setting up


def _choose(u, weights):
    """Index of the category that uniform ``u`` falls in, given relative weights."""
    cumulative = np.cumsum(np.asarray(weights, dtype=float))
    return np.searchsorted(cumulative / cumulative[-1], u, side="right")


def _in_range(u, bounds):
    low, high = bounds
    return low + (high - low) * u


def sample_arrangements(sample: PopulationSample, draws, n_slots: int) -> dict:
    """Draw one arrangement per replication from a population description.

    Member slot 0 is the largest municipality, the last occupied slot the smallest; the size
    ratio between them has the given median (half the draws below it, log-uniform on each side).
    """
    a = draws["sample_arrangement"]
    m = draws["sample_member"]
    sizes = np.array([n for n, _ in sample.n_members_weights])
    n_members = sizes[_choose(a[:, 0], [w for _, w in sample.n_members_weights])]
    arrangement_names = [name for name, _ in sample.arrangement_weights]
    arrangement = np.array(arrangement_names)[
        _choose(a[:, 1], [w for _, w in sample.arrangement_weights])]
    years = np.array([y for y, _ in sample.start_year_weights])
    start_year = years[_choose(a[:, 2], [w for _, w in sample.start_year_weights])]
    start_month = 1 + np.minimum((a[:, 3] * 12).astype(int), 11)

    low, high = np.log(sample.size_ratio_range)
    median = np.log(sample.size_ratio_median)
    log_ratio = np.where(a[:, 5] < 0.5, low + (median - low) * a[:, 6],
                         median + (high - median) * a[:, 6])
    largest = _in_range(a[:, 7], sample.largest_population)
    slot = np.arange(n_slots)[None, :]
    last = (n_members - 1)[:, None]
    # intermediate members lie log-uniformly between the largest and the smallest
    position = np.where(slot == 0, 0.0, np.where(slot == last, 1.0, m[:, :, 0]))
    present = slot <= last
    population = np.where(present, np.rint(largest[:, None] * np.exp(-log_ratio[:, None]
                                                                      * position)), 0.0)
    centre = 0.2 + 0.6 * draws["sample_agenda_centre"]
    spread = _in_range(a[:, 8], sample.agenda_spread)
    agenda = np.clip(centre[:, None, :] + spread[:, None, None]
                     * (2.0 * draws["sample_agenda"] - 1.0), 0.0, 1.0)
    centrum = arrangement == "centrumgemeente"
    return {
        "present": present,
        "population": population,
        "agenda": agenda,
        "autonomy_preference": _in_range(m[:, :, 1], sample.autonomy_preference),
        "control_demand": _in_range(m[:, :, 2], sample.control_demand),
        "merger_preference": _in_range(m[:, :, 3], sample.merger_preference),
        "council_scepticism": _in_range(m[:, :, 4], sample.council_scepticism),
        "start_year": start_year,
        "start_month": start_month,
        "is_centrumgemeente": centrum,
        "prior_cooperation_years": _in_range(a[:, 9], sample.prior_cooperation_years),
        "provincial_pressure": _in_range(a[:, 17], sample.provincial_merger_pressure),
        "levers": {
            "designed_as_step_to_merger": a[:, 4] < sample.p_designed_as_step_to_merger,
            "culture_build_new": _in_range(a[:, 10], sample.culture_build_new),
            "joint_meetings_per_month": _in_range(a[:, 11], sample.joint_meetings_per_month),
            "scope_back_office": _in_range(a[:, 12], sample.scope_back_office),
            "scope_policy": _in_range(a[:, 13], sample.scope_policy),
            "has_committees": a[:, 14] < sample.p_has_committees,
            "chairs_in_db": a[:, 15] < sample.p_chairs_in_db,
            # in a centrumgemeente the host's gemeentesecretaris leads the staff
            "separate_director": (a[:, 16] < sample.p_separate_director) & ~centrum,
        },
    }


def fixed_arrangement(case: Case, r: int) -> dict:
    """The arrangement of a case, repeated for every replication."""
    def per_member(attribute):
        return np.tile([getattr(m, attribute) for m in case.members], (r, 1)).astype(float)

    n = len(case.members)
    return {
        "present": np.ones((r, n), dtype=bool),
        "population": per_member("population"),
        "agenda": np.tile(np.array([m.agenda for m in case.members], dtype=float), (r, 1, 1)),
        "autonomy_preference": per_member("autonomy_preference"),
        "control_demand": per_member("control_demand"),
        "merger_preference": per_member("merger_preference"),
        "council_scepticism": per_member("council_scepticism"),
        "start_year": np.full(r, case.start_year),
        "start_month": np.full(r, case.start_month),
        "is_centrumgemeente": np.full(r, case.arrangement == "centrumgemeente"),
        "prior_cooperation_years": np.full(r, case.prior_cooperation_years),
        "provincial_pressure": np.full(r, case.provincial_merger_pressure),
        "levers": {},
    }


def _lever_arrays(levers: Levers, overrides: dict, r: int) -> LeverArrays:
    def value(name):
        given = overrides.get(name, getattr(levers, name))
        return np.broadcast_to(np.asarray(given), (r,)).copy()

    return LeverArrays(
        has_committees=value("has_committees").astype(bool),
        chairs_in_db=value("chairs_in_db").astype(bool),
        separate_director=value("separate_director").astype(bool),
        joint_meetings_per_month=value("joint_meetings_per_month").astype(float),
        scope_back_office=value("scope_back_office").astype(float),
        scope_policy=value("scope_policy").astype(float),
        culture_build_new=value("culture_build_new").astype(float),
        equal_cost_key=np.full(r, levers.cost_key == "equal"),
        exit_cost_years=value("exit_cost_years").astype(float),
        designed_as_step_to_merger=value("designed_as_step_to_merger").astype(bool),
    )


def around_mean(mean, u):
    """Uniform on the widest interval around ``mean`` that stays inside [0, 1], so that the
    mean is ``mean``: a definition of the spread of directors' bias and effort."""
    half = np.minimum(mean, 1.0 - mean)
    return mean + half * (2.0 * u - 1.0)


def draw_director(behaviour: Behaviour, u, separate):
    """Competence, bias towards the largest member, and effort on the boards of a new
    director; a separate director is less biased and spends more effort on relationships."""
    competence = _in_range(u[:, 0], behaviour.director_competence_range)
    mean_bias = np.where(separate, behaviour.director_bias_separate,
                         behaviour.director_bias_combined_role)
    mean_effort = np.where(separate, behaviour.director_effort_separate,
                           behaviour.director_effort_combined_role)
    return competence, around_mean(mean_bias, u[:, 1]), around_mean(mean_effort, u[:, 2])


def initial_state(scenario: Scenario, draws: dict) -> State:
    """The state at the first day of the shared organisation, for each replication."""
    b = scenario.behaviour
    r, _, n_slots = draws["stance"].shape
    if scenario.case is not None:
        arrangement = fixed_arrangement(scenario.case, r)
    else:
        arrangement = sample_arrangements(scenario.sample, draws, n_slots)
    levers = _lever_arrays(scenario.levers, arrangement["levers"], r)
    present = arrangement["present"]
    population = arrangement["population"]
    prior = arrangement["prior_cooperation_years"]

    trust0 = np.clip(b.initial_trust + b.trust_per_prior_year * prior, 0.0, 1.0)
    n_pairs = n_slots * (n_slots - 1) // 2
    municipal_trust = np.repeat(trust0[:, None], n_pairs, axis=1)
    competence, bias, effort = draw_director(b, draws["director"], levers.separate_director)
    standalone = rules.standalone_quality(population, b.quality_half_population)
    quality0 = sum_axis(standalone * population) / sum_axis(population)
    merger_support = np.clip(arrangement["merger_preference"]
                             + b.step_design_support
                             * levers.designed_as_step_to_merger[:, None], 0.0, 1.0)
    zeros = np.zeros((r, n_slots))
    first, second = rules.pair_indices(n_slots)
    state = State(
        month=0,
        start_index=arrangement["start_year"] * 12 + arrangement["start_month"] - 1,
        is_centrumgemeente=arrangement["is_centrumgemeente"],
        provincial_pressure=arrangement["provincial_pressure"],
        population=population,
        agenda=arrangement["agenda"],
        pair_similarity=rules.agenda_similarity(arrangement["agenda"], first, second),
        is_largest=np.zeros((r, n_slots), dtype=bool),
        dominated=zeros.copy(),
        pair_dominance=np.zeros((r, n_pairs)),
        levers=levers,
        status=np.where(present, MEMBER, ABSENT).astype(np.int8),
        active=present.copy(),
        pair_active=present[:, first] & present[:, second],
        member_similarity=np.zeros((r, n_slots)),
        combined_population=np.zeros(r),
        meetings=np.zeros((r, N_PORTFOLIOS, n_pairs)),
        n_active=np.zeros(r),
        population_share=zeros.copy(),
        cost_share=zeros.copy(),
        regional_weight=zeros.copy(),
        standalone_quality=standalone,
        exit_month=np.full((r, n_slots), -1),
        autonomy_preference=arrangement["autonomy_preference"],
        control_demand=arrangement["control_demand"],
        merger_support=merger_support,
        merger_base=merger_support.copy(),
        merger_position=np.zeros((r, n_slots), dtype=np.int8),
        support_at_vote=zeros.copy(),
        council_scepticism=arrangement["council_scepticism"],
        ownership=np.full((r, n_slots), b.initial_ownership),
        burden=zeros.copy(),
        value=zeros.copy(),
        smoothed_value=np.where(present, b.initial_expected_value, 0.0),
        frustration=zeros.copy(),
        crisis_window_until=np.full((r, n_slots), -1),
        stance=rules.new_wethouder_stance(draws["stance"], b.initial_expected_value,
                                          b.stance_spread),
        appointed_month=np.zeros((r, N_PORTFOLIOS, n_slots), dtype=np.int64),
        personal_trust=np.repeat(municipal_trust[:, None, :], N_PORTFOLIOS, axis=1),
        municipal_trust=municipal_trust,
        competence=competence,
        bias=bias,
        effort=effort,
        director_since=np.full(r, -1, dtype=np.int64),
        maturity=1.0 - np.exp(-b.maturity_per_prior_year * prior),
        quality=quality0,
        incident_load=np.zeros(r),
        merger_blocked_until=np.zeros(r, dtype=np.int64),
        step_vote_held=np.zeros(r, dtype=bool),
        outcome=np.full(r, RUNNING, dtype=np.int8),
        end_month=np.full(r, -1),
        pending_outcome=np.full(r, RUNNING, dtype=np.int8),
        pending_end_month=np.full(r, -1),
        n_member_exits=np.zeros(r, dtype=np.int64),
        left_month=np.full((r, n_slots), -1),
        first_exit_month=np.full(r, -1),
    )
    refresh_membership(state, Context.for_scenario(scenario))
    return state


# --------------------------------------------------------------------------------------------
# One month


@dataclass(frozen=True)
class Context:
    """What stays fixed during a run: parameters, pair structure and the timeline."""

    behaviour: Behaviour
    first: np.ndarray             # (K,) first member slot of each pair
    second: np.ndarray            # (K,) second member slot of each pair
    member_pairs: np.ndarray      # (M, M-1) the pairs of each member
    timeline: tuple               # ((calendar index, ((lever, value), ...)), ...)

    @classmethod
    def for_scenario(cls, scenario: Scenario) -> Context:
        first, second = rules.pair_indices(scenario.max_members)
        timeline = tuple((change.year * 12 + change.month - 1, change.changes)
                         for change in scenario.timeline)
        return cls(scenario.behaviour, first, second,
                   rules.pairs_of_member(scenario.max_members), timeline)

    @property
    def average_competence(self) -> float:
        """The competence of the average new director: the midpoint of the range."""
        low, high = self.behaviour.director_competence_range
        return 0.5 * (low + high)

    @property
    def commitment_months(self) -> int:
        return rules.in_months(self.behaviour.commitment_years)

    @property
    def planned_merger_month(self) -> int:
        return rules.in_months(self.behaviour.step_design_years)


def advance_month(state: State, draws: dict, ctx: Context) -> None:
    """Run one month for every replication, in the order of DESIGN.md section 3."""
    settle_decisions(state, ctx)
    apply_timeline(state, draws, ctx)
    apply_calendar_and_shocks(state, draws, ctx)
    run_organisation(state, ctx)
    meet_and_build_trust(state, draws, ctx)
    imposition = build_ownership(state, ctx)
    appraise(state, ctx, imposition)
    decide(state, draws, ctx)
    state.month += 1


def settle_decisions(state: State, ctx: Context) -> None:
    """Exits and endings decided earlier take effect when their lag has passed."""
    t = state.month
    # "<=": a decision with a lag of zero months takes effect at the start of the next month
    due_exit = (state.status == LEAVING) & (state.exit_month <= t) & state.running[:, None]
    due_end = state.running & (state.pending_outcome != RUNNING) & (state.pending_end_month <= t)
    if due_exit.any():
        state.status[due_exit] = LEFT
        state.left_month[due_exit] = t
        state.first_exit_month = np.where(any_axis(due_exit) & (state.first_exit_month < 0), t,
                                          state.first_exit_month)
        # DESIGN.md section 5: count the exits the arrangement survived
        state.n_member_exits += sum_axis(due_exit & ~due_end[:, None])
        state.record("member_exit", due_exit)
    if due_end.any():
        state.outcome[due_end] = state.pending_outcome[due_end]
        state.end_month[due_end] = t
        merged = due_end & (state.outcome == MERGER)
        state.status[merged[:, None] & state.active] = MERGED
        # an ontvlechting: every remaining member leaves (not counted as a member exit)
        state.status[(due_end & (state.outcome == DISSOLUTION))[:, None] & state.active] = LEFT
        state.record("dissolution", due_end & (state.outcome == DISSOLUTION))
        state.record("merger", merged)
    changed = any_axis(due_exit) | due_end
    if changed.any():
        refresh_membership(state, ctx, np.flatnonzero(changed))


def refresh_membership(state: State, ctx: Context, rows=slice(None)) -> None:
    """Recompute what follows from who takes part (and from the levers), for the replications
    ``rows`` in which members left or merged or a lever changed (all by default)."""
    status, population, lv = state.status[rows], state.population[rows], state.levers
    active = (status == MEMBER) | (status == LEAVING)
    pair_active = active[:, ctx.first] & active[:, ctx.second]
    combined = sum_axis(population * active)
    per_portfolio = rules.meetings_per_month(lv.joint_meetings_per_month[rows],
                                             lv.has_committees[rows], lv.chairs_in_db[rows],
                                             N_PORTFOLIOS)                        # (R, P)
    # the largest active member pays most under a population key and hosts a centrumgemeente
    active_population = population * active
    is_largest = (np.arange(population.shape[1])[None, :]
                  == np.argmax(active_population, axis=1)[:, None]) & active

    state.active[rows] = active
    state.pair_active[rows] = pair_active
    state.pair_similarity[rows] = rules.agenda_similarity(state.agenda[rows], ctx.first,
                                                          ctx.second)
    state.member_similarity[rows] = rules.member_mean_over_pairs(
        state.pair_similarity[rows], pair_active, ctx.member_pairs, default=1.0)
    state.combined_population[rows] = combined
    state.meetings[rows] = per_portfolio[:, :, None] * pair_active[:, None, :]
    state.n_active[rows] = sum_axis(active)
    state.population_share[rows] = active_population / np.maximum(combined, 1.0)[:, None]
    state.cost_share[rows] = rules.cost_shares(population, active, lv.equal_cost_key[rows])
    state.regional_weight[rows] = rules.regional_weight(population, combined)
    state.is_largest[rows] = is_largest
    state.dominated[rows] = rules.dominated_by_largest(active_population) * active
    state.pair_dominance[rows] = rules.pair_dominance(active_population, is_largest,
                                                      ctx.first, ctx.second)


def apply_timeline(state: State, draws: dict, ctx: Context) -> None:
    """Dated lever changes; a switch to or from a separate director brings a new director."""
    if not ctx.timeline:
        return
    calendar = state.start_index + state.month
    for when, changes in ctx.timeline:
        due = (calendar == when) & state.running
        if not due.any():
            continue
        state.record("governance_change", due)
        for name, value in changes:
            if name == "cost_key":
                state.levers.equal_cost_key[due] = value == "equal"
            else:
                getattr(state.levers, name)[due] = value
        if any(name == "separate_director" for name, _ in changes):
            replace_director(state, due, draws["director_new"], ctx.behaviour)
        refresh_membership(state, ctx, np.flatnonzero(due))  # meetings, cost key


def replace_director(state: State, where: np.ndarray, u, behaviour: Behaviour) -> None:
    """A new director: fresh competence, bias and effort; part of the maturity is lost."""
    rows = np.flatnonzero(where)  # a handful of replications a month
    competence, bias, effort = draw_director(behaviour, u[rows],
                                             state.levers.separate_director[rows])
    state.competence[rows] = competence
    state.bias[rows] = bias
    state.effort[rows] = effort
    state.director_since[rows] = state.month
    state.maturity[rows] *= 1.0 - behaviour.maturity_loss_on_director_change


def apply_calendar_and_shocks(state: State, draws: dict, ctx: Context) -> None:
    """Elections, early departures of wethouders, incidents and director turnover."""
    b = ctx.behaviour
    t = state.month
    calendar = state.start_index + t
    year, month = calendar // 12, calendar % 12 + 1
    election = rules.is_election_month(year, month)
    active = state.active
    u = draws["turnover"]
    replaced = rules.wethouder_turnover(u, election[:, None, None],
                                        b.wethouder_replacement_at_election,
                                        b.early_departure_per_month)
    replaced &= active[:, None, :]
    breach_member = np.zeros_like(active)
    if replaced.any():
        replace_wethouders(state, replaced, u, election, breach_member, ctx)
    if election.any():
        hold_elections(state, draws["election_shift"], election[:, None] & active, ctx)
    if breach_member.any():
        state.council_scepticism = np.clip(state.council_scepticism
                                           + b.breach_scepticism_jump * breach_member, 0.0, 1.0)
        # one decision month: the month of the crisis itself (decisions come after shocks);
        # the crisis also reopens the council's position on a merger
        state.crisis_window_until = np.where(breach_member, t, state.crisis_window_until)
        state.merger_position[breach_member] = 0
        state.record("political_breach", breach_member)

    rate = rules.incident_rate(b.incident_rate_per_month, b.incident_reduction,
                               state.competence, state.maturity)
    incidents = rules.poisson_from_uniform(draws["incident"], rate) * state.running
    state.incident_load = state.incident_load * (1.0 - 1.0 / b.incident_memory_months) + incidents
    state.record("incident", incidents > 0)

    # a director appointed this month through the timeline does not leave in the same month
    turnover = ((draws["director_turnover"] < b.director_turnover_per_month) & state.running
                & (state.director_since != t))
    if turnover.any():
        replace_director(state, turnover, draws["director_new"], b)
        state.record("director_turnover", turnover)


def replace_wethouders(state: State, replaced, u, election, breach_member, ctx: Context) -> None:
    """New wethouders: a stance drawn around what the municipality's experience invites, the
    pair's municipal trust as their personal trust, and part of the member's ownership lost
    with the people who built it. Marks the members with a political breach."""
    b = ctx.behaviour
    t = state.month
    # few wethouders change in a month: update just those
    r, p, m = np.unravel_index(np.flatnonzero(replaced), replaced.shape)
    breach, fresh = rules.read_departure(u[r, p, m], election[r],
                                         b.wethouder_replacement_at_election,
                                         b.early_departure_per_month,
                                         b.breach_share_of_departures)
    breach_member[r[breach], m[breach]] = True
    state.stance[r, p, m] = rules.new_wethouder_stance(
        fresh, state.smoothed_value[r, m], b.stance_spread)
    state.appointed_month[r, p, m] = t
    # a newcomer inherits the trust between the municipalities, not the person's
    pairs = ctx.member_pairs[m]                                            # (changes, M-1)
    state.personal_trust[r[:, None], p[:, None], pairs] = state.municipal_trust[r[:, None],
                                                                               pairs]
    replaced_share = sum_axis(replaced, 1) / N_PORTFOLIOS                  # (R, M)
    state.ownership = rules.ownership_after_turnover(state.ownership, replaced_share,
                                                     b.ownership_turnover_loss)


def hold_elections(state: State, shift, voting, ctx: Context) -> None:
    """A new council: its scepticism, autonomy preference and merger support shift at random
    (scepticism pulled by experience), its position on a merger is open again, and the
    coalition's priorities move the member's agenda."""
    b = ctx.behaviour
    pull = b.scepticism_value_pull * -np.tanh(state.smoothed_value)
    half = b.election_attitude_shift
    state.council_scepticism = np.where(voting, rules.shift_at_election(
        state.council_scepticism, shift[:, :, 0], half, pull), state.council_scepticism)
    state.autonomy_preference = np.where(voting, rules.shift_at_election(
        state.autonomy_preference, shift[:, :, 1], half), state.autonomy_preference)
    state.merger_support = np.where(voting, rules.shift_at_election(
        state.merger_support, shift[:, :, 2], half), state.merger_support)
    reopened = voting & rules.reopened_positions(state.merger_position, state.merger_support,
                                                 state.support_at_vote)
    state.merger_position[reopened] = 0
    state.agenda = np.where(voting[:, :, None], rules.drift_agendas(
        state.agenda, shift[:, :, 3:], b.agenda_drift_at_election), state.agenda)
    refresh_membership(state, ctx, np.flatnonzero(any_axis(voting)))  # the similarities


def run_organisation(state: State, ctx: Context) -> None:
    """Maturity grows; quality follows what scale, maturity and the director allow."""
    b = ctx.behaviour
    state.maturity = rules.grow_maturity(state.maturity, b.maturity_growth_per_month)
    target = rules.attainable_quality(b, state.combined_population, state.maturity,
                                      state.competence, state.incident_load,
                                      ctx.average_competence)
    state.quality = state.quality + b.quality_adjustment_per_month * (target - state.quality)


def meet_and_build_trust(state: State, draws: dict, ctx: Context) -> None:
    """Meetings between counterpart wethouders build or break personal trust, which erodes
    without contact; municipal trust follows slowly."""
    b = ctx.behaviour
    lv = state.levers
    stance_gap = np.abs(np.take(state.stance, ctx.first, axis=2)
                        - np.take(state.stance, ctx.second, axis=2))                 # (R, P, K)
    bias_felt = state.bias[:, None] * state.pair_dominance                           # (R, K)
    p_success = rules.meeting_success_probability(
        b, state.pair_similarity, lv.culture_build_new, state.effort, stance_gap, bias_felt,
        state.personal_trust)
    n = state.meetings
    successes = rules.binomial_from_uniform(draws["meeting"], n, p_success)
    state.personal_trust = rules.update_personal_trust(
        state.personal_trust, successes, n - successes, b.trust_gain_per_success,
        b.trust_loss_per_failure, b.trust_decay_per_month)
    personal_mean = sum_axis(state.personal_trust, 1) / N_PORTFOLIOS
    state.municipal_trust = np.where(state.pair_active, rules.update_municipal_trust(
        state.municipal_trust, personal_mean, b.municipal_trust_rate), state.municipal_trust)


def felt_imposition(state: State, ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """Each member's participation and felt imposition this month, ``(R, M)`` each."""
    lv = state.levers
    chairs = rules.chair_share(state.n_active, lv.has_committees, lv.chairs_in_db,
                               N_PORTFOLIOS)
    attendance = sum_axis(state.stance, 1) / N_PORTFOLIOS
    level = rules.participation(lv.has_committees, chairs, lv.joint_meetings_per_month,
                                attendance, lv.culture_build_new)
    centre_partner = state.is_centrumgemeente[:, None] & ~state.is_largest
    imposition = rules.felt_imposition(ctx.behaviour, level, state.bias, state.dominated,
                                       centre_partner)
    return level, imposition


def build_ownership(state: State, ctx: Context) -> np.ndarray:
    """Eigenaarschap of each member from its own participation, eroded by imposition;
    returns the imposition felt this month, which the councils' appraisal weighs too."""
    b = ctx.behaviour
    level, imposition = felt_imposition(state, ctx)
    state.ownership = np.where(state.active, rules.update_ownership(
        state.ownership, level, imposition, b.ownership_gain_per_month,
        b.ownership_erosion_per_month), state.ownership)
    return imposition


def member_trust(state: State, ctx: Context) -> np.ndarray:
    """Each member's mean trust in the other active members, ``(R, M)`` (0 without others)."""
    total = sum_axis(np.take(state.municipal_trust * state.pair_active, ctx.member_pairs,
                             axis=-1))
    # an active member has an active pair with each of the other active members
    others = np.where(state.active, state.n_active[:, None] - 1.0, 0.0)
    return np.where(others > 0, total / np.maximum(others, 1.0), 0.0)


def appraise(state: State, ctx: Context, imposition: np.ndarray) -> None:
    """Each council weighs what membership brings against the autonomy given up, decisions
    that feel imposed, the coordination burden, the accumulated burden of joint operation, an
    unfair cost share, frustration and incidents, and judges on its smoothed experience; its
    merger support moves with integration, pressure and that judgement. ``imposition`` is
    this month's felt imposition, as :func:`build_ownership` returned it."""
    b = ctx.behaviour
    lv = state.levers
    trust = member_trust(state, ctx)
    scope = rules.task_scope(lv.scope_back_office, lv.scope_policy)
    combined = np.maximum(state.combined_population, 1.0)[:, None]
    benefit = rules.membership_benefit(
        b, quality_gain=state.quality[:, None] - state.standalone_quality,
        vulnerability_relief=(1.0 - state.population / combined) * state.maturity[:, None],
        regional_weight=state.regional_weight, trust=trust, scope=scope)
    state.burden = rules.accumulate_burden(state.burden, state.member_similarity,
                                           lv.culture_build_new, lv.scope_policy,
                                           12.0 * b.burden_memory_years)
    # the host of a centrumgemeente keeps its own staff and is paid for its services: it gives
    # up no autonomy, has nothing imposed, compromises on nothing and pays for no one else
    guest = ~(state.is_centrumgemeente[:, None] & state.is_largest)
    costs = (guest * (rules.autonomy_cost(b, autonomy_preference=state.autonomy_preference,
                                          control_demand=state.control_demand,
                                          scope_policy=lv.scope_policy,
                                          ownership=state.ownership)
                      + rules.imposition_cost(b, imposition=imposition,
                                              ownership=state.ownership)
                      + rules.unfairness(b, cost_share=state.cost_share, benefit=benefit,
                                         active=state.active,
                                         population_share=state.population_share))
             + rules.coordination_cost(b, n_active=state.n_active,
                                       similarity=state.member_similarity,
                                       culture=lv.culture_build_new, trust=trust,
                                       separate_director=lv.separate_director)
             + guest * b.burden_cost_weight * state.burden
             + state.frustration
             + (b.incident_cost_weight * state.incident_load * scope)[:, None])
    state.value = np.where(state.active, benefit - costs, 0.0)
    state.smoothed_value = rules.smooth_value(state.smoothed_value, state.value,
                                              b.value_smoothing_months)
    target = rules.stance_level(state.smoothed_value)[:, None, :]
    state.stance += b.stance_adaptation_per_month * (target - state.stance)
    state.frustration *= 1.0 - b.frustration_decay_per_month
    pressure = rules.merger_pressure(state.provincial_pressure, state.standalone_quality)
    state.merger_support = np.where(state.active, rules.drift_merger_support(
        b, state.merger_support, state.merger_base, state.maturity * scope, pressure,
        state.smoothed_value), state.merger_support)


def decide(state: State, draws: dict, ctx: Context) -> None:
    """Exits, dissolution and merger, only in decision windows; membership itself is not
    reconsidered in the first years (the commitment period)."""
    b = ctx.behaviour
    t = state.month
    calendar = state.start_index + t
    year, month = calendar // 12, calendar % 12 + 1
    open_to_decide = state.running & (state.pending_outcome == RUNNING)
    general = rules.is_general_window(year, month) & open_to_decide
    window = (general[:, None] | (state.crisis_window_until >= t)) & open_to_decide[:, None]
    if not window.any():
        return
    committed = t < ctx.commitment_months
    staying = state.status == MEMBER

    # member exit: unilateral, takes effect after the exit lag; computed only for the
    # replications with a window open (elementwise, so the result is the same)
    rows = np.flatnonzero(any_axis(window)) if not committed else np.zeros(0, dtype=int)
    if len(rows):
        p_exit = rules.exit_probability(b, state.smoothed_value[rows],
                                        state.council_scepticism[rows],
                                        state.levers.exit_cost_years[rows],
                                        state.ownership[rows])
        leaves = np.zeros_like(window)
        leaves[rows] = window[rows] & staying[rows] & (draws["exit"][rows] < p_exit)
        if leaves.any():
            state.status[leaves] = LEAVING
            state.exit_month[leaves] = t + rules.EXIT_LAG_MONTHS
            state.record("exit_announced", leaves)
            ends = rules.exits_end_arrangement(b, leaves, state.status == MEMBER,
                                               state.is_largest, state.smoothed_value)
            schedule_end(state, ends, DISSOLUTION, t + rules.EXIT_LAG_MONTHS)

    if not general.any():
        return
    if not committed:
        # dissolution when every member judges the arrangement clearly negative
        all_negative = general & rules.all_judge_negative(state.smoothed_value, state.active,
                                                          b.dissolution_value_threshold)
        schedule_end(state, all_negative, DISSOLUTION, t + rules.DISSOLUTION_LAG_MONTHS)

    # merger: an initiative, then a unanimous vote of the councils; the arrangement itself is
    # not put in question during the commitment period either, unless the plan of a step
    # design says so
    calm = general & (state.pending_outcome == RUNNING) & ~any_axis(state.status == LEAVING)
    calm &= state.merger_blocked_until <= t
    if calm.any():
        consider_merger(state, draws, ctx, calm)


def schedule_end(state: State, where: np.ndarray, outcome: int, when) -> None:
    """Decide that the arrangement ends with ``outcome`` at month ``when``."""
    where = where & (state.pending_outcome == RUNNING)
    if not where.any():
        return
    state.pending_outcome[where] = outcome
    state.pending_end_month = np.where(where, when, state.pending_end_month)
    if outcome == DISSOLUTION:
        state.record("dissolution_decided", where)


def consider_merger(state: State, draws: dict, ctx: Context, candidates: np.ndarray) -> None:
    """Merger initiative and vote (Strebel 2019). An arrangement designed as a step to merger
    follows its plan: it puts the merger to the councils in the first general window after
    ``step_design_years``, and no one proposes it before. Otherwise the colleges may propose
    one once the commitment period is over, when support and trust are high enough. Each
    council votes by its position, which it takes at its first vote and keeps until an
    election that moves its support against it, or a crisis; one "no" blocks the merger, costs
    the councils that voted yes (frustration) and rules out a new initiative until after the
    next election."""
    b = ctx.behaviour
    t = state.month
    active = state.active
    n_active = np.maximum(sum_axis(active), 1)
    mean_support = sum_axis(state.merger_support * active) / n_active
    mean_trust = sum_axis(member_trust(state, ctx) * active) / n_active
    p_initiative = rules.merger_initiative_probability(b, mean_support, mean_trust)
    step = state.levers.designed_as_step_to_merger
    planned = step & ~state.step_vote_held & (t >= ctx.planned_merger_month)
    spontaneous = ((draws["merger_initiative"] < p_initiative) & (t >= ctx.commitment_months)
                   & (~step | state.step_vote_held))
    initiative = candidates & (planned | spontaneous)
    if not initiative.any():
        return
    state.record("merger_initiative", initiative)
    state.step_vote_held |= initiative & state.levers.designed_as_step_to_merger
    undecided = initiative[:, None] & active & (state.merger_position == 0)
    if undecided.any():
        p_yes = rules.merger_yes_probability(b, state.merger_support, state.council_scepticism,
                                             state.autonomy_preference, state.dominated)
        choice = np.where(draws["merger_vote"] < p_yes, 1, -1).astype(np.int8)
        state.merger_position = np.where(undecided, choice, state.merger_position)
        state.support_at_vote = np.where(undecided, state.merger_support,
                                         state.support_at_vote)
    votes_no = active & (state.merger_position < 0)
    blocked = initiative & any_axis(votes_no)
    approved = initiative & ~blocked
    if approved.any():
        state.record("merger_approved", approved)
        schedule_end(state, approved, MERGER, t + rules.MERGER_LAG_MONTHS)
    if blocked.any():
        state.record("merger_blocked", blocked)
        voted_yes = blocked[:, None] & active & (state.merger_position > 0)
        state.frustration = state.frustration + b.frustration_per_blocked_merger * voted_yes
        after_election = rules.first_window_after_next_election(state.start_index + t)
        state.merger_blocked_until = np.where(blocked, after_election - state.start_index,
                                              state.merger_blocked_until)


def observe(state: State, ctx: Context) -> dict[str, np.ndarray]:
    """Per-replication means of trust, ownership, value and quality this month."""
    active = state.active
    pair_active = state.pair_active
    n_active = np.maximum(state.n_active, 1.0)
    n_pairs = np.maximum(state.n_active * (state.n_active - 1.0) / 2.0, 1.0)
    return {
        "trust": sum_axis(state.municipal_trust * pair_active) / n_pairs,
        "ownership": sum_axis(state.ownership * active) / n_active,
        "value": sum_axis(state.smoothed_value * active) / n_active,
        "quality": state.quality.copy(),
    }

