"""Scenario files: TOML -> :class:`~samenwerkingsim.params.Scenario`, with strict, friendly errors.

A scenario file describes one arrangement (``[case]``) or a population of arrangements to sample
from (``[sample]``, the national ensemble), its governance design (``[levers]``, optionally with
a dated ``[[levers.timeline]]``), optional overrides of behavioural parameters (``[behaviour]``)
and the run settings (``[run]``)::

    schema_version = 1
    name = "kempengemeenten"

    [case]
    start = "2010-01"
    arrangement = "werkorganisatie"

    [[case.members]]
    name = "Bergeijk"
    population = 18500
    agenda = { social = 0.6, spatial = 0.5, economic = 0.5 }

    [levers]
    has_committees = true

    [[levers.timeline]]
    date = "2017-01"
    separate_director = true

    [run]
    horizon_years = 40

Every value is checked against the unit and range documented in :mod:`samenwerkingsim.model.params`.
The loader does not stop at the first problem: :class:`ScenarioError` lists every problem in
the file, each naming the file, the dotted key (``case.members[2].population``), the value found
and what is allowed, with "did you mean ...?" for misspelt keys (DESIGN.md section 4).

The command line composes the steps so that ``--set key=value`` overrides are validated exactly
like values in the file::

    sets = ["levers.has_committees=true", "run.replications=200"]
    data = apply_overrides(read_scenario_data(path), sets, source=str(path))
    scenario = parse_scenario(data, source=str(path), overrides=sets)

Passing the same ``sets`` as ``overrides=`` makes a problem in an overridden value say that
it came from ``--set``, not from the file. :func:`load_scenario` does the same without
overrides. A valid scenario with something that has no effect, such as a governance change
after the end of the run, loads with a :class:`ScenarioWarning`. :func:`scenario_to_dict`
gives the resolved scenario (every default filled in) in the same format, for manifests, and
:func:`scenario_hash` a short fingerprint of it.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
import warnings
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from ..model.params import (
    AGENDA_DIMENSIONS,
    ARRANGEMENTS,
    LEVER_NAMES,
    MAX_MEMBERS,
    MIN_MEMBERS,
    Behaviour,
    Case,
    GovernanceChange,
    Levers,
    Member,
    PopulationSample,
    RunSettings,
    Scenario,
)
from .errors import (
    Collector,
    Problem,
    ScenarioError,
    ScenarioWarning,
    did_you_mean,
    join_key,
    reject_unknown,
)
from .overrides import blame_overrides, from_override, override_notes
from .schema import (
    BEHAVIOUR_KEYS,
    BEHAVIOUR_SPECS,
    CASE_KEYS,
    CASE_SPECS,
    LEVER_SPECS,
    MEMBER_KEYS,
    MEMBER_SPECS,
    RUN_SPECS,
    SAMPLE_KEYS,
    SAMPLE_PROBABILITIES,
    SAMPLE_RANGE_BOUNDS,
    SAMPLED_LEVERS,
    SCENARIO_NAME_FORBIDDEN,
    SCHEMA_VERSION,
    TOP_LEVEL_KEYS,
    YEARS,
)
from .values import (
    INVALID,
    check_header,
    check_name,
    digit_hint,
    documented_fields,
    expect_table,
    format_index,
    format_month,
    is_finite,
    is_number,
    is_valid_name,
    month_index,
    read_month,
    read_number,
    read_pair,
)


class _Dated(NamedTuple):
    """A governance change with the dotted key of its date, for messages about it."""

    key: str
    change: GovernanceChange



# --------------------------------------------------------------------------------------------
# Reading


def read_scenario_data(path: str | os.PathLike) -> dict:
    """The raw tables of a scenario file, before validation.

    Raises
    ------
    ScenarioError
        When the file is missing or unreadable, or is not valid TOML (with line and column).
    """
    return read_toml_file(path, ScenarioError)


def read_toml_file(path: str | os.PathLike, error: type[ScenarioError]) -> dict:
    """The tables of a TOML file, or ``error`` naming the file and why it cannot be read."""
    source = str(path)
    try:
        with open(path, "rb") as fp:
            return tomllib.load(fp)
    except FileNotFoundError:
        message = "file not found"
    except IsADirectoryError:
        message = f"is a directory, expected a {error.what} file (.toml)"
    except tomllib.TOMLDecodeError as err:
        message = f"malformed TOML: {err}"
    except UnicodeDecodeError as err:
        message = f"not UTF-8 text (byte {err.start}): is this a TOML file?"
    except ValueError as err:  # tomllib passes on int()'s limit of 4300 digits
        message = f"cannot read a number in the file: {err}"
    except RecursionError:  # tomllib reads nested arrays and inline tables recursively
        message = "arrays or tables are nested too deeply to read"
    except OSError as err:
        message = f"cannot read the file: {err.strerror or err}"
    raise error(source, [Problem("", message)])


def load_scenario(path: str | os.PathLike) -> Scenario:
    """Read and validate a scenario file.

    Raises
    ------
    ScenarioError
        Listing every problem in the file.
    """
    return parse_scenario(read_scenario_data(path), source=str(path))


def parse_scenario(data: Mapping, source: str, *, overrides: Iterable[str] = ()) -> Scenario:
    """Validate the raw tables of a scenario and resolve them into a :class:`Scenario`.

    Parameters
    ----------
    data : mapping
        The tables as read by :func:`read_scenario_data` (possibly after
        :func:`apply_overrides`), or as produced by :func:`scenario_to_dict`.
    source : str
        Where the data came from; every problem names it.
    overrides : iterable of str, optional
        The ``key=value`` overrides given to :func:`apply_overrides`, if any. A problem with a
        key that was overridden, or lies below one (``case.members[0]`` covers
        ``case.members[0].population``), ends in "(from --set key=value)" so that it is not
        blamed on the file.

    Raises
    ------
    ScenarioError
        Listing every problem found, not just the first.

    Warns
    -----
    ScenarioWarning
        For each governance change dated at or after the end of the run (the case start plus
        ``run.horizon_years``): it is accepted but has no effect.
    """
    notes = override_notes(overrides)
    problems = Collector()
    if not isinstance(data, Mapping):
        raise ScenarioError(source, [Problem("", f"expected a table of scenario settings, "
                                                 f"found {data!r}")])
    reject_unknown(data, TOP_LEVEL_KEYS, "", problems, what="table or key")

    name = check_header(data, problems, what="scenario", example="kempen",
                        version=SCHEMA_VERSION, forbidden=SCENARIO_NAME_FORBIDDEN)
    description = data.get("description", "")
    if not isinstance(description, str):
        problems.add("description", f"expected a string, found {description!r}")

    case = sample = start = None
    if "case" in data and "sample" in data:
        problems.add("", "found both [case] and [sample]; a scenario describes one arrangement "
                         "([case]) or a population of arrangements ([sample]), not both")
    elif "case" in data:
        case, start = _parse_case(data["case"], problems)
    elif "sample" in data:
        sample = _parse_sample(data["sample"], problems)
    else:
        problems.add("", "missing [case] or [sample]: a scenario describes one arrangement "
                         "([case]) or a population of arrangements ([sample])")

    levers, dated = _parse_levers(data.get("levers", {}), start, "sample" in data, problems)
    behaviour = _parse_behaviour(data.get("behaviour", {}), problems)
    run = _parse_section(data.get("run", {}), RunSettings, RUN_SPECS, "run", problems)

    if problems:
        raise ScenarioError(source, [blame_overrides(p, notes) for p in problems.items])
    if case is not None:
        _warn_after_horizon(dated, case, run, source, notes)
    return Scenario(name=name, description=description, levers=levers, behaviour=behaviour,
                    run=run, case=case, sample=sample,
                    timeline=tuple(change for _, change in dated))


def _parse_section(value: Any, cls: type, specs: Mapping[str, dataclasses.Field], prefix: str,
                   problems: Collector) -> Any:
    table = expect_table(value, prefix, problems, f"[{prefix}]")
    if table is None:
        return None
    reject_unknown(table, specs, prefix, problems)
    return cls(**documented_fields(table, specs, prefix, problems))


def _parse_case(value: Any,
                problems: Collector) -> tuple[Case | None, tuple[int, int] | None]:
    """The case, and its start (year, month) even when other parts of the case are invalid."""
    table = expect_table(value, "case", problems, "[case]")
    if table is None:
        return None, None
    before = len(problems)
    reject_unknown(table, CASE_KEYS, "case", problems)
    start = None
    if "start" not in table:
        problems.add("case.start", 'missing; the month the shared organisation started, e.g. '
                                   'start = "2010-01"')
    else:
        start = read_month(table["start"], "case.start", problems)
    values = documented_fields(table, CASE_SPECS, "case", problems)
    members = _parse_members(table.get("members", INVALID), problems)
    if len(problems) > before or start is None or members is None:
        return None, start
    return Case(members=members, start_year=start[0], start_month=start[1], **values), start


def _parse_members(value: Any, problems: Collector) -> tuple[Member, ...] | None:
    key = "case.members"
    if value is INVALID:
        problems.add(key, "missing; list the members as [[case.members]] tables, at least "
                          f"{MIN_MEMBERS}")
        return None
    if not isinstance(value, list):
        problems.add(key, f"expected an array of tables ([[case.members]]), found {value!r}")
        return None
    before = len(problems)
    if not value:
        problems.add(key, f"found no members; an arrangement needs at least {MIN_MEMBERS} "
                          "members")
    elif len(value) < MIN_MEMBERS:
        problems.add(key, f"found 1 member; an arrangement needs at least {MIN_MEMBERS} members")
    elif len(value) > MAX_MEMBERS:
        problems.add(key, f"found {len(value)} members, allowed at most {MAX_MEMBERS}")
    members = []
    first_index: dict[str, int] = {}
    for i, entry in enumerate(value):
        member = _parse_member(entry, f"{key}[{i}]", problems)
        if member is not None:
            members.append(member)
        name = entry.get("name") if isinstance(entry, dict) else None
        if not is_valid_name(name):  # reported by _parse_member
            continue
        folded = name.casefold()
        if folded in first_index:
            problems.add(f"{key}[{i}].name", f"found {name!r} again (also "
                                             f"{key}[{first_index[folded]}]); member names "
                                             "must be unique")
        else:
            first_index[folded] = i
    if len(problems) > before:
        return None
    return tuple(members)


def _parse_member(value: Any, key: str, problems: Collector) -> Member | None:
    table = expect_table(value, key, problems, "a [[case.members]] entry")
    if table is None:
        return None
    before = len(problems)
    reject_unknown(table, MEMBER_KEYS, key, problems)
    name = table.get("name", INVALID)
    suffix = ""
    if name is INVALID:
        problems.add(f"{key}.name", "missing; every member needs a name")
    elif check_name(name, f"{key}.name", problems):
        suffix = f" (member {name!r})"
    if "population" not in table:
        problems.add(f"{key}.population", f"missing; number of inhabitants{suffix}")
    values = documented_fields(table, MEMBER_SPECS, key, problems, suffix)
    if "agenda" in table:
        agenda = _parse_agenda(table["agenda"], f"{key}.agenda", problems)
        if agenda is not None:
            values["agenda"] = agenda
    if len(problems) > before:
        return None
    return Member(name=name, **values)


def _parse_agenda(value: Any, key: str, problems: Collector) -> tuple[float, ...] | None:
    n = len(AGENDA_DIMENSIONS)
    dims = ", ".join(AGENDA_DIMENSIONS)
    what = "a share"
    if isinstance(value, list):
        if len(value) != n:
            problems.add(key, f"expected {n} numbers in [0, 1] ({dims}), found {value!r}")
            return None
        items = [(f"{key}[{i}]", v) for i, v in enumerate(value)]
    elif isinstance(value, dict):
        before = len(problems)
        reject_unknown(value, AGENDA_DIMENSIONS, key, problems, what="agenda dimension")
        for dim in AGENDA_DIMENSIONS:
            if dim not in value:
                problems.add(join_key(key, dim), f"missing; an agenda table gives all of {dims}")
        if len(problems) > before:
            return None
        items = [(join_key(key, dim), value[dim]) for dim in AGENDA_DIMENSIONS]
    else:
        problems.add(key, f"expected {n} numbers in [0, 1] ({dims}) as a list or a table "
                          f"{{social = ..., spatial = ..., economic = ...}}, found {value!r}")
        return None
    numbers = [read_number(v, k, problems, 0.0, 1.0, what) for k, v in items]
    if any(x is INVALID for x in numbers):
        return None
    return tuple(numbers)


def _parse_levers(value: Any, start: tuple[int, int] | None, is_sample: bool,
                  problems: Collector) -> tuple[Levers | None, tuple[_Dated, ...]]:
    table = expect_table(value, "levers", problems, "[levers]")
    if table is None:
        return None, ()
    reject_unknown(table, (*LEVER_SPECS, "timeline"), "levers", problems)
    if is_sample:
        for name in table:
            if name in SAMPLED_LEVERS:
                problems.add(f"levers.{name}", f"found {table[name]!r}, but in a [sample] "
                                               "scenario this lever is drawn per replication; "
                                               f"set sample.{SAMPLED_LEVERS[name]} instead")
    levers = Levers(**documented_fields(table, LEVER_SPECS, "levers", problems))
    timeline = _parse_timeline(table.get("timeline", []), start, is_sample, problems)
    return levers, timeline


def _parse_timeline(value: Any, start: tuple[int, int] | None, is_sample: bool,
                    problems: Collector) -> tuple[_Dated, ...]:
    """The governance changes sorted by date, each with the key of its date in the file."""
    key = "levers.timeline"
    if not isinstance(value, list):
        problems.add(key, f"expected an array of tables ([[levers.timeline]]), found {value!r}")
        return ()
    if is_sample and value:
        problems.add(key, "a governance timeline needs a [case]: in a [sample] the start date "
                          "differs per replication")
        return ()
    changes = []
    seen: dict[tuple[int, int], int] = {}
    for i, entry in enumerate(value):
        prefix = f"{key}[{i}]"
        table = expect_table(entry, prefix, problems, "a [[levers.timeline]] entry")
        if table is None:
            continue
        reject_unknown(table, ("date", *LEVER_SPECS), prefix, problems)
        date = None
        if "date" not in table:
            problems.add(f"{prefix}.date", 'missing; the month the change takes effect, e.g. '
                                           'date = "2017-01"')
        else:
            date = read_month(table["date"], f"{prefix}.date", problems)
        if not any(name in LEVER_SPECS for name in table):
            problems.add(prefix, "a timeline entry changes at least one lever; allowed: "
                                 f"{', '.join(LEVER_SPECS)}")
        values = documented_fields(table, LEVER_SPECS, prefix, problems)
        if date is None:
            continue
        if start is not None and date < start:
            problems.add(f"{prefix}.date",
                         f"found {table['date']!r}, which is before the case start "
                         f"{format_month(*start)!r}")
        if date in seen:
            problems.add(f"{prefix}.date",
                         f"found {table['date']!r} again (also {key}[{seen[date]}].date); put "
                         "all changes of one month in one entry")
        seen[date] = i
        ordered = tuple((name, values[name]) for name in LEVER_NAMES if name in values)
        changes.append(_Dated(f"{prefix}.date",
                              GovernanceChange(year=date[0], month=date[1], changes=ordered)))
    return tuple(sorted(changes, key=lambda d: (d.change.year, d.change.month)))


def _warn_after_horizon(dated: Iterable[_Dated], case: Case, run: RunSettings, source: str,
                        notes: list[tuple[str, str]]) -> None:
    """Warn about governance changes the run never reaches.

    The run simulates the calendar months start .. start + horizon_months - 1 (as in
    engine.apply_timeline, which compares calendar indices year * 12 + month - 1), so a change
    dated at or after start + horizon_months has no effect.
    """
    start = month_index(case.start_year, case.start_month)
    end = start + run.horizon_months
    for key, change in dated:
        when = month_index(change.year, change.month)
        if when < end:
            continue
        where = "at" if when == end else "after"
        message = (f"{source}: {key}: {format_month(change.year, change.month)!r} lies {where} "
                   f"the horizon ({format_index(end)}, {run.horizon_years:g} years from the "
                   f"start {format_index(start)}); the change has no effect")
        text = from_override(key, notes)
        if text is not None:
            message += f" (from --set {text})"
        # stacklevel 3: the caller of parse_scenario, not this helper
        warnings.warn(ScenarioWarning(message), stacklevel=3)


def _parse_behaviour(value: Any, problems: Collector) -> Behaviour | None:
    table = expect_table(value, "behaviour", problems, "[behaviour]")
    if table is None:
        return None
    reject_unknown(table, BEHAVIOUR_KEYS, "behaviour", problems, what="behavioural parameter")
    values = documented_fields(table, BEHAVIOUR_SPECS, "behaviour", problems)
    if "director_competence_range" in table:
        pair = read_pair(table["director_competence_range"], "behaviour.director_competence_range",
                     problems, 0.0, 1.0)
        if pair is not None:
            values["director_competence_range"] = pair
    return Behaviour(**values)


# --------------------------------------------------------------------------------------------
# [sample]: a population of arrangements


def _parse_sample(value: Any, problems: Collector) -> PopulationSample | None:
    table = expect_table(value, "sample", problems, "[sample]")
    if table is None:
        return None
    before = len(problems)
    reject_unknown(table, SAMPLE_KEYS, "sample", problems)
    values: dict[str, Any] = {}
    weights = {
        "n_members": ("n_members_weights", _member_count),
        "arrangement": ("arrangement_weights", _arrangement_label),
        "start_year": ("start_year_weights", _year_label),
    }
    for key, (field_name, label) in weights.items():
        if key in table:
            parsed = _weights(table[key], f"sample.{key}", label, problems)
            if parsed is not None:
                values[field_name] = parsed
    for key in SAMPLE_PROBABILITIES:
        if key in table:
            p = read_number(table[key], f"sample.{key}", problems, 0.0, 1.0, "a probability")
            if p is not INVALID:
                values[key] = p
    for key, bounds in SAMPLE_RANGE_BOUNDS.items():
        if key in table:
            low, high, unit = _bounds(bounds)
            pair = read_pair(table[key], f"sample.{key}", problems, low, high, unit)
            if pair is not None:
                values[key] = pair
    if "size_ratio" in table:
        ratio = _size_ratio(table["size_ratio"], problems)
        if ratio is not None:
            values["size_ratio_median"], values["size_ratio_range"] = ratio
    if len(problems) > before:
        return None
    sample = PopulationSample(**values)
    _check_smallest_member(sample, table, problems)
    return None if len(problems) > before else sample


def _check_smallest_member(sample: PopulationSample, table: Mapping,
                           problems: Collector) -> None:
    """The smallest member drawn must have at least 1 inhabitant.

    engine.sample_arrangements gives the smallest member rint(largest / ratio) inhabitants;
    the worst case is the low bound of largest_population with the high size ratio. Requiring
    largest / ratio >= 1 (not merely >= 0.5, where rint would still give 1) keeps a margin
    for the rounding of exp(-log(ratio)).
    """
    largest = sample.largest_population[0]
    ratio = sample.size_ratio_range[1]
    if largest / ratio >= 1:
        return

    def shown(key: str, what: str, x: float) -> str:
        return f"{what} {x!r}" + ("" if key in table else " (the default)")

    message = (f"found {shown('largest_population', 'largest_population low', largest)} and "
               f"{shown('size_ratio', 'size_ratio.high', ratio)}: the smallest member would "
               f"have fewer than 1 inhabitant ({largest!r} / {ratio!r} = {largest / ratio:.3g}); "
               "allowed: largest_population low >= size_ratio.high")
    # under each key the file gives, so that the problem is found where it can be fixed
    given = [key for key in ("largest_population", "size_ratio") if key in table]
    for key in given or ["size_ratio"]:
        problems.add(f"sample.{key}", message)


def _bounds(bounds: dataclasses.Field | tuple) -> tuple[float, float, str]:
    if isinstance(bounds, tuple):
        return bounds
    meta = bounds.metadata
    return meta["low"], meta["high"], meta["unit"]


# exact labels: str.isdigit accepts "²" (int() fails) and "٣" (int() gives 3); "02" would
# duplicate "2"; and int() refuses strings of more than 4300 digits
_MEMBER_COUNT_LABELS = {str(n): n for n in range(MIN_MEMBERS, MAX_MEMBERS + 1)}


def _member_count(label: str, key: str, problems: Collector) -> Any:
    if label in _MEMBER_COUNT_LABELS:
        return _MEMBER_COUNT_LABELS[label]
    problems.add(key, f"found member count {label!r}, allowed: \"{MIN_MEMBERS}\" to "
                      f"\"{MAX_MEMBERS}\"{digit_hint(label)}")
    return INVALID


def _arrangement_label(label: str, key: str, problems: Collector) -> Any:
    if label in ARRANGEMENTS:
        return label
    message = f"unknown arrangement {label!r}"
    suggestion = did_you_mean(label, ARRANGEMENTS)
    if suggestion is not None:
        message += f", did you mean {suggestion!r}?"
    else:
        message += f"; allowed: {', '.join(ARRANGEMENTS)}"
    problems.add(key, message)
    return INVALID


def _year_label(label: str, key: str, problems: Collector) -> Any:
    if re.fullmatch(r"[0-9]{4}", label) and YEARS[0] <= int(label) <= YEARS[1]:
        return int(label)
    problems.add(key, f"found start year {label!r}, allowed: a year \"{YEARS[0]}\" to "
                      f"\"{YEARS[1]}\"{digit_hint(label)}")
    return INVALID


def _weights(value: Any, key: str, label, problems: Collector) -> tuple | None:
    """Relative weights per category, e.g. { "2" = 14, "3" = 7 }, sorted by category."""
    table = expect_table(value, key, problems, 'relative weights per category, e.g. { "2" = 14 }')
    if table is None:
        return None
    if not table:
        problems.add(key, "found no categories; give at least one weight")
        return None
    before = len(problems)
    items = []
    for name, weight in table.items():
        item_key = join_key(key, name)
        category = label(name, item_key, problems)
        if is_number(weight) and not is_finite(weight):
            problems.add(item_key, f"found {weight!r}; {_FINITE_WEIGHTS}")
            continue
        w = read_number(weight, item_key, problems, 0.0, None, "a weight")
        if category is not INVALID and w is not INVALID:
            items.append((category, w))
    if len(problems) > before:
        return None
    if label is _arrangement_label:
        items.sort(key=lambda item: ARRANGEMENTS.index(item[0]))
    else:
        items.sort()
    # summed in the order engine._choose sums them, so this sum is the one it divides by
    total = sum(w for _, w in items)
    if not math.isfinite(total):
        problems.add(key, f"found {table!r}: the sum of the weights overflows to infinity; "
                          f"{_FINITE_WEIGHTS}")
        return None
    if total <= 0:
        problems.add(key, f"found {table!r}: the weights must have a positive sum")
        return None
    return tuple(items)


_FINITE_WEIGHTS = "the weights must be finite with a finite positive sum"


def _size_ratio(value: Any, problems: Collector) -> tuple[float, tuple[float, float]] | None:
    key = "sample.size_ratio"
    table = expect_table(value, key, problems, "{ median = ..., low = ..., high = ... }")
    if table is None:
        return None
    before = len(problems)
    parts = ("median", "low", "high")
    reject_unknown(table, parts, key, problems)
    numbers = {}
    for part in parts:
        if part not in table:
            problems.add(f"{key}.{part}", "missing; give median, low and high of the population "
                                          "ratio of largest to smallest member")
            continue
        x = read_number(table[part], f"{key}.{part}", problems, 1.0, None, "a population ratio")
        if x is not INVALID:
            numbers[part] = x
    if len(problems) > before:
        return None
    if not numbers["low"] <= numbers["median"] <= numbers["high"]:
        problems.add(key, f"found low = {table['low']!r}, median = {table['median']!r}, "
                          f"high = {table['high']!r}; allowed: 1 <= low <= median <= high")
        return None
    return numbers["median"], (numbers["low"], numbers["high"])


