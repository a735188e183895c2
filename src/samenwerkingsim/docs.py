"""The parameter reference, generated from the metadata of the parameter dataclasses.

``docs/parameters.md`` is the output of :func:`parameter_reference_markdown`; a test checks that
the file and the generator agree. Regenerate it with::

    python -m samenwerkingsim.docs > docs/parameters.md

Units, ranges and descriptions come from :mod:`samenwerkingsim.model.params` (the ``spec``
metadata of each field). The few fields that carry no metadata there (names, dates, the
agenda profile, the director's competence range, the fields of
:class:`~samenwerkingsim.model.params.PopulationSample`) are described in this module instead.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .model.params import (
    AGENDA_DIMENSIONS,
    ARRANGEMENTS,
    BEHAVIOUR_NAMES,
    CALIBRATED_DEFAULTS,
    COST_KEYS,
    PORTFOLIOS,
    Behaviour,
    Case,
    Levers,
    Member,
    PopulationSample,
    RunSettings,
)
from .scenarios import MAX_MEMBERS, MIN_MEMBERS, YEARS

__all__ = ["BEHAVIOUR_GROUPS", "parameter_reference_markdown"]

#: The comment sections of :class:`~samenwerkingsim.params.Behaviour`, each named by its first
#: field; a group runs until the first field of the next one.
BEHAVIOUR_GROUPS = (
    ("wethouder_replacement_at_election", "Calendar and shocks"),
    ("maturity_growth_per_month", "The organisation works"),
    ("meeting_success_logit", "Meetings and trust (success factors 1 and 3)"),
    ("ownership_gain_per_month", "Ownership (success factor 2)"),
    ("quality_benefit_weight", "Appraisal (success factor 4)"),
    ("commitment_years", "Decisions: exit, dissolution, merger"),
)

# (unit, range, description) of fields that have no ``spec`` metadata in params.py; metadata,
# once added there, takes precedence.
_WITHOUT_METADATA = {
    (Member, "name"): ("text", "", "name of the municipality"),
    (Member, "agenda"): (
        "[0,1] per dimension", "[0.0, 1.0]",
        "profile of challenges (opgaven) on the dimensions "
        f"{', '.join(AGENDA_DIMENSIONS)}; in a scenario file a table "
        "`{ social = ..., spatial = ..., economic = ... }`"),
    (Case, "members"): ("members", f"{MIN_MEMBERS} to {MAX_MEMBERS} members",
                        "the member municipalities, `[[case.members]]` in a scenario file"),
    (Case, "start_year"): ("year", f"[{YEARS[0]}, {YEARS[1]}]",
                           "year the shared organisation started; scenario key `start = "
                           "\"YYYY-MM\"`"),
    (Case, "start_month"): ("month", "[1, 12]",
                            "month the shared organisation started; part of `start`"),
}

# [sample] key in a scenario file and description of each PopulationSample field
_SAMPLE_FIELDS = {
    "n_members_weights": ("n_members", "relative weights of the number of members"),
    "arrangement_weights": ("arrangement", "relative weights of werkorganisatie and "
                                           "centrumgemeente"),
    "start_year_weights": ("start_year", "relative weights of the start year (the start month "
                                         "is drawn uniformly)"),
    "p_designed_as_step_to_merger": ("p_designed_as_step_to_merger",
                                     "probability that an arrangement is designed as a step "
                                     "to merger"),
    "size_ratio_median": ("size_ratio.median", "median population ratio of the largest to the "
                                               "smallest member (log-uniform on each side)"),
    "size_ratio_range": ("size_ratio.low, size_ratio.high", "smallest and largest population "
                                                            "ratio of largest to smallest member"),
    "largest_population": ("largest_population", "population of the largest member, uniform "
                                                 "(inhabitants)"),
    "agenda_spread": ("agenda_spread", "half-width of the members' agenda deviations around a "
                                       "common centre, uniform"),
    "autonomy_preference": ("autonomy_preference", "autonomy preference of each member, "
                                                   "uniform"),
    "control_demand": ("control_demand", "control demand of each member's council, uniform"),
    "merger_preference": ("merger_preference", "merger wish of each member, uniform"),
    "council_scepticism": ("council_scepticism", "council scepticism of each member, uniform"),
    "provincial_merger_pressure": ("provincial_merger_pressure", "pressure from the province "
                                                                 "towards a herindeling, "
                                                                 "uniform"),
    "prior_cooperation_years": ("prior_cooperation_years", "years of cooperation before the "
                                                           "start, uniform"),
    "culture_build_new": ("culture_build_new", "lever culture_build_new, uniform"),
    "joint_meetings_per_month": ("joint_meetings_per_month", "lever joint_meetings_per_month, "
                                                             "uniform"),
    "scope_back_office": ("scope_back_office", "lever scope_back_office, uniform"),
    "scope_policy": ("scope_policy", "lever scope_policy, uniform"),
    "p_has_committees": ("p_has_committees", "probability of lever has_committees"),
    "p_chairs_in_db": ("p_chairs_in_db", "probability of lever chairs_in_db (acts only with "
                                         "committees)"),
    "p_separate_director": ("p_separate_director", "probability of lever separate_director "
                                                   "(never in a centrumgemeente)"),
}


def _format_value(value: Any) -> str:
    """A default or bound as it would be written in a scenario file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple):
        return "[" + ", ".join(_format_value(v) for v in value) + "]"
    return repr(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        return f"`{_format_value(f.default)}`"
    if f.default_factory is not dataclasses.MISSING:
        return f"`{_format_value(f.default_factory())}`"
    return "required"


def _prior(f: dataclasses.Field) -> str:
    prior = f.metadata.get("prior")
    if prior is None:
        raise ValueError(f"Behaviour.{f.name} has no prior: give it prior=... in params.py")
    if prior.kind == "fixed":
        return f"fixed at the default: {prior.source}"
    return (f"{prior.kind} [{_format_value(prior.low)}, {_format_value(prior.high)}]: "
            f"{prior.source}")


def _row(cls: type, f: dataclasses.Field) -> str:
    meta = f.metadata
    if "unit" in meta:
        unit, doc = meta["unit"], meta["doc"]
        if meta.get("choices"):
            allowed = ", ".join(_format_value(c) for c in meta["choices"])
        elif meta.get("low") is not None or meta.get("high") is not None:
            allowed = f"[{_format_value(meta['low'])}, {_format_value(meta['high'])}]"
        else:
            allowed = ""
    elif (cls, f.name) in _WITHOUT_METADATA:
        unit, allowed, doc = _WITHOUT_METADATA[(cls, f.name)]
    else:
        raise ValueError(f"{cls.__name__}.{f.name} has no documentation: give it spec(...) "
                         "metadata in params.py")
    cells = (f"`{f.name}`", unit, allowed, _default(f), doc)
    if cls is Behaviour:
        cells = (*cells[:4], _prior(f), doc)
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


_HEADER = ("| name | unit | range | default | description |\n"
           "| --- | --- | --- | --- | --- |")
_BEHAVIOUR_HEADER = ("| name | unit | range | default | prior (distribution, range: why) | "
                     "description |\n| --- | --- | --- | --- | --- | --- |")


def _table(cls: type, fields: list[dataclasses.Field] | None = None) -> str:
    fields = dataclasses.fields(cls) if fields is None else fields
    header = _BEHAVIOUR_HEADER if cls is Behaviour else _HEADER
    return "\n".join([header, *(_row(cls, f) for f in fields)])


def _behaviour_groups() -> list[tuple[str, list[dataclasses.Field]]]:
    fields = list(dataclasses.fields(Behaviour))
    names = [f.name for f in fields]
    starts = []
    for first, title in BEHAVIOUR_GROUPS:
        if first not in names:
            raise ValueError(f"Behaviour has no field {first!r} to start the group {title!r}; "
                             "update BEHAVIOUR_GROUPS in samenwerkingsim/docs.py")
        starts.append(names.index(first))
    if starts[0] != 0 or starts != sorted(starts):
        raise ValueError("BEHAVIOUR_GROUPS must start at the first field of Behaviour and "
                         "follow the order of its fields")
    ends = [*starts[1:], len(fields)]
    return [(title, fields[start:end])
            for (_, title), start, end in zip(BEHAVIOUR_GROUPS, starts, ends, strict=True)]


def _sample_table() -> str:
    lines = ["| name | scenario key in `[sample]` | default | description |",
             "| --- | --- | --- | --- |"]
    for f in dataclasses.fields(PopulationSample):
        if f.name not in _SAMPLE_FIELDS:
            raise ValueError(f"PopulationSample.{f.name} has no description; add it to "
                             "_SAMPLE_FIELDS in samenwerkingsim/docs.py")
        key, doc = _SAMPLE_FIELDS[f.name]
        cells = (f"`{f.name}`", f"`{key}`", _default(f), doc)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def _calibrated_defaults() -> list[str]:
    """Where the calibrated defaults come from, and each one against its prior and posterior."""
    from .experiments.draws import load_posterior

    c = CALIBRATED_DEFAULTS
    if not c.calibrated:
        return ["The defaults are not calibrated."]
    posterior = load_posterior()
    fields = {f.name: f for f in dataclasses.fields(Behaviour)}
    lines = [
        f"The defaults of the {len(c.calibrated)} parameters below are the chosen point of the "
        f"calibration `{c.file}` (file SHA-256 `{c.file_sha256[:16]}`, run fingerprint "
        f"`{c.fingerprint}`, {c.date}, samenwerkingsim {c.version}; report: "
        f"[{c.report}]({c.report.removeprefix('docs/')})). "
        "Its screening kept them as the most influential on the targets; every other "
        "behavioural parameter stays at the default set by hand from its source. The "
        "posterior (`src/samenwerkingsim/data/posterior.csv`, what `--posterior` draws from) "
        "is summarised by its median and 95% interval.",
        "",
        "| name | unit | prior | posterior median [95%] | default (chosen point) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in c.calibrated:
        f = fields[name]
        prior = f.metadata["prior"]
        values = posterior.values[:, posterior.names.index(name)]
        low, mid, high = np.percentile(values, [2.5, 50, 97.5])
        cells = (f"`{name}`", f.metadata["unit"],
                 f"{prior.kind} [{_format_value(prior.low)}, {_format_value(prior.high)}]",
                 f"{mid:.3g} [{low:.3g}, {high:.3g}]", _default(f))
        lines.append("| " + " | ".join(_cell(x) for x in cells) + " |")
    return lines


def parameter_reference_markdown() -> str:
    """The parameter reference (``docs/parameters.md``) as Markdown.

    One table per parameter class of :mod:`samenwerkingsim.model.params`, with each field's name,
    unit, allowed range, default and one line of documentation; the behavioural parameters are
    grouped by the process they belong to (:data:`BEHAVIOUR_GROUPS`).
    """
    parts = [
        "# Parameter reference",
        "",
        "Generated from the metadata in `src/samenwerkingsim/model/params.py` by "
        "`samenwerkingsim.docs.parameter_reference_markdown`; do not edit by hand. Regenerate "
        "with:",
        "",
        "```",
        "python -m samenwerkingsim.docs > docs/parameters.md",
        "```",
        "",
        "Parameters come in three kinds, kept apart (DESIGN.md section 4): levers (the "
        "governance design), case data (facts about an arrangement) and behavioural parameters "
        "(uncertain, one set for every scenario). Scenario files use the names below as keys "
        "(`[levers]`, `[case]`, `[[case.members]]`, `[sample]`, `[behaviour]`, `[run]`); a "
        "value outside its range is an error. How each parameter enters the model is described "
        "in `docs/ODD.md`.",
        "",
        f"Fixed vocabularies: portfolios {', '.join(PORTFOLIOS)}; agenda dimensions "
        f"{', '.join(AGENDA_DIMENSIONS)}; arrangements {', '.join(ARRANGEMENTS)}; cost keys "
        f"{', '.join(COST_KEYS)}.",
        "",
        "## Levers (`[levers]`)",
        "",
        Levers.__doc__.strip() + " Levers may change over time through a governance timeline "
        "(`[[levers.timeline]]` entries with a `date = \"YYYY-MM\"` and the levers that change).",
        "",
        _table(Levers),
        "",
        "## Case data",
        "",
        "### Member municipality (`[[case.members]]`)",
        "",
        _table(Member),
        "",
        "### Arrangement (`[case]`)",
        "",
        _table(Case),
        "",
        "## Population of arrangements (`[sample]`)",
        "",
        "Instead of a `[case]`, a scenario can describe a population of arrangements (the "
        "national ensemble); one arrangement is drawn per replication. Weights are relative "
        "counts; pairs are the bounds `[low, high]` of a uniform draw; `p_...` are "
        "probabilities. In a `[sample]` scenario the levers drawn here may not be set in "
        "`[levers]`.",
        "",
        _sample_table(),
        "",
        "## Behavioural parameters (`[behaviour]`)",
        "",
        Behaviour.__doc__.strip() + " The range is what a scenario file may set; the prior is "
        "what the calibration assumes before seeing the targets (a parameter with a fixed prior "
        "is not calibrated). Priors are uniform, or log-uniform for rates whose order of "
        "magnitude is uncertain.",
        "",
        f"{len(BEHAVIOUR_NAMES)} behavioural parameters, "
        f"{sum(f.metadata['prior'].kind != 'fixed' for f in dataclasses.fields(Behaviour))} "
        "with a prior to calibrate.",
        "",
        "### Calibrated defaults",
        "",
        *_calibrated_defaults(),
    ]
    for title, fields in _behaviour_groups():
        parts += ["", f"### {title}", "", _table(Behaviour, fields)]
    parts += [
        "",
        "## Run settings (`[run]`)",
        "",
        _table(RunSettings),
        "",
    ]
    return "\n".join(parts)


if __name__ == "__main__":
    print(parameter_reference_markdown(), end="")
