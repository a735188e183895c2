"""The model's rules, once: pure functions over state arrays.

Every array has a leading replication axis ``R``; member arrays are ``(R, M)``, wethouder
arrays ``(R, P, M)`` (one wethouder per portfolio), pair arrays ``(R, K)`` or ``(R, P, K)``
over the ``K = M(M-1)/2`` pairs of member slots. Members that are absent (padding) or have
left are masked, never special-cased. Random numbers come in as uniforms in [0, 1) from the
replication's own stream (see :mod:`samenwerkingsim.model.seeding`); the rules turn them into
events, so the same uniforms always give the same history.

The rules follow DESIGN.md section 3; docs/ODD.md describes them in prose and cites the
literature behind each.
"""

from __future__ import annotations

import numpy as np

# membership status of a member slot
MEMBER, LEAVING, LEFT, MERGED, ABSENT = 0, 1, 2, 3, 4
# how an arrangement ended
RUNNING, DISSOLUTION, MERGER = 0, 1, 2

MAX_MEETINGS_PER_MONTH = 7  # joint (<= 5) + committee (1) + Dagelijks Bestuur (1)

# Definitions and facts, not behavioural parameters (docs/ODD.md section 9):
WEEKLY = 4.3                 # meetings a month of a weekly meeting: full participation by meeting
EXIT_LAG_MONTHS = 12         # an exit takes effect after about 12 months (targets.toml context)
DISSOLUTION_LAG_MONTHS = 12  # an ontvlechting takes about a year, like an exit (assumption)
MERGER_LAG_MONTHS = 24       # from the councils' yes to the new municipality (the Wet arhi
                             # procedure takes about two years)
N_PARTICIPATION_FORMS = 5    # DB seat, committee seats, chairs, joint meetings, co-building


def sigmoid(x):
    """Logistic function, mapping log-odds to a probability."""
    return 1.0 / (1.0 + np.exp(-x))


# --------------------------------------------------------------------------------------------
# Reductions over short axes
#
# numpy's reductions over a short axis (a few members or portfolios) are slow, and a BLAS
# product may sum in an order that depends on the batch size. Adding slices one by one is
# fast and sums in the same order for one replication or ten thousand.


def _slices(x, axis: int):
    """The slices of ``x`` along ``axis``, in order."""
    axis = axis % x.ndim
    lead = (slice(None),) * axis
    return [x[(*lead, i)] for i in range(x.shape[axis])]


def sum_axis(x, axis: int = -1):
    """Sum over a short axis by adding its slices in order."""
    x = np.asarray(x)
    first, *rest = _slices(x, axis)
    total = first.astype(np.result_type(x.dtype, np.int64), copy=True)
    for part in rest:
        total += part
    return total


def any_axis(x, axis: int = -1):
    """Logical or over a short axis."""
    first, *rest = _slices(np.asarray(x), axis)
    out = first.copy()
    for part in rest:
        out |= part
    return out


def all_axis(x, axis: int = -1):
    """Logical and over a short axis."""
    return ~any_axis(~np.asarray(x), axis)


def max_axis(x, axis: int = -1):
    """Maximum over a short axis."""
    first, *rest = _slices(np.asarray(x), axis)
    out = first.copy()
    for part in rest:
        np.maximum(out, part, out=out)
    return out


# --------------------------------------------------------------------------------------------
# Pairs of members


def pair_indices(n_members: int) -> tuple[np.ndarray, np.ndarray]:
    """The two member slots of each pair, upper triangle, in a fixed order."""
    return np.triu_indices(n_members, 1)


def pairs_of_member(n_members: int) -> np.ndarray:
    """``(M, M-1)`` indices of the pairs each member belongs to."""
    first, second = pair_indices(n_members)
    return np.array([np.flatnonzero((first == m) | (second == m)) for m in range(n_members)],
                    dtype=np.int64).reshape(n_members, max(n_members - 1, 0))


def member_mean_over_pairs(pair_values, pair_active, member_pairs, default):
    """Mean of a pair quantity over each member's active pairs; ``default`` where it has none.

    ``pair_values`` and ``pair_active`` are ``(R, K)``; returns ``(R, M)``.
    """
    weights = pair_active.astype(float)
    total = sum_axis(np.take(pair_values * weights, member_pairs, axis=-1))
    count = sum_axis(np.take(weights, member_pairs, axis=-1))
    return np.where(count > 0, total / np.maximum(count, 1.0), default)


