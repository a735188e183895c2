"""What the explorer shows and changes, without any of the web page: the controls, the
settings they hold, the model they build, the event timeline of a run, and saving the settings
as a scenario file.

Nothing here imports Solara; :mod:`.app` draws the page on top of it. The controls are derived
from the parameter metadata (:func:`samenwerkingsim.model.params.field_specs`): every lever of
the scenario, and the behavioural parameters named in :data:`MAIN_BEHAVIOUR`.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..model.engine import EVENTS
from ..model.mesa_model import SharedServiceModel
from ..model.params import PORTFOLIOS, Behaviour, Levers, Scenario, field_specs
from ..model.rules import is_election_month
from ..scenarios import (
    ScenarioError,
    ScenarioWarning,
    load_scenario,
    parse_scenario,
    read_scenario_data,
    scenario_hash,
)
from ..scenarios.schema import SAMPLED_LEVERS

#: The behavioural parameters the explorer offers, by name, in the order shown: the ones the
#: stories of the explorer are about (an election that replaces wethouders, a council that
#: turns sceptical after a breach, trust won and lost in meetings, a director who invests in
#: relationships, incidents, the price of autonomy, the readiness to leave or to merge). A name
#: that a model revision removed or renamed is skipped (see :func:`main_behaviour_names`).
MAIN_BEHAVIOUR = (
    "wethouder_replacement_at_election",
    "early_departure_per_month",
    "breach_scepticism_jump",
    "trust_gain_per_success",
    "trust_loss_per_failure",
    "director_effort_separate",
    "incident_rate_per_month",
    "autonomy_cost_weight",
    "exit_logit",
    "merger_initiative_logit",
)

#: The largest Monte Carlo run the page offers (some 10 s on one core for 40 years).
MAX_REPLICATIONS = 10_000


def main_behaviour_names() -> tuple[str, ...]:
    """The names of :data:`MAIN_BEHAVIOUR` that :class:`Behaviour` still has."""
    specs = field_specs(Behaviour)
    return tuple(name for name in MAIN_BEHAVIOUR if name in specs)


# --------------------------------------------------------------------------------------------
# Controls


@dataclass(frozen=True)
class Control:
    """One input on the page: a lever or a behavioural parameter, with its unit and range."""

    section: str              # "levers" or "behaviour": the table of the scenario file
    name: str                 # the key in that table
    kind: str                 # "bool", "float", "int" or "choice"
    unit: str
    low: float | None
    high: float | None
    step: float | None
    choices: tuple | None
    doc: str

    @property
    def key(self) -> str:
        """The dotted key, as ``--set`` and error messages spell it."""
        return f"{self.section}.{self.name}"

    @property
    def label(self) -> str:
        """The name in words, with its unit and range: "Joint meetings per month
        (meetings/month, 0-5)"."""
        words = self.name.replace("_", " ")
        words = re.sub(r"\bdb\b", "DB", words)
        words = words[0].upper() + words[1:]
        if self.kind in ("bool", "choice"):
            return words
        span = f"{_number(self.low)} to {_number(self.high)}"
        unit = self.unit
        if unit.startswith("[") or unit in ("", "share"):
            detail = span if unit != "share" else f"share, {span}"
        else:
            detail = f"{unit}, {span}"
        return f"{words} ({detail})"

    def coerce(self, value: Any) -> Any:
        """A value from an input widget as the scenario file holds it (a float rounded to the
        slider's step, so 0.1 + 0.2 is saved as 0.3)."""
        if self.kind == "bool":
            return bool(value)
        if self.kind == "choice":
            return str(value)
        if self.kind == "int":
            return round(float(value))
        digits = max(0, -math.floor(math.log10(self.step))) if self.step else 12
        return round(float(value), digits + 2)


def _number(x: float | None) -> str:
    return "?" if x is None else f"{x:g}"


