"""Parameters of samenwerkingsim, in three kinds kept apart (DESIGN.md section 4).

- :class:`Levers`: the governance design a user tweaks (committees, joint meetings, ...).
- :class:`Member` and :class:`Case`: facts about one arrangement; :class:`PopulationSample`
  describes a population of arrangements to sample from instead (the national ensemble).
- :class:`Behaviour`: uncertain behavioural parameters with documented defaults and ranges,
  one set for every scenario.

Every field carries its unit, allowed range and one line of documentation in its metadata;
the scenario loader validates against it and ``docs/parameters.md`` is generated from it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

PORTFOLIOS = ("bedrijfsvoering", "sociaal_domein", "fysiek_domein")
AGENDA_DIMENSIONS = ("social", "spatial", "economic")
ARRANGEMENTS = ("werkorganisatie", "centrumgemeente")
COST_KEYS = ("population", "equal")


def spec(default: Any, unit: str, low: Any = None, high: Any = None, doc: str = "",
         choices: tuple | None = None) -> Any:
    """A dataclass field with its unit, range and one line of documentation."""
    meta = {"unit": unit, "low": low, "high": high, "doc": doc, "choices": choices}
    return field(default=default, metadata=meta)


def check_value(name: str, value: Any, f: dataclasses.Field) -> str | None:
    """Return a message when ``value`` is outside the documented range of field ``f``."""
    meta = f.metadata
    expected = f.type if isinstance(f.type, type) else type(f.default)
    if expected is bool:
        if not isinstance(value, bool):
            return f"expected true or false, found {value!r}"
        return None
    if meta.get("choices"):
        if value not in meta["choices"]:
            return f"found {value!r}, allowed: {', '.join(map(repr, meta['choices']))}"
        return None
    if expected in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected a number, found {value!r}"
        if expected is int and not float(value).is_integer():
            return f"expected a whole number, found {value!r}"
        if value != value:
            return "found NaN, expected a number"
        low, high = meta.get("low"), meta.get("high")
        if (low is not None and value < low) or (high is not None and value > high):
            return f"found {value!r}, allowed range [{low}, {high}]"
    return None


def check_fields(obj: Any) -> list[tuple[str, str]]:
    """All (field name, problem) pairs of a parameter dataclass instance."""
    problems = []
    for f in dataclasses.fields(obj):
        if "unit" not in f.metadata:
            continue
        problem = check_value(f.name, getattr(obj, f.name), f)
        if problem:
            problems.append((f.name, problem))
    return problems


def field_specs(cls: type) -> dict[str, dataclasses.Field]:
    """The documented fields of a parameter dataclass, by name."""
    return {f.name: f for f in dataclasses.fields(cls) if "unit" in f.metadata}


# --------------------------------------------------------------------------------------------
# Levers: the governance design


@dataclass(frozen=True)
class Levers:
    """Governance design of a shared organisation: what a user tweaks."""

    has_committees: bool = spec(False, "bool", doc="bestuurscommissies of portfolio holders "
                                "from all members advise the Dagelijks Bestuur, one per portfolio")
    chairs_in_db: bool = spec(False, "bool", doc="committee chairs sit in the Dagelijks Bestuur "
                              "(only acts together with has_committees)")
    separate_director: bool = spec(False, "bool", doc="a general director who is not one of "
                                   "the gemeentesecretarissen")
    joint_meetings_per_month: float = spec(0.0, "meetings/month", 0.0, 5.0,
                                           "joint portfolio-holder meetings of all colleges "
                                           "(weekly = 4.3)")
    scope_back_office: float = spec(1.0, "share", 0.0, 1.0, "share of back-office tasks "
                                    "(ICT, finance, HR) done by the shared organisation")
    scope_policy: float = spec(0.5, "share", 0.0, 1.0, "share of policy and execution tasks "
                               "done by the shared organisation")
    culture_build_new: float = spec(0.5, "[0,1]", 0.0, 1.0, "culture of building something "
                                    "new together (1) rather than a compromise of old "
                                    "organisations (0)")
    cost_key: str = spec("population", "choice", doc="how the contribution is shared: by "
                         "population or in equal parts", choices=COST_KEYS)
    exit_cost_years: float = spec(3.0, "years of contribution", 0.0, 10.0,
                                  "uittreedsom a leaving member pays")
    designed_as_step_to_merger: bool = spec(False, "bool", doc="set up explicitly as a "
                                            "stepping stone towards a herindeling")


LEVER_NAMES = tuple(field_specs(Levers))


@dataclass(frozen=True)
class GovernanceChange:
    """A dated change of levers, e.g. a separate director from 2017-01."""

    year: int
    month: int
    changes: tuple[tuple[str, Any], ...]


# --------------------------------------------------------------------------------------------
# Case data: facts about one arrangement


@dataclass(frozen=True)
class Member:
    """One member municipality of an arrangement."""

    name: str
    population: int = spec(20000, "inhabitants", 1, 2_000_000, "number of inhabitants")
    agenda: tuple[float, ...] = (0.5, 0.5, 0.5)
    autonomy_preference: float = spec(0.5, "[0,1]", 0.0, 1.0, "how much the council values "
                                      "doing things its own way")
    control_demand: float = spec(0.5, "[0,1]", 0.0, 1.0, "how closely the council wants to "
                                 "steer the shared organisation")
    merger_preference: float = spec(0.3, "[0,1]", 0.0, 1.0, "wish for a bestuurlijke fusie")
    council_scepticism: float = spec(0.3, "[0,1]", 0.0, 1.0, "scepticism of the council "
                                     "towards the shared organisation")


@dataclass(frozen=True)
class Case:
    """Facts about one arrangement: its members, start and arrangement type."""

    members: tuple[Member, ...]
    start_year: int
    start_month: int
    arrangement: str = spec("werkorganisatie", "choice", doc="werkorganisatie under a "
                            "gemeenschappelijke regeling, or centrumgemeente (the largest "
                            "member employs the staff)", choices=ARRANGEMENTS)
    prior_cooperation_years: float = spec(0.0, "years", 0.0, 30.0, "years of cooperation "
                                          "before the shared organisation started")
    provincial_merger_pressure: float = spec(0.0, "[0,1]", 0.0, 1.0, "pressure from the "
                                             "province towards a herindeling")


@dataclass(frozen=True)
class PopulationSample:
    """A population of arrangements to sample from, one per replication.

    Weights are relative counts (as in data/targets.toml); ranges are uniform.
    """

    n_members_weights: tuple[tuple[int, float], ...] = ((2, 14), (3, 7), (4, 2))
    arrangement_weights: tuple[tuple[str, float], ...] = (("werkorganisatie", 17),
                                                          ("centrumgemeente", 6))
    start_year_weights: tuple[tuple[int, float], ...] = (
        (2007, 1), (2008, 1), (2009, 1), (2010, 1), (2012, 1), (2013, 3), (2014, 5), (2015, 3),
        (2016, 1), (2017, 3), (2018, 2), (2019, 1))
    p_designed_as_step_to_merger: float = 2 / 23
    size_ratio_median: float = 2.5
    size_ratio_range: tuple[float, float] = (1.1, 28.0)
    largest_population: tuple[float, float] = (20000, 90000)
    agenda_spread: tuple[float, float] = (0.05, 0.35)
    autonomy_preference: tuple[float, float] = (0.2, 0.8)
    control_demand: tuple[float, float] = (0.2, 0.8)
    merger_preference: tuple[float, float] = (0.1, 0.5)
    council_scepticism: tuple[float, float] = (0.1, 0.5)
    prior_cooperation_years: tuple[float, float] = (0.0, 5.0)
    culture_build_new: tuple[float, float] = (0.2, 0.8)
    joint_meetings_per_month: tuple[float, float] = (0.0, 2.0)
    scope_back_office: tuple[float, float] = (0.6, 1.0)
    scope_policy: tuple[float, float] = (0.2, 1.0)
    p_has_committees: float = 0.3
    p_chairs_in_db: float = 0.5
    p_separate_director: float = 0.4

    @property
    def max_members(self) -> int:
        return max(n for n, _ in self.n_members_weights)


# --------------------------------------------------------------------------------------------
# Behavioural parameters: uncertain, one set for all scenarios


@dataclass(frozen=True)
class Behaviour:
    """Behavioural parameters: uncertain, with documented defaults and plausible ranges."""

    # calendar and shocks
    wethouder_replacement_at_election: float = spec(
        0.6, "probability", 0.0, 1.0, "chance a wethouder is replaced at a municipal election")
    early_departure_per_month: float = spec(
        0.012, "1/month", 0.0, 0.05, "chance a wethouder leaves between elections")
    breach_share_of_departures: float = spec(
        0.5, "share", 0.0, 1.0, "share of early departures that are political breaches")
    breach_scepticism_jump: float = spec(
        0.1, "[0,1]", 0.0, 0.5, "rise in council scepticism after a political breach")
    election_scepticism_shift: float = spec(
        0.1, "[0,1]", 0.0, 0.5, "half-width of the random shift in council scepticism at an "
        "election")
    election_autonomy_shift: float = spec(
        0.08, "[0,1]", 0.0, 0.5, "half-width of the random shift in autonomy preference at an "
        "election")
    scepticism_value_pull: float = spec(
        0.15, "[0,1]", 0.0, 1.0, "how far an election moves scepticism towards the council's "
        "experience (negative value raises it)")
    incident_rate_per_month: float = spec(
        0.08, "incidents/month", 0.0, 1.0, "base incident rate, multiplied by "
        "(1.6 - director competence) x (1.5 - maturity)")
    director_turnover_per_month: float = spec(
        0.0104, "1/month", 0.0, 0.1, "chance the director leaves (0.0104 = 8 years on average)")
    maturity_loss_on_director_change: float = spec(
        0.2, "share", 0.0, 1.0, "share of integration maturity lost when the director changes")
    director_competence_range: tuple[float, float] = spec(
        (0.4, 0.9), "[0,1] (low, high)", 0.0, 1.0, "competences of new directors are drawn "
        "uniformly from this range")
    director_bias_combined_role: float = spec(
        0.5, "[0,1]", 0.0, 1.0, "mean bias towards the largest member of a director who is "
        "also a gemeentesecretaris")
    director_bias_separate: float = spec(
        0.1, "[0,1]", 0.0, 1.0, "mean bias towards the largest member of a separate director")
    director_effort_combined_role: float = spec(
        0.3, "[0,1]", 0.0, 1.0, "mean effort on the boards of a director who is also a "
        "gemeentesecretaris")
    director_effort_separate: float = spec(
        0.7, "[0,1]", 0.0, 1.0, "mean effort on the boards of a separate director")

    # the organisation works
    maturity_growth_per_month: float = spec(
        0.03, "1/month", 0.0, 0.5, "growth rate of integration maturity towards 1")
    maturity_per_prior_year: float = spec(
        0.04, "1/year", 0.0, 0.2, "integration maturity at the start per year of prior "
        "cooperation")
    quality_half_population: float = spec(
        25000.0, "inhabitants", 1000.0, 500000.0, "population at which an organisation "
        "reaches half the attainable quality (small organisations are vulnerable)")
    quality_adjustment_per_month: float = spec(
        0.1, "1/month", 0.0, 1.0, "speed at which quality follows its attainable level")
    incident_quality_penalty: float = spec(
        0.15, "quality/incident", 0.0, 1.0, "quality lost per unit of recent incident load")
    incident_memory_months: float = spec(
        6.0, "months", 1.0, 60.0, "how long incidents weigh on the incident load")

    # meetings and trust (success factors 1 and 3)
    meeting_success_logit: float = spec(
        0.8, "log-odds", -5.0, 5.0, "log-odds that a meeting succeeds, all else neutral")
    meeting_similarity_effect: float = spec(
        3.0, "log-odds/unit", 0.0, 10.0, "effect of agenda similarity on meeting success")
    meeting_culture_effect: float = spec(
        1.5, "log-odds/unit", 0.0, 10.0, "effect of a build-new culture on meeting success")
    meeting_quality_effect: float = spec(
        1.0, "log-odds/unit", 0.0, 10.0, "effect of the organisation's quality on meeting "
        "success")
    meeting_incident_effect: float = spec(
        1.0, "log-odds/unit", 0.0, 10.0, "effect of the incident load on meeting failure")
    meeting_stance_effect: float = spec(
        2.0, "log-odds/unit", 0.0, 10.0, "effect of differing stances on meeting failure")
    meeting_bias_effect: float = spec(
        2.0, "log-odds/unit", 0.0, 10.0, "effect of director bias on meeting failure")
    meeting_trust_effect: float = spec(
        1.0, "log-odds/unit", 0.0, 10.0, "effect of existing trust on meeting success "
        "(small wins, Ansell & Gash 2008)")
    trust_gain_per_success: float = spec(
        0.03, "trust/meeting", 0.0, 0.5, "personal trust gained per successful meeting, "
        "times (1 - trust)")
    trust_loss_per_failure: float = spec(
        0.06, "trust/meeting", 0.0, 0.5, "personal trust lost per failed meeting, times trust "
        "(negativity bias: larger than the gain)")
    municipal_trust_rate: float = spec(
        0.05, "1/month", 0.0, 1.0, "speed at which trust between municipalities follows "
        "personal trust")
    director_effort_trust_gain: float = spec(
        0.01, "trust/month", 0.0, 0.2, "trust between municipalities built by the director's "
        "effort on the boards, times (1 - trust)")
    initial_trust: float = spec(
        0.45, "[0,1]", 0.0, 1.0, "trust between municipalities at the start without prior "
        "cooperation")
    trust_per_prior_year: float = spec(
        0.02, "trust/year", 0.0, 0.1, "extra starting trust per year of prior cooperation")
    stance_adaptation_per_month: float = spec(
        0.03, "1/month", 0.0, 1.0, "speed at which a wethouder's stance follows the "
        "municipality's experience")
    stance_spread: float = spec(
        0.4, "[0,1]", 0.0, 1.0, "width of the stance of a new wethouder around the level "
        "the municipality's experience invites")

    # ownership (success factor 2)
    ownership_gain_per_month: float = spec(
        0.04, "1/month", 0.0, 0.5, "ownership gained per month at full participation")
    ownership_erosion_per_month: float = spec(
        0.04, "1/month", 0.0, 0.5, "ownership lost per month when all decisions feel imposed")
    initial_ownership: float = spec(
        0.4, "[0,1]", 0.0, 1.0, "ownership at the start")
    participation_db_seat: float = spec(
        0.15, "[0,1]", 0.0, 1.0, "participation from a seat in the Dagelijks Bestuur (every "
        "member)")
    participation_committees: float = spec(
        0.35, "[0,1]", 0.0, 1.0, "participation from seats in bestuurscommissies")
    participation_chairs: float = spec(
        0.15, "[0,1]", 0.0, 1.0, "participation from committee chairs in the DB")
    participation_weekly_meetings: float = spec(
        0.3, "[0,1]", 0.0, 1.0, "participation from weekly joint meetings (scales with "
        "frequency)")
    participation_build_new: float = spec(
        0.3, "[0,1]", 0.0, 1.0, "participation from co-building (times the build-new culture)")
    imposition_by_bias: float = spec(
        0.6, "[0,1]", 0.0, 1.0, "felt imposition for smaller members per unit of director bias")
    imposition_centrumgemeente: float = spec(
        0.3, "[0,1]", 0.0, 1.0, "felt imposition for members whose staff work for a "
        "centrumgemeente")
    imposition_low_participation: float = spec(
        0.4, "[0,1]", 0.0, 1.0, "felt imposition per unit of missing participation")

    # appraisal (success factor 4)
    quality_benefit_weight: float = spec(
        2.0, "value/quality", 0.0, 10.0, "value of quality above what the municipality "
        "could reach alone")
    vulnerability_benefit_weight: float = spec(
        0.4, "value/unit", 0.0, 10.0, "value of being less vulnerable (small members gain most)")
    regional_benefit_weight: float = spec(
        0.3, "value/unit", 0.0, 10.0, "value of more weight in the region")
    autonomy_cost_weight: float = spec(
        0.6, "value/unit", 0.0, 10.0, "cost of autonomy given up: autonomy preference x "
        "policy scope x (1 - ownership) x (0.5 + control demand)")
    coordination_cost_weight: float = spec(
        0.25, "value/unit", 0.0, 10.0, "cost of coordinating with the other members")
    separate_director_coordination_relief: float = spec(
        0.3, "share", 0.0, 1.0, "share of coordination cost a separate director takes away")
    unfairness_weight: float = spec(
        0.4, "value/share", 0.0, 10.0, "cost of paying a larger share than the share of "
        "benefit received")
    frustration_weight: float = spec(
        1.0, "value/unit", 0.0, 10.0, "cost of frustration over a blocked merger")
    incident_cost_weight: float = spec(
        0.15, "value/incident", 0.0, 10.0, "cost of the recent incident load")
    initial_expected_value: float = spec(
        0.2, "value", -2.0, 2.0, "the councils' expectation at the start, where their "
        "judgement begins (they chose to start)")
    value_smoothing_months: float = spec(
        12.0, "months", 1.0, 60.0, "the council judges on about this much experience")
    merger_preference_drift: float = spec(
        0.002, "1/month", 0.0, 0.05, "growth of the merger wish with integration "
        "(ex-post interdependence, Elston et al. 2023)")

    # decisions
    exit_logit: float = spec(
        -5.5, "log-odds", -15.0, 5.0, "log-odds of a member exit in a decision window at "
        "neutral value")
    exit_value_slope: float = spec(
        8.0, "log-odds/value", 0.0, 30.0, "rise of the exit log-odds per unit of negative "
        "smoothed value")
    exit_scepticism_slope: float = spec(
        3.0, "log-odds/unit", 0.0, 20.0, "rise of the exit log-odds per unit of council "
        "scepticism above 0.5")
    exit_cost_slope: float = spec(
        0.3, "log-odds/year", 0.0, 5.0, "fall of the exit log-odds per year of exit cost")
    exit_lag_months: int = spec(
        12, "months", 0, 60, "time between the exit decision and the exit taking effect")
    continue_logit: float = spec(
        0.0, "log-odds", -10.0, 10.0, "log-odds that the rest go on when the largest payer "
        "leaves")
    continue_value_slope: float = spec(
        4.0, "log-odds/value", 0.0, 30.0, "rise of those log-odds per unit of the rest's "
        "mean smoothed value")
    dissolution_value_threshold: float = spec(
        -0.15, "value", -2.0, 0.0, "the members dissolve in a decision window when every "
        "one judges the arrangement below this smoothed value")
    dissolution_lag_months: int = spec(
        12, "months", 0, 60, "time between a dissolution decision and the end (ontvlechting)")
    merger_initiative_logit: float = spec(
        -4.0, "log-odds", -15.0, 5.0, "log-odds of a merger initiative in a general decision "
        "window (November budget, after an election) at neutral conditions")
    merger_initiative_preference_slope: float = spec(
        6.0, "log-odds/unit", 0.0, 30.0, "effect of the mean merger wish on an initiative")
    merger_initiative_trust_slope: float = spec(
        3.0, "log-odds/unit", 0.0, 30.0, "effect of trust between the members on an "
        "initiative")
    merger_initiative_maturity_slope: float = spec(
        2.0, "log-odds/unit", 0.0, 30.0, "effect of integration maturity on an initiative")
    merger_initiative_pressure_slope: float = spec(
        4.0, "log-odds/unit", 0.0, 30.0, "effect of provincial pressure on an initiative")
    merger_preference_step_design: float = spec(
        0.35, "[0,1]", 0.0, 1.0, "extra merger wish when the arrangement was designed as a "
        "step to merger")
    merger_vote_logit: float = spec(
        0.0, "log-odds", -10.0, 10.0, "log-odds of a yes vote in a council at neutral "
        "conditions")
    merger_vote_preference_slope: float = spec(
        5.0, "log-odds/unit", 0.0, 30.0, "effect of the council's merger wish on its vote")
    merger_vote_scepticism_slope: float = spec(
        2.0, "log-odds/unit", 0.0, 30.0, "effect of council scepticism against the merger")
    merger_vote_autonomy_slope: float = spec(
        2.0, "log-odds/unit", 0.0, 30.0, "effect of autonomy preference against the merger")
    merger_vote_smallness_slope: float = spec(
        1.5, "log-odds/unit", 0.0, 30.0, "effect of being the smaller partner against the "
        "merger (fear of absorption, Strebel 2019)")
    merger_lag_months: int = spec(
        24, "months", 0, 60, "time between an approved merger and the herindeling")
    frustration_per_blocked_merger: float = spec(
        0.3, "[0,1]", 0.0, 1.0, "frustration of the initiators when a merger is blocked")
    frustration_decay_per_month: float = spec(
        0.02, "1/month", 0.0, 1.0, "rate at which frustration fades")

    def with_overrides(self, **overrides: Any) -> Behaviour:
        return dataclasses.replace(self, **overrides)


BEHAVIOUR_NAMES = tuple(field_specs(Behaviour))


@dataclass(frozen=True)
class RunSettings:
    """How many replications, over how long, from which seed."""

    replications: int = spec(1000, "replications", 1, 10_000_000, "number of replications")
    horizon_years: float = spec(20.0, "years", 0.1, 200.0, "simulated time from the start")
    seed: int = spec(20231031, "integer", 0, 2**63 - 1, "root of all random streams")

    @property
    def horizon_months(self) -> int:
        return round(self.horizon_years * 12)


@dataclass(frozen=True)
class Scenario:
    """A resolved scenario: one arrangement (or a population), its design, and run settings."""

    name: str
    description: str
    levers: Levers
    behaviour: Behaviour
    run: RunSettings
    case: Case | None = None
    sample: PopulationSample | None = None
    timeline: tuple[GovernanceChange, ...] = ()

    @property
    def max_members(self) -> int:
        return len(self.case.members) if self.case is not None else self.sample.max_members

    @property
    def member_names(self) -> list[str]:
        """Names of the member slots: the case's municipalities, or numbered slots for a
        sampled population."""
        if self.case is not None:
            return [m.name for m in self.case.members]
        return [f"member_{i + 1}" for i in range(self.max_members)]