def dominated_by_largest(population):
    """How much each member is dwarfed by the largest: 1 - population / largest population."""
    return 1.0 - population / np.maximum(max_axis(population), 1.0)[:, None]


def pair_dominance(population, is_largest, first, second):
    """How much the largest member dominates each pair: 0 for equals, towards 1 for a giant
    and a dwarf, and 0 for pairs without the largest member. A director's bias towards the
    largest member is felt where it dominates."""
    a, b = population[:, first], population[:, second]
    involves_largest = is_largest[:, first] | is_largest[:, second]
    return involves_largest * (1.0 - np.minimum(a, b) / np.maximum(np.maximum(a, b), 1.0))


def agenda_similarity(agenda, first, second):
    """Similarity of the agendas (opgaven) of each pair: 1 - mean absolute difference."""
    return 1.0 - sum_axis(np.abs(agenda[:, first, :] - agenda[:, second, :])) / agenda.shape[-1]


# --------------------------------------------------------------------------------------------
# Drawing events from uniforms


def poisson_from_uniform(u, rate, k_max: int = 4):
    """Poisson count with mean ``rate`` by inverting its CDF at ``u`` (truncated at k_max)."""
    term = np.exp(-rate)
    cdf = term.copy()
    count = np.zeros(np.shape(u), dtype=np.int64)
    for k in range(1, k_max + 1):
        count += u >= cdf
        term = term * rate / k
        cdf = cdf + term
    return count


def binomial_from_uniform(u, n, p, n_max: int = MAX_MEETINGS_PER_MONTH):
    """Binomial count of successes out of ``n`` trials, all from one uniform ``u``.

    The trials are read off ``u`` one after another: trial k succeeds when ``u < p``, and
    ``u`` is then rescaled to the part of [0, 1) that trial took (``u / p`` after a success,
    ``(u - p) / (1 - p)`` after a failure), which is again uniform and independent of the
    outcome. ``n`` are integers in [0, n_max]; one uniform per count keeps the draw a fixed
    shape.
    """
    n = np.asarray(n)
    # trials beyond the largest n count for nothing, so stopping there changes no result
    n_max = min(n_max, int(n.max(initial=0)))
    count = np.zeros(np.broadcast(u, n, p).shape)
    for k in range(n_max):
        success = u < p
        count += success & (n > k)
        if k + 1 < n_max:
            # p = 0, 1 or subnormal: the overflowing branch is the one not taken
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                u = np.where(success, u / p, (u - p) / (1.0 - p))
    return count


# --------------------------------------------------------------------------------------------
# 1. Calendar and shocks


def is_election_month(calendar_year, calendar_month):
    """Municipal elections: every four years in March (2006, 2010, ..., 2026, 2030)."""
    return (calendar_month == 3) & (calendar_year % 4 == 2)


def is_general_window(calendar_year, calendar_month):
    """Decision windows for all members: the November budget, and the three months after an
    election (new coalition agreements)."""
    after_election = (calendar_year % 4 == 2) & (calendar_month >= 4) & (calendar_month <= 6)
    return (calendar_month == 11) | after_election


def wethouder_turnover(u, election, p_replace, p_depart):
    """Which wethouders leave this month, from one uniform each: at an election each is
    replaced with ``p_replace``, between elections each leaves early with ``p_depart``.
    ``election`` broadcasts against ``u``."""
    return u < np.where(election, p_replace, p_depart)


def read_departure(u, election, p_replace, p_depart, breach_share):
    """For wethouders who leave: whether it is a political breach, and a fresh uniform for
    choosing the successor, from what is left of the same uniform ``u``.

    Given that ``u`` fell below the leaving probability p, ``u / p`` is again uniform; between
    elections a share ``breach_share`` of departures are breaches (``u / p < breach_share``),
    and that part of the interval is stretched back to [0, 1) once more, so the fresh uniform
    is independent of both events.
    """
    rest = u / np.where(election, p_replace, p_depart)
    breach = ~election & (rest < breach_share)
    with np.errstate(divide="ignore", invalid="ignore"):  # a share of 0 or 1: branch unused
        after_breach = np.where(breach, rest / breach_share,
                                (rest - breach_share) / (1.0 - breach_share))
    return breach, np.where(election, rest, after_breach)


