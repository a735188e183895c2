"""Calibration files: which scenarios and targets, and how much simulation each stage gets.

A calibration file (``experiments/calibration.toml``) is TOML, validated like the others::

    schema_version = 1
    name = "calibration"
    seed = 20231031

    [scenarios.national]
    file = "../scenarios/national.toml"
    horizon_years = 10

    [[targets]]
    name = "national S(5y)"
    scenario = "national"
    output = "s_5y"
    band = "national_trend.survival_5y"   # a band { value, low, high } of data/targets.toml

    [[targets]]
    name = "Noaberkracht ends in a merger within 10 years"
    scenario = "noaberkracht"
    output = "merger_10y"
    at_most = 0.1

    [screening]                 # Morris over every behavioural parameter with a prior
    trajectories = 6            # (or over those of parameters = [...] only)
    replications = { national = 200, ... }
    keep = 10                   # the most influential parameters go on
    always_keep = [...]         # and these, whatever their influence (the question's own)

    [[waves]]                   # history matching
    points = 1200
    replications = { national = 300, ... }
    cutoff = 3.0

    [abc]                       # rejection on a reference table in the non-implausible region
    points = 800
    replications = { national = 1000, ... }
    tolerance = 2.0

    [check]                     # the chosen point, with many replications
    replications = { national = 8000, ... }

    [predictive]                # posterior predictive checks
    draws = 200
    horizon_years = { national = 20, ... }
    replications = { national = 400, ... }
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..experiments.spec import Base, ExperimentError, read_base, without_values
from ..model.params import Behaviour, field_specs
from ..output.files import read_targets
from ..scenarios.errors import Collector, Problem, reject_unknown
from ..scenarios.parsing import read_toml_file
from ..scenarios.values import check_header, expect_table

__all__ = ["CalibrationError", "CalibrationSpec", "Target", "calibrated_parameters",
           "load_calibration"]

SCHEMA_VERSION = 1
TOP_LEVEL_KEYS = ("schema_version", "name", "description", "seed", "scenarios", "targets",
                  "screening", "waves", "abc", "check", "predictive")
OUTPUTS = ("s_5y", "s_10y", "s_15y", "s_20y", "intact_10y", "dissolution_10y", "merger_10y")
_BEHAVIOUR = field_specs(Behaviour)


class CalibrationError(ExperimentError):
    """A calibration file that cannot be used, with every problem in it (exit code 2)."""

    what = "calibration"


def calibrated_parameters() -> list[str]:
    """The behavioural parameters with a prior to calibrate (not ``fixed``), in order."""
    return [name for name, f in _BEHAVIOUR.items() if f.metadata["prior"].kind != "fixed"]


def output_years(output: str) -> int:
    """The year an output is read at: 10 for ``s_10y``."""
    return int(output.split("_")[-1].rstrip("y"))


@dataclass(frozen=True)
class Target:
    """An empirical target: an output of one scenario inside a band, or above or below a
    threshold.

    Attributes
    ----------
    name : str
    scenario : str
        The label of a scenario of the calibration.
    output : str
        One of :data:`OUTPUTS` (``s_10y``: still standing after 10 years, ...).
    low, high : float
        The band; ``at_least`` is a band ``[threshold, 1]``, ``at_most`` ``[0, threshold]``.
    kind : {"band", "at_least", "at_most"}
    source : str
        Where the band comes from.
    """

    name: str
    scenario: str
    output: str
    low: float
    high: float
    kind: str
    source: str

    @property
    def years(self) -> int:
        return output_years(self.output)


@dataclass(frozen=True)
class Stage:
    """How much simulation a stage gets: points and replications per scenario."""

    points: int
    replications: dict[str, int]
    cutoff: float = 3.0


@dataclass(frozen=True, eq=False)
class CalibrationSpec:
    name: str
    description: str
    source: str
    seed: int
    bases: tuple[Base, ...]
    horizons: dict[str, float]
    targets: tuple[Target, ...]
    screening_trajectories: int
    screening_replications: dict[str, int]
    screened: tuple[str, ...]
    keep: int   # kept by influence; always_keep come on top
    always_keep: tuple[str, ...]
    waves: tuple[Stage, ...]
    abc: Stage
    check_replications: dict[str, int]
    predictive_draws: int
    predictive_horizons: dict[str, float]
    predictive_replications: dict[str, int]
    text: str  # the file itself, for the fingerprint

    def digest(self) -> str:
        """Fingerprint of the file's text and the resolved scenarios, without the values of
        the parameters it screens: the calibration replaces those, so adopting its result as
        the defaults leaves the fingerprint as it was. (The stages' stores have their own
        fingerprints, which hold every value a stage keeps fixed, so a changed default is
        still refused for resume.)"""
        from ..scenarios import scenario_to_dict

        screened = {f"behaviour.{name}" for name in self.screened}
        scenarios = {b.label: without_values(scenario_to_dict(b.scenario), screened)
                     for b in self.bases}
        content = self.text + json.dumps(scenarios, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]

    def base(self, label: str) -> Base:
        return next(b for b in self.bases if b.label == label)


def load_calibration(path: str | os.PathLike) -> CalibrationSpec:
    """Read and validate a calibration file.

    Raises
    ------
    CalibrationError
        Listing every problem.
    """
    source = str(path)
    data = read_toml_file(path, CalibrationError)
    problems = Collector()
    if not isinstance(data, Mapping):
        raise CalibrationError(source, [Problem("", f"expected a table, found {data!r}")])
    reject_unknown(data, TOP_LEVEL_KEYS, "", problems, what="table or key")
    name = check_header(data, problems, what="calibration", example="calibration",
                        version=SCHEMA_VERSION, forbidden="/\\")
    seed = data.get("seed", 20231031)
    if type(seed) is not int or not 0 <= seed < 2**63:
        problems.add("seed", f"found {seed!r}, allowed: a whole number in [0, 2**63)")
    folder = Path(path).resolve().parent
    bases, horizons = _scenarios(data.get("scenarios"), folder, problems)
    labels = [b.label for b in bases]
    targets = _targets(data.get("targets"), labels, horizons, problems)
    screening = expect_table(data.get("screening", {}), "screening", problems) or {}
    reject_unknown(screening, ("trajectories", "replications", "keep", "parameters",
                               "always_keep"), "screening", problems)
    screened = screening.get("parameters", calibrated_parameters())
    if (not isinstance(screened, list) or not screened
            or any(p not in calibrated_parameters() for p in screened)):
        unknown = [p for p in screened if p not in calibrated_parameters()] if isinstance(
            screened, list) else screened
        problems.add("screening.parameters", f"found {unknown!r}: give behavioural "
                                             "parameters with a prior to calibrate (see "
                                             "docs/parameters.md)")
        screened = calibrated_parameters()
    twice = sorted({p for p in screened if screened.count(p) > 1})
    if twice:
        problems.add("screening.parameters", f"found {twice!r} more than once: name each "
                                             "parameter once")
        screened = list(dict.fromkeys(screened))
    trajectories = _whole(screening.get("trajectories", 6), "screening.trajectories", 2, 1000,
                          problems)
    keep = _whole(screening.get("keep", 10), "screening.keep", 1, len(screened), problems)
    always_keep = screening.get("always_keep", [])
    if not isinstance(always_keep, list) or any(p not in screened for p in always_keep):
        unknown = [p for p in always_keep if p not in screened] if isinstance(
            always_keep, list) else always_keep
        problems.add("screening.always_keep", f"found {unknown!r}: give parameters that are "
                                              "screened (behavioural, with a prior)")
        always_keep = []
    waves_value = data.get("waves", [])
    if not isinstance(waves_value, list) or not waves_value:
        problems.add("waves", "expected one or more [[waves]] of history matching")
        waves_value = []
    waves = tuple(_stage(w, f"waves[{i}]", labels, problems, cutoff=True)
                  for i, w in enumerate(waves_value))
    abc = _stage(data.get("abc", {}), "abc", labels, problems, cutoff=False)
    check = expect_table(data.get("check", {}), "check", problems) or {}
    reject_unknown(check, ("replications",), "check", problems)
    predictive = expect_table(data.get("predictive", {}), "predictive", problems) or {}
    reject_unknown(predictive, ("draws", "horizon_years", "replications"), "predictive",
                   problems)
    draws = _whole(predictive.get("draws", 200), "predictive.draws", 2, 100_000, problems)
    predictive_horizons = _per_scenario(predictive.get("horizon_years"),
                                        "predictive.horizon_years", labels, problems,
                                        kind=float)
    for target in targets:
        years = target.years
        if predictive_horizons[target.scenario] < years:
            problems.add(f"predictive.horizon_years.{target.scenario}",
                         f"found {predictive_horizons[target.scenario]:g}: the target "
                         f"{target.name!r} ({target.output}) needs at least {years} years")
    if problems:
        raise CalibrationError(source, problems.items)
    return CalibrationSpec(
        name=name, description=data.get("description", ""), source=source, seed=seed,
        bases=tuple(bases), horizons=horizons, targets=targets,
        screening_trajectories=trajectories, screened=tuple(screened),
        always_keep=tuple(dict.fromkeys(always_keep)),
        screening_replications=_per_scenario(screening.get("replications"),
                                             "screening.replications", labels, problems),
        keep=keep, waves=waves, abc=abc,
        check_replications=_per_scenario(check.get("replications"), "check.replications",
                                         labels, problems),
        predictive_draws=draws,
        predictive_horizons=predictive_horizons,
        predictive_replications=_per_scenario(predictive.get("replications"),
                                              "predictive.replications", labels, problems),
        text=Path(path).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------


def _whole(value: Any, key: str, low: int, high: int, problems: Collector) -> int:
    if type(value) is not int or not low <= value <= high:
        problems.add(key, f"found {value!r}, allowed: a whole number in [{low}, {high}]")
        return low
    return value


def _scenarios(value: Any, folder: Path, problems: Collector) -> tuple[list, dict]:
    table = expect_table(value, "scenarios", problems, "[scenarios.<label>] tables")
    if not table:
        problems.add("scenarios", "give at least one [scenarios.<label>] with a file")
        return [], {}
    bases, horizons = [], {}
    for label, entry in table.items():
        key = f"scenarios.{label}"
        entry = expect_table(entry, key, problems) or {}
        reject_unknown(entry, ("file", "horizon_years"), key, problems)
        if not isinstance(entry.get("file"), str):
            problems.add(f"{key}.file", "missing; the scenario file, relative to this file")
            continue
        base = read_base((folder / entry["file"]).resolve(), problems, f"{key}.file")
        if base is None:
            continue
        if base.label != label:
            problems.add(key, f"the scenario in {entry['file']} is named {base.label!r}; "
                              "name the table after it")
            continue
        horizon = entry.get("horizon_years", base.scenario.run.horizon_years)
        if not isinstance(horizon, int | float) or isinstance(horizon, bool) or not (
                0.1 <= horizon <= 200):
            problems.add(f"{key}.horizon_years", f"found {horizon!r}, allowed [0.1, 200]")
            continue
        bases.append(base)
        horizons[label] = float(horizon)
    return bases, horizons


def _targets(value: Any, labels: list[str], horizons: dict, problems: Collector) -> tuple:
    if not isinstance(value, list) or not value:
        problems.add("targets", "expected [[targets]] tables")
        return ()
    evidence = read_targets()
    targets = []
    for i, entry in enumerate(value):
        key = f"targets[{i}]"
        entry = expect_table(entry, key, problems) or {}
        reject_unknown(entry, ("name", "scenario", "output", "band", "at_least", "at_most",
                               "source"), key, problems)
        scenario, output = entry.get("scenario"), entry.get("output")
        if scenario not in labels:
            problems.add(f"{key}.scenario", f"found {scenario!r}; the scenarios are {labels}")
            continue
        if output not in OUTPUTS:
            problems.add(f"{key}.output", f"found {output!r}, allowed: {', '.join(OUTPUTS)}")
            continue
        years = output_years(output)
        if horizons[scenario] < years:
            problems.add(f"{key}.output", f"{output} needs a horizon of {years} years; "
                                          f"scenarios.{scenario} runs {horizons[scenario]:g}")
            continue
        given = [k for k in ("band", "at_least", "at_most") if k in entry]
        if len(given) != 1:
            problems.add(key, "give exactly one of band = \"<key in targets.toml>\", "
                              "at_least = p or at_most = p")
            continue
        kind = given[0]
        if kind == "band":
            band = _band(evidence, entry["band"])
            if band is None:
                problems.add(f"{key}.band", f"found {entry['band']!r}: not a band {{ value, "
                                            "low, high } of data/targets.toml")
                continue
            low, high = band
            source = f"data/targets.toml {entry['band']}"
        else:
            threshold = entry[kind]
            if (isinstance(threshold, bool) or not isinstance(threshold, int | float)
                    or not 0 <= threshold <= 1):
                problems.add(f"{key}.{kind}", f"found {threshold!r}, allowed a probability")
                continue
            low, high = (float(threshold), 1.0) if kind == "at_least" else (0.0,
                                                                            float(threshold))
            source = entry.get("source", "")
        name = entry.get("name", f"{scenario} {output}")
        if not isinstance(name, str) or not name or name in {t.name for t in targets}:
            problems.add(f"{key}.name", f"found {name!r}: every target needs a name of its "
                                        "own (a non-empty string; it heads the columns of the "
                                        "tables)")
            continue
        targets.append(Target(name=name,
                              scenario=scenario, output=output, low=low, high=high, kind=kind,
                              source=source))
    return tuple(targets)


def _band(evidence: dict, dotted: Any) -> tuple[float, float] | None:
    if not isinstance(dotted, str):
        return None
    node: Any = evidence
    for step in dotted.split("."):
        if not isinstance(node, dict) or step not in node:
            return None
        node = node[step]
    if isinstance(node, dict) and {"low", "high"} <= set(node):
        return float(node["low"]), float(node["high"])
    return None


def _per_scenario(value: Any, key: str, labels: list[str], problems: Collector,
                  kind: type = int) -> dict:
    if not isinstance(value, dict) or set(value) != set(labels):
        problems.add(key, f"expected one number per scenario, {{ {', '.join(labels)} }}, "
                          f"found {value!r}")
        return dict.fromkeys(labels, 1)
    out = {}
    for label, x in value.items():
        ok = (type(x) is int and x >= 1) if kind is int else (
            isinstance(x, int | float) and not isinstance(x, bool) and 0.1 <= x <= 200)
        if not ok:
            problems.add(f"{key}.{label}", f"found {x!r}, allowed a positive number")
            x = 1
        out[label] = kind(x)
    return out


def _stage(value: Any, key: str, labels: list[str], problems: Collector,
           cutoff: bool) -> Stage:
    """A stage's points and replications, and its cutoff (history matching) or tolerance
    (ABC), both in standard deviations and kept as ``Stage.cutoff``."""
    table = expect_table(value, key, problems) or {}
    allowed = ("points", "replications", "cutoff") if cutoff else (
        "points", "replications", "tolerance")
    reject_unknown(table, allowed, key, problems)
    points = _whole(table.get("points", 100), f"{key}.points", 2, 1_000_000, problems)
    replications = _per_scenario(table.get("replications"), f"{key}.replications", labels,
                                 problems)
    name = "cutoff" if cutoff else "tolerance"
    level = table.get(name, 3.0 if cutoff else 2.0)
    if not isinstance(level, int | float) or isinstance(level, bool) or not 0 < level <= 10:
        problems.add(f"{key}.{name}", f"found {level!r}, allowed a number in (0, 10] "
                                      "(standard deviations)")
        level = 3.0
    return dataclasses.replace(Stage(points, replications), cutoff=float(level))
