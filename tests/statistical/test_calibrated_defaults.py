"""The default behavioural parameters are the calibration's chosen point: with them the national
ensemble lands inside every band of the packaged targets, and both success cases stand.

Nothing is censored before the horizon, so each output is a binomial proportion with standard
error sqrt(p (1 - p) / n). A band is met when the estimate lies inside it up to 4 standard
errors; a one-sided target (at least 0.8, at most 0.1) likewise. A correct calibration fails a
4-SE check with probability about 3e-5 on each side, so the test passes for almost any seed,
and a default that drifted out of a band fails it.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from samenwerkingsim.calibration.spec import load_calibration
from samenwerkingsim.experiments.runner import run_scenario

ROOT = Path(__file__).resolve().parents[2]
Z = 4.0
REPLICATIONS = {"national": 6000, "kempengemeenten": 1500, "noaberkracht": 3000}


@pytest.fixture(scope="module")
def outputs() -> dict:
    spec = load_calibration(ROOT / "experiments" / "calibration.toml")
    results = {}
    for base in spec.bases:
        scenario = dataclasses.replace(base.scenario, run=dataclasses.replace(
            base.scenario.run, horizon_years=spec.horizons[base.label]))
        curves = run_scenario(scenario, replications=REPLICATIONS[base.label], seed=99,
                              jobs=2).curves()
        results[base.label] = curves
    return {"spec": spec, "curves": results}


def value(curves, output: str) -> float:
    kind, years = output.rsplit("_", 1)
    years = int(years.rstrip("y"))
    if kind == "s":
        return curves.survival_at(years)
    if kind == "intact":
        return curves.intact_at(years)
    return curves.incidence_at(kind, years)


def test_the_default_parameters_meet_every_target_of_the_calibration(outputs):
    spec = outputs["spec"]
    misses = []
    for target in spec.targets:
        y = value(outputs["curves"][target.scenario], target.output)
        n = REPLICATIONS[target.scenario]
        se = math.sqrt(max(y * (1 - y), 0.25 / n) / n)
        if not target.low - Z * se <= y <= target.high + Z * se:
            misses.append(f"{target.name}: {y:.3f} outside [{target.low}, {target.high}] "
                          f"(SE {se:.4f})")
    assert not misses, "the defaults miss targets:\n" + "\n".join(misses)