def stance_level(smoothed_value):
    """The stance towards the shared organisation that a municipality's experience invites.

    A definition of the stance scale: 0.5 at a neutral judgement, 0.88 at a value of +1 and
    0.12 at -1 (the logistic of twice the value)."""
    return sigmoid(2.0 * smoothed_value)


def new_wethouder_stance(u, smoothed_value, spread):
    """Stance of an incoming wethouder: random around the level the municipality's experience
    with the shared organisation invites. ``smoothed_value`` broadcasts against ``u``."""
    return np.clip(stance_level(smoothed_value) + spread * (u - 0.5), 0.0, 1.0)


def shift_at_election(level, u, half_width, pull=None):
    """Random shift of a council attitude at an election, optionally pulled by experience."""
    shifted = level + half_width * (2.0 * u - 1.0)
    if pull is not None:
        shifted = shifted + pull
    return np.clip(shifted, 0.0, 1.0)


def incident_rate(base_rate, reduction, competence, maturity):
    """Incidents (cost overruns, service failures) per month: fewer with a competent director
    and a mature organisation, which remove a share ``reduction`` of the base rate when both
    are at 1 (each half of it)."""
    return base_rate * (1.0 - reduction * 0.5 * (competence + maturity))


def drift_agendas(agenda, u, half_width):
    """Agendas (opgaven) after an election: each dimension shifts at random by at most
    ``half_width`` as a new coalition reorders its priorities, so members drift apart over
    the years unless their challenges stay alike."""
    return np.clip(agenda + half_width * (2.0 * u - 1.0), 0.0, 1.0)


# --------------------------------------------------------------------------------------------
# 2. The organisation works


def standalone_quality(population, half_population):
    """Quality a municipality of this size reaches alone: small ones are vulnerable."""
    return population / (population + half_population)


def attainable_quality(behaviour, combined_population, maturity, competence, incident_load,
                       average_competence):
    """Quality the shared organisation can reach now: its scale, less the transition dip of an
    organisation that is not yet integrated, more or less as the director is more or less
    competent than the average new director, minus the damage of recent incidents."""
    b = behaviour
    scale = standalone_quality(combined_population, b.quality_half_population)
    level = (scale * (1.0 - b.transition_quality_dip * (1.0 - maturity))
             * (1.0 + b.competence_quality_effect * (competence - average_competence)))
    return np.clip(level - b.incident_quality_penalty * incident_load, 0.0, 1.0)


def grow_maturity(maturity, rate):
    """Integration maturity grows towards 1 over a few years."""
    return maturity + rate * (1.0 - maturity)


# --------------------------------------------------------------------------------------------
# 3. Meetings and trust (success factors 1 and 3)


def meetings_per_month(joint_meetings, has_committees, chairs_in_db, n_portfolios):
    """Meetings per portfolio per month, ``(R, P)`` integers.

    Joint portfolio-holder meetings involve every portfolio; a bestuurscommissie adds one
    meeting per portfolio; the Dagelijks Bestuur meets monthly with the bedrijfsvoering holder
    and, when committee chairs sit in it, with the other portfolio holders as well.
    """
    joint = np.floor(joint_meetings + 0.5).astype(np.int64)[:, None]  # nearest, halves up
    committee = has_committees.astype(np.int64)[:, None]
    in_db = np.zeros((len(joint), n_portfolios), dtype=np.int64)
    in_db[:, 0] = 1
    in_db[:, 1:] = (has_committees & chairs_in_db)[:, None]
    return joint + committee + in_db


def meeting_success_probability(behaviour, similarity, culture, effort, stance_gap, bias,
                                trust):
    """Chance that a meeting between two wethouders succeeds (Ansell & Gash 2008: face-to-face
    dialogue, shared understanding and small wins build trust).

    Rises with agenda similarity, build-new culture, the director's effort in preparing the
    boards and existing trust; falls with differing stances and the director's bias as felt
    in the pair. The logit is linear in these quantities (no centring), so each slope keeps its
    sign and meaning whatever the sample. ``culture`` and ``effort`` are ``(R,)``;
    ``similarity`` and ``bias`` ``(R, K)``; ``stance_gap`` and ``trust`` ``(R, P, K)``.
    """
    b = behaviour
    # per-replication terms, then per-pair terms, then per-wethouder terms: one broadcast each
    # instead of broadcasting on the largest arrays (several times faster)
    logit = (b.meeting_success_logit + b.meeting_culture_effect * culture
             + b.meeting_effort_effect * effort)
    logit = (logit[:, None] + b.meeting_similarity_effect * similarity
             - b.meeting_bias_effect * bias)
    logit = (b.meeting_trust_effect * trust - b.meeting_stance_effect * stance_gap
             + logit[:, None, :])
    return sigmoid(logit)