def slider_step(low: float, high: float, default: float) -> float:
    """A power of ten, about a hundredth of ``[low, high]``, and finer until ``default`` lies
    on the slider's grid (so that the scenario's own value can be shown and kept)."""
    step = 10.0 ** math.floor(math.log10((high - low) / 100.0))
    for _ in range(6):
        position = (default - low) / step
        if abs(position - round(position)) < 1e-6:
            break
        step /= 10.0
    return step


def _control(section: str, f: dataclasses.Field, default: Any) -> Control:
    meta = f.metadata
    if meta.get("choices"):
        kind = "choice"
    else:
        kind = {bool: "bool", int: "int", float: "float"}[type(f.default)]
    low, high = meta.get("low"), meta.get("high")
    step = None
    if kind == "float":
        step = slider_step(low, high, float(default))
    elif kind == "int":
        step = 1
    return Control(section, f.name, kind, meta.get("unit", ""), low, high, step,
                   meta.get("choices"), meta.get("doc", ""))


# --------------------------------------------------------------------------------------------
# Settings and the scenario they make


@dataclass(frozen=True)
class Settings:
    """What the controls hold: lever values, behavioural parameters, and the seed."""

    levers: Mapping[str, Any]
    behaviour: Mapping[str, Any]
    seed: int

    def set(self, control: Control, value: Any) -> Settings:
        """These settings with one control changed."""
        table = {**getattr(self, control.section), control.name: control.coerce(value)}
        return dataclasses.replace(self, **{control.section: table})

    def value(self, control: Control) -> Any:
        return getattr(self, control.section)[control.name]


@dataclass(frozen=True)
class Change:
    """One setting that differs from the scenario file."""

    key: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.key}: {_toml_value(self.old)} -> {_toml_value(self.new)}"


@dataclass(frozen=True, eq=False)
class BaseScenario:
    """The scenario file the explorer was started with: its raw tables and what they mean."""

    path: Path
    data: Mapping[str, Any]
    scenario: Scenario

    @classmethod
    def load(cls, path: str | Path) -> BaseScenario:
        """Read and validate a scenario file (raises ScenarioError, as ``run`` does)."""
        path = Path(path)
        data = read_scenario_data(path)
        with warnings.catch_warnings():
            # a timeline change after the horizon: the command line has said so already
            warnings.simplefilter("ignore", ScenarioWarning)
            scenario = parse_scenario(data, source=str(path))
        return cls(path, data, scenario)

    @property
    def name(self) -> str:
        return self.scenario.name

    @cached_property
    def controls(self) -> tuple[Control, ...]:
        """The levers (those a population scenario does not draw per replication), then the
        main behavioural parameters."""
        sampled = SAMPLED_LEVERS if self.scenario.sample is not None else {}
        levers = tuple(_control("levers", f, getattr(self.scenario.levers, name))
                       for name, f in field_specs(Levers).items() if name not in sampled)
        specs = field_specs(Behaviour)
        behaviour = tuple(_control("behaviour", specs[name],
                                   getattr(self.scenario.behaviour, name))
                          for name in main_behaviour_names())
        return levers + behaviour

    @property
    def sampled_levers(self) -> tuple[str, ...]:
        """Levers drawn per replication in a population scenario (not offered as controls)."""
        return tuple(SAMPLED_LEVERS) if self.scenario.sample is not None else ()

    def default_settings(self) -> Settings:
        """The settings of the scenario file itself."""
        levers = {c.name: _plain(getattr(self.scenario.levers, c.name))
                  for c in self.controls if c.section == "levers"}
        behaviour = {c.name: _plain(getattr(self.scenario.behaviour, c.name))
                     for c in self.controls if c.section == "behaviour"}
        return Settings(levers, behaviour, int(self.scenario.run.seed))

    def changes(self, settings: Settings) -> list[Change]:
        """What differs between ``settings`` and the scenario file, in the order shown."""
        default = self.default_settings()
        out = [Change(c.key, default.value(c), settings.value(c)) for c in self.controls
               if settings.value(c) != default.value(c)]
        if settings.seed != default.seed:
            out.append(Change("run.seed", default.seed, settings.seed))
        return out

    def data_for(self, settings: Settings, *, name: str | None = None,
                 description: str | None = None) -> dict:
        """The scenario file's tables with the changed settings written into them (the rest
        of the file, its defaults left unset included, stays as it was)."""
        data = copy.deepcopy(dict(self.data))
        for change in self.changes(settings):
            section, key = change.key.split(".")
            table = data.setdefault(section, {})
            if not isinstance(table, dict):  # the validated file has tables here
                raise TypeError(f"[{section}] of {self.path} is not a table")
            table[key] = change.new
        if name is not None:
            data["name"] = name
        if description is not None:
            data["description"] = description
        return data

    def scenario_for(self, settings: Settings) -> Scenario:
        """The scenario with these settings, validated like a file (raises ScenarioError)."""
        if not self.changes(settings):
            return self.scenario
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ScenarioWarning)
            return parse_scenario(self.data_for(settings),
                                  source=f"{self.path} (changed in the explorer)")


