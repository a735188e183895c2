"""Contrasts: one scenario against another point by point, and a posterior experiment that
reports them end to end."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from samenwerkingsim.cli import main
from samenwerkingsim.experiments.contrasts import CONTRAST_OUTPUTS, contrasts

ROOT = Path(__file__).resolve().parents[2]


def hand_made_result(base_s10, variant_s10):
    """Points 0..n-1 of scenario 'a', then the same draws of scenario 'b'."""
    n = len(base_s10)
    labels = ["a"] * n + ["b"] * n
    table = {output: np.full(2 * n, 0.5) for output in CONTRAST_OUTPUTS}
    table["s_10y"] = np.array([*base_s10, *variant_s10], dtype=float)
    table["s_15y"] = np.full(2 * n, np.nan)  # beyond the horizon: left out
    experiment = SimpleNamespace(points=[SimpleNamespace(label=x) for x in labels],
                                 contrasts=(("b against a", "a", "b"),))
    return SimpleNamespace(experiment=experiment, table=table)


def test_a_contrast_pairs_the_points_draw_by_draw():
    # the variant is lower at draws 0 and 1 and higher at draw 2: the median of the paired
    # differences (-0.2) is not the difference of the medians (0.7 - 0.8 = -0.1)
    result = hand_made_result([0.9, 0.8, 0.1], [0.7, 0.6, 0.95])
    rows = {r["output"]: r for r in contrasts(result).records()}
    assert "s_15y" not in rows
    s10 = rows["s_10y"]
    assert s10["difference"] == pytest.approx(-0.2)
    assert s10["p_negative"] == pytest.approx(2 / 3)
    assert s10["points"] == 3
    assert s10["low"] <= s10["difference"] <= s10["high"]
    assert rows["merger_10y"]["difference"] == 0 and rows["merger_10y"]["p_negative"] == 0


def test_a_posterior_experiment_reports_its_contrasts(tmp_path, capsys):
    experiment = tmp_path / "factors.toml"
    experiment.write_text(f"""
schema_version = 1
name = "factors"
scenarios = ["{(ROOT / 'scenarios' / 'noaberkracht.toml').as_posix()}",
             "{(ROOT / 'scenarios' / 'noaberkracht_no_joint_meetings.toml').as_posix()}"]
[design]
kind = "posterior"
samples = 4
[run]
replications = 60
horizon_years = 15
[[contrasts]]
name = "no joint meetings"
base = "noaberkracht"
variant = "noaberkracht_no_joint_meetings"
""")
    out = tmp_path / "out"
    assert main(["sweep", str(experiment), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "no joint meetings" in printed and "P(lower)" in printed
    assert "behaviour." not in printed, "the draws' parameters belong in points.csv"
    assert {"contrasts.csv", "contrasts.md", "contrasts.png"} <= {p.name for p in out.iterdir()}
    assert not (out / "stability_by_factor.png").exists()
    report = (out / "contrasts.md").read_text()
    assert "## no joint meetings" in report and "| s_10y |" in report


def test_a_contrast_of_a_scenario_not_in_the_experiment_is_explained(tmp_path, capsys):
    shipped = (ROOT / "experiments" / "success_factors.toml").read_text()
    text = shipped.replace('variant = "noaberkracht_high_autonomy"',
                           'variant = "noaberkracht_high_autonomie"').replace(
        '"../scenarios/', f'"{(ROOT / "scenarios").as_posix()}/')
    path = tmp_path / "bad.toml"
    path.write_text(text)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "contrasts[7]" in err and "noaberkracht_high_autonomie" in err
