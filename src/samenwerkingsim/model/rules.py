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
    """The stance towards the shared organisation that a municipality's experience invites."""
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


def incident_rate(base_rate, competence, maturity):
    """Incidents (cost overruns, service failures) per month: fewer with a competent director
    and a mature organisation."""
    return base_rate * (1.6 - competence) * (1.5 - maturity)


# --------------------------------------------------------------------------------------------
# 2. The organisation works


def standalone_quality(population, half_population):
    """Quality a municipality of this size reaches alone: small ones are vulnerable."""
    return population / (population + half_population)


def attainable_quality(combined_population, maturity, competence, incident_load,
                       half_population, incident_penalty):
    """Quality the shared organisation can reach now: scale, maturity, director competence,
    minus the damage of recent incidents."""
    scale = standalone_quality(combined_population, half_population)
    # a new organisation starts below its scale (the transition dip) and a competent director
    # lifts it a little above
    level = scale * (0.8 + 0.2 * maturity) * (0.9 + 0.2 * competence)
    return np.clip(level - incident_penalty * incident_load, 0.0, 1.0)


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


def meeting_success_probability(behaviour, similarity, culture, quality, incident_load,
                                stance_gap, bias, trust):
    """Chance that a meeting between two wethouders succeeds (Ansell & Gash 2008: face-to-face
    dialogue, shared understanding and small wins build trust).

    Rises with agenda similarity, build-new culture, quality and existing trust; falls with
    incidents, differing stances and the director's bias. ``culture``, ``quality`` and
    ``incident_load`` are ``(R,)``; ``similarity`` and ``bias`` ``(R, K)``; ``stance_gap`` and
    ``trust`` ``(R, P, K)``.
    """
    b = behaviour
    # per-replication terms, then per-pair terms, then per-wethouder terms: one broadcast each
    # instead of broadcasting on the largest arrays (several times faster)
    logit = (b.meeting_success_logit
             + b.meeting_culture_effect * (culture - 0.5)
             + b.meeting_quality_effect * (quality - 0.5)
             - b.meeting_incident_effect * incident_load)
    logit = (logit[:, None] + b.meeting_similarity_effect * (similarity - 0.5)
             - b.meeting_bias_effect * bias)
    logit = (b.meeting_trust_effect * (trust - 0.5) - b.meeting_stance_effect * stance_gap
             + logit[:, None, :])
    return sigmoid(logit)


def update_personal_trust(trust, successes, failures, gain, loss):
    """Trust rises slowly after success and falls faster after failure (negativity bias)."""
    trust = trust + gain * successes * (1.0 - trust)
    trust = trust - loss * failures * trust
    return np.clip(trust, 0.0, 1.0)


def update_municipal_trust(municipal, personal_mean, rate, effort, effort_gain):
    """Trust between municipalities follows personal trust slowly (Zaheer et al. 1998: it
    outlives the persons), and the director's work on relationships feeds it directly."""
    municipal = municipal + rate * (personal_mean - municipal)
    return np.clip(municipal + effort_gain * effort * (1.0 - municipal), 0.0, 1.0)


# --------------------------------------------------------------------------------------------
# 4. Ownership (success factor 2)


def participation(behaviour, has_committees, chairs_in_db, joint_meetings, culture):
    """Real participation in the shared organisation, ``(R,)`` in [0, 1]: a DB seat, committee
    seats, chairs in the DB, joint meetings, co-building."""
    b = behaviour
    level = (b.participation_db_seat
             + b.participation_committees * has_committees
             + b.participation_chairs * (has_committees & chairs_in_db)
             + b.participation_weekly_meetings * np.minimum(joint_meetings / 4.3, 1.0)
             + b.participation_build_new * culture)
    return np.clip(level, 0.0, 1.0)


def felt_imposition(behaviour, participation_level, bias, dominated, is_centre_partner):
    """How much decisions feel imposed on each member, ``(R, M)`` in [0, 1].

    ``dominated`` is 1 - population / largest population: a director biased towards the
    largest member is felt most by the members it dwarfs.
    """
    b = behaviour
    level = (b.imposition_low_participation * (1.0 - participation_level)[:, None]
             + b.imposition_by_bias * bias[:, None] * dominated
             + b.imposition_centrumgemeente * is_centre_partner)
    return np.clip(level, 0.0, 1.0)


def update_ownership(ownership, participation_level, imposition, gain, erosion):
    """Eigenaarschap grows with participation and erodes when decisions feel imposed."""
    ownership = ownership + gain * participation_level[:, None] * (1.0 - ownership)
    return np.clip(ownership - erosion * imposition * ownership, 0.0, 1.0)


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


