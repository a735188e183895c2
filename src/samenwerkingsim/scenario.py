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

Every value is checked against the unit and range documented in :mod:`samenwerkingsim.params`.
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

import copy
import dataclasses
import difflib
import hashlib
import json
import math
import os
import re
import tomllib
import warnings
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from .params import (
    AGENDA_DIMENSIONS,
    ARRANGEMENTS,
    LEVER_NAMES,
    Behaviour,
    Case,
    GovernanceChange,
    Levers,
    Member,
    PopulationSample,
    RunSettings,
    Scenario,
    check_value,
    field_specs,
)

__all__ = [
    "MAX_MEMBERS",
    "MAX_NAME_LENGTH",
    "SCHEMA_VERSION",
    "Problem",
    "ScenarioError",
    "ScenarioWarning",
    "apply_overrides",
    "load_scenario",
    "parse_scenario",
    "read_scenario_data",
    "scenario_hash",
    "scenario_to_dict",
]

SCHEMA_VERSION = 1
MIN_MEMBERS = 2
MAX_MEMBERS = 8
YEARS = (1900, 2100)  # plausible calendar years for a start date or a governance change
# names end up in CSV headers, file names and figure titles: one short line of text
MAX_NAME_LENGTH = 60
SCENARIO_NAME_FORBIDDEN = "/\\"  # path separators: the scenario name becomes a file name

TOP_LEVEL_KEYS = ("schema_version", "name", "description", "case", "sample", "levers",
                  "behaviour", "run")

_MEMBER_SPECS = field_specs(Member)
_CASE_SPECS = field_specs(Case)
_LEVER_SPECS = field_specs(Levers)
_BEHAVIOUR_SPECS = field_specs(Behaviour)
_RUN_SPECS = field_specs(RunSettings)

_CASE_KEYS = ("start", *_CASE_SPECS, "members")
_MEMBER_KEYS = ("name", "population", "agenda", *(k for k in _MEMBER_SPECS if k != "population"))

# [sample]: keys of the file and what they mean.  Ranges are [low, high] pairs of a uniform draw,
# bounded by the documented range of the quantity they are drawn for.
_SAMPLE_FIELDS = {f.name for f in dataclasses.fields(PopulationSample)}
_SAMPLE_RANGE_BOUNDS = {
    "largest_population": _MEMBER_SPECS["population"],
    "agenda_spread": (0.0, 1.0, "[0,1]"),
    "autonomy_preference": _MEMBER_SPECS["autonomy_preference"],
    "control_demand": _MEMBER_SPECS["control_demand"],
    "merger_preference": _MEMBER_SPECS["merger_preference"],
    "council_scepticism": _MEMBER_SPECS["council_scepticism"],
    "prior_cooperation_years": _CASE_SPECS["prior_cooperation_years"],
    "culture_build_new": _LEVER_SPECS["culture_build_new"],
    "joint_meetings_per_month": _LEVER_SPECS["joint_meetings_per_month"],
    "scope_back_office": _LEVER_SPECS["scope_back_office"],
    "scope_policy": _LEVER_SPECS["scope_policy"],
}
_SAMPLE_PROBABILITIES = ("p_designed_as_step_to_merger", "p_has_committees", "p_chairs_in_db",
                         "p_separate_director")
_SAMPLE_KEYS = ("n_members", "arrangement", "start_year", "p_designed_as_step_to_merger",
                "size_ratio", *_SAMPLE_RANGE_BOUNDS, *_SAMPLE_PROBABILITIES[1:])

# In a [sample] scenario these levers are drawn per replication, so [levers] must not set them.
SAMPLED_LEVERS = {name: (name if name in _SAMPLE_FIELDS else f"p_{name}")
                  for name in LEVER_NAMES
                  if name in _SAMPLE_FIELDS or f"p_{name}" in _SAMPLE_FIELDS}

_BEHAVIOUR_KEYS = (*_BEHAVIOUR_SPECS, "director_competence_range")

# [0-9], not \d: \d and str.isdigit also accept other scripts' digits ("٢٠١٠", "²")
_DATE_PATTERN = re.compile(r"([0-9]{4})-([0-9]{1,2})")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


# --------------------------------------------------------------------------------------------
# Problems and the error that reports them


class Problem(NamedTuple):
    """One problem in a scenario: the dotted key it concerns ('' for the whole file) and what
    is wrong, with the value found and what is allowed."""

    key: str
    message: str


