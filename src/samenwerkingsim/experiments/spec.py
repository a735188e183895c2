"""Experiment files: which scenarios, which factors over which values, which design.

An experiment file is TOML, validated as strictly as a scenario file (every problem reported at
once, with the file, the key, the value and what is allowed)::

    # What question this experiment answers (a comment header).
    schema_version = 1
    name = "joint_meetings_divergent_four"
    description = "Ten-year stability against the number of joint meetings"
    scenario = "../scenarios/divergent_four.toml"   # or scenarios = ["a.toml", "b.toml"]

    [design]
    kind = "grid"               # grid (full factorial), lhs, sobol or morris

    [run]
    replications = 1000         # per point
    seed = 20231031
    common_random_numbers = true

    [[factors]]
    key = "levers.joint_meetings_per_month"   # a dotted key, as in --set
    values = [0.0, 0.5, 1.0, 2.0, 4.3]        # or range = [low, high] (with steps for a grid)

Paths are relative to the experiment file. Every point is resolved into a scenario and
validated before any simulation, so an out-of-range value is found in a second, not after an
hour of sweeping.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..model.params import RunSettings, Scenario, field_specs
from ..scenarios import ScenarioError, parse_scenario, read_scenario_data, scenario_to_dict
from ..scenarios.errors import Collector, Problem, reject_unknown
from ..scenarios.overrides import set_values, value_at
from ..scenarios.parsing import read_toml_file
from ..scenarios.values import check_header, expect_table

__all__ = ["DESIGNS", "Design", "Experiment", "ExperimentError", "Factor", "Point",
           "load_experiment", "parse_experiment"]

SCHEMA_VERSION = 1
DESIGNS = ("grid", "one_at_a_time", "lhs", "sobol", "morris", "posterior")
DISTRIBUTIONS = ("uniform", "loguniform")
TOP_LEVEL_KEYS = ("schema_version", "name", "description", "scenario", "scenarios", "design",
                  "run", "factors", "outputs", "contrasts")
DESIGN_KEYS = ("kind", "samples", "levels", "seed")
MIN_CONTRAST_YEARS = 10  # the earliest output a contrast compares
RUN_KEYS = ("replications", "seed", "horizon_years", "common_random_numbers", "keep_events")
FACTOR_KEYS = ("key", "values", "range", "steps", "distribution", "scenarios", "note")
OUTPUT_KEYS = ("curves",)
MAX_POINTS = 100_000
# default sizes of the sampling designs: points (lhs), base samples N (sobol, N (D + 2) points),
# trajectories (morris, r (D + 1) points)
DEFAULT_SAMPLES = {"lhs": 64, "sobol": 64, "morris": 10, "posterior": 100}
CONTRAST_KEYS = ("name", "base", "variant")
_RUN_SPECS = field_specs(RunSettings)


class ExperimentError(ScenarioError):
    """An experiment that cannot be run, with every problem found in it (exit code 2)."""

    what = "experiment"


@dataclass(frozen=True)
class Factor:
    """One varied quantity: a dotted key and the values or range it takes.

    Attributes
    ----------
    key : str
        Dotted key as in ``--set`` (``levers.has_committees``, ``case.members[0].population``).
    values : tuple or None
        Explicit values (grid designs).
    low, high : float or None
        Range, for grid designs with ``steps`` and for the sampling designs.
    steps : int or None
        Number of evenly spaced values of the range in a grid (log-spaced for loguniform).
    distribution : {"uniform", "loguniform"}
        How the sampling designs spread the range.
    integer : bool
        The quantity is a whole number (such as a population): sampled values are rounded.
    scenarios : tuple of str
        One-at-a-time designs: the base scenarios (by name) on which this factor is varied;
        empty for all of them.
    note : str
        What the factor is for, or what its effect means (shown in the effects table).
    """

    key: str
    values: tuple | None = None
    low: float | None = None
    high: float | None = None
    steps: int | None = None
    distribution: str = "uniform"
    integer: bool = False
    scenarios: tuple[str, ...] = ()
    note: str = ""

    @property
    def column(self) -> str:
        """The factor's column name in ``points.csv``: its key."""
        return self.key

    def grid_values(self) -> tuple:
        if self.values is not None:
            return self.values
        if self.distribution == "loguniform":
            grid = np.geomspace(self.low, self.high, self.steps)
        else:
            grid = np.linspace(self.low, self.high, self.steps)
        return tuple(self._typed(x) for x in grid)

    def bounds(self) -> tuple[float, float]:
        """The range in the sampling coordinate (the logarithm for loguniform)."""
        if self.distribution == "loguniform":
            return math.log(self.low), math.log(self.high)
        return self.low, self.high

    def from_sampling_coordinate(self, u: float) -> Any:
        x = math.exp(u) if self.distribution == "loguniform" else u
        # exp(log(high)) may overshoot high in the last bit: stay inside the range
        return self._typed(min(max(x, self.low), self.high))

    def _typed(self, x) -> Any:
        return round(float(x)) if self.integer else float(x)


