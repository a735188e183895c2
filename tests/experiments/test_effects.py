"""One-at-a-time experiments and the effects table: paired differences against each
scenario's own value, and docs/levers.md generated from the shipped experiment."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

import samenwerkingsim as sws
from samenwerkingsim.experiments.effects import indicators, lever_effects, paired_effect
from samenwerkingsim.experiments.spec import load_experiment
from samenwerkingsim.model.params import LEVER_NAMES

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = (ROOT / "scenarios").as_posix()


def test_paired_effect_is_the_mean_difference_with_its_standard_error():
    new, old = np.array([1.0, 1.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0, 0.0])
    mean, low, high = paired_effect(new, old)
    se = np.std(new - old, ddof=1) / 2
    assert mean == 0.5 and (low, high) == pytest.approx((0.5 - 1.96 * se, 0.5 + 1.96 * se))


def test_indicators_count_an_ending_in_the_tenth_year_month_as_ended():
    ind = indicators([120, 121, 60, 240], ["merger", "dissolution", "dissolution", "censored"],
                     [-1, 30, -1, 125], 120)
    assert ind["s_10y"].tolist() == [0, 1, 0, 1]
    assert ind["intact_10y"].tolist() == [0, 0, 0, 1]
    assert ind["merger_10y"].tolist() == [1, 0, 0, 0]
    assert ind["dissolution_10y"].tolist() == [0, 0, 1, 0]


def test_a_one_at_a_time_design_compares_each_value_with_the_scenarios_own(tmp_path):
    path = tmp_path / "oat.toml"
    path.write_text(f"""# Question: a test?
schema_version = 1
name = "oat"
scenarios = ["{SCENARIOS}/noaberkracht.toml", "{SCENARIOS}/divergent_four.toml"]
[design]
kind = "one_at_a_time"
[run]
replications = 200
horizon_years = 10
[[factors]]
key = "levers.culture_build_new"
values = [0.2, 0.85]
[[factors]]
key = "levers.exit_cost_years"
values = [3.0, 6.0]
scenarios = ["divergent_four"]
""")
    experiment = load_experiment(path)
    planned = [(p.label, dict(p.values), p.reference) for p in experiment.points]
    # noaberkracht's own culture is 0.85: reference, then 0.2; divergent_four's is 0.15
    assert planned[:2] == [("noaberkracht", {"levers.culture_build_new": 0.85}, 0),
                           ("noaberkracht", {"levers.culture_build_new": 0.2}, 0)]
    assert planned[2][1] == {"levers.culture_build_new": 0.15}
    assert [p[1] for p in planned[5:]] == [{"levers.exit_cost_years": 3.0},
                                           {"levers.exit_cost_years": 6.0}]
    result = sws.sweep(experiment, out=tmp_path / "out")
    effects = lever_effects(result).records()
    assert len(effects) == 4  # every non-reference point
    culture = next(e for e in effects if e["scenario"] == "noaberkracht")
    assert culture["s_10y"] < 0 < culture["dissolution_10y"]  # less build-new, more endings
    assert (tmp_path / "out" / "effects.md").read_text().count("## `levers.") == 2


@pytest.fixture(scope="module")
def levers_md() -> str:
    return (ROOT / "docs" / "levers.md").read_text(encoding="utf-8")


def test_the_lever_effects_table_covers_every_lever(levers_md):
    for lever in LEVER_NAMES:
        assert f"## `levers.{lever}`" in levers_md, f"docs/levers.md lacks {lever}"
    assert levers_md.count("Pathway in the code:") == len(LEVER_NAMES)


def test_the_lever_effects_table_was_generated_by_the_current_experiment_and_model(levers_md):
    # the fingerprint covers the experiment file and every point's resolved scenario, the
    # default behavioural parameters included: rerun the experiment after changing either
    #   samenwerkingsim sweep experiments/lever_effects.toml --out results/lever_effects
    #   cp results/lever_effects/effects.md docs/levers.md
    found = re.search(r"experiment fingerprint `([0-9a-f]{16})`", levers_md).group(1)
    assert found == load_experiment(ROOT / "experiments" / "lever_effects.toml").digest()


def test_every_row_has_finite_effects_with_intervals_around_them(levers_md):
    rows = [line for line in levers_md.splitlines() if line.startswith("| ")
            and not line.startswith("| scenario")]
    assert len(rows) >= len(LEVER_NAMES)
    for row in rows:
        for value, low, high in re.findall(
                r"\*{0,2}([+-]\d\.\d{3})\*{0,2} \[([+-]\d\.\d{3}), ([+-]\d\.\d{3})\]", row):
            assert float(low) <= float(value) <= float(high) and math.isfinite(float(value))
