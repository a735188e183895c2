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


NOABERKRACHT = (ROOT / "scenarios" / "noaberkracht.toml").as_posix()


def contrast_experiment(tmp_path, design: str, run: str = ""):
    """Noaberkracht against an exact copy of itself (under another name)."""
    copy = tmp_path / "copy.toml"
    copy.write_text(Path(NOABERKRACHT).read_text().replace(
        'name = "noaberkracht"', 'name = "copy"', 1))
    path = tmp_path / "contrast.toml"
    path.write_text(f"""
schema_version = 1
name = "contrast"
scenarios = ["{NOABERKRACHT}", "{copy.as_posix()}"]
{design}
[run]
replications = 40
horizon_years = 12
{run}
[[contrasts]]
base = "noaberkracht"
variant = "copy"
""")
    return path


POSTERIOR = '[design]\nkind = "posterior"\nsamples = 3'


@pytest.mark.parametrize("design, run, message", [
    ('[design]\nkind = "one_at_a_time"\n[[factors]]\nkey = "levers.separate_director"\n'
     'values = [false]', "", "one_at_a_time design gives each scenario its own points"),
    (POSTERIOR, "common_random_numbers = false", "run.common_random_numbers"),
    (POSTERIOR, "horizon_years = 8", "contrasts compare outputs at 10 and 15 years"),
])
def test_contrasts_that_could_not_pair_their_points_are_refused(tmp_path, capsys, design, run,
                                                                message):
    text = contrast_experiment(tmp_path, design, run).read_text()
    if "horizon_years = 8" in run:
        text = text.replace("horizon_years = 12\n", "")
    (tmp_path / "contrast.toml").write_text(text)
    assert main(["validate", str(tmp_path / "contrast.toml")]) == 2
    assert message in capsys.readouterr().err


def test_a_scenario_contrasted_with_itself_differs_by_exactly_zero(tmp_path):
    # the same scenario twice: with common random numbers every draw replays the same
    # histories, so every paired difference is exactly 0 (not merely small)
    import samenwerkingsim as sws

    experiment = sws.load_experiment(contrast_experiment(tmp_path, POSTERIOR))
    result = sws.sweep(experiment, out=tmp_path / "out")
    rows = contrasts(result).records()
    assert rows and all(r["difference"] == r["low"] == r["high"] == 0 for r in rows)


def test_a_changed_posterior_gives_a_posterior_experiment_a_new_fingerprint(tmp_path,
                                                                            monkeypatch):
    import dataclasses

    from samenwerkingsim.experiments import draws
    from samenwerkingsim.experiments.spec import load_experiment

    path = contrast_experiment(tmp_path, POSTERIOR)
    before = load_experiment(path).digest()
    shipped = draws.load_posterior()
    moved = dataclasses.replace(shipped, values=shipped.values * 1.01)
    monkeypatch.setattr(draws, "load_posterior", lambda: moved)
    assert load_experiment(path).digest() != before  # a resume would refuse the old store
