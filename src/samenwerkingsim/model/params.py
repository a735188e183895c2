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
import math
from dataclasses import dataclass, field
from typing import Any

PORTFOLIOS = ("bedrijfsvoering", "sociaal_domein", "fysiek_domein")
AGENDA_DIMENSIONS = ("social", "spatial", "economic")
ARRANGEMENTS = ("werkorganisatie", "centrumgemeente")
COST_KEYS = ("population", "equal")
MIN_MEMBERS, MAX_MEMBERS = 2, 8  # members of an arrangement


PRIOR_KINDS = ("uniform", "loguniform", "fixed")


@dataclass(frozen=True)
class Prior:
    """What is known of a behavioural parameter before calibration: a distribution over a
    range, and where the range comes from.

    ``uniform`` and ``loguniform`` spread the prior over ``[low, high]`` (log-uniform for
    rates whose order of magnitude is uncertain); ``fixed`` marks a parameter that the
    calibration keeps at its default (a fact from the evidence, or a convention).
    """

    kind: str
    low: float
    high: float
    source: str

    def __post_init__(self):
        if self.kind not in PRIOR_KINDS:
            raise ValueError(f"prior kind {self.kind!r} is not one of {PRIOR_KINDS}")
        if not self.low <= self.high or (self.kind == "loguniform" and self.low <= 0):
            raise ValueError(f"prior range [{self.low}, {self.high}] is not valid for "
                             f"{self.kind}")


def uniform(low: float, high: float, source: str) -> Prior:
    return Prior("uniform", low, high, source)


def loguniform(low: float, high: float, source: str) -> Prior:
    return Prior("loguniform", low, high, source)


def fixed(source: str) -> Prior:
    return Prior("fixed", 0.0, 0.0, source)