def update_personal_trust(trust, successes, failures, gain, loss, decay):
    """Trust rises slowly after success, falls faster after failure (negativity bias) and
    erodes without contact, so that the level of trust, not only its speed, depends on how
    often people meet: the equilibrium with n meetings a month of success chance p is, to
    first order, ``g n p / (g n p + l n (1 - p) + decay)``. Each meeting compounds (a success
    closes a share ``gain`` of the gap to 1, a failure takes a share ``loss`` of what there
    is), so trust stays in [0, 1] however many meetings fail."""
    trust = trust * (1.0 - decay)
    trust = trust + (1.0 - trust) * (1.0 - integer_power(1.0 - gain, successes))
    return trust * integer_power(1.0 - loss, failures)


def integer_power(base: float, counts):
    """``base ** counts``. Counts of meetings are whole numbers: their powers are looked up
    in a table of the few that occur rather than computed element by element (a power per
    pair of wethouders per month was an eighth of the engine's time); the table holds the
    same ``np.power`` values, so the result is the same. Other counts (expected values, say)
    are raised as they are."""
    whole = np.asarray(counts).astype(np.intp)
    if np.ndim(base) or not np.array_equal(whole, counts):
        return base ** counts
    table = np.power(base, np.arange(whole.max(initial=0) + 1, dtype=float))
    return table[whole]


def update_municipal_trust(municipal, personal_mean, rate):
    """Trust between municipalities follows personal trust slowly (Zaheer et al. 1998: it
    outlives the persons)."""
    return np.clip(municipal + rate * (personal_mean - municipal), 0.0, 1.0)


# --------------------------------------------------------------------------------------------
# 4. Ownership (success factor 2)


def chair_share(n_active, has_committees, chairs_in_db, n_portfolios):
    """Each member's share of the committee chairs that sit in the Dagelijks Bestuur, ``(R,)``:
    one committee per portfolio, the chairs spread evenly, at most one a member counted."""
    share = np.minimum(1.0, n_portfolios / np.maximum(n_active, 1.0))
    return share * (has_committees & chairs_in_db)


def participation(has_committees, chair_share, joint_meetings, attendance, culture):
    """Each member's real participation in the shared organisation, ``(R, M)`` in [0, 1].

    Five forms count equally (there is no evidence that one counts more): a seat in the
    Dagelijks Bestuur (every member has one), seats in bestuurscommissies, the member's share
    of the chairs in the DB, joint meetings up to weekly, attended as the member's wethouders
    care to (``attendance``: their mean stance), and co-building (the build-new culture).
    """
    per_replication = (1.0 + has_committees + chair_share) + culture
    meetings = np.minimum(joint_meetings / WEEKLY, 1.0)[:, None] * attendance
    return (per_replication[:, None] + meetings) / N_PARTICIPATION_FORMS


def felt_imposition(behaviour, participation_level, bias, dominated, is_centre_partner):
    """How much decisions feel imposed on each member, ``(R, M)`` in [0, 1]: missing
    participation (one unit per unit), a director biased towards the largest member (felt by
    the members it dwarfs: ``dominated`` is 1 - population / largest population) and being a
    partner of a centrumgemeente."""
    b = behaviour
    level = ((1.0 - participation_level) + b.imposition_by_bias * bias[:, None] * dominated
             + b.imposition_centrumgemeente * is_centre_partner)
    return np.clip(level, 0.0, 1.0)


def update_ownership(ownership, participation_level, imposition, gain, erosion):
    """Eigenaarschap grows with the member's own participation and erodes when decisions feel
    imposed; the equilibrium ``g p / (g p + e i)`` rises with participation."""
    ownership = ownership + gain * participation_level * (1.0 - ownership)
    return np.clip(ownership - erosion * imposition * ownership, 0.0, 1.0)


def ownership_after_turnover(ownership, replaced_share, loss):
    """Ownership lives partly in the people who built the organisation: when a share of a
    member's wethouders is replaced, that share of ``loss`` of its ownership goes with them."""
    return ownership * (1.0 - loss * replaced_share)


# --------------------------------------------------------------------------------------------
# 5. Appraisal (success factor 4)


