"""Problems in a scenario and the error that reports them all at once, with "did you mean"."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from .schema import BARE_KEY

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

    what = "scenario"  # the kind of file, named in the report

    def __init__(self, source: str, problems: Iterable[Problem]):
        self.source = source
        self.problems = [Problem(*p) for p in problems]
        super().__init__(self._report())

    def _report(self) -> str:
        n = len(self.problems)
        lines = [f"{n} problem{'s' if n != 1 else ''} in {self.what} {self.source}:"]
        for key, message in self.problems:
            where = f"{self.source}: {key}" if key else self.source
            lines.append(f"  {where}: {message}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._report()

    def __reduce__(self):
        # the default would call ScenarioError(report): keep it picklable for worker processes
        return (type(self), (self.source, self.problems))


class SetOptionError(ScenarioError):
    """Problems of the ``--set`` options themselves (a missing ``=``, a key that cannot be
    set), found before the scenario's values are checked."""

    def __init__(self, scenario: str | None, problems: Iterable[Problem]):
        self.scenario = scenario
        super().__init__("--set", problems)

    def _report(self) -> str:
        n = len(self.problems)
        target = "" if self.scenario is None else f" (for {self.scenario})"
        lines = [f"{n} problem{'s' if n != 1 else ''} in --set{target}:"]
        lines += [f"  --set: {key}: {message}" for key, message in self.problems]
        return "\n".join(lines)

    def __reduce__(self):
        return (type(self), (self.scenario, self.problems))


class ScenarioWarning(UserWarning):
    """A scenario that is valid but contains something that has no effect, such as a
    governance change dated after the end of the run."""


class Collector:
    """Gathers problems while the whole scenario is read, instead of stopping at the first."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, key: str, message: str) -> None:
        self.items.append(Problem(key, message))

    def __len__(self) -> int:
        return len(self.items)


def join_key(prefix: str, key: str) -> str:
    shown = key if BARE_KEY.fullmatch(key) else json.dumps(key)
    return f"{prefix}.{shown}" if prefix else shown


def did_you_mean(key: str, valid: Iterable[str]) -> str | None:
    valid = list(valid)
    match = difflib.get_close_matches(key, valid, n=1)
    if match:
        return match[0]
    lowered = {v.lower(): v for v in valid}
    match = difflib.get_close_matches(key.lower(), list(lowered), n=1)
    return lowered[match[0]] if match else None


def reject_unknown(table: Mapping, valid: Iterable[str], prefix: str, problems: Collector,
                    what: str = "key") -> None:
    valid = list(valid)
    for key in table:
        if key in valid:
            continue
        message = f"unknown {what} {key!r}"
        suggestion = did_you_mean(str(key), valid)
        if suggestion is not None:
            message += f", did you mean {suggestion!r}?"
        elif len(valid) <= 16:
            message += f"; allowed: {', '.join(valid)}"
        else:
            message += " (see docs/parameters.md for the allowed names)"
        problems.add(join_key(prefix, str(key)), message)


