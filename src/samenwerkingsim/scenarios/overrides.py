"""``--set key=value`` overrides of a scenario's raw tables, and how a problem in an
overridden value is blamed on ``--set`` rather than on the file."""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import Collector, Problem, ScenarioError, SetOptionError, join_key

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
        key = f"{key}[{step}]" if isinstance(step, int) else join_key(key, step)
    return key


def override_notes(overrides: Iterable[str]) -> list[tuple[str, str]]:
    """(dotted key, "key=value") of each readable override, in the order they were applied."""
    notes = []
    for item in overrides:
        key, sep, text = item.partition("=")
        steps = _split_key(key.strip())
        if sep and steps:  # apply_overrides has reported the others
            notes.append((_dotted(steps), f"{key.strip()}={text.strip()}"))
    return notes


def from_override(key: str, notes: list[tuple[str, str]]) -> str | None:
    """The override that set the value at ``key``: the last one at or above it, if any."""
    for dotted, text in reversed(notes):
        if key == dotted or key.startswith((f"{dotted}.", f"{dotted}[")):
            return text
    return None


def blame_overrides(problem: Problem, notes: list[tuple[str, str]]) -> Problem:
    """The problem, saying so when its value came from --set rather than from the file."""
    text = from_override(problem.key, notes)
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
                    return f"cannot set it: {join_key(here, step)} is not in the scenario"
                node[step] = {}
            node = node[step]
            here = join_key(here, step)
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


def set_values(data: Mapping, values: Mapping[str, Any], *, source: str) -> dict:
    """A copy of the raw scenario tables with Python values set at dotted keys (the factors of
    an experiment point), exactly as ``--set key=value`` would set them.

    Raises
    ------
    ScenarioError
        When a key cannot be set; its source is ``source``.
    """
    result = copy.deepcopy(dict(data))
    problems = Collector()
    for key, value in values.items():
        message = _set_path(result, key, copy.deepcopy(value))
        if message:
            problems.add(key, message)
    if problems:
        raise ScenarioError(source, problems.items)
    return result


def value_at(data: Mapping, dotted: str) -> Any:
    """The value at a dotted key of (resolved) scenario tables; KeyError if there is none."""
    steps = _split_key(dotted)
    if not steps:
        raise KeyError(dotted)
    node: Any = data
    for step in steps:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            raise KeyError(dotted) from None
    return node


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
        an array index out of range): a :class:`SetOptionError`, whose report names ``--set``
        and the scenario file.
    """
    result = copy.deepcopy(dict(data))
    problems = Collector()
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
        raise SetOptionError(source, problems.items)
    return result