def cost_shares(population, active, equal_key):
    """Each member's share of the contribution under the cost-sharing key."""
    weights = np.where(equal_key[:, None], 1.0, population) * active
    return weights / np.maximum(sum_axis(weights), 1e-12)[:, None]


def regional_weight(population, combined_population):
    """More weight in the region: how many times larger the arrangement is than the member,
    on a log scale that reaches 1 at ten times."""
    ratio = combined_population[:, None] / np.maximum(population, 1.0)
    return np.clip(np.log(np.maximum(ratio, 1.0)) / np.log(10.0), 0.0, 1.0)


def task_scope(scope_back_office, scope_policy):
    """The share of a municipality's tasks done jointly: back office and policy and execution
    counted as equal halves of its work (a definition)."""
    return 0.5 * (scope_back_office + scope_policy)


def membership_benefit(behaviour, *, quality_gain, vulnerability_relief, regional_weight,
                       trust, scope):
    """What membership brings (success factor 4, the exchange for autonomy): quality above
    what the member reaches alone, less vulnerability and regional weight, in proportion to
    the tasks shared and seen through trust (a member that trusts no one discounts a share
    ``benefit_trust_discount``). Cost savings are absent on purpose: on average there are none
    (Allers & de Greef 2018)."""
    b = behaviour
    gains = (b.quality_benefit_weight * quality_gain
             + b.vulnerability_benefit_weight * vulnerability_relief
             + b.regional_benefit_weight * regional_weight)
    return (1.0 - b.benefit_trust_discount * (1.0 - trust)) * scope[:, None] * gains


def autonomy_cost(behaviour, *, autonomy_preference, control_demand, scope_policy, ownership):
    """Autonomy given up (success factors 2 and 4): the council's wish to steer (the mean of
    its autonomy preference and its control demand) x policy scope x (1 - ownership)."""
    steering = 0.5 * (autonomy_preference + control_demand)
    return (behaviour.autonomy_cost_weight * steering * scope_policy[:, None]
            * (1.0 - ownership))


def imposition_cost(behaviour, *, imposition, ownership):
    """Decisions that feel imposed cost what the member does not own: what an owner accepts as
    its own decision, a non-owner resents."""
    return behaviour.imposition_cost_weight * imposition * (1.0 - ownership)


def coordination_cost(behaviour, *, n_active, similarity, culture, trust, separate_director):
    """The burden of coordinating (success factors 1 and 3): it grows with the number of
    members and, from a base of a quarter, by a quarter for each of dissimilar challenges, a
    compromise culture and missing trust; a separate director takes a share of it away."""
    b = behaviour
    per_replication = (b.coordination_cost_weight * np.log2(np.maximum(n_active, 2))
                       * (1.0 - b.separate_director_coordination_relief * separate_director))
    friction = (1.0 + (1.0 - similarity) + (1.0 - culture)[:, None] + (1.0 - trust)) / 4.0
    return per_replication[:, None] * friction


def accumulate_burden(burden, similarity, culture, scope_policy, memory_months):
    """The burden of joint operation (ex-post interdependence, Elston, Rackwitz & Bel 2023):
    every month, joint decisions on the policy scope force compromises where the members'
    challenges differ, unless they build something new together; the councils remember them
    for about ``memory_months``, so the burden builds up over the years towards
    ``scope_policy x (1 - similarity) x (1 - culture)`` and grows as agendas drift apart."""
    pressure = scope_policy[:, None] * (1.0 - similarity) * (1.0 - culture)[:, None]
    return burden + (pressure - burden) / memory_months


def unfairness(behaviour, *, cost_share, benefit, active, population_share):
    """Paying a larger share of the contribution than the share of the benefit received."""
    positive = np.maximum(benefit, 0.0) * active
    total_positive = sum_axis(positive)[:, None]
    benefit_share = np.where(total_positive > 0, positive / np.maximum(total_positive, 1e-12),
                             population_share)
    return behaviour.unfairness_weight * np.maximum(cost_share - benefit_share, 0.0)


def smooth_value(smoothed, value, months):
    """The council judges on roughly ``months`` of experience (exponential smoothing)."""
    return smoothed + (value - smoothed) / months


# --------------------------------------------------------------------------------------------
# 6. Decisions


