"""The resolved scenario, every default filled in, in the scenario file format (for manifests),
and its short fingerprint."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ..model.params import (
    AGENDA_DIMENSIONS,
    Case,
    PopulationSample,
    Scenario,
)
from .schema import (
    BEHAVIOUR_SPECS,
    CASE_SPECS,
    LEVER_SPECS,
    MEMBER_SPECS,
    RUN_SPECS,
    SAMPLE_PROBABILITIES,
    SAMPLE_RANGE_BOUNDS,
    SAMPLED_LEVERS,
    SCHEMA_VERSION,
)
from .values import coerce_to_field, format_month

# --------------------------------------------------------------------------------------------
# The resolved scenario, for manifests


def _plain_fields(obj: Any, specs: Mapping[str, dataclasses.Field]) -> dict[str, Any]:
    return {name: coerce_to_field(getattr(obj, name), f) for name, f in specs.items()}


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
    levers = _plain_fields(scenario.levers, LEVER_SPECS)
    if scenario.sample is not None:
        for name in SAMPLED_LEVERS:
            del levers[name]
    levers["timeline"] = [
        {"date": format_month(change.year, change.month),
         **{name: coerce_to_field(value, LEVER_SPECS[name]) for name, value in change.changes}}
        for change in scenario.timeline]
    out["levers"] = levers
    behaviour = _plain_fields(scenario.behaviour, BEHAVIOUR_SPECS)
    behaviour["director_competence_range"] = [
        float(x) for x in scenario.behaviour.director_competence_range]
    out["behaviour"] = behaviour
    out["run"] = _plain_fields(scenario.run, RUN_SPECS)
    return out


def _case_to_dict(case: Case) -> dict:
    out: dict[str, Any] = {"start": format_month(case.start_year, case.start_month)}
    out.update(_plain_fields(case, CASE_SPECS))
    out["members"] = [
        {"name": m.name, "population": int(m.population),
         "agenda": {dim: float(x) for dim, x in zip(AGENDA_DIMENSIONS, m.agenda, strict=True)},
         **{name: coerce_to_field(getattr(m, name), f) for name, f in MEMBER_SPECS.items()
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
    for key in SAMPLE_RANGE_BOUNDS:
        out[key] = [float(x) for x in getattr(sample, key)]
    for key in SAMPLE_PROBABILITIES[1:]:
        out[key] = float(getattr(sample, key))
    return out


def scenario_hash(scenario: Scenario) -> str:
    """A short fingerprint of the resolved scenario: the first 16 hex digits of the SHA-256 of
    the canonical JSON (sorted keys, no spaces) of :func:`scenario_to_dict`."""
    canonical = json.dumps(scenario_to_dict(scenario), sort_keys=True, separators=(",", ":"),
                           ensure_ascii=True, allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