def _plain(value: Any) -> Any:
    """A numpy or dataclass value as the plain Python value a TOML file holds."""
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass(frozen=True, eq=False)
class Design:
    """A scenario file and the settings of the explorer's controls: what one run simulates."""

    base: BaseScenario
    settings: Settings

    @cached_property
    def scenario(self) -> Scenario:
        return self.base.scenario_for(self.settings)

    @property
    def changes(self) -> list[Change]:
        return self.base.changes(self.settings)


# --------------------------------------------------------------------------------------------
# The model of one replication, with what the event log leaves out


class ExplorerModel(SharedServiceModel):
    """The Mesa model of one replication of a :class:`Design`, as the page steps it.

    Besides the model's own event log it notes what the page shows but the log does not keep:
    the municipal elections and which wethouders they replaced, and the wethouders who left
    early without a political breach.

    Parameters
    ----------
    design : Design, or a callable returning one
        What to simulate. Mesa's Reset button builds the model again from its parameters; a
        callable lets it pick up the settings the controls hold at that moment.
    replication : int
        Which replication of the seed to watch: replication r is replication r of a Monte Carlo
        run with the same settings and seed.
    """

    def __init__(self, design: Design | Callable[[], Design], replication: int = 0):
        self.design = design() if callable(design) else design
        super().__init__(self.design.scenario, seed=self.design.settings.seed,
                         replication=int(replication))
        self.noted: list[tuple[int, str, int | None, str]] = []  # (month, kind, slot, text)

    @property
    def start_index(self) -> int:
        """Calendar month index (year * 12 + month - 1) of month 0."""
        return int(self.state.start_index[0])

    def date_of(self, month: int) -> str:
        """The calendar month of model month ``month``, as 2013-02."""
        index = self.start_index + month
        return f"{index // 12:04d}-{index % 12 + 1:02d}"

    def step(self) -> None:
        """One month, noting elections and early departures of wethouders."""
        month = self.state.month
        events_before = len(self.state.events)
        super().step()
        self._note_turnover(month, self.state.events[events_before:])

    def _note_turnover(self, month: int, new_events: list) -> None:
        calendar = self.start_index + month
        election = bool(is_election_month(calendar // 12, calendar % 12 + 1))
        appointed = self.state.appointed_month[0] == month               # (portfolios, slots)
        present = [m.slot for m in self.municipalities]
        breach_slots = {int(s) for t, code, _, members in new_events
                        if EVENTS[code] == "political_breach" and members is not None
                        for s in members}
        if election:
            replaced = int(appointed[:, present].sum())
            total = len(PORTFOLIOS) * sum(1 for m in self.municipalities
                                         if m.status in ("member", "leaving"))
            self.noted.append((month, "election", None,
                               f"Municipal elections: {replaced} of {total} wethouders "
                               "replaced"))
            return
        for portfolio, slot in zip(*np.nonzero(appointed), strict=True):
            if int(slot) in breach_slots:
                continue  # the political breach is in the event log
            name = self.parameters.member_names[int(slot)]
            self.noted.append((month, "wethouder_departure", int(slot),
                               f"A wethouder of {name} ({PORTFOLIOS[portfolio].replace('_', ' ')})"
                               " left early"))


# --------------------------------------------------------------------------------------------
# The event timeline

#: How the page groups and names the events: (row of the timeline, text).
EVENT_TEXT = {
    "governance_change": ("governance", "Governance change from the scenario's timeline"),
    "political_breach": ("wethouders", "Political breach in {m}: a wethouder left, the council "
                                       "turns more sceptical"),
    "incident": ("incidents", "Incident in the shared organisation (cost overrun or service "
                              "failure)"),
    "director_turnover": ("director", "A new director (part of the integration is lost)"),
    "exit_announced": ("members", "{m} decides to leave (the exit takes effect later)"),
    "member_exit": ("members", "{m} leaves the arrangement"),
    "merger_initiative": ("merger", "A merger (herindeling) is proposed to the councils"),
    "merger_blocked": ("merger", "Merger vote: at least one council votes no, the merger is "
                                 "blocked"),
    "merger_approved": ("merger", "Merger vote: every council votes yes"),
    "dissolution_decided": ("end", "The members decide to dissolve the arrangement"),
    "dissolution": ("end", "The arrangement is dissolved (ontvlechting)"),
    "merger": ("end", "The municipalities merge (herindeling): the arrangement ends"),
    "election": ("elections", ""),
    "wethouder_departure": ("wethouders", ""),
}

#: Rows of the timeline figure, top to bottom.
TIMELINE_ROWS = ("elections", "wethouders", "incidents", "director", "governance", "members",
                 "merger", "end")


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened, for the timeline."""

    month: int
    date: str
    kind: str                 # an event of the model's log, or "election", "wethouder_departure"
    row: str                  # one of TIMELINE_ROWS
    text: str
    municipality: str | None = None


def timeline(model: ExplorerModel) -> list[TimelineEntry]:
    """Everything that happened so far in the run, in order (the model's event log with the
    elections and early departures the model does not log)."""
    names = model.parameters.member_names
    entries = []
    for month, code, _, members in model.state.events:
        kind = EVENTS[code]
        row, text = EVENT_TEXT[kind]
        slots = [None] if members is None else [int(s) for s in members]
        for slot in slots:
            name = None if slot is None else names[slot]
            entries.append(TimelineEntry(month, model.date_of(month), kind, row,
                                         text.format(m=name), name))
    for month, kind, slot, text in model.noted:
        entries.append(TimelineEntry(month, model.date_of(month), kind, EVENT_TEXT[kind][0],
                                     text, None if slot is None else names[slot]))
    order = {kind: i for i, kind in enumerate(("election", "wethouder_departure", *EVENTS))}
    return sorted(entries, key=lambda e: (e.month, order[e.kind]))


# --------------------------------------------------------------------------------------------
# Saving as a scenario file

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    """A scalar, a list of scalars or a table of scalars as TOML (inline)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value!r} in a scenario file")
        return repr(value)
    if isinstance(value, str):
        # a JSON string is a TOML basic string: the same escapes, \uXXXX included
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}"
                                for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} in a scenario file")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _is_inline(value: Any) -> bool:
    """A table of scalars (an agenda, a size ratio): written inline, on one line."""
    return isinstance(value, Mapping) and not any(
        isinstance(v, Mapping) or _is_table_array(v) for v in value.values())