def exit_probability(behaviour, smoothed_value, scepticism, exit_cost_years, ownership):
    """Chance a member decides to leave in a decision window: rises with negative experience
    and council scepticism, falls with the uittreedsom and with ownership (an owner voices
    its concerns rather than leaves; Hirschman 1970)."""
    b = behaviour
    logit = (b.exit_logit
             + b.exit_value_slope * np.maximum(-smoothed_value, 0.0)
             + b.exit_scepticism_slope * scepticism
             - b.exit_cost_slope * exit_cost_years[:, None]
             - b.exit_ownership_slope * ownership)
    return sigmoid(logit)


def exits_end_arrangement(behaviour, leaves, staying, is_largest, smoothed_value):
    """Whether the exits announced now end the arrangement, ``(R,)``: fewer than two members
    stay, or the largest payer leaves and the rest, judging by their own experience, do not
    want to go on: their mean smoothed value is below the dissolution threshold (DESIGN.md
    section 3.6)."""
    n_staying = sum_axis(staying)
    too_few = any_axis(leaves) & (n_staying < 2)
    largest_leaves = any_axis(leaves & is_largest) & ~too_few
    rest_value = sum_axis(np.where(staying, smoothed_value, 0.0)) / np.maximum(n_staying, 1)
    give_up = largest_leaves & (rest_value < behaviour.dissolution_value_threshold)
    return too_few | give_up


def all_judge_negative(smoothed_value, active, threshold):
    """Whether every active member judges the arrangement below ``threshold``, ``(R,)``."""
    return all_axis((smoothed_value < threshold) | ~active)


def in_months(years):
    """Years as a whole number of months, halves rounded up (as for meetings)."""
    return int(np.floor(12.0 * years + 0.5))


def reopened_positions(position, support, support_at_vote):
    """Which councils reopen their position on a merger at an election: those whose support
    moved against the position they took (a "no" whose support rose since, a "yes" whose
    support fell). A council that is as opposed as it was keeps its "no" (Strebel 2019:
    positions are political, and they persist)."""
    return (((position < 0) & (support > support_at_vote))
            | ((position > 0) & (support < support_at_vote)))


def first_window_after_next_election(calendar_index):
    """Calendar month index (year * 12 + month - 1) of April after the next municipal election:
    a blocked merger cannot come back before the new councils are in place."""
    next_election_year = ((calendar_index // 12 - 2) // 4 + 1) * 4 + 2
    return next_election_year * 12 + 3


def merger_initiative_probability(behaviour, mean_support, mean_trust):
    """Chance of a merger initiative in a general decision window: the colleges propose a
    merger when the councils' support for it is high and trust makes it conceivable."""
    b = behaviour
    return sigmoid(b.merger_initiative_logit + b.merger_initiative_support_slope * mean_support
                   + b.merger_initiative_trust_slope * mean_trust)


def merger_yes_probability(behaviour, support, scepticism, autonomy_preference, dominated):
    """Chance that a council takes the position "yes" on a merger (Strebel 2019): with its
    support for a merger, against it its identity concerns (the mean of autonomy preference
    and scepticism) and the fear of absorption of a member dwarfed by the largest."""
    b = behaviour
    logit = (b.merger_vote_logit + b.merger_vote_support_slope * support
             - b.merger_vote_identity_slope * 0.5 * (autonomy_preference + scepticism)
             - b.merger_vote_absorption_slope * dominated)
    return sigmoid(logit)


def merger_pressure(provincial_pressure, standalone_quality):
    """What pushes a council towards a merger from outside the arrangement: the province's
    pressure and the member's own vulnerability (the administrative and fiscal weakness of a
    small municipality alone: 1 - its standalone quality), combined as either pushing:
    ``1 - (1 - provincial) (1 - vulnerability)``, so that each adds to the other."""
    return 1.0 - (1.0 - provincial_pressure[:, None]) * standalone_quality


def drift_merger_support(behaviour, support, base, integration, pressure, smoothed_value):
    """A council's support for a merger moves towards a level that its own preference
    anchors (``base``, the preference it started with: its identity), raised by integration
    (maturity x scope: ex-post interdependence makes a merger the next step, Elston et al.
    2023) and by outside or fiscal pressure (Strebel 2019), and lowered while the shared
    organisation works (a positive judgement: it is the alternative to a merger). It settles
    there, and can fall as well as rise."""
    b = behaviour
    target = np.clip(base + b.merger_support_interdependence * integration[:, None]
                     + b.merger_support_pressure * pressure
                     - b.merger_support_alternative * np.maximum(smoothed_value, 0.0), 0.0, 1.0)
    return support + b.merger_support_rate * (target - support)
