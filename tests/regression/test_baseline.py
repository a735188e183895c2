"""Golden baseline: the headline results of two scenarios, to notice when the model changes.

A change to the rules or the defaults that moves these numbers must be deliberate. When it is,
update the baseline and commit it with the change that caused it:

    SAMENWERKINGSIM_UPDATE_BASELINE=1 python -m pytest tests/regression

The same seed gives the same history replication by replication, so on this machine the
numbers are reproduced exactly. Another CPU or numpy build may round a last bit differently and
flip the odd replication; the tolerance allows three replications' worth (3 / 2000 = 0.0015 on
every share, survival and mean count). A real change of behaviour moves more replications than
that: a share of 0.0025 (5 replications) cannot even double unnoticed.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import pytest

from samenwerkingsim.experiments.runner import run_scenario
from samenwerkingsim.model.params import RunSettings
from samenwerkingsim.scenarios import load_scenario

ROOT = Path(__file__).resolve().parents[2]
BASELINE = Path(__file__).with_name("baseline.json")
SCENARIOS = ("kempengemeenten", "noaberkracht", "national")
REPLICATIONS, HORIZON_YEARS, SEED = 2000, 20, 7
TOLERANCE = 3 / REPLICATIONS  # three replications' worth


def headline(name: str) -> dict[str, float]:
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    scenario = dataclasses.replace(scenario, run=RunSettings(
        replications=REPLICATIONS, horizon_years=HORIZON_YEARS, seed=SEED))
    result = run_scenario(scenario)
    curves = result.curves()
    out = {f"survival_{y}y": curves.survival_at(y) for y in (5, 10, 15, 20)}
    out.update({f"intact_{y}y": curves.intact_at(y) for y in (10, 20)})
    out.update({f"share_{k}": v for k, v in curves.outcome_shares.items()})
    out["member_exits_per_replication"] = float(np.mean(result.runs["n_member_exits"]))
    return {k: round(float(v), 6) for k, v in out.items()}


def table(name: str, old: dict, new: dict) -> str:
    lines = [f"{name}: {'quantity':<32} {'baseline':>10} {'now':>10} {'diff':>10}"]
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key, float("nan")), new.get(key, float("nan"))
        flag = "  <--" if not abs(a - b) <= TOLERANCE else ""
        lines.append(f"{'':{len(name) + 2}}{key:<32} {a:>10.4f} {b:>10.4f} {b - a:>+10.4f}{flag}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def baseline() -> dict:
    if os.environ.get("SAMENWERKINGSIM_UPDATE_BASELINE"):
        data = {name: headline(name) for name in SCENARIOS}
        BASELINE.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return json.loads(BASELINE.read_text())


@pytest.mark.parametrize("name", SCENARIOS)
def test_headline_results_match_the_golden_baseline(name, baseline):
    new = headline(name)
    old = baseline[name]
    changed = [k for k in set(old) | set(new) if not abs(old.get(k, np.nan)
                                                          - new.get(k, np.nan)) <= TOLERANCE]
    assert not changed, (
        "the model's headline results moved; if that is intended, update the baseline with "
        "SAMENWERKINGSIM_UPDATE_BASELINE=1 python -m pytest tests/regression\n"
        + table(name, old, new))
