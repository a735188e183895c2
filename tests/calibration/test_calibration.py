"""The calibration: its file, the implausibility and acceptance rules, a small run end to end
that resumes without simulating, and the posterior runs of ``run`` and ``compare``."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from samenwerkingsim.calibration.inference import exceedance, implausibility, monte_carlo_sd
from samenwerkingsim.calibration.posterior import (
    Posterior,
    load_posterior,
    posterior_draws,
    probability_better,
    summarise_draws,
)
from samenwerkingsim.calibration.run import calibrate
from samenwerkingsim.calibration.spec import (
    CalibrationError,
    Target,
    calibrated_parameters,
    load_calibration,
)
from samenwerkingsim.cli import main
from samenwerkingsim.model.params import Behaviour, field_specs
from samenwerkingsim.output.calibration import write_calibration_outputs

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "experiments" / "calibration.toml"
NOABERKRACHT = ROOT / "scenarios" / "noaberkracht.toml"


def small_calibration(tmp_path: Path) -> Path:
    """The shipped calibration file at a tenth of a percent of its size."""
    text = SHIPPED.read_text()
    for old, new in (("trajectories = 8", "trajectories = 2"), ("keep = 12", "keep = 3"),
                     ("points = 1200", "points = 12"), ("points = 800", "points = 8"),
                     ("draws = 200", "draws = 3")):
        text = text.replace(old, new)
    text = re.sub(r"national = \d+, kempengemeenten = \d+, noaberkracht = \d+",
                  "national = 40, kempengemeenten = 20, noaberkracht = 40", text)
    text = text.replace('"../scenarios/', f'"{(ROOT / "scenarios").as_posix()}/')
    text = re.sub(r"always_keep = \[[^\]]*\]", 'always_keep = ["burden_cost_weight"]', text)
    text = text.replace("[screening]\n", '[screening]\nparameters = ["exit_logit", '
                        '"commitment_years", "merger_initiative_logit", '
                        '"merger_vote_logit", "burden_cost_weight"]\n')
    path = tmp_path / "small.toml"
    path.write_text(text)
    return path


def test_the_shipped_calibration_file_loads_with_every_target_of_the_issue():
    spec = load_calibration(SHIPPED)
    assert [b.label for b in spec.bases] == ["national", "kempengemeenten", "noaberkracht"]
    bands = {t.name: (t.low, t.high) for t in spec.targets}
    assert bands["national S(5y)"] == (0.72, 0.92)
    assert bands["national S(10y)"] == (0.40, 0.65)
    assert bands["national merger by 10y"] == (0.10, 0.30)
    assert bands["national dissolution by 10y"] == (0.18, 0.40)
    assert bands["Kempengemeenten standing after 15 years"] == (0.8, 1.0)
    assert bands["Noaberkracht standing after 10 years"] == (0.8, 1.0)
    assert bands["Noaberkracht merged within 10 years"] == (0.0, 0.1)
    assert len(spec.digest()) == 16


@pytest.mark.parametrize("change, message", [
    (('band = "national_trend.survival_5y"', 'band = "national_trend.survival_6y"'),
     "not a band"),
    (("at_least = 0.8", "at_least = true"), "allowed a probability"),
    (('name = "national S(10y)"', 'name = "national S(5y)"'), "a name of its own"),
    (("always_keep = [", 'parameters = ["exit_logit", "exit_logit"]\nalways_keep = ['),
     "more than once"),
    (("horizon_years = { national = 20, kempengemeenten = 40",
      "horizon_years = { national = 8, kempengemeenten = 40"), "needs at least 10 years"),
    (('output = "s_15y"', 'output = "s_25y"'), "allowed: s_5y"),
    (("horizon_years = 15", "horizon_years = 12"), "needs a horizon of 15 years"),
    (("keep = 12", "keep = 0"), "screening.keep"),
    (("cutoff = 3.0", "cutoff = -1"), "waves[0].cutoff"),
    (('"autonomy_cost_weight"]', '"autonomy_cost_wieght"]'), "screening.always_keep"),
])
def test_mistakes_in_a_calibration_file_are_explained(change, message, tmp_path):
    text = SHIPPED.read_text().replace(*change).replace(
        '"../scenarios/', f'"{(ROOT / "scenarios").as_posix()}/')
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(CalibrationError, match=re.escape(message)):
        load_calibration(path)


BAND = Target("band", "x", "s_10y", 0.40, 0.65, "band", "")
AT_LEAST = Target("floor", "x", "s_10y", 0.8, 1.0, "at_least", "")


def test_implausibility_combines_the_band_and_the_monte_carlo_error():
    # centre 0.525, band sd 0.0625; y = 0.7 from 400 replications: MC sd 0.0229
    y, n = np.array([0.7]), np.array([400])
    expected = (0.7 - 0.525) / np.sqrt(0.0625**2 + 0.7 * 0.3 / 400)
    assert implausibility(BAND, y, n)[0] == pytest.approx(expected)
    assert implausibility(AT_LEAST, np.array([0.85]), n)[0] == 0.0
    assert implausibility(AT_LEAST, np.array([0.78]), n)[0] == pytest.approx(
        0.02 / np.sqrt(0.78 * 0.22 / 400))


def test_exceedance_is_zero_inside_the_band_and_in_monte_carlo_sds_outside():
    n = np.array([1000])
    assert exceedance(BAND, np.array([0.5]), n)[0] == 0.0
    sd = monte_carlo_sd(np.array([0.7]), n)[0]
    assert exceedance(BAND, np.array([0.7]), n)[0] == pytest.approx(0.05 / sd)
    assert monte_carlo_sd(np.array([0.0]), np.array([100]))[0] > 0  # never zero


def test_a_small_calibration_runs_end_to_end_and_resumes_without_simulating(tmp_path):
    spec = load_calibration(small_calibration(tmp_path))
    out = tmp_path / "out"
    first = calibrate(spec, out)
    assert first.simulated == first.replications > 0
    # three by influence, and the one to keep whatever its influence
    assert "burden_cost_weight" in first.kept and 3 <= len(first.kept) <= 4
    assert set(first.kept) <= set(calibrated_parameters())
    assert first.waves and all(len(w["u"]) in (12, 8) for w in first.waves)
    written = {p.name for p in write_calibration_outputs(first)}
    assert {"report.md", "screening.csv", "waves.csv", "manifest.json"} <= written
    report = (out / "report.md").read_text()
    assert "## Screening" in report and "Fixed at their defaults" in report
    # every stage it reached is reported, and conflicts exactly when there were any
    assert ("## ABC" in report) == bool(first.reference)
    assert ("## The chosen point" in report) == bool(first.chosen)
    assert ("could not all be met" in report) == bool(first.conflicts)
    again = calibrate(spec, out)
    assert again.simulated == 0, "a finished calibration was simulated again"
    assert again.kept == first.kept
    assert np.array_equal(again.waves[0]["y"], first.waves[0]["y"])
    write_calibration_outputs(again)
    calls = json.loads((out / "calls.json").read_text())
    # the resumed call's report still gives the time and replications of the work it reads
    assert [c["simulated"] for c in calls] == [first.replications, 0]
    assert f"in 2 calls, which simulated {first.replications:,} replications" in (
        out / "report.md").read_text()


def test_the_same_calibration_given_by_another_path_resumes(tmp_path, monkeypatch):
    path = small_calibration(tmp_path)
    out = tmp_path / "out"
    first = calibrate(load_calibration(path), out)
    monkeypatch.chdir(path.parent)
    again = calibrate(load_calibration(Path(path.name)), out)
    assert again.simulated == 0 < first.simulated


def test_the_packaged_posterior_holds_calibrated_parameters_inside_their_priors():
    posterior = load_posterior()
    assert posterior.weights.sum() == pytest.approx(1.0)
    specs = field_specs(Behaviour)
    for j, name in enumerate(posterior.names):
        prior = specs[name].metadata["prior"]
        assert prior.kind != "fixed"
        assert (posterior.values[:, j] >= prior.low - 1e-9).all()
        assert (posterior.values[:, j] <= prior.high + 1e-9).all()


def test_posterior_draws_are_reproducible_and_weighted():
    posterior = load_posterior()
    assert posterior_draws(posterior, 20, 5) == posterior_draws(posterior, 20, 5)
    assert posterior_draws(posterior, 20, 5) != posterior_draws(posterior, 20, 6)
    # two points weighted 0.8 and 0.2: 4,000 draws pick the first 3,200 times, SE 25
    two = Posterior(("exit_logit",), np.array([[-7.0], [-6.0]]), np.array([0.8, 0.2]))
    picks = [d["exit_logit"] for d in posterior_draws(two, 4000, 1)]
    assert abs(picks.count(-7.0) - 3200) < 4 * np.sqrt(4000 * 0.8 * 0.2)


def test_probability_better_is_counted_draw_by_draw():
    from samenwerkingsim.analysis import stability_curves

    def curves(end):
        outcomes = ["dissolution" if e < 120 else "censored" for e in end]
        return stability_curves(np.array(end), np.array(outcomes), 120,
                                first_exit_month=np.full(len(end), -1))

    a = summarise_draws([curves([50, 120]), curves([50, 120]), curves([120, 120])])
    b = summarise_draws([curves([120, 120]), curves([50, 120]), curves([50, 120])])
    # draw 1: b better; draw 2: a tie; draw 3: a better
    assert probability_better(a, b, "survival", 10) == pytest.approx(0.5)


def test_run_and_compare_with_posterior_draws_write_bands(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(NOABERKRACHT), "--posterior", "4", "-n", "30", "--quiet",
                 "--out", str(out), "--set", "run.horizon_years=10"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["posterior"]["draws"] == 4
    band = summary["posterior"]["survival"]["10"]
    assert band["low"] <= band["median"] <= band["high"]
    assert "95% band over the draws" in capsys.readouterr().out
    cmp = tmp_path / "cmp"
    assert main(["compare", str(NOABERKRACHT), str(ROOT / "scenarios" / "divergent_four.toml"),
                 "--posterior", "4", "-n", "30", "--quiet", "--out", str(cmp),
                 "--set", "run.horizon_years=10"]) == 0
    data = json.loads((cmp / "comparison.json").read_text())
    p = data["probability_better_than_first_at_10y"]["divergent_four"]["still_standing"]
    assert 0.0 <= p <= 1.0


def test_the_api_runs_under_the_posterior_as_run_posterior_does(tmp_path):
    import samenwerkingsim as sws

    out = tmp_path / "run"
    assert main(["run", str(NOABERKRACHT), "--posterior", "3", "-n", "40", "--seed", "2",
                 "--quiet", "--out", str(out), "--set", "run.horizon_years=10"]) == 0
    summary = json.loads((out / "summary.json").read_text())["posterior"]
    scenario = sws.load_scenario(NOABERKRACHT, **{"run.horizon_years": 10})
    curves = sws.run_posterior(scenario, draws=3, replications=40, seed=2)
    assert curves.draws == 3
    low, median, high = np.percentile(curves.at("survival", 10), [2.5, 50, 97.5])
    assert summary["survival"]["10"] == pytest.approx(
        {"low": low, "median": median, "high": high}, rel=1e-5)


def test_the_calibrated_defaults_point_to_the_shipped_calibration_and_its_posterior():
    import hashlib

    from samenwerkingsim.model.params import CALIBRATED_DEFAULTS

    provenance = CALIBRATED_DEFAULTS
    text = (ROOT / provenance.file).read_bytes()
    assert hashlib.sha256(text).hexdigest() == provenance.file_sha256, (
        f"{provenance.file} changed since its calibration set the defaults: rerun it and "
        "adopt its chosen point")
    posterior = load_posterior()
    assert set(provenance.calibrated) == set(posterior.names)
    report = ROOT / provenance.report
    chosen = tomllib.loads((report.parent / "chosen.toml").read_text())["behaviour"]
    assert set(chosen) == set(provenance.calibrated)
    defaults = Behaviour()
    assert {name: getattr(defaults, name) for name in chosen} == chosen
    # the chosen point is one of the accepted points: a row of the shipped posterior
    row = np.array([chosen[name] for name in posterior.names])
    assert np.isclose(posterior.values, row, rtol=1e-5).all(axis=1).any()
    assert provenance.fingerprint in report.read_text()


def test_adopting_the_calibrated_values_as_defaults_keeps_the_fingerprints():
    import dataclasses

    from samenwerkingsim.experiments.spec import build_experiment

    spec = load_calibration(SHIPPED)

    def with_behaviour(**values):
        bases = [b._replace(scenario=dataclasses.replace(
            b.scenario, behaviour=b.scenario.behaviour.with_overrides(**values)))
            for b in spec.bases]
        return dataclasses.replace(spec, bases=tuple(bases))

    screened, held = spec.screened[0], "director_competence_range"
    assert held not in spec.screened
    moved = with_behaviour(**{screened: getattr(spec.bases[0].scenario.behaviour, screened) / 2})
    assert moved.digest() == spec.digest()
    held_changed = with_behaviour(**{held: (0.1, 0.9)})
    assert held_changed.digest() != spec.digest()

    # a stage's store: the base value of what every point sets does not enter its fingerprint
    runs = {b.label: {"replications": 2, "horizon_years": 1} for b in spec.bases}
    design = [((f"behaviour.{screened}", 0.5),), ((f"behaviour.{screened}", 0.6),)]

    def stage(calibration):
        return build_experiment("stage", "x.toml", list(calibration.bases), design, runs, 1)

    assert stage(moved).digest() == stage(spec).digest()
    assert stage(held_changed).digest() != stage(spec).digest()


def test_a_set_calibrated_parameter_is_kept_fixed_under_the_posterior(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(NOABERKRACHT), "--posterior", "3", "-n", "20", "--quiet",
                 "--out", str(out), "--set", "run.horizon_years=10",
                 "--set", "behaviour.commitment_years=10"]) == 0
    draws = (out / "posterior_draws.csv").read_text().splitlines()
    assert "commitment_years" not in draws[0]  # not drawn: the --set value holds
    assert "exit_logit" in draws[0]
    assert "commitment_years fixed by --set" in capsys.readouterr().err
    # no arrangement can end in the first ten years when councils commit for ten
    summary = json.loads((out / "summary.json").read_text())
    assert summary["posterior"]["survival"]["10"]["low"] == 1.0


def test_a_posterior_run_has_its_own_default_folder_and_can_be_run_again(tmp_path,
                                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["run", str(NOABERKRACHT), "-n", "20", "--quiet", "--set", "run.horizon_years=5"]
    assert main(args) == 0
    assert main([*args, "--posterior", "2"]) == 0
    assert main([*args, "--posterior", "2"]) == 0  # its own files are its to replace
    folders = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert len(folders) == 2 and folders[1] == folders[0] + "-posterior"


def test_posterior_options_that_cannot_work_are_refused_before_any_work(tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["run", str(NOABERKRACHT), "--posterior", "3", "--engine", "mesa",
                 "--out", str(out)]) == 2
    assert "--posterior runs on the ensemble engine" in capsys.readouterr().err
    assert main(["run", str(NOABERKRACHT), "--posterior", "3", "--out", str(out),
                 "--set", "run.horizon_years=0.5"]) == 2
    assert "at least 1 year" in capsys.readouterr().err
    assert not out.exists()