def membership_benefit(behaviour, *, quality_gain, vulnerability_relief, regional_weight,
                       trust, scope):
    """What membership brings (success factor 4, the exchange for autonomy): quality above
    what the member reaches alone, less vulnerability and regional weight, seen through trust
    and in proportion to the tasks shared. Cost savings are absent on purpose: on average
    there are none (Allers & de Greef 2018)."""
    b = behaviour
    gains = (b.quality_benefit_weight * quality_gain
             + b.vulnerability_benefit_weight * vulnerability_relief
             + b.regional_benefit_weight * regional_weight)
    return (0.5 + trust) * scope[:, None] * gains


def autonomy_cost(behaviour, *, autonomy_preference, control_demand, scope_policy, ownership):
    """Autonomy given up: autonomy preference x policy scope x (1 - ownership), weighed more by
    a council that wants to steer (success factors 2 and 4)."""
    return (behaviour.autonomy_cost_weight * autonomy_preference * scope_policy[:, None]
            * (1.0 - ownership) * (0.5 + control_demand))


def coordination_cost(behaviour, *, n_active, similarity, culture, trust, separate_director):
    """The burden of coordinating: grows with the number of members, falls with similar
    challenges, a build-new culture, trust and a separate director (success factors 1, 3)."""
    b = behaviour
    per_replication = (b.coordination_cost_weight * np.log2(np.maximum(n_active, 2))
                       * (1.5 - culture)
                       * (1.0 - b.separate_director_coordination_relief * separate_director))
    return per_replication[:, None] * (1.5 - similarity) * (1.5 - trust)


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


def exit_probability(behaviour, smoothed_value, scepticism, exit_cost_years):
    """Chance a member decides to leave in a decision window: rises with negative experience
    and council scepticism, falls with the uittreedsom."""
    b = behaviour
    logit = (b.exit_logit
             + b.exit_value_slope * np.maximum(-smoothed_value, 0.0)
             + b.exit_scepticism_slope * (scepticism - 0.5)
             - b.exit_cost_slope * exit_cost_years[:, None])
    return sigmoid(logit)


def continue_probability(behaviour, mean_value_of_rest):
    """Chance the remaining members go on when the largest payer leaves."""
    return sigmoid(behaviour.continue_logit + behaviour.continue_value_slope * mean_value_of_rest)


def exits_end_arrangement(behaviour, leaves, staying, is_largest, smoothed_value, u_continue):
    """Whether the exits announced now end the arrangement, ``(R,)``: fewer than two members
    stay, or the largest payer leaves and the rest, judging by their own experience, do not
    want to go on (DESIGN.md section 3.6)."""
    n_staying = sum_axis(staying)
    too_few = any_axis(leaves) & (n_staying < 2)
    largest_leaves = any_axis(leaves & is_largest) & ~too_few
    rest_value = sum_axis(np.where(staying, smoothed_value, 0.0)) / np.maximum(n_staying, 1)
    give_up = largest_leaves & (u_continue >= continue_probability(behaviour, rest_value))
    return too_few | give_up


def all_judge_negative(smoothed_value, active, threshold):
    """Whether every active member judges the arrangement below ``threshold``, ``(R,)``."""
    return all_axis((smoothed_value < threshold) | ~active)


def first_window_after_next_election(calendar_index):
    """Calendar month index (year * 12 + month - 1) of April after the next municipal election:
    a blocked merger cannot come back before the new councils are in place."""
    next_election_year = ((calendar_index // 12 - 2) // 4 + 1) * 4 + 2
    return next_election_year * 12 + 3


def merger_initiative_probability(behaviour, merger_preference, trust, maturity, pressure,
                                  designed_as_step):
    """Chance of a merger initiative in a general decision window: needs integration, trust
    and a merger wish (or provincial pressure)."""
    b = behaviour
    logit = (b.merger_initiative_logit
             + b.merger_initiative_preference_slope * (merger_preference - 0.5)
             + b.merger_initiative_trust_slope * (trust - 0.5)
             + b.merger_initiative_maturity_slope * (maturity - 0.5)
             + b.merger_initiative_pressure_slope * (pressure + 0.5 * designed_as_step))
    return sigmoid(logit)


def merger_yes_probability(behaviour, merger_preference, scepticism, autonomy_preference,
                           population_share_of_largest):
    """Chance that a council votes for the merger; smaller partners fear absorption
    (Strebel 2019)."""
    b = behaviour
    logit = (b.merger_vote_logit
             + b.merger_vote_preference_slope * (merger_preference - 0.5)
             - b.merger_vote_scepticism_slope * (scepticism - 0.5)
             - b.merger_vote_autonomy_slope * (autonomy_preference - 0.5)
             - b.merger_vote_smallness_slope * (1.0 - population_share_of_largest))
    return sigmoid(logit)


def drift_merger_preference(preference, rate, maturity, scope):
    """The merger wish grows as the members grow interdependent (Elston et al. 2023)."""
    return np.clip(preference + rate * (maturity * scope)[:, None] * (1.0 - preference), 0.0, 1.0)
