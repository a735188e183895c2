"""Checks of single values in a scenario file: tables, numbers, names, months, ranges.

Each check records a :class:`~.errors.Problem` naming the dotted key, the value found and what
is allowed, and returns the value or :data:`INVALID`, so that reading goes on to the next value.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from ..model.params import (
    check_value,
)
from .errors import Collector, did_you_mean, join_key
from .schema import DATE_PATTERN, MAX_NAME_LENGTH, YEARS

INVALID = object()  # marks a value that produced a problem


def expect_table(value: Any, key: str, problems: Collector, how: str = "") -> dict | None:
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


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_finite(value: int | float) -> bool:
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
        suggestion = did_you_mean(value, meta["choices"]) if isinstance(value, str) else None
        return problem + (f"; did you mean {suggestion!r}?" if suggestion else "")
    if "allowed" not in problem:
        problem += f"; allowed range [{meta.get('low')}, {meta.get('high')}]"
    unit = meta.get("unit")
    if unit and not unit.startswith("["):
        problem += f" ({unit})"
    if isinstance(value, str) and _looks_numeric(value):
        problem += "; write the number without quotes"
    return problem


def coerce_to_field(value: Any, f: dataclasses.Field) -> Any:
    kind = type(f.default)
    if kind is float:
        return float(value)
    if kind is int:
        return int(value)
    return value


def _checked(value: Any, f: dataclasses.Field, key: str, problems: Collector,
             suffix: str = "") -> Any:
    """The value coerced to the field's type, or INVALID after recording why not."""
    try:
        problem = check_value(key, value, f)
    except OverflowError:  # an integer beyond float range (TOML parsers allow them)
        meta = f.metadata
        problem = f"found {value!r}, allowed range [{meta.get('low')}, {meta.get('high')}]"
    if problem:
        problems.add(key, _explain(problem, value, f) + suffix)
        return INVALID
    return coerce_to_field(value, f)


def documented_fields(table: Mapping, specs: Mapping[str, dataclasses.Field], prefix: str,
                       problems: Collector, suffix: str = "") -> dict[str, Any]:
    values = {}
    for name, value in table.items():
        if name in specs:
            checked = _checked(value, specs[name], join_key(prefix, name), problems, suffix)
            if checked is not INVALID:
                values[name] = checked
    return values


def read_number(value: Any, key: str, problems: Collector, low: float | None, high: float | None,
            what: str = "a number") -> Any:
    """A finite number within [low, high] as a float, or INVALID after recording why not."""
    allowed = f"in [{low}, {high}]" if high is not None else f">= {low}"
    if not is_number(value):
        hint = "; write the number without quotes" if (isinstance(value, str)
                                                      and _looks_numeric(value)) else ""
        problems.add(key, f"expected {what} {allowed}, found {value!r}{hint}")
        return INVALID
    if not is_finite(value) or (low is not None and value < low) or (
            high is not None and value > high):
        # without an upper bound, "allowed >= 1.0" alone would not exclude inf or 10**400
        finite = " and finite" if high is None and not is_finite(value) else ""
        problems.add(key, f"found {value!r}, allowed {what} {allowed}{finite}")
        return INVALID
    return float(value)


def digit_hint(text: str) -> str:
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


def is_valid_name(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and _name_problem(value) is None


def check_name(value: Any, key: str, problems: Collector, forbidden: str = "") -> bool:
    """Whether ``value`` is a usable name, after recording why not."""
    if not isinstance(value, str) or not value.strip():
        problems.add(key, f"expected a non-empty string, found {value!r}")
        return False
    problem = _name_problem(value, forbidden)
    if problem is not None:
        problems.add(key, problem)
        return False
    return True


def check_header(data: Mapping, problems: Collector, *, what: str, example: str,
                 version: int, forbidden: str = "") -> Any:
    """The ``schema_version`` and ``name`` every samenwerkingsim file starts with (scenario,
    experiment and calibration files alike); returns the name as given, after recording any
    problem with either."""
    found = data.get("schema_version", INVALID)
    if found is INVALID:
        problems.add("schema_version", f"missing; this version of samenwerkingsim reads "
                                       f"schema_version = {version}")
    elif type(found) is not int or found != version:
        problems.add("schema_version", f"found {found!r}, allowed: {version}")
    name = data.get("name", INVALID)
    if name is INVALID:
        problems.add("name", f'missing; give the {what} a short name, e.g. name = "{example}"')
        return None
    check_name(name, "name", problems, forbidden)
    return name


def read_month(value: Any, key: str, problems: Collector) -> tuple[int, int] | None:
    """(year, month) of a "YYYY-MM" string, or None after recording why not."""
    example = 'as a string "YYYY-MM", e.g. "2010-01"'
    if not isinstance(value, str):
        problems.add(key, f"expected a month {example}, found {value!r}")
        return None
    match = DATE_PATTERN.fullmatch(value.strip())
    if match is None:
        problems.add(key, f"found {value!r}, expected a month {example}{digit_hint(value)}")
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        problems.add(key, f"found {value!r}: month {month} is outside 1..12")
        return None
    if not YEARS[0] <= year <= YEARS[1]:
        problems.add(key, f"found {value!r}: year {year} is outside {YEARS[0]}..{YEARS[1]}")
        return None
    return year, month


def format_month(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def month_index(year: int, month: int) -> int:
    """The calendar index of a month, year * 12 + month - 1, as the engine counts."""
    return year * 12 + month - 1


def format_index(index: int) -> str:
    return format_month(index // 12, index % 12 + 1)


def read_pair(value: Any, key: str, problems: Collector, low: float, high: float,
          unit: str = "") -> tuple[float, float] | None:
    """A [low, high] pair inside [low, high] with low <= high, or None after recording why not."""
    shown_unit = f" ({unit})" if unit and not unit.startswith("[") else ""
    if not isinstance(value, list) or len(value) != 2 or not all(map(is_number, value)):
        problems.add(key, f"expected [low, high], two numbers in [{low}, {high}]{shown_unit}, "
                          f"found {value!r}")
        return None
    # inf, nan and integers beyond float range lie outside every (finite) [low, high]
    if not all(map(is_finite, value)) or value[0] < low or value[1] > high:
        problems.add(key, f"found {value!r}, allowed: low and high in [{low}, {high}]"
                          f"{shown_unit}")
        return None
    first, second = float(value[0]), float(value[1])
    if first > second:
        problems.add(key, f"found {value!r}: low is above high; write [low, high]")
        return None
    return first, second