@dataclass(frozen=True)
class Design:
    """How the points are chosen: a full grid, or a sample of the factors' ranges."""

    kind: str
    samples: int = 0     # lhs: points; sobol: base samples N; morris: trajectories
    levels: int = 4      # morris grid levels
    seed: int = 0


@dataclass(frozen=True)
class Point:
    """One point of an experiment: a scenario with the factors set to these values."""

    index: int
    label: str                      # the scenario's name
    values: tuple[tuple[str, Any], ...]
    scenario: Scenario
    reference: int | None = None    # one-at-a-time: the point of the factor's first value


@dataclass(frozen=True, eq=False)
class Experiment:
    """A validated experiment: resolved base scenarios, factors, design and run settings.

    ``points`` are in design order (the scenarios slowest when there are several);
    ``sample`` is the design matrix in the sampling coordinates of the factors (for the
    sensitivity estimators), one row per design point.
    """

    name: str
    description: str
    source: str
    scenario_paths: tuple[str, ...]
    factors: tuple[Factor, ...]
    design: Design
    replications: int
    seed: int
    common_random_numbers: bool
    keep_events: bool
    curves: tuple[int, ...]
    points: tuple[Point, ...]
    sample: np.ndarray
    resolved: dict                   # the experiment with every default filled in
    contrasts: tuple[tuple[str, str, str], ...] = ()  # (name, base, variant) scenario pairs

    @property
    def n_points(self) -> int:
        return len(self.points)

    @property
    def total_replications(self) -> int:
        return sum(point.scenario.run.replications for point in self.points)

    def point_stream(self, point: int) -> int:
        """The point index in the seed's spawn key: 0 for every point with common random
        numbers (so point p replays ``run --seed S`` with p's factors), p otherwise."""
        return 0 if self.common_random_numbers else point

    def digest(self) -> str:
        """Fingerprint of the resolved experiment and the scenarios of all its points."""
        canonical = json.dumps(self.resolved, sort_keys=True, separators=(",", ":"),
                               ensure_ascii=True, allow_nan=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


# --------------------------------------------------------------------------------------------


def load_experiment(path: str | os.PathLike) -> Experiment:
    """Read and validate an experiment file, resolving and validating every point.

    Raises
    ------
    ExperimentError
        Listing every problem of the file (and of the points' scenarios).
    """
    source = str(path)
    data = read_toml_file(path, ExperimentError)
    return parse_experiment(data, source=source, folder=Path(path).resolve().parent)


def parse_experiment(data: Mapping, source: str, folder: Path) -> Experiment:
    """Validate the tables of an experiment file and resolve its points."""
    problems = Collector()
    if not isinstance(data, Mapping):
        raise ExperimentError(source, [Problem("", f"expected a table, found {data!r}")])
    reject_unknown(data, TOP_LEVEL_KEYS, "", problems, what="table or key")
    name = check_header(data, problems, what="experiment", example="sweep",
                        version=SCHEMA_VERSION, forbidden="/\\")
    description = data.get("description", "")
    if not isinstance(description, str):
        problems.add("description", f"expected a string, found {description!r}")

    bases = _base_scenarios(data, folder, problems)
    design = _design(data.get("design", {}), problems)
    run = _run(data.get("run", {}), problems)
    if design.kind == "posterior":
        factors = _posterior_factors(data.get("factors"), problems)
    else:
        factors = _factors(data.get("factors"), design, bases, problems)
    contrasts = _contrasts(data.get("contrasts", []), [b.label for b in bases], problems)
    if contrasts:
        _check_contrastable(design, run, problems)
    outputs = data.get("outputs", {})
    curves = _curves(outputs, problems)
    if problems:
        raise ExperimentError(source, problems.items)

    if design.kind == "posterior":
        sample, design_values = posterior_points(design)
        planned = [(base, values, None) for base in bases for values in design_values]
    elif design.kind == "one_at_a_time":
        sample, planned = np.zeros((0, len(factors))), one_at_a_time_points(bases, factors)
    else:
        sample, design_values = design_points(factors, design)
        planned = [(base, values, None) for base in bases for values in design_values]
    points = _resolve_points(planned, run, problems)
    n_points = len(points)
    short = sorted({p.scenario.run.horizon_years for p in points
                    if p is not None and p.scenario.run.horizon_years < MIN_CONTRAST_YEARS})
    if contrasts and short:
        problems.add("run.horizon_years", f"found {short[0]} years: contrasts compare outputs "
                                          f"at {MIN_CONTRAST_YEARS} and 15 years; allowed: at "
                                          f"least {MIN_CONTRAST_YEARS}")
    if n_points > MAX_POINTS:
        problems.add("design", f"the design has {n_points} points, allowed at most {MAX_POINTS}")
    if any(i >= n_points for i in curves):
        problems.add("outputs.curves", f"found {list(curves)}: the experiment has {n_points} "
                                       f"points, numbered 0 to {n_points - 1}")
    if problems:
        raise ExperimentError(source, problems.items)
    resolved = {
        "schema_version": SCHEMA_VERSION, "name": name, "description": description,
        "scenarios": {b.label: scenario_to_dict(b.scenario) for b in bases},
        "design": dataclasses.asdict(design),
        "run": run,
        "factors": [dataclasses.asdict(f) for f in factors],
        "outputs": {"curves": list(curves)},
        "contrasts": [list(c) for c in contrasts],
    }
    if design.kind == "posterior":
        # the draws themselves: a changed posterior.csv must not resume on the old points
        resolved["posterior_draws"] = sample.tolist()
    return Experiment(
        name=name, description=description, source=source,
        scenario_paths=tuple(str(b.path) for b in bases), factors=factors,
        design=design, replications=run["replications"], seed=run["seed"],
        common_random_numbers=run["common_random_numbers"], keep_events=run["keep_events"],
        curves=curves or default_curves(n_points), points=points, sample=sample,
        resolved=json.loads(json.dumps(resolved)), contrasts=contrasts)


def _posterior_factors(value: Any, problems: Collector) -> tuple[Factor, ...]:
    """A posterior design varies the calibrated parameters of the packaged posterior."""
    from .draws import load_posterior

    if value is not None:
        problems.add("factors", "a posterior design draws its factors from the calibration's "
                                "posterior; give no [[factors]]")
    try:
        return tuple(Factor(key=f"behaviour.{name}") for name in load_posterior().names)
    except FileNotFoundError as error:
        problems.add("design.kind", f"this installation carries no posterior ({error})")
        return ()


def posterior_points(design: Design) -> tuple[np.ndarray, list]:
    """``design.samples`` draws from the packaged posterior (seeded by the design's seed)."""
    from .draws import load_posterior, posterior_draws

    posterior = load_posterior()
    draws = posterior_draws(posterior, design.samples, design.seed)
    values = [tuple((f"behaviour.{k}", v) for k, v in d.items()) for d in draws]
    return np.array([[v for _, v in row] for row in values]), values


def _contrasts(value: Any, labels: list[str], problems: Collector) -> tuple:
    """[[contrasts]]: pairs of base scenarios compared point by point (draw by draw)."""
    if not isinstance(value, list):
        problems.add("contrasts", f"expected [[contrasts]] tables, found {value!r}")
        return ()
    contrasts = []
    for i, entry in enumerate(value):
        key = f"contrasts[{i}]"
        table = expect_table(entry, key, problems) or {}
        reject_unknown(table, CONTRAST_KEYS, key, problems)
        base, variant = table.get("base"), table.get("variant")
        missing = [x for x in (base, variant) if x not in labels]
        if missing:
            problems.add(key, f"found {missing!r}: base and variant must be scenarios of the "
                              f"experiment, {labels!r}")
            continue
        contrasts.append((str(table.get("name", f"{variant} against {base}")), base, variant))
    return tuple(contrasts)


def _check_contrastable(design: Design, run: Mapping, problems: Collector) -> None:
    """Contrasts pair the i-th point of one scenario with the i-th of another: every
    scenario must run the same points, with the same replication streams."""
    if design.kind == "one_at_a_time":
        problems.add("contrasts", "a one_at_a_time design gives each scenario its own points; "
                                  "contrasts need a design that runs the same points for "
                                  "every scenario (posterior, grid, lhs, sobol, morris)")
    if not run["common_random_numbers"]:
        problems.add("run.common_random_numbers", "found false: contrasts compare two "
                                                  "scenarios on the same replication streams; "
                                                  "allowed with contrasts: true")


def build_experiment(name: str, source: str, bases: list[Base], design_values: list[tuple],
                     runs: Mapping[str, Mapping], seed: int, description: str = "",
                     sample: np.ndarray | None = None, kind: str = "lhs") -> Experiment:
    """An experiment made in code rather than read from a file (the calibration's stages):
    every base scenario crossed with the given factor values, each base with its own run
    settings (``runs[label]``: replications and horizon_years), common random numbers.

    Raises
    ------
    ExperimentError
        When a point's values are out of range (naming the point).
    """
    problems = Collector()
    planned = [(base, values, None, {"seed": seed, **runs[base.label]})
               for base in bases for values in design_values]
    run = {"replications": 1, "seed": seed, "horizon_years": None}
    points = _resolve_points(planned, run, problems)
    if problems:
        raise ExperimentError(source, problems.items)
    keys = list(dict.fromkeys(k for values in design_values for k, _ in values))
    factors = tuple(Factor(key=k) for k in keys)
    # Not the source's path (the same work given by another path is the same experiment), and
    # not the base values of what every point sets: they enter no simulation.
    set_everywhere = set.intersection(*(set(k for k, _ in v) for v in design_values)) if (
        design_values) else set()
    resolved = {"name": name, "seed": seed,
                "scenarios": {b.label: without_values(scenario_to_dict(b.scenario), set_everywhere)
                              for b in bases},
                "runs": {k: dict(v) for k, v in runs.items()},
                "points": [[list(pair) for pair in values] for values in design_values]}
    return Experiment(
        name=name, description=description, source=source,
        scenario_paths=tuple(str(b.path) for b in bases), factors=factors,
        design=Design(kind=kind), replications=max(r["replications"] for r in runs.values()),
        seed=seed, common_random_numbers=True, keep_events=False, curves=(), points=points,
        sample=np.zeros((0, len(keys))) if sample is None else sample,
        resolved=json.loads(json.dumps(resolved)))


def without_values(resolved_scenario: dict, dotted_keys: set[str]) -> dict:
    """The resolved scenario without the values at ``dotted_keys`` (``behaviour.x``)."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in resolved_scenario.items()}
    for key in dotted_keys:
        table, _, name = key.partition(".")
        if isinstance(out.get(table), dict):
            out[table].pop(name, None)
    return out


def read_base(path: Path, problems: Collector, key: str) -> Base | None:
    """A base scenario read and validated from a file, or None after recording why not."""
    try:
        raw = read_scenario_data(path)
        scenario = parse_scenario(raw, source=str(path))
    except ScenarioError as error:
        for problem in error.problems:
            inner = f": {problem.key}" if problem.key else ""
            problems.add(f"{key} ({path.name}{inner})", problem.message)
        return None
    return Base(scenario.name, path, raw, scenario)


def default_curves(n_points: int, most: int = 5) -> tuple[int, ...]:
    """Up to ``most`` points spread evenly over the design, first and last included."""
    if n_points <= most:
        return tuple(range(n_points))
    return tuple(sorted({round(i * (n_points - 1) / (most - 1)) for i in range(most)}))


# --------------------------------------------------------------------------------------------
# Parts of the file


class Base(NamedTuple):
    """A base scenario of the experiment: its file, raw tables and resolved scenario."""

    label: str
    path: Path
    raw: dict
    scenario: Scenario


def _base_scenarios(data: Mapping, folder: Path, problems: Collector) -> list[Base]:
    if "scenario" in data and "scenarios" in data:
        problems.add("", "found both scenario and scenarios; give one base scenario or a list")
        return []
    if "scenario" in data:
        entries, keys = [data["scenario"]], ["scenario"]
    elif "scenarios" in data:
        entries = data["scenarios"]
        if not isinstance(entries, list) or not entries:
            problems.add("scenarios", f"expected a non-empty list of scenario files, found "
                                      f"{entries!r}")
            return []
        keys = [f"scenarios[{i}]" for i in range(len(entries))]
    else:
        problems.add("scenario", 'missing; the base scenario, e.g. scenario = '
                                 '"../scenarios/noaberkracht.toml" (relative to this file)')
        return []
    bases: list[Base] = []
    for entry, key in zip(entries, keys, strict=True):
        if not isinstance(entry, str) or not entry.strip():
            problems.add(key, f"expected the path of a scenario file, found {entry!r}")
            continue
        base = read_base((folder / entry).resolve(), problems, key)
        if base is None:
            continue
        if any(b.label == base.label for b in bases):
            problems.add(key, f"found scenario {base.label!r} twice; give each base "
                              "scenario once")
            continue
        bases.append(base)
    return bases


def _design(value: Any, problems: Collector) -> Design:
    table = expect_table(value, "design", problems, "[design]") or {}
    reject_unknown(table, DESIGN_KEYS, "design", problems)
    kind = table.get("kind", "grid")
    if kind not in DESIGNS:
        problems.add("design.kind", f"found {kind!r}, allowed: {', '.join(map(repr, DESIGNS))}")
        kind = "grid"
    samples = table.get("samples", DEFAULT_SAMPLES.get(kind, 0))
    sampled = kind in DEFAULT_SAMPLES
    if not sampled and "samples" in table:
        problems.add("design.samples", f"a {kind} design has no samples: its points follow "
                                       "from the factors' values")
    elif sampled and (type(samples) is not int or not 2 <= samples <= MAX_POINTS):
        problems.add("design.samples", f"found {samples!r}, allowed: a whole number in "
                                       f"[2, {MAX_POINTS}]")
        samples = 2
    elif kind == "sobol" and samples & (samples - 1):
        problems.add("design.samples", f"found {samples}; Sobol' sequences keep their balance "
                                       "only for a power of 2 (e.g. 64, 128, 256)")
    levels = table.get("levels", 4)
    if "levels" in table and kind != "morris":
        problems.add("design.levels", "only a morris design has levels")
    elif type(levels) is not int or not 2 <= levels <= 100 or levels % 2:
        problems.add("design.levels", f"found {levels!r}, allowed: an even whole number in "
                                      "[2, 100] (Morris 1991)")
        levels = 4
    seed = table.get("seed", 0)
    if type(seed) is not int or not 0 <= seed < 2**32:
        problems.add("design.seed", f"found {seed!r}, allowed: a whole number in [0, 2**32)")
        seed = 0
    return Design(kind=kind, samples=samples if sampled else 0, levels=levels, seed=seed)


def _run(value: Any, problems: Collector) -> dict:
    table = expect_table(value, "run", problems, "[run]") or {}
    reject_unknown(table, RUN_KEYS, "run", problems)
    run = {"replications": 1000, "seed": RunSettings().seed, "horizon_years": None,
           "common_random_numbers": True, "keep_events": False}
    for name in ("replications", "seed", "horizon_years"):
        if name not in table:
            continue
        meta = _RUN_SPECS[name].metadata
        x = table[name]
        if (isinstance(x, bool) or not isinstance(x, int | float)
                or (name != "horizon_years" and type(x) is not int)
                or not meta["low"] <= x <= meta["high"]):
            problems.add(f"run.{name}", f"found {x!r}, allowed range [{meta['low']}, "
                                        f"{meta['high']}] ({meta['unit']})")
        else:
            run[name] = x
    for name in ("common_random_numbers", "keep_events"):
        if name in table:
            if not isinstance(table[name], bool):
                problems.add(f"run.{name}", f"expected true or false, found {table[name]!r}")
            else:
                run[name] = table[name]
    return run


def _factors(value: Any, design: Design, bases: list[Base], problems: Collector) -> tuple:
    if value is None:
        problems.add("factors", 'missing; list the factors as [[factors]] tables with a key '
                                'and values or a range, e.g. key = "levers.has_committees"')
        return ()
    if not isinstance(value, list) or not value:
        problems.add("factors", f"expected [[factors]] tables, found {value!r}")
        return ()
    factors, seen = [], set()
    for i, entry in enumerate(value):
        prefix = f"factors[{i}]"
        table = expect_table(entry, prefix, problems, "a [[factors]] entry")
        if table is None:
            continue
        before = len(problems)
        reject_unknown(table, FACTOR_KEYS, prefix, problems)
        factor = _factor(table, prefix, design, bases, problems)
        if factor is None or len(problems) > before:
            continue
        if factor.key in seen:
            problems.add(f"{prefix}.key", f"found {factor.key!r} again; vary each key once")
            continue
        seen.add(factor.key)
        factors.append(factor)
    return tuple(factors)


def _factor(table: Mapping, prefix: str, design: Design, bases: list[Base],
            problems: Collector) -> Factor | None:
    key = table.get("key")
    if not isinstance(key, str) or not key.strip():
        problems.add(f"{prefix}.key", f"expected a dotted key as in --set (e.g. "
                                      f"\"levers.culture_build_new\"), found {key!r}")
        return None
    current = _current_value(key, f"{prefix}.key", bases, problems)
    if current is _MISSING:
        return None
    integer = type(current) is int
    distribution = table.get("distribution", "uniform")
    if distribution not in DISTRIBUTIONS:
        problems.add(f"{prefix}.distribution", f"found {distribution!r}, allowed: "
                                               f"{', '.join(map(repr, DISTRIBUTIONS))}")
        return None
    if ("values" in table) == ("range" in table):
        problems.add(prefix, "give either values = [...] or range = [low, high]")
        return None
    scenarios = table.get("scenarios", [])
    labels = [b.label for b in bases]
    if "scenarios" in table:
        if design.kind != "one_at_a_time":
            problems.add(f"{prefix}.scenarios", "only a one_at_a_time design varies a factor "
                                                "on some of the base scenarios")
            return None
        if (not isinstance(scenarios, list) or not scenarios
                or not all(isinstance(x, str) for x in scenarios)):
            problems.add(f"{prefix}.scenarios", f"expected a list of scenario names, found "
                                                f"{scenarios!r}")
            return None
        unknown = [x for x in scenarios if x not in labels]
        if unknown:
            problems.add(f"{prefix}.scenarios", f"found {unknown!r}; the base scenarios are "
                                                f"{labels!r}")
            return None
    note = table.get("note", "")
    if not isinstance(note, str):
        problems.add(f"{prefix}.note", f"expected a string, found {note!r}")
        return None
    if design.kind == "one_at_a_time" and not (isinstance(table.get("values"), list)
                                               and table["values"]):
        problems.add(f"{prefix}.values", "a one_at_a_time design needs values = [...]: the "
                                         "values compared with each scenario's own (the "
                                         "reference)")
        return None
    if "values" in table:
        values = table["values"]
        if design.kind not in ("grid", "one_at_a_time"):
            problems.add(f"{prefix}.values", f"a {design.kind} design samples a range; give "
                                             "range = [low, high] instead of values")
            return None
        if not isinstance(values, list) or not values:
            problems.add(f"{prefix}.values", f"expected a non-empty list, found {values!r}")
            return None
        if "steps" in table:
            problems.add(f"{prefix}.steps", "steps goes with a range, not with values")
        return Factor(key=key, values=tuple(values), integer=integer,
                      scenarios=tuple(scenarios), note=note)
    bounds = table["range"]
    if (not isinstance(bounds, list) or len(bounds) != 2 or not all(
            isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
            for x in bounds) or bounds[0] >= bounds[1]):
        problems.add(f"{prefix}.range", f"expected [low, high], two finite numbers with "
                                        f"low < high, found {bounds!r}")
        return None
    if isinstance(current, bool | str | list | dict):
        problems.add(f"{prefix}.range", f"{key} is not a number (it is {current!r}); give "
                                        "values = [...] instead")
        return None
    if distribution == "loguniform" and bounds[0] <= 0:
        problems.add(f"{prefix}.range", f"found {bounds!r}: a loguniform range must be "
                                        "positive")
        return None
    steps = table.get("steps")
    if design.kind == "grid":
        if type(steps) is not int or not 2 <= steps <= 1000:
            problems.add(f"{prefix}.steps", f"found {steps!r}; a grid over a range needs "
                                            "steps, a whole number in [2, 1000]")
            return None
    elif steps is not None:
        problems.add(f"{prefix}.steps", f"a {design.kind} design samples the range; steps "
                                        "is for grids")
        return None
    return Factor(key=key, low=float(bounds[0]), high=float(bounds[1]), steps=steps,
                  distribution=distribution, integer=integer, note=note)


_MISSING = object()


def _current_value(key: str, where: str, bases: list[Base], problems: Collector) -> Any:
    """The first base scenario's resolved value at ``key`` (its type decides whether sampled
    values are rounded); every base scenario must have the key."""
    current = _MISSING
    for base in bases:
        try:
            value = value_at(scenario_to_dict(base.scenario), key)
        except KeyError:
            problems.add(where, f"{key!r} is not a key of scenario {base.label!r}; use the "
                                "dotted keys of --set, e.g. levers.has_committees or "
                                "case.members[0].population")
            return _MISSING
        current = value if current is _MISSING else current
    return current


def _curves(outputs: Any, problems: Collector) -> tuple[int, ...]:
    table = expect_table(outputs, "outputs", problems, "[outputs]") or {}
    reject_unknown(table, OUTPUT_KEYS, "outputs", problems)
    curves = table.get("curves", [])
    if not isinstance(curves, list) or not all(type(i) is int and i >= 0 for i in curves):
        problems.add("outputs.curves", f"expected a list of point numbers, found {curves!r}")
        return ()
    return tuple(curves)


# --------------------------------------------------------------------------------------------
# Designs


def design_points(factors: tuple[Factor, ...], design: Design) -> tuple[np.ndarray, list]:
    """The design matrix in sampling coordinates and the factor values of each point.

    Grids are the full factorial in :func:`itertools.product` order (the first factor varies
    slowest). Latin hypercube, Sobol' and Morris designs come from SALib's samplers:
    ``latin.sample`` (McKay et al. 1979), ``sobol.sample`` (Saltelli 2002; Saltelli et al.
    2010; without second-order terms: N (D + 2) points) and ``morris.sample`` (Morris 1991;
    Campolongo et al. 2007: r (D + 1) points), each seeded with the design's seed.
    """
    if design.kind == "grid":
        grids = [f.grid_values() for f in factors]
        combos = list(itertools.product(*grids))
        numeric = np.array([[_as_number(x) for x in c] for c in combos], dtype=float)
        return numeric, [tuple(zip((f.key for f in factors), c, strict=True)) for c in combos]
    problem = {"num_vars": len(factors), "names": [f.key for f in factors],
               "bounds": [list(f.bounds()) for f in factors]}
    if design.kind == "lhs":
        from SALib.sample import latin

        sample = latin.sample(problem, design.samples, seed=design.seed)
    elif design.kind == "sobol":
        from SALib.sample import sobol

        sample = sobol.sample(problem, design.samples, calc_second_order=False,
                              seed=design.seed)
    else:
        from SALib.sample import morris

        sample = morris.sample(problem, design.samples, num_levels=design.levels,
                               seed=design.seed)
    values = [tuple((f.key, f.from_sampling_coordinate(u)) for f, u in zip(factors, row,
                                                                           strict=True))
              for row in sample]
    return np.asarray(sample, dtype=float), values


def one_at_a_time_points(bases: list[Base], factors: tuple[Factor, ...]) -> list[tuple]:
    """(base, values, reference position) of a one-at-a-time design: on each of its
    scenarios, every factor at the scenario's own value (the reference) and alone at each of
    its other values."""
    planned = []
    for factor in factors:
        for base in bases:
            if factor.scenarios and base.label not in factor.scenarios:
                continue
            own = value_at(scenario_to_dict(base.scenario), factor.key)
            reference = len(planned)
            for value in (own, *(v for v in factor.values if v != own)):
                planned.append((base, ((factor.key, value),), reference))
    return planned


def _as_number(x) -> float:
    if isinstance(x, bool):
        return float(x)
    if isinstance(x, int | float):
        return float(x)
    return math.nan  # strings and lists have no position on an axis


def _resolve_points(planned: list[tuple], run: dict, problems: Collector) -> tuple[Point, ...]:
    """Every point, given as (base, values, reference[, run settings of its own]), as a
    validated scenario; problems name the point and its values."""
    points = []
    for base, values, reference, *own in planned:
        settings = dict(values)
        point_run = {**run, **(own[0] if own else {})}
        if point_run.get("horizon_years") is not None:
            settings.setdefault("run.horizon_years", point_run["horizon_years"])
        settings["run.replications"] = point_run["replications"]
        settings["run.seed"] = point_run["seed"]
        try:
            data = set_values(base.raw, settings, source=str(base.path))
            scenario = parse_scenario(data, source=str(base.path))
        except ScenarioError as error:
            shown = ", ".join(f"{k} = {v!r}" for k, v in values)
            for problem in error.problems[:3]:
                problems.add(f"point {len(points)} ({base.label}: {shown})",
                             f"{problem.key}: {problem.message}")
            points.append(None)
            continue
        points.append(Point(index=len(points), label=base.label, values=tuple(values),
                            scenario=scenario, reference=reference))
    return tuple(points)