def toml_text(data: Mapping[str, Any]) -> str:
    """Scenario tables as a TOML document in the layout of the shipped files: top-level keys,
    then ``[table]`` sections, ``[[arrays.of.tables]]`` for members and timeline entries, and
    small tables (an agenda) inline."""
    lines: list[str] = []

    def section(prefix: str, table: Mapping[str, Any], header: str | None) -> None:
        if header is not None:
            lines.extend(["", header] if lines else [header])

        def nested(v: Any) -> bool:
            # below the top level a table of scalars goes inline; at the top, every table is
            # a section of its own
            return _is_table_array(v) or (isinstance(v, Mapping)
                                          and (header is None or not _is_inline(v)))

        # a table's own keys come before its sub-tables, or TOML would file them under those
        lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items()
                     if not nested(v))
        for k, v in table.items():
            dotted = f"{prefix}.{_toml_key(k)}" if prefix else _toml_key(k)
            if isinstance(v, Mapping) and nested(v):
                section(dotted, v, f"[{dotted}]")
            elif _is_table_array(v):
                for item in v:
                    section(dotted, item, f"[[{dotted}]]")

    section("", data, None)
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class SavedScenario:
    """A scenario file the explorer wrote, as ``samenwerkingsim run`` reads it back."""

    path: Path
    scenario: Scenario
    digest: str
    changes: tuple[Change, ...]