class ScenarioError(ValueError):
    """A scenario that cannot be used, with every problem found in it.

    Attributes
    ----------
    source : str
        Where the scenario came from (usually the file path).
    problems : list of Problem
        Every problem, in the order of the file.
    """

    def __init__(self, source: str, problems: Iterable[Problem]):
        self.source = source
        self.problems = [Problem(*p) for p in problems]
        super().__init__(self._report())

    def _report(self) -> str:
        n = len(self.problems)
        lines = [f"{n} problem{'s' if n != 1 else ''} in scenario {self.source}:"]
        for key, message in self.problems:
            where = f"{self.source}: {key}" if key else self.source
            lines.append(f"  {where}: {message}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._report()

    def __reduce__(self):
        # the default would call ScenarioError(report): keep it picklable for worker processes
        return (type(self), (self.source, self.problems))


class ScenarioWarning(UserWarning):
    """A scenario that is valid but contains something that has no effect, such as a
    governance change dated after the end of the run."""


class _Collector:
    """Gathers problems while the whole scenario is read, instead of stopping at the first."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, key: str, message: str) -> None:
        self.items.append(Problem(key, message))

    def __len__(self) -> int:
        return len(self.items)


_INVALID = object()  # marks a value that produced a problem


class _Dated(NamedTuple):
    """A governance change with the dotted key of its date, for messages about it."""

    key: str
    change: GovernanceChange


def _join(prefix: str, key: str) -> str:
    shown = key if _BARE_KEY.fullmatch(key) else json.dumps(key)
    return f"{prefix}.{shown}" if prefix else shown


def _did_you_mean(key: str, valid: Iterable[str]) -> str | None:
    valid = list(valid)
    match = difflib.get_close_matches(key, valid, n=1)
    if match:
        return match[0]
    lowered = {v.lower(): v for v in valid}
    match = difflib.get_close_matches(key.lower(), list(lowered), n=1)
    return lowered[match[0]] if match else None


def _reject_unknown(table: Mapping, valid: Iterable[str], prefix: str, problems: _Collector,
                    what: str = "key") -> None:
    valid = list(valid)
    for key in table:
        if key in valid:
            continue
        message = f"unknown {what} {key!r}"
        suggestion = _did_you_mean(str(key), valid)
        if suggestion is not None:
            message += f", did you mean {suggestion!r}?"
        elif len(valid) <= 16:
            message += f"; allowed: {', '.join(valid)}"
        else:
            message += " (see docs/parameters.md for the allowed names)"
        problems.add(_join(prefix, str(key)), message)


def _table(value: Any, key: str, problems: _Collector, how: str = "") -> dict | None:
    if isinstance(value, dict):
        return value
    hint = f" ({how})" if how else ""
    problems.add(key, f"expected a table{hint}, found {value!r}")
    return None


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond float range
        return False


def _explain(problem: str, value: Any, f: dataclasses.Field) -> str:
    """Complete a message of :func:`params.check_value` with the allowed range and unit."""
    meta = f.metadata
    if type(f.default) is bool:
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            problem += "; write it without quotes"
        return problem
    if meta.get("choices"):
        suggestion = _did_you_mean(value, meta["choices"]) if isinstance(value, str) else None
        return problem + (f"; did you mean {suggestion!r}?" if suggestion else "")
    if "allowed" not in problem:
        problem += f"; allowed range [{meta.get('low')}, {meta.get('high')}]"
    unit = meta.get("unit")
    if unit and not unit.startswith("["):
        problem += f" ({unit})"
    if isinstance(value, str) and _looks_numeric(value):
        problem += "; write the number without quotes"
    return problem


def _coerce(value: Any, f: dataclasses.Field) -> Any:
    kind = type(f.default)
    if kind is float:
        return float(value)
    if kind is int:
        return int(value)
    return value


def _checked(value: Any, f: dataclasses.Field, key: str, problems: _Collector,
             suffix: str = "") -> Any:
    """The value coerced to the field's type, or _INVALID after recording why not."""
    try:
        problem = check_value(key, value, f)
    except OverflowError:  # an integer beyond float range (TOML parsers allow them)
        meta = f.metadata
        problem = f"found {value!r}, allowed range [{meta.get('low')}, {meta.get('high')}]"
    if problem:
        problems.add(key, _explain(problem, value, f) + suffix)
        return _INVALID
    return _coerce(value, f)


def _documented_fields(table: Mapping, specs: Mapping[str, dataclasses.Field], prefix: str,
                       problems: _Collector, suffix: str = "") -> dict[str, Any]:
    values = {}
    for name, value in table.items():
        if name in specs:
            checked = _checked(value, specs[name], _join(prefix, name), problems, suffix)
            if checked is not _INVALID:
                values[name] = checked
    return values


def _number(value: Any, key: str, problems: _Collector, low: float | None, high: float | None,
            what: str = "a number") -> Any:
    """A finite number within [low, high] as a float, or _INVALID after recording why not."""
    allowed = f"in [{low}, {high}]" if high is not None else f">= {low}"
    if not _is_number(value):
        hint = "; write the number without quotes" if (isinstance(value, str)
                                                      and _looks_numeric(value)) else ""
        problems.add(key, f"expected {what} {allowed}, found {value!r}{hint}")
        return _INVALID
    if not _is_finite(value) or (low is not None and value < low) or (
            high is not None and value > high):
        # without an upper bound, "allowed >= 1.0" alone would not exclude inf or 10**400
        finite = " and finite" if high is None and not _is_finite(value) else ""
        problems.add(key, f"found {value!r}, allowed {what} {allowed}{finite}")
        return _INVALID
    return float(value)


def _digit_hint(text: str) -> str:
    """A hint for digits of another script ("٣", "２０１０", "²"), which int() does not read
    as the user meant, or not at all."""
    if any(c.isdigit() and not c.isascii() for c in text):
        return "; write the number with the digits 0-9"
    return ""


def _name_problem(value: str, forbidden: str = "") -> str | None:
    """Why ``value`` cannot be a name, or None: a name is printable text of 1 to
    MAX_NAME_LENGTH characters without leading or trailing whitespace or any of ``forbidden``.

    Commas and quotes are fine: the CSV writer quotes them.
    """
    if not value.isprintable():
        reason = ("it contains a character that is not printable (a newline, a tab, a control "
                  "or formatting character)")
    elif value != value.strip():
        reason = "it has leading or trailing whitespace"
    elif len(value) > MAX_NAME_LENGTH:
        reason = f"it is {len(value)} characters long"
    elif any(c in value for c in forbidden):
        reason = f"it contains {' or '.join(c for c in forbidden if c in value)}"
    else:
        return None
    allowed = (f"printable text of 1 to {MAX_NAME_LENGTH} characters without leading or "
               "trailing whitespace")
    if forbidden:
        allowed += f", and without {' or '.join(forbidden)}"
    return f"found {value!r}: {reason}; allowed: {allowed}"


def _is_valid_name(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and _name_problem(value) is None


def _check_name(value: Any, key: str, problems: _Collector, forbidden: str = "") -> bool:
    """Whether ``value`` is a usable name, after recording why not."""
    if not isinstance(value, str) or not value.strip():
        problems.add(key, f"expected a non-empty string, found {value!r}")
        return False
    problem = _name_problem(value, forbidden)
    if problem is not None:
        problems.add(key, problem)
        return False
    return True


def _month(value: Any, key: str, problems: _Collector) -> tuple[int, int] | None:
    """(year, month) of a "YYYY-MM" string, or None after recording why not."""
    example = 'as a string "YYYY-MM", e.g. "2010-01"'
    if not isinstance(value, str):
        problems.add(key, f"expected a month {example}, found {value!r}")
        return None
    match = _DATE_PATTERN.fullmatch(value.strip())
    if match is None:
        problems.add(key, f"found {value!r}, expected a month {example}{_digit_hint(value)}")
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        problems.add(key, f"found {value!r}: month {month} is outside 1..12")
        return None
    if not YEARS[0] <= year <= YEARS[1]:
        problems.add(key, f"found {value!r}: year {year} is outside {YEARS[0]}..{YEARS[1]}")
        return None
    return year, month


def _format_month(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _month_index(year: int, month: int) -> int:
    """The calendar index of a month, year * 12 + month - 1, as the engine counts."""
    return year * 12 + month - 1


def _format_index(index: int) -> str:
    return _format_month(index // 12, index % 12 + 1)


def _pair(value: Any, key: str, problems: _Collector, low: float, high: float,
          unit: str = "") -> tuple[float, float] | None:
    """A [low, high] pair inside [low, high] with low <= high, or None after recording why not."""
    shown_unit = f" ({unit})" if unit and not unit.startswith("[") else ""
    if not isinstance(value, list) or len(value) != 2 or not all(map(_is_number, value)):
        problems.add(key, f"expected [low, high], two numbers in [{low}, {high}]{shown_unit}, "
                          f"found {value!r}")
        return None
    # inf, nan and integers beyond float range lie outside every (finite) [low, high]
    if not all(map(_is_finite, value)) or value[0] < low or value[1] > high:
        problems.add(key, f"found {value!r}, allowed: low and high in [{low}, {high}]"
                          f"{shown_unit}")
        return None
    first, second = float(value[0]), float(value[1])
    if first > second:
        problems.add(key, f"found {value!r}: low is above high; write [low, high]")
        return None
    return first, second


# --------------------------------------------------------------------------------------------
# Reading


def read_scenario_data(path: str | os.PathLike) -> dict:
    """The raw tables of a scenario file, before validation.

    Raises
    ------
    ScenarioError
        When the file is missing or unreadable, or is not valid TOML (with line and column).
    """
    source = str(path)
    try:
        with open(path, "rb") as fp:
            return tomllib.load(fp)
    except FileNotFoundError:
        message = "file not found"
    except IsADirectoryError:
        message = "is a directory, expected a scenario file (.toml)"
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
    raise ScenarioError(source, [Problem("", message)])


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
    notes = _override_notes(overrides)
    problems = _Collector()
    if not isinstance(data, Mapping):
        raise ScenarioError(source, [Problem("", f"expected a table of scenario settings, "
                                                 f"found {data!r}")])
    _reject_unknown(data, TOP_LEVEL_KEYS, "", problems, what="table or key")

    version = data.get("schema_version", _INVALID)
    if version is _INVALID:
        problems.add("schema_version", f"missing; this version of samenwerkingsim reads "
                                       f"schema_version = {SCHEMA_VERSION}")
    elif type(version) is not int or version != SCHEMA_VERSION:
        problems.add("schema_version", f"found {version!r}, allowed: {SCHEMA_VERSION}")

    name = data.get("name", _INVALID)
    if name is _INVALID:
        problems.add("name", "missing; give the scenario a short name, e.g. name = \"kempen\"")
    else:
        _check_name(name, "name", problems, SCENARIO_NAME_FORBIDDEN)
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
    run = _parse_section(data.get("run", {}), RunSettings, _RUN_SPECS, "run", problems)

    if problems:
        raise ScenarioError(source, [_blame_overrides(p, notes) for p in problems.items])
    if case is not None:
        _warn_after_horizon(dated, case, run, source, notes)
    return Scenario(name=name, description=description, levers=levers, behaviour=behaviour,
                    run=run, case=case, sample=sample,
                    timeline=tuple(change for _, change in dated))


def _parse_section(value: Any, cls: type, specs: Mapping[str, dataclasses.Field], prefix: str,
                   problems: _Collector) -> Any:
    table = _table(value, prefix, problems, f"[{prefix}]")
    if table is None:
        return None
    _reject_unknown(table, specs, prefix, problems)
    return cls(**_documented_fields(table, specs, prefix, problems))


def _parse_case(value: Any,
                problems: _Collector) -> tuple[Case | None, tuple[int, int] | None]:
    """The case, and its start (year, month) even when other parts of the case are invalid."""
    table = _table(value, "case", problems, "[case]")
    if table is None:
        return None, None
    before = len(problems)
    _reject_unknown(table, _CASE_KEYS, "case", problems)
    start = None
    if "start" not in table:
        problems.add("case.start", 'missing; the month the shared organisation started, e.g. '
                                   'start = "2010-01"')
    else:
        start = _month(table["start"], "case.start", problems)
    values = _documented_fields(table, _CASE_SPECS, "case", problems)
    members = _parse_members(table.get("members", _INVALID), problems)
    if len(problems) > before or start is None or members is None:
        return None, start
    return Case(members=members, start_year=start[0], start_month=start[1], **values), start


def _parse_members(value: Any, problems: _Collector) -> tuple[Member, ...] | None:
    key = "case.members"
    if value is _INVALID:
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
        if not _is_valid_name(name):  # reported by _parse_member
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


def _parse_member(value: Any, key: str, problems: _Collector) -> Member | None:
    table = _table(value, key, problems, "a [[case.members]] entry")
    if table is None:
        return None
    before = len(problems)
    _reject_unknown(table, _MEMBER_KEYS, key, problems)
    name = table.get("name", _INVALID)
    suffix = ""
    if name is _INVALID:
        problems.add(f"{key}.name", "missing; every member needs a name")
    elif _check_name(name, f"{key}.name", problems):
        suffix = f" (member {name!r})"
    if "population" not in table:
        problems.add(f"{key}.population", f"missing; number of inhabitants{suffix}")
    values = _documented_fields(table, _MEMBER_SPECS, key, problems, suffix)
    if "agenda" in table:
        agenda = _parse_agenda(table["agenda"], f"{key}.agenda", problems)
        if agenda is not None:
            values["agenda"] = agenda
    if len(problems) > before:
        return None
    return Member(name=name, **values)


def _parse_agenda(value: Any, key: str, problems: _Collector) -> tuple[float, ...] | None:
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
        _reject_unknown(value, AGENDA_DIMENSIONS, key, problems, what="agenda dimension")
        for dim in AGENDA_DIMENSIONS:
            if dim not in value:
                problems.add(_join(key, dim), f"missing; an agenda table gives all of {dims}")
        if len(problems) > before:
            return None
        items = [(_join(key, dim), value[dim]) for dim in AGENDA_DIMENSIONS]
    else:
        problems.add(key, f"expected {n} numbers in [0, 1] ({dims}) as a list or a table "
                          f"{{social = ..., spatial = ..., economic = ...}}, found {value!r}")
        return None
    numbers = [_number(v, k, problems, 0.0, 1.0, what) for k, v in items]
    if any(x is _INVALID for x in numbers):
        return None
    return tuple(numbers)


def _parse_levers(value: Any, start: tuple[int, int] | None, is_sample: bool,
                  problems: _Collector) -> tuple[Levers | None, tuple[_Dated, ...]]:
    table = _table(value, "levers", problems, "[levers]")
    if table is None:
        return None, ()
    _reject_unknown(table, (*_LEVER_SPECS, "timeline"), "levers", problems)
    if is_sample:
        for name in table:
            if name in SAMPLED_LEVERS:
                problems.add(f"levers.{name}", f"found {table[name]!r}, but in a [sample] "
                                               "scenario this lever is drawn per replication; "
                                               f"set sample.{SAMPLED_LEVERS[name]} instead")
    levers = Levers(**_documented_fields(table, _LEVER_SPECS, "levers", problems))
    timeline = _parse_timeline(table.get("timeline", []), start, is_sample, problems)
    return levers, timeline


def _parse_timeline(value: Any, start: tuple[int, int] | None, is_sample: bool,
                    problems: _Collector) -> tuple[_Dated, ...]:
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
        table = _table(entry, prefix, problems, "a [[levers.timeline]] entry")
        if table is None:
            continue
        _reject_unknown(table, ("date", *_LEVER_SPECS), prefix, problems)
        date = None
        if "date" not in table:
            problems.add(f"{prefix}.date", 'missing; the month the change takes effect, e.g. '
                                           'date = "2017-01"')
        else:
            date = _month(table["date"], f"{prefix}.date", problems)
        if not any(name in _LEVER_SPECS for name in table):
            problems.add(prefix, "a timeline entry changes at least one lever; allowed: "
                                 f"{', '.join(_LEVER_SPECS)}")
        values = _documented_fields(table, _LEVER_SPECS, prefix, problems)
        if date is None:
            continue
        if start is not None and date < start:
            problems.add(f"{prefix}.date",
                         f"found {table['date']!r}, which is before the case start "
                         f"{_format_month(*start)!r}")
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
    start = _month_index(case.start_year, case.start_month)
    end = start + run.horizon_months
    for key, change in dated:
        when = _month_index(change.year, change.month)
        if when < end:
            continue
        where = "at" if when == end else "after"
        message = (f"{source}: {key}: {_format_month(change.year, change.month)!r} lies {where} "
                   f"the horizon ({_format_index(end)}, {run.horizon_years:g} years from the "
                   f"start {_format_index(start)}); the change has no effect")
        text = _from_override(key, notes)
        if text is not None:
            message += f" (from --set {text})"
        # stacklevel 3: the caller of parse_scenario, not this helper
        warnings.warn(ScenarioWarning(message), stacklevel=3)


def _parse_behaviour(value: Any, problems: _Collector) -> Behaviour | None:
    table = _table(value, "behaviour", problems, "[behaviour]")
    if table is None:
        return None
    _reject_unknown(table, _BEHAVIOUR_KEYS, "behaviour", problems, what="behavioural parameter")
    values = _documented_fields(table, _BEHAVIOUR_SPECS, "behaviour", problems)
    if "director_competence_range" in table:
        pair = _pair(table["director_competence_range"], "behaviour.director_competence_range",
                     problems, 0.0, 1.0)
        if pair is not None:
            values["director_competence_range"] = pair
    return Behaviour(**values)


# --------------------------------------------------------------------------------------------
# [sample]: a population of arrangements


def _parse_sample(value: Any, problems: _Collector) -> PopulationSample | None:
    table = _table(value, "sample", problems, "[sample]")
    if table is None:
        return None
    before = len(problems)
    _reject_unknown(table, _SAMPLE_KEYS, "sample", problems)
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
    for key in _SAMPLE_PROBABILITIES:
        if key in table:
            p = _number(table[key], f"sample.{key}", problems, 0.0, 1.0, "a probability")
            if p is not _INVALID:
                values[key] = p
    for key, bounds in _SAMPLE_RANGE_BOUNDS.items():
        if key in table:
            low, high, unit = _bounds(bounds)
            pair = _pair(table[key], f"sample.{key}", problems, low, high, unit)
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
                           problems: _Collector) -> None:
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


def _member_count(label: str, key: str, problems: _Collector) -> Any:
    if label in _MEMBER_COUNT_LABELS:
        return _MEMBER_COUNT_LABELS[label]
    problems.add(key, f"found member count {label!r}, allowed: \"{MIN_MEMBERS}\" to "
                      f"\"{MAX_MEMBERS}\"{_digit_hint(label)}")
    return _INVALID


def _arrangement_label(label: str, key: str, problems: _Collector) -> Any:
    if label in ARRANGEMENTS:
        return label
    message = f"unknown arrangement {label!r}"
    suggestion = _did_you_mean(label, ARRANGEMENTS)
    if suggestion is not None:
        message += f", did you mean {suggestion!r}?"
    else:
        message += f"; allowed: {', '.join(ARRANGEMENTS)}"
    problems.add(key, message)
    return _INVALID


def _year_label(label: str, key: str, problems: _Collector) -> Any:
    if re.fullmatch(r"[0-9]{4}", label) and YEARS[0] <= int(label) <= YEARS[1]:
        return int(label)
    problems.add(key, f"found start year {label!r}, allowed: a year \"{YEARS[0]}\" to "
                      f"\"{YEARS[1]}\"{_digit_hint(label)}")
    return _INVALID


def _weights(value: Any, key: str, label, problems: _Collector) -> tuple | None:
    """Relative weights per category, e.g. { "2" = 14, "3" = 7 }, sorted by category."""
    table = _table(value, key, problems, 'relative weights per category, e.g. { "2" = 14 }')
    if table is None:
        return None
    if not table:
        problems.add(key, "found no categories; give at least one weight")
        return None
    before = len(problems)
    items = []
    for name, weight in table.items():
        item_key = _join(key, name)
        category = label(name, item_key, problems)
        if _is_number(weight) and not _is_finite(weight):
            problems.add(item_key, f"found {weight!r}; {_FINITE_WEIGHTS}")
            continue
        w = _number(weight, item_key, problems, 0.0, None, "a weight")
        if category is not _INVALID and w is not _INVALID:
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


def _size_ratio(value: Any, problems: _Collector) -> tuple[float, tuple[float, float]] | None:
    key = "sample.size_ratio"
    table = _table(value, key, problems, "{ median = ..., low = ..., high = ... }")
    if table is None:
        return None
    before = len(problems)
    parts = ("median", "low", "high")
    _reject_unknown(table, parts, key, problems)
    numbers = {}
    for part in parts:
        if part not in table:
            problems.add(f"{key}.{part}", "missing; give median, low and high of the population "
                                          "ratio of largest to smallest member")
            continue
        x = _number(table[part], f"{key}.{part}", problems, 1.0, None, "a population ratio")
        if x is not _INVALID:
            numbers[part] = x
    if len(problems) > before:
        return None
    if not numbers["low"] <= numbers["median"] <= numbers["high"]:
        problems.add(key, f"found low = {table['low']!r}, median = {table['median']!r}, "
                          f"high = {table['high']!r}; allowed: 1 <= low <= median <= high")
        return None
    return numbers["median"], (numbers["low"], numbers["high"])


# --------------------------------------------------------------------------------------------
# --set overrides


def _parse_override_value(text: str) -> Any:
    """A TOML value (true, 4.3, "x", [0.6, 0.5, 0.5]) or, failing that, the plain string."""
    try:
        parsed = tomllib.loads(f"v = {text}")
    except (ValueError, RecursionError):  # TOMLDecodeError, too many digits, nested too deep
        return text
    return parsed["v"] if list(parsed) == ["v"] else text


def _split_key(dotted: str) -> list[str | int] | None:
    """The steps of a dotted key, names and array indices, or None if it cannot be read."""
    steps: list[str | int] = []
    for segment in dotted.split("."):
        # ASCII indices of at most 9 digits: int() refuses more than 4300 digits, and no
        # array in a scenario comes near 10**9 entries
        match = re.fullmatch(r"\s*([^\[\]\s]+)\s*((?:\[[0-9]{1,9}\])*)\s*", segment)
        if match is None:
            return None
        steps.append(match.group(1).strip('"'))
        steps.extend(int(i) for i in re.findall(r"\[([0-9]+)\]", match.group(2)))
    return steps


def _dotted(steps: Iterable[str | int]) -> str:
    """The dotted key of steps, spelt as the loader names keys: case.members[0].population."""
    key = ""
    for step in steps:
        key = f"{key}[{step}]" if isinstance(step, int) else _join(key, step)
    return key


def _override_notes(overrides: Iterable[str]) -> list[tuple[str, str]]:
    """(dotted key, "key=value") of each readable override, in the order they were applied."""
    notes = []
    for item in overrides:
        key, sep, text = item.partition("=")
        steps = _split_key(key.strip())
        if sep and steps:  # apply_overrides has reported the others
            notes.append((_dotted(steps), f"{key.strip()}={text.strip()}"))
    return notes


def _from_override(key: str, notes: list[tuple[str, str]]) -> str | None:
    """The override that set the value at ``key``: the last one at or above it, if any."""
    for dotted, text in reversed(notes):
        if key == dotted or key.startswith((f"{dotted}.", f"{dotted}[")):
            return text
    return None


def _blame_overrides(problem: Problem, notes: list[tuple[str, str]]) -> Problem:
    """The problem, saying so when its value came from --set rather than from the file."""
    text = _from_override(problem.key, notes)
    if text is None:
        return problem
    return Problem(problem.key, f"{problem.message} (from --set {text})")


def _set_path(root: dict, dotted: str, value: Any) -> str | None:
    """Set ``value`` at a dotted key like ``case.members[0].population``; a message on failure."""
    steps = _split_key(dotted)
    if not steps:
        return ("cannot read the key: expected names separated by dots, with [n] for an entry "
                "of an array, e.g. case.members[0].population")
    node: Any = root
    here = ""
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        if isinstance(step, str):
            if not isinstance(node, dict):
                return f"cannot set it: {here} is not a table (found {node!r})"
            if last:
                node[step] = value
                return None
            if step not in node:
                if isinstance(steps[i + 1], int):
                    return f"cannot set it: {_join(here, step)} is not in the scenario"
                node[step] = {}
            node = node[step]
            here = _join(here, step)
        else:
            if not isinstance(node, list):
                return f"cannot set it: {here} is not an array (found {node!r})"
            if step >= len(node):
                return (f"cannot set it: {here} has {len(node)} entries, so index {step} is "
                        f"out of range (0..{len(node) - 1})")
            if last:
                node[step] = value
                return None
            node = node[step]
            here = f"{here}[{step}]"
    return None


def apply_overrides(data: Mapping, sets: Iterable[str], *, source: str | None = None) -> dict:
    """A copy of the raw scenario tables with ``key=value`` overrides applied (``--set``).

    Each value is read as a TOML value (``true``, ``200``, ``4.3``, ``"equal"``,
    ``[0.6, 0.5, 0.5]``) and, if that fails, taken as a plain string (so ``case.start=2012-03``
    works). Nothing is validated here: pass the result to :func:`parse_scenario`, which checks
    an overridden value exactly like one in the file and names its key; give it the same
    ``sets`` as ``overrides=`` and it says which problems come from ``--set``.

    Parameters
    ----------
    data : mapping
        Raw tables from :func:`read_scenario_data` or :func:`scenario_to_dict`; not modified.
    sets : iterable of str
        Overrides such as ``"levers.has_committees=true"`` or
        ``"case.members[0].population=19000"``.
    source : str, optional
        The scenario file the overrides apply to, named in the error report.

    Raises
    ------
    ScenarioError
        When an override is not of the form key=value or its key cannot be set (for instance
        an array index out of range); its source is ``--set`` (``--set on <source>``).
    """
    result = copy.deepcopy(dict(data))
    problems = _Collector()
    for item in sets:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.add(item, "expected key=value, e.g. levers.has_committees=true")
            continue
        message = _set_path(result, key, _parse_override_value(text.strip()))
        if message:
            problems.add(key, message)
    if problems:
        raise ScenarioError("--set" if source is None else f"--set on {source}", problems.items)
    return result


# --------------------------------------------------------------------------------------------
# The resolved scenario, for manifests


def _plain_fields(obj: Any, specs: Mapping[str, dataclasses.Field]) -> dict[str, Any]:
    return {name: _coerce(getattr(obj, name), f) for name, f in specs.items()}


def scenario_to_dict(scenario: Scenario) -> dict:
    """The resolved scenario with every default filled in, in the scenario file format.

    The result holds only tables, lists, strings, numbers and booleans, so it can be written as
    JSON or TOML; :func:`parse_scenario` reads it back into an equal scenario.
    """
    out: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "name": scenario.name,
                           "description": scenario.description}
    if scenario.case is not None:
        out["case"] = _case_to_dict(scenario.case)
    if scenario.sample is not None:
        out["sample"] = _sample_to_dict(scenario.sample)
    levers = _plain_fields(scenario.levers, _LEVER_SPECS)
    if scenario.sample is not None:
        for name in SAMPLED_LEVERS:
            del levers[name]
    levers["timeline"] = [
        {"date": _format_month(change.year, change.month),
         **{name: _coerce(value, _LEVER_SPECS[name]) for name, value in change.changes}}
        for change in scenario.timeline]
    out["levers"] = levers
    behaviour = _plain_fields(scenario.behaviour, _BEHAVIOUR_SPECS)
    behaviour["director_competence_range"] = [
        float(x) for x in scenario.behaviour.director_competence_range]
    out["behaviour"] = behaviour
    out["run"] = _plain_fields(scenario.run, _RUN_SPECS)
    return out


def _case_to_dict(case: Case) -> dict:
    out: dict[str, Any] = {"start": _format_month(case.start_year, case.start_month)}
    out.update(_plain_fields(case, _CASE_SPECS))
    out["members"] = [
        {"name": m.name, "population": int(m.population),
         "agenda": {dim: float(x) for dim, x in zip(AGENDA_DIMENSIONS, m.agenda, strict=True)},
         **{name: _coerce(getattr(m, name), f) for name, f in _MEMBER_SPECS.items()
            if name != "population"}}
        for m in case.members]
    return out


def _sample_to_dict(sample: PopulationSample) -> dict:
    out: dict[str, Any] = {
        "n_members": {str(n): float(w) for n, w in sample.n_members_weights},
        "arrangement": {name: float(w) for name, w in sample.arrangement_weights},
        "start_year": {str(y): float(w) for y, w in sample.start_year_weights},
        "p_designed_as_step_to_merger": float(sample.p_designed_as_step_to_merger),
        "size_ratio": {"median": float(sample.size_ratio_median),
                       "low": float(sample.size_ratio_range[0]),
                       "high": float(sample.size_ratio_range[1])},
    }
    for key in _SAMPLE_RANGE_BOUNDS:
        out[key] = [float(x) for x in getattr(sample, key)]
    for key in _SAMPLE_PROBABILITIES[1:]:
        out[key] = float(getattr(sample, key))
    return out


def scenario_hash(scenario: Scenario) -> str:
    """A short fingerprint of the resolved scenario: the first 16 hex digits of the SHA-256 of
    the canonical JSON (sorted keys, no spaces) of :func:`scenario_to_dict`."""
    canonical = json.dumps(scenario_to_dict(scenario), sort_keys=True, separators=(",", ":"),
                           ensure_ascii=True, allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