def spec(default: Any, unit: str, low: Any = None, high: Any = None, doc: str = "",
         choices: tuple | None = None, prior: Prior | None = None, pathway: str = "") -> Any:
    """A dataclass field with its unit, range, one line of documentation and, for a
    behavioural parameter, its prior; for a lever, the rules through which it acts."""
    meta = {"unit": unit, "low": low, "high": high, "doc": doc, "choices": choices,
            "prior": prior, "pathway": pathway}
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

    has_committees: bool = spec(
        False, "bool", doc="bestuurscommissies of portfolio holders from all members advise "
        "the Dagelijks Bestuur, one per portfolio",
        pathway="meetings (rules.meetings_per_month: a committee meeting per portfolio) -> "
        "trust; participation (rules.participation: committee seats) -> ownership -> autonomy "
        "and imposition costs, exit")
    chairs_in_db: bool = spec(
        False, "bool", doc="committee chairs sit in the Dagelijks Bestuur (only acts together "
        "with has_committees)",
        pathway="meetings (rules.meetings_per_month: every portfolio holder at the DB) -> "
        "trust; participation (rules.chair_share) -> ownership")
    separate_director: bool = spec(
        False, "bool", doc="a general director who is not one of the gemeentesecretarissen",
        pathway="the director drawn (engine.draw_director): less bias, more effort -> meeting "
        "success (rules.meeting_success_probability) and felt imposition "
        "(rules.felt_imposition); coordination cost relief (rules.coordination_cost)")
    joint_meetings_per_month: float = spec(
        0.0, "meetings/month", 0.0, 5.0, "joint portfolio-holder meetings of all colleges "
        "(weekly = 4.3)",
        pathway="meetings (rules.meetings_per_month) -> personal and municipal trust "
        "(rules.update_personal_trust); participation (rules.participation) -> ownership")
    scope_back_office: float = spec(
        1.0, "share", 0.0, 1.0, "share of back-office tasks (ICT, finance, HR) done by the "
        "shared organisation",
        pathway="task scope (rules.task_scope) -> benefits (rules.membership_benefit), "
        "incident cost, merger support (ex-post interdependence)")
    scope_policy: float = spec(
        0.5, "share", 0.0, 1.0, "share of policy and execution tasks done by the shared "
        "organisation",
        pathway="task scope -> benefits; autonomy cost (rules.autonomy_cost); burden of "
        "joint operation (rules.accumulate_burden)")
    culture_build_new: float = spec(
        0.5, "[0,1]", 0.0, 1.0, "culture of building something new together (1) rather than "
        "a compromise of old organisations (0)",
        pathway="meeting success; participation (co-building); coordination friction; burden "
        "of joint operation (no compromise to accumulate)")
    cost_key: str = spec(
        "population", "choice", doc="how the contribution is shared: by population or in equal "
        "parts", choices=COST_KEYS,
        pathway="cost shares (rules.cost_shares) -> unfairness (rules.unfairness)")
    exit_cost_years: float = spec(
        3.0, "years of contribution", 0.0, 10.0, "uittreedsom a leaving member pays",
        pathway="exit probability (rules.exit_probability)")
    designed_as_step_to_merger: bool = spec(
        False, "bool", doc="set up explicitly as a stepping stone towards a herindeling",
        pathway="starting merger support (step_design_support) and a planned merger vote "
        "after step_design_years (engine.consider_merger)")


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
    provincial_merger_pressure: tuple[float, float] = (0.0, 0.4)
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
    """Behavioural parameters: uncertain, one set for every scenario, each with a default, a
    validation range and a prior (distribution, range and the reason for it)."""

    # calendar and shocks
    wethouder_replacement_at_election: float = spec(
        0.6, "probability", 0.0, 1.0, "chance a wethouder is replaced at a municipal election",
        prior=uniform(0.45, 0.75, "about half to two thirds of Dutch wethouders do not return "
                      "after a municipal election (assumption from election reporting)"))
    early_departure_per_month: float = spec(
        0.012, "1/month", 0.0, 0.05, "chance a wethouder leaves between elections",
        prior=uniform(0.006, 0.018, "DESIGN.md: about 1.2% a month; half to one and a half "
                      "times that"))
    breach_share_of_departures: float = spec(
        0.5, "share", 0.0, 1.0, "share of early departures that are political breaches",
        prior=uniform(0.3, 0.7, "DESIGN.md: half of the early departures"))
    breach_scepticism_jump: float = spec(
        0.1, "[0,1]", 0.0, 0.5, "rise in council scepticism after a political breach",
        prior=uniform(0.05, 0.2, "assumption: a breach shifts a council's attitude noticeably "
                      "but less than an election can"))
    election_attitude_shift: float = spec(
        0.1, "[0,1]", 0.0, 0.5, "half-width of the random shift of a council's scepticism, "
        "autonomy preference and merger support at an election (a new council)",
        prior=uniform(0.05, 0.2, "assumption: a new council is a new mix of parties, not a "
                      "new population"))
    scepticism_value_pull: float = spec(
        0.15, "[0,1]", 0.0, 1.0, "how far an election moves scepticism towards the council's "
        "experience (negative value raises it)",
        prior=uniform(0.05, 0.3, "assumption: experience with the shared organisation is one "
                      "campaign theme among several"))
    agenda_drift_at_election: float = spec(
        0.05, "[0,1]", 0.0, 0.3, "half-width of the random shift of each agenda dimension of "
        "a member at an election (new coalition priorities)",
        prior=uniform(0.0, 0.1, "assumption: challenges (opgaven) change slowly; a coalition "
                      "agreement reorders priorities a little"))
    incident_rate_per_month: float = spec(
        0.0490111, "incidents/month", 0.0, 1.0, "incident rate of a new organisation with an "
        "incompetent director",
        prior=loguniform(0.03, 0.2, "assumption: a serious cost overrun or service failure a "
                         "few times a year in a new shared organisation"))
    incident_reduction: float = spec(
        0.5, "share", 0.0, 1.0, "share of the incident rate that a fully competent director "
        "and a fully mature organisation remove together (each half)",
        prior=uniform(0.3, 0.8, "assumption: competence and routine prevent most but not all "
                      "incidents"))
    director_turnover_per_month: float = spec(
        0.0104, "1/month", 0.0, 0.1, "chance the director leaves (0.0104 = 8 years on average)",
        prior=uniform(0.007, 0.016, "assumption: directors of shared organisations stay five to "
                      "twelve years"))
    maturity_loss_on_director_change: float = spec(
        0.2, "share", 0.0, 1.0, "share of integration maturity lost when the director changes",
        prior=uniform(0.1, 0.4, "assumption: a new director reorganises part of what the last "
                      "one built"))
    director_competence_range: tuple[float, float] = spec(
        (0.4, 0.9), "[0,1] (low, high)", 0.0, 1.0, "competences of new directors are drawn "
        "uniformly from this range", prior=fixed("a scale: competence is only compared with "
                                                 "this range (its midpoint is the average)"))
    director_bias_combined_role: float = spec(
        0.5, "[0,1]", 0.0, 1.0, "mean bias towards the largest member of a director who is "
        "also a gemeentesecretaris (drawn uniformly on the widest interval around the mean "
        "inside [0, 1])",
        prior=uniform(0.3, 0.7, "the seed: a director who is one of the secretaries is seen "
                      "as the largest member's man"))
    director_bias_separate: float = spec(
        0.1, "[0,1]", 0.0, 1.0, "mean bias towards the largest member of a separate director",
        prior=uniform(0.0, 0.3, "the seed: the Kempengemeenten chose a director who is not "
                      "one of the secretaries to be independent"))
    director_effort_combined_role: float = spec(
        0.3, "[0,1]", 0.0, 1.0, "mean effort on the boards of a director who is also a "
        "gemeentesecretaris (drawn like the bias)",
        prior=uniform(0.1, 0.5, "assumption: a secretary's first loyalty is to the own "
                      "college"))
    director_effort_separate: float = spec(
        0.7, "[0,1]", 0.0, 1.0, "mean effort on the boards of a separate director",
        prior=uniform(0.5, 0.9, "the seed: the separate director and the six-directors "
                      "meeting prepare the boards' agenda together"))

    # the organisation works
    maturity_growth_per_month: float = spec(
        0.03, "1/month", 0.0, 0.5, "growth rate of integration maturity towards 1",
        prior=loguniform(0.015, 0.06, "DESIGN.md: maturity grows towards 1 over a few years"))
    maturity_per_prior_year: float = spec(
        0.04, "1/year", 0.0, 0.2, "rate at which prior cooperation builds maturity: "
        "1 - exp(-rate x years) at the start",
        prior=uniform(0.02, 0.08, "assumption: informal cooperation builds routines more "
                      "slowly than a joint organisation"))
    quality_half_population: float = spec(
        25000.0, "inhabitants", 1000.0, 500000.0, "population at which an organisation "
        "reaches half the attainable quality (small organisations are vulnerable)",
        prior=loguniform(10000.0, 60000.0, "assumption: municipalities under about 25,000 "
                         "inhabitants are called vulnerable in Dutch practice"))
    quality_adjustment_per_month: float = spec(
        0.1, "1/month", 0.0, 1.0, "speed at which quality follows its attainable level",
        prior=uniform(0.05, 0.2, "assumption: services follow the organisation within months"))
    transition_quality_dip: float = spec(
        0.2, "share", 0.0, 1.0, "share of attainable quality missing while the organisation "
        "is not yet integrated (maturity 0), recovered as maturity grows",
        prior=uniform(0.1, 0.3, "assumption: the transition costs quality for a few years "
                      "(a commonly reported dip after an ambtelijke fusie)"))
    competence_quality_effect: float = spec(
        0.2, "share/competence", 0.0, 1.0, "rise of attainable quality per unit of director "
        "competence above the average new director",
        prior=uniform(0.1, 0.4, "assumption: the director matters, but less than scale"))
    incident_quality_penalty: float = spec(
        0.15, "quality/incident", 0.0, 1.0, "quality lost per unit of recent incident load",
        prior=uniform(0.05, 0.3, "assumption"))
    incident_memory_months: float = spec(
        8.6503, "months", 1.0, 60.0, "how long incidents weigh on the incident load",
        prior=uniform(3.0, 12.0, "assumption: an incident is remembered for about a budget "
                      "cycle"))

    # meetings and trust (success factors 1 and 3)
    meeting_success_logit: float = spec(
        -2.2, "log-odds", -10.0, 10.0, "log-odds that a meeting succeeds with nothing going "
        "for it (no similarity, no build-new culture, no trust, no director's effort)",
        prior=uniform(-3.5, -1.0, "chosen so that a meeting of similar members with an "
                      "average culture and some trust succeeds most of the time, and one of "
                      "divergent members with a compromise culture about half the time"))
    meeting_similarity_effect: float = spec(
        3.10341, "log-odds/unit", 0.0, 10.0, "effect of agenda similarity on meeting success",
        prior=uniform(1.0, 5.0, "the seed: similar challenges are a success factor"))
    meeting_culture_effect: float = spec(
        1.5, "log-odds/unit", 0.0, 10.0, "effect of a build-new culture on meeting success",
        prior=uniform(0.5, 3.0, "the seed: building something new rather than compromising"))
    meeting_trust_effect: float = spec(
        1.0, "log-odds/unit", 0.0, 10.0, "effect of existing trust on meeting success "
        "(small wins, Ansell & Gash 2008)", prior=uniform(0.0, 2.0, "Ansell & Gash 2008"))
    meeting_effort_effect: float = spec(
        1.0, "log-odds/unit", 0.0, 10.0, "effect of the director's effort on the boards "
        "(preparing the agenda) on meeting success",
        prior=uniform(0.2, 2.0, "the seed: the six-directors meeting prepares the Dagelijks "
                      "Bestuur"))
    meeting_bias_effect: float = spec(
        2.0, "log-odds/unit", 0.0, 10.0, "effect of the director's bias, as felt in the pair, "
        "on meeting failure", prior=uniform(0.5, 4.0, "assumption"))
    meeting_stance_effect: float = spec(
        2.0, "log-odds/unit", 0.0, 10.0, "effect of differing stances on meeting failure",
        prior=uniform(0.5, 4.0, "assumption: a sceptical newcomer opposite a convinced one"))
    trust_gain_per_success: float = spec(
        0.03, "trust/meeting", 0.0, 0.5, "personal trust gained per successful meeting, "
        "times (1 - trust)", prior=loguniform(0.01, 0.08, "assumption: trust grows over "
                                              "years of meetings (Ansell & Gash 2008)"))
    trust_loss_per_failure: float = spec(
        0.06, "trust/meeting", 0.0, 0.5, "personal trust lost per failed meeting, times trust "
        "(negativity bias: larger than the gain)",
        prior=loguniform(0.02, 0.15, "negativity bias: trust is lost faster than it is built "
                         "(Slovic 1993)"))
    trust_decay_per_month: float = spec(
        0.00441039, "1/month", 0.0, 0.2, "share of personal trust lost each month without contact "
        "(so how often people meet sets the level of trust)",
        prior=loguniform(0.002, 0.03, "DESIGN.md: trust erodes slowly without contact; half "
                         "in two to thirty years"))
    municipal_trust_rate: float = spec(
        0.05, "1/month", 0.0, 1.0, "speed at which trust between municipalities follows "
        "personal trust", prior=uniform(0.02, 0.1, "Zaheer et al. 1998: organisational "
                                        "trust follows personal trust slowly"))
    initial_trust: float = spec(
        0.45, "[0,1]", 0.0, 1.0, "trust between municipalities at the start without prior "
        "cooperation", prior=uniform(0.3, 0.6, "assumption: neighbours that chose to share "
                                     "their staff start neither hostile nor close"))
    trust_per_prior_year: float = spec(
        0.02, "trust/year", 0.0, 0.1, "extra starting trust per year of prior cooperation",
        prior=uniform(0.0, 0.04, "assumption"))
    stance_adaptation_per_month: float = spec(
        0.03, "1/month", 0.0, 1.0, "speed at which a wethouder's stance follows the "
        "municipality's experience", prior=uniform(0.01, 0.06, "assumption"))
    stance_spread: float = spec(
        0.4, "[0,1]", 0.0, 1.0, "width of the stance of a new wethouder around the level "
        "the municipality's experience invites", prior=uniform(0.2, 0.6, "assumption"))

    # ownership (success factor 2)
    ownership_gain_per_month: float = spec(
        0.0630293, "1/month", 0.0, 0.5, "ownership gained per month at full participation",
        prior=uniform(0.02, 0.08, "assumption: eigenaarschap is built over a few years"))
    ownership_erosion_per_month: float = spec(
        0.04, "1/month", 0.0, 0.5, "ownership lost per month when all decisions feel imposed",
        prior=uniform(0.02, 0.08, "assumption: as fast as it is built"))
    ownership_turnover_loss: float = spec(
        0.3, "share", 0.0, 1.0, "share of a member's ownership lost when all its wethouders "
        "are replaced (a third of it per wethouder)",
        prior=uniform(0.1, 0.5, "assumption: ownership lives partly in the people who built "
                      "the organisation"))
    initial_ownership: float = spec(
        0.4, "[0,1]", 0.0, 1.0, "ownership at the start",
        prior=uniform(0.2, 0.6, "assumption: the councils chose to start, so some ownership"))
    imposition_by_bias: float = spec(
        0.6, "[0,1]", 0.0, 2.0, "felt imposition for smaller members per unit of director "
        "bias (relative to one unit per unit of missing participation)",
        prior=uniform(0.3, 1.0, "assumption"))
    imposition_centrumgemeente: float = spec(
        0.3, "[0,1]", 0.0, 2.0, "felt imposition for members whose staff work for a "
        "centrumgemeente (relative to one unit per unit of missing participation)",
        prior=uniform(0.1, 0.6, "assumption: the partner buys services from the host"))

    # appraisal (success factor 4)
    quality_benefit_weight: float = spec(
        2.0, "value/quality", 0.0, 10.0, "value of quality above what the municipality "
        "could reach alone", prior=uniform(1.0, 4.0, "the seed: quality is what the autonomy "
                                           "is given up for"))
    vulnerability_benefit_weight: float = spec(
        0.36773, "value/unit", 0.0, 10.0, "value of being less vulnerable (small members gain "
        "most)",
        prior=uniform(0.1, 1.0, "the seed: less vulnerability"))
    regional_benefit_weight: float = spec(
        0.664977, "value/unit", 0.0, 10.0, "value of more weight in the region",
        prior=uniform(0.1, 1.0, "the seed: more regional weight"))
    benefit_trust_discount: float = spec(
        0.527807, "share", 0.0, 1.0, "share of the benefits a member discounts when it does not "
        "trust the others at all (benefits seen through trust)",
        prior=uniform(0.2, 0.8, "DESIGN.md: benefits are seen through trust"))
    autonomy_cost_weight: float = spec(
        0.626931, "value/unit", 0.0, 10.0, "cost of autonomy given up: steering wish x policy "
        "scope x (1 - ownership)", prior=uniform(0.3, 1.5, "the seed: accepting the loss of "
                                                 "autonomy is a success factor"))
    imposition_cost_weight: float = spec(
        0.2, "value/unit", 0.0, 10.0, "cost of decisions that feel imposed: imposition x "
        "(1 - ownership)", prior=uniform(0.1, 0.8, "assumption: what an owner accepts, a "
                                         "non-owner resents"))
    coordination_cost_weight: float = spec(
        0.336067, "value/unit", 0.0, 10.0, "cost of coordinating with the other members",
        prior=uniform(0.05, 0.4, "assumption: transaction costs of joint decisions (Feiock "
                      "2013)"))
    separate_director_coordination_relief: float = spec(
        0.3, "share", 0.0, 1.0, "share of coordination cost a separate director takes away",
        prior=uniform(0.1, 0.5, "the seed: a director who is not one of the secretaries"))
    unfairness_weight: float = spec(
        0.4, "value/share", 0.0, 10.0, "cost of paying a larger share than the share of "
        "benefit received", prior=uniform(0.1, 1.0, "assumption"))
    incident_cost_weight: float = spec(
        0.15, "value/incident", 0.0, 10.0, "cost of the recent incident load",
        prior=uniform(0.05, 0.4, "assumption"))
    burden_cost_weight: float = spec(
        2.5, "value/unit", 0.0, 10.0, "cost of the accumulated burden of joint operation: "
        "the compromises that divergent challenges force on a policy scope",
        prior=uniform(1.0, 5.0, "Elston, Rackwitz & Bel 2023: ex-post interdependence, vetoes, "
                      "compromises and delays accumulate"))
    burden_memory_years: float = spec(
        8.0, "years", 0.5, 40.0, "how long the burden of joint operation accumulates before "
        "it levels off", prior=uniform(4.0, 15.0, "the seed: dissatisfaction comes sooner or "
                                       "later; councils remember the compromises of years"))
    initial_expected_value: float = spec(
        0.2, "value", -2.0, 2.0, "the councils' expectation at the start, where their "
        "judgement begins (they chose to start)",
        prior=uniform(0.0, 0.5, "assumption: the councils expected a gain"))
    value_smoothing_months: float = spec(
        24.0, "months", 1.0, 60.0, "the council judges on about this much experience",
        prior=uniform(9.0, 36.0, "DESIGN.md: roughly a year of experience; councils judge a "
                      "transition on a longer horizon"))

    # decisions
    commitment_years: float = spec(
        2.6055, "years", 0.0, 20.0, "years after the start before any council reconsiders its "
        "membership (the first term of the regeling)",
        prior=uniform(2.0, 6.0, "assumption: councils commit for a period and judge the "
                      "transition afterwards; gemeenschappelijke regelingen often exclude an "
                      "exit in their first years"))
    exit_logit: float = spec(
        -7.20994, "log-odds", -20.0, 5.0, "log-odds of a member exit in a decision window with a "
        "neutral judgement, no scepticism, no exit cost and no ownership",
        prior=uniform(-9.0, -5.0, "assumption: a council that is not dissatisfied does not "
                      "leave"))
    exit_value_slope: float = spec(
        9.58698, "log-odds/value", 0.0, 30.0, "rise of the exit log-odds per unit of negative "
        "smoothed value", prior=uniform(4.0, 14.0, "assumption"))
    exit_scepticism_slope: float = spec(
        3.0, "log-odds/unit", 0.0, 20.0, "rise of the exit log-odds per unit of council "
        "scepticism", prior=uniform(1.0, 5.0, "assumption"))
    exit_cost_slope: float = spec(
        0.3, "log-odds/year", 0.0, 5.0, "fall of the exit log-odds per year of exit cost",
        prior=uniform(0.1, 0.6, "assumption: a three-year uittreedsom deters, it does not "
                      "prevent"))
    exit_ownership_slope: float = spec(
        1.80607, "log-odds/unit", 0.0, 20.0, "fall of the exit log-odds per unit of ownership: an "
        "owner voices concerns rather than leaves",
        prior=uniform(0.5, 4.0, "Hirschman 1970: loyalty turns exit into voice"))
    dissolution_value_threshold: float = spec(
        -0.392346, "value", -2.0, 0.0, "the members dissolve in a decision window when every "
        "one judges the arrangement below this smoothed value; when the largest payer leaves, "
        "the rest go on if they judge it above it on average",
        prior=uniform(-0.4, 0.0, "DESIGN.md: all members value it below zero"))
    merger_support_rate: float = spec(
        0.02, "1/month", 0.0, 1.0, "speed at which a council's merger support moves towards "
        "the level its situation invites", prior=loguniform(0.01, 0.05, "assumption: "
                                                            "positions shift within a council "
                                                            "term or two"))
    merger_support_interdependence: float = spec(
        0.15, "support", 0.0, 1.0, "rise of the merger support a council settles at, in a "
        "fully integrated organisation that shares every task",
        prior=uniform(0.0, 0.3, "Elston, Rackwitz & Bel 2023: integration makes a merger "
                      "the next step"))
    merger_support_pressure: float = spec(
        0.15, "support", 0.0, 1.0, "rise of the merger support a council settles at under "
        "full provincial or fiscal pressure",
        prior=uniform(0.0, 0.3, "Strebel 2019: fiscal and outside pressure move councils "
                      "towards a merger"))
    merger_support_alternative: float = spec(
        0.3, "support/value", 0.0, 2.0, "fall of the merger support a council settles at per "
        "unit of positive smoothed value: a shared organisation that works is the "
        "alternative to a merger", prior=uniform(0.0, 0.6, "the seed: Noaberkracht stays "
                                                 "stable without the merger"))
    merger_initiative_logit: float = spec(
        -5.68746, "log-odds", -20.0, 5.0, "log-odds of a merger initiative in a general decision "
        "window with no support, no trust", prior=uniform(-8.0, -4.0, "assumption"))
    merger_initiative_support_slope: float = spec(
        6.0, "log-odds/unit", 0.0, 30.0, "effect of the councils' mean merger support on an "
        "initiative", prior=uniform(3.0, 10.0, "assumption"))
    merger_initiative_trust_slope: float = spec(
        2.0, "log-odds/unit", 0.0, 30.0, "effect of trust between the members on an "
        "initiative (trust makes a merger conceivable)", prior=uniform(0.0, 4.0, "assumption"))
    step_design_years: float = spec(
        4.0, "years", 0.0, 20.0, "years after the start at which an arrangement designed as a "
        "step to merger puts the merger to the councils (and before which no one proposes "
        "it)",
        prior=uniform(2.0, 8.0, "assumption: about one council term"))
    step_design_support: float = spec(
        0.35, "[0,1]", 0.0, 1.0, "extra merger support of the councils of an arrangement "
        "designed as a step to merger", prior=uniform(0.2, 0.5, "assumption: the councils "
                                                      "agreed on the goal"))
    merger_vote_logit: float = spec(
        -2.0, "log-odds", -20.0, 10.0, "log-odds of a yes in a council with no merger support, "
        "no autonomy preference or scepticism, and no fear of absorption",
        prior=uniform(-4.0, 0.0, "assumption"))
    merger_vote_support_slope: float = spec(
        7.56893, "log-odds/unit", 0.0, 30.0, "effect of the council's merger support on its vote",
        prior=uniform(3.0, 10.0, "assumption"))
    merger_vote_identity_slope: float = spec(
        2.0, "log-odds/unit", 0.0, 30.0, "effect against the merger of the council's identity "
        "concerns: the mean of its autonomy preference and scepticism",
        prior=uniform(0.5, 4.0, "Strebel 2019: identity and autonomy concerns defeat merger "
                      "votes"))
    merger_vote_absorption_slope: float = spec(
        1.5, "log-odds/unit", 0.0, 30.0, "effect against the merger of being dwarfed by the "
        "largest member (fear of absorption)", prior=uniform(0.5, 3.0, "Strebel 2019"))
    frustration_per_blocked_merger: float = spec(
        0.3, "value", 0.0, 5.0, "value the councils that voted yes lose when a merger is "
        "blocked (fading)", prior=uniform(0.1, 0.6, "assumption"))
    frustration_decay_per_month: float = spec(
        0.02, "1/month", 0.0, 1.0, "rate at which frustration fades",
        prior=uniform(0.01, 0.05, "assumption: a blocked merger is not forgotten within a "
                      "council term"))

    def with_overrides(self, **overrides: Any) -> Behaviour:
        return dataclasses.replace(self, **overrides)