def default_save_path(base: BaseScenario, folder: Path) -> Path:
    """A file name for the explored scenario that does not exist yet: the scenario's name
    with ``_explored`` (and a number), in ``folder/scenarios`` if that exists, else in
    ``folder``."""
    target = folder / "scenarios" if (folder / "scenarios").is_dir() else folder
    stem = f"{base.path.stem}_explored"
    candidate = target / f"{stem}.toml"
    number = 2
    while candidate.exists():
        candidate = target / f"{stem}_{number}.toml"
        number += 1
    return candidate


def save_scenario(design: Design, path: str | Path, *, today: date | None = None,
                  overwrite: bool = False) -> SavedScenario:
    """Write the design as a scenario file and read it back as ``samenwerkingsim run`` does.

    The file is the base scenario file with the changed settings written into it, named after
    the file (its stem), with a comment header saying where it comes from and what changed.

    Raises
    ------
    ValueError
        When the path does not end in .toml, its folder does not exist, or the file exists
        (unless ``overwrite``).
    ScenarioError
        When the written file does not validate (it would not, were the explorer wrong).
    """
    path = Path(path)
    if path.suffix != ".toml":
        raise ValueError(f"a scenario file ends in .toml, found {path.name!r}")
    if not path.parent.is_dir():
        raise ValueError(f"the folder {str(path.parent)!r} does not exist")
    if path.exists() and not overwrite:
        raise ValueError(f"{str(path)!r} exists already; choose another file name")
    changes = tuple(design.changes)
    base = design.base
    summary = "; ".join(str(c) for c in changes) if changes else "no changes"
    description = f"{base.scenario.description} [explored from {base.path.name}: {summary}]"
    data = design.base.data_for(design.settings, name=path.stem, description=description)
    header = [
        f"# {path.stem}: saved by samenwerkingsim explore on {(today or date.today()).isoformat()}",
        f"# from {base.path.name} ({base.scenario.name}), with these changes:",
        *(f"#   {c}" for c in changes),
        *(["#   (none)"] if not changes else []),
    ]
    if any(c.key.startswith("behaviour.") for c in changes):
        header.append("# Behavioural parameters are one set for every scenario; the changes "
                      "above study the")
        header.append("# model's sensitivity, they are not a calibrated alternative.")
    header.append(f"# Run it with: samenwerkingsim run {path.name}")
    text = "\n".join(header) + "\n\n" + toml_text(data)
    path.write_text(text, encoding="utf-8")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ScenarioWarning)
            scenario = load_scenario(path)
    except ScenarioError:
        path.unlink(missing_ok=True)
        raise
    return SavedScenario(path, scenario, scenario_hash(scenario), changes)


__all__ = [
    "MAIN_BEHAVIOUR",
    "MAX_REPLICATIONS",
    "TIMELINE_ROWS",
    "BaseScenario",
    "Change",
    "Control",
    "Design",
    "ExplorerModel",
    "SavedScenario",
    "Settings",
    "TimelineEntry",
    "default_save_path",
    "main_behaviour_names",
    "save_scenario",
    "timeline",
    "toml_text",
]