BEHAVIOUR_NAMES = tuple(field_specs(Behaviour))


@dataclass(frozen=True)
class CalibrationProvenance:
    """Where the defaults of the calibrated behavioural parameters come from: the chosen point
    of one calibration run (its report is ``report``)."""

    file: str          # the calibration file, relative to the repository
    file_sha256: str   # of that file's text when it ran
    fingerprint: str   # the run's fingerprint (the file and its resolved scenarios)
    date: str
    version: str       # of samenwerkingsim
    report: str
    calibrated: tuple[str, ...]  # the parameters it estimated; the rest keep their defaults


#: The calibration that set the defaults of :class:`Behaviour` named in ``calibrated``.
CALIBRATED_DEFAULTS = CalibrationProvenance(
    file="experiments/calibration.toml",
    file_sha256="c00a2de5dffd9d8ee63c5438664218562ca2489b97bab7ffe77a2e18f2c5c3af",
    fingerprint="75bd02e344f150ff", date="2026-12-01", version="0.1.0",
    report="docs/calibration/report.md",
    calibrated=(
        "commitment_years",
        "exit_value_slope",
        "merger_initiative_logit",
        "incident_rate_per_month",
        "meeting_similarity_effect",
        "dissolution_value_threshold",
        "regional_benefit_weight",
        "incident_memory_months",
        "benefit_trust_discount",
        "vulnerability_benefit_weight",
        "merger_vote_support_slope",
        "exit_logit",
        "trust_decay_per_month",
        "ownership_gain_per_month",
        "exit_ownership_slope",
        "coordination_cost_weight",
        "autonomy_cost_weight",
    ))


@dataclass(frozen=True)
class RunSettings:
    """How many replications, over how long, from which seed."""

    replications: int = spec(1000, "replications", 1, 10_000_000, "number of replications")
    horizon_years: float = spec(20.0, "years", 0.1, 200.0, "simulated time from the start")
    seed: int = spec(20231031, "integer", 0, 2**63 - 1, "root of all random streams")

    @property
    def horizon_months(self) -> int:
        # halves rounded up, as every other count of months (rules.in_months)
        return math.floor(12.0 * self.horizon_years + 0.5)


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
