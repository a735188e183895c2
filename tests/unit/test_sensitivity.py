"""The sensitivity analysis: SALib gets the right design matrix, outputs and problem (known
answers on synthetic outputs), the Monte Carlo noise formula, determinism, the errors, and the
files it writes. The outputs are synthetic functions of the design matrix, so no simulation is
needed, except in one small end-to-end run of the command."""

from __future__ import annotations

import csv
import math
import tomllib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.axes import Axes
from PIL import Image

from samenwerkingsim.cli import main
from samenwerkingsim.experiments.sensitivity import (
    INDEX_COLUMNS,
    NOISE_COLUMNS,
    SENSITIVITY_OUTPUTS,
    analyse,
    check_analysable,
    monte_carlo_noise,
    morris_step,
)
from samenwerkingsim.experiments.spec import ExperimentError, load_experiment, parse_experiment
from samenwerkingsim.model.params import Behaviour, field_specs
from samenwerkingsim.output.sensitivity import write_sensitivity_outputs
from samenwerkingsim.plotting.sensitivity import plot_sensitivity_panels

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "kempengemeenten.toml"
FACTORS = [
    {"key": "behaviour.exit_logit", "range": [-6.0, -5.0]},
    {"key": "behaviour.trust_gain_per_success", "range": [0.01, 0.05]},
    {"key": "behaviour.autonomy_cost_weight", "range": [0.3, 1.2],
     "distribution": "loguniform"},
]
BOOTSTRAP = 200  # enough for stable intervals, a fraction of a second per output


def make_experiment(kind="morris", samples=8, factors=FACTORS, scenario=BASE, **run):
    design = {"kind": kind, "samples": samples, "seed": 3}
    if kind == "morris":
        design["levels"] = 4
    data = {"schema_version": 1, "name": f"tiny_{kind}", "design": design,
            "run": {"replications": 10, "seed": 11, **run}, "factors": factors}
    if isinstance(scenario, list):
        data["scenarios"] = [str(s) for s in scenario]
    else:
        data["scenario"] = str(scenario)
    return parse_experiment(data, source=f"tiny_{kind}.toml", folder=ROOT)


def widths(experiment):
    """Each factor's range in its sampling coordinate (the logarithm for loguniform)."""
    return np.array([high - low for low, high in (f.bounds() for f in experiment.factors)])


def synthetic_result(experiment, outputs, n=1000):
    """A finished sweep whose outputs are the given arrays (one value per point)."""
    points = experiment.n_points
    table = {"point": np.arange(points), "status": np.array(["ok"] * points, dtype=object),
             "n_replications": np.full(points, n)}
    table.update({name: np.asarray(values, float) for name, values in outputs.items()})
    return SimpleNamespace(experiment=experiment, table=table, folder=None)


def linear_outputs(experiment, coefficients):
    """Every analysed output as 0.5 + X @ c (centred on the ranges, so it stays in [0, 1])."""
    X = experiment.sample
    centre = np.array([np.mean(f.bounds()) for f in experiment.factors])
    y = 0.5 + (X - centre) @ np.asarray(coefficients)
    assert y.min() > 0 and y.max() < 1
    return {name: y for name in SENSITIVITY_OUTPUTS}


@pytest.fixture(scope="module")
def morris_experiment():
    return make_experiment("morris", samples=8)  # 8 trajectories x 4 = 32 points


@pytest.fixture(scope="module")
def sobol_experiment():
    return make_experiment("sobol", samples=256)  # 256 x (3 + 2) = 1,280 points


COEFFICIENTS = [0.2, 4.0, -0.1]  # per unit of each factor's sampling coordinate


# --------------------------------------------------------------------------------------------
# Known answers


def test_morris_indices_of_a_linear_output_are_its_coefficients_times_the_ranges(
        morris_experiment):
    result = synthetic_result(morris_experiment, linear_outputs(morris_experiment,
                                                                COEFFICIENTS))
    analysis = analyse(result, bootstrap=BOOTSTRAP)
    rows = analysis.rows("s_10y")
    expected = np.array(COEFFICIENTS) * widths(morris_experiment)
    # SALib's elementary effect is the change of the output over a step of Delta ranges,
    # divided by Delta: for a linear output, exactly the coefficient times the range
    np.testing.assert_allclose(rows["mu"], expected, rtol=1e-9)
    np.testing.assert_allclose(rows["mu_star"], np.abs(expected), rtol=1e-9)
    np.testing.assert_allclose(rows["sigma"], 0, atol=1e-9)
    np.testing.assert_allclose(rows["sigma_low"], 0, atol=1e-9)
    np.testing.assert_allclose(rows["sigma_high"], 0, atol=1e-9)
    assert list(rows["factor"]) == [f["key"] for f in FACTORS]
    assert analysis.method == "morris" and analysis.n_points == morris_experiment.n_points


def test_morris_sigma_interval_covers_sigma_of_an_interaction(morris_experiment):
    X = morris_experiment.sample
    x0, x1 = (X[:, 0] + 6.0), (X[:, 1] - 0.01) / 0.04   # both scaled to [0, 1]
    y = 0.3 + 0.4 * x0 * x1 + 0.05 * X[:, 2]             # factors 0 and 1 interact
    analysis = analyse(synthetic_result(morris_experiment, {"s_10y": y}),
                       outputs=("s_10y",), bootstrap=BOOTSTRAP)
    rows = analysis.rows("s_10y")
    assert rows["sigma"][0] > 0.01 and rows["sigma"][1] > 0.01
    assert rows["sigma"][2] == pytest.approx(0, abs=1e-9)
    assert np.all(rows["sigma_low"] <= rows["sigma"]) and np.all(rows["sigma"]
                                                                 <= rows["sigma_high"])
    assert np.all(rows["sigma_high"][:2] > rows["sigma_low"][:2])
    assert np.all(rows["mu_star_low"] >= 0)


def test_sobol_indices_of_an_additive_output_are_the_variance_shares(sobol_experiment):
    analysis = analyse(synthetic_result(sobol_experiment, linear_outputs(sobol_experiment,
                                                                         COEFFICIENTS)),
                       bootstrap=BOOTSTRAP)
    rows = analysis.rows("s_10y")
    # each factor is uniform in its sampling coordinate: variance c^2 w^2 / 12, and with no
    # interactions S1 = ST = that share of the sum
    parts = (np.array(COEFFICIENTS) * widths(sobol_experiment)) ** 2
    shares = parts / parts.sum()
    for name in ("S1", "ST"):
        half = (rows[f"{name}_high"] - rows[f"{name}_low"]) / 2
        # the half-width is 1.96 bootstrap standard errors; twice it is about 4 of them, so
        # this fails for fewer than 1 in 10,000 seeds if the bootstrap errors are right
        # (plus 0.01 for the estimator's small bias at N = 256)
        assert np.all(np.abs(rows[name] - shares) <= 2 * half + 0.01), (name, rows[name])
    assert rows["S1"].sum() == pytest.approx(1, abs=0.1)
    assert analysis.index_names == ("S1", "ST")


def test_the_design_matrix_is_passed_in_sampling_coordinates(morris_experiment, monkeypatch):
    from SALib.analyze import morris

    seen = {}
    real = morris.analyze

    def spy(problem, X, Y, **kw):
        seen.setdefault("calls", []).append((problem, X, Y, kw))
        return real(problem, X, Y, **kw)

    monkeypatch.setattr(morris, "analyze", spy)
    y = linear_outputs(morris_experiment, COEFFICIENTS)["s_10y"]
    analyse(synthetic_result(morris_experiment, {"s_10y": y}), outputs=("s_10y",),
            bootstrap=3)
    problem, X, Y, kw = seen["calls"][0]
    assert problem["names"] == [f["key"] for f in FACTORS]
    assert problem["bounds"][2] == pytest.approx([math.log(0.3), math.log(1.2)])
    np.testing.assert_array_equal(X, morris_experiment.sample)
    np.testing.assert_array_equal(Y, y)
    assert kw["num_levels"] == 4 and kw["num_resamples"] == 3 and kw["conf_level"] == 0.95
    # then one call per bootstrap resample of whole trajectories (rows in groups of D + 1)
    assert len(seen["calls"]) == 1 + 3
    for _, Xb, _, _ in seen["calls"][1:]:
        groups = Xb.reshape(-1, 4, 3)
        starts = {tuple(row) for row in morris_experiment.sample[::4]}
        assert all(tuple(g[0]) in starts for g in groups)


# --------------------------------------------------------------------------------------------
# Noise


def test_monte_carlo_noise_of_a_hand_made_table():
    noise = monte_carlo_noise(np.array([0.5, 0.2, 0.9]), np.array([100, 100, 50]))
    mc = (0.25 / 100 + 0.16 / 100 + 0.09 / 50) / 3
    spread = np.var([0.5, 0.2, 0.9], ddof=1)
    assert noise["mean"] == pytest.approx(1.6 / 3)
    assert noise["mc_variance"] == pytest.approx(mc)
    assert noise["output_variance"] == pytest.approx(spread)
    assert noise["noise_share"] == pytest.approx(mc / spread)
    assert noise["mc_standard_error"] == pytest.approx(math.sqrt(mc))


def test_noise_share_of_a_constant_output_is_undefined():
    # the incidences are computed, so equal proportions can differ in the last bits
    values = 0.025 + np.array([0.0, 1e-17, -1e-17, 3e-18])
    noise = monte_carlo_noise(values, np.full(4, 200))
    assert noise["output_variance"] == 0 and math.isnan(noise["noise_share"])


def test_noise_table_and_flags(morris_experiment):
    y = linear_outputs(morris_experiment, COEFFICIENTS)["s_10y"]
    result = synthetic_result(morris_experiment, {"s_10y": y, "merger_10y": np.full_like(
        y, 0.04)}, n=400)
    analysis = analyse(result, outputs=("s_10y", "merger_10y"), bootstrap=BOOTSTRAP)
    assert tuple(analysis.noise) == (*NOISE_COLUMNS, "elementary_effect_noise")
    row = analysis.noise_of("s_10y")
    expected = monte_carlo_noise(y, np.full_like(y, 400))
    assert row["mc_variance"] == pytest.approx(expected["mc_variance"])
    assert morris_step(4) == pytest.approx(2 / 3)
    assert row["elementary_effect_noise"] == pytest.approx(
        math.sqrt(2 * expected["mc_variance"]) / (2 / 3))
    rows = analysis.rows("s_10y")
    np.testing.assert_array_equal(rows["mu_star_above_noise"],
                                  rows["mu_star"] > row["elementary_effect_noise"])
    # a constant output: no effects, nothing above noise
    assert not analysis.rows("merger_10y")["mu_star_above_noise"].any()


def test_sobol_flags_need_an_interval_clear_of_zero_and_the_noise_share(sobol_experiment):
    y = linear_outputs(sobol_experiment, COEFFICIENTS)["s_10y"]
    analysis = analyse(synthetic_result(sobol_experiment, {"s_10y": y}, n=50),
                       outputs=("s_10y",), bootstrap=BOOTSTRAP)
    rows = analysis.rows("s_10y")
    share = analysis.noise_of("s_10y")["noise_share"]
    for name in ("S1", "ST"):
        np.testing.assert_array_equal(rows[f"{name}_above_noise"],
                                      (rows[f"{name}_low"] > 0) & (rows[name] > share))


def test_sobol_of_a_constant_output_is_undefined_without_warnings(sobol_experiment):
    result = synthetic_result(sobol_experiment, {"merger_10y": np.zeros(
        sobol_experiment.n_points)})
    analysis = analyse(result, outputs=("merger_10y",), bootstrap=BOOTSTRAP)
    assert np.isnan(analysis.indices["S1"]).all() and not analysis.indices["ST_above_noise"].any()


# --------------------------------------------------------------------------------------------
# Determinism


def test_same_seed_same_intervals(morris_experiment):
    rng = np.random.default_rng(5)
    noisy = {name: np.clip(y + rng.normal(0, 0.02, y.shape), 0, 1)
             for name, y in linear_outputs(morris_experiment, COEFFICIENTS).items()}
    result = synthetic_result(morris_experiment, noisy)
    first, second = (analyse(result, bootstrap=BOOTSTRAP) for _ in range(2))
    for name, column in first.indices.items():
        np.testing.assert_array_equal(column, second.indices[name])
    assert first.seed == morris_experiment.seed  # default: the experiment's run seed
    other = analyse(result, bootstrap=BOOTSTRAP, seed=first.seed + 1)
    np.testing.assert_array_equal(other.indices["mu_star"], first.indices["mu_star"])
    assert not np.array_equal(other.indices["sigma_high"], first.indices["sigma_high"])
    # each output has its own stream: analysing it alone gives the same intervals
    alone = analyse(result, outputs=("merger_10y",), bootstrap=BOOTSTRAP)
    for name, column in alone.rows("merger_10y").items():
        np.testing.assert_array_equal(column, first.rows("merger_10y")[name])


# --------------------------------------------------------------------------------------------
# Errors


def test_a_grid_design_is_refused():
    data = {"schema_version": 1, "name": "tiny_grid", "scenario": str(BASE),
            "design": {"kind": "grid"}, "run": {"replications": 10},
            "factors": [{"key": "behaviour.exit_logit", "values": [-6.0, -5.0]}]}
    grid = parse_experiment(data, source="tiny_grid.toml", folder=ROOT)
    result = synthetic_result(grid, {name: [0.5, 0.6] for name in SENSITIVITY_OUTPUTS})
    with pytest.raises(ExperimentError, match=r"design.kind: found 'grid'.*'morris' or 'sobol'"):
        analyse(result)
    assert issubclass(ExperimentError, ValueError)


def test_two_base_scenarios_are_refused():
    experiment = make_experiment("morris", samples=2, factors=FACTORS[:1],
                                 scenario=[BASE, ROOT / "scenarios" / "noaberkracht.toml"])
    with pytest.raises(ExperimentError, match="found 2 base scenarios"):
        check_analysable(experiment)


def test_a_horizon_short_of_ten_years_is_refused_before_the_work():
    experiment = make_experiment("morris", samples=2, factors=FACTORS[:1], horizon_years=5)
    with pytest.raises(ExperimentError, match=r"end at 5 years.*at least 10 years"):
        check_analysable(experiment)
    check_analysable(experiment, outputs=("s_5y",))  # S(5y) alone is fine


def test_failed_points_and_undefined_outputs_are_refused(morris_experiment):
    outputs = linear_outputs(morris_experiment, COEFFICIENTS)
    result = synthetic_result(morris_experiment, outputs)
    result.table["status"][[3, 7]] = "failed"
    with pytest.raises(ValueError, match=r"2 point\(s\).*did not finish \(points \[3, 7\]\)"):
        analyse(result)
    result = synthetic_result(morris_experiment, outputs)
    result.table["merger_10y"] = result.table["merger_10y"].copy()
    result.table["merger_10y"][0] = np.nan
    with pytest.raises(ValueError, match=r"merger_10y is undefined at 1 point"):
        analyse(result)


@pytest.mark.parametrize(("options", "message"), [
    ({"outputs": ("median_lifetime_years",)}, "allowed: one or more of"),
    ({"outputs": ()}, "allowed: one or more of"),
    ({"confidence": 1.0}, r"confidence must be in \(0, 1\), found 1.0"),
    ({"bootstrap": 1}, "bootstrap must be a whole number of at least 2, found 1"),
])
def test_bad_arguments_are_refused(morris_experiment, options, message):
    result = synthetic_result(morris_experiment, linear_outputs(morris_experiment,
                                                                COEFFICIENTS))
    with pytest.raises(ValueError, match=message):
        analyse(result, **options)


# --------------------------------------------------------------------------------------------
# The result object and the files


@pytest.fixture(scope="module", params=["morris", "sobol"])
def analysis(request, morris_experiment):
    experiment = (morris_experiment if request.param == "morris"
                  else make_experiment("sobol", samples=16))
    rng = np.random.default_rng(9)
    outputs = {name: np.clip(y + rng.normal(0, 0.02, y.shape), 0.01, 0.99)
               for name, y in linear_outputs(experiment, COEFFICIENTS).items()}
    return analyse(synthetic_result(experiment, outputs, n=300), bootstrap=50)


def test_records_and_plots(analysis):
    records = analysis.records()
    assert len(records) == len(SENSITIVITY_OUTPUTS) * len(FACTORS)
    assert list(records[0]) == ["output", "factor", *INDEX_COLUMNS[analysis.method]]
    assert all(isinstance(v, str | float | bool) for v in records[0].values())
    assert isinstance(analysis.plot(), Axes)
    ax = analysis.plot(output="merger_10y")
    assert "merged within 10 years" in ax.get_title()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(labels) == ["autonomy_cost_weight", "exit_logit", "trust_gain_per_success"]
    axes = plot_sensitivity_panels(analysis)
    assert len(axes) == 4 and all(isinstance(a, Axes) for a in axes)
    text = analysis.summary_text()
    assert "exit_logit" in text and "noise share of the variance" in text


def test_write_sensitivity_outputs(analysis, tmp_path):
    written = write_sensitivity_outputs(analysis, tmp_path)
    method = analysis.method
    assert [p.name for p in written] == [f"{method}.csv", "noise.csv", f"{method}.png",
                                         "report.md"]
    with open(tmp_path / f"{method}.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["output", "factor", *INDEX_COLUMNS[method]]
    assert len(rows) == len(SENSITIVITY_OUTPUTS) * len(FACTORS)
    assert rows[0]["output"] == "s_10y" and rows[0]["factor"] == "behaviour.exit_logit"
    with open(tmp_path / "noise.csv", newline="") as handle:
        noise = list(csv.DictReader(handle))
    assert [r["output"] for r in noise] == list(SENSITIVITY_OUTPUTS)
    assert set(NOISE_COLUMNS) <= set(noise[0])
    with Image.open(tmp_path / f"{method}.png") as image:
        description = image.info["Description"]
    assert analysis.experiment.digest() in description and "seed 11" in description
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    for section in ("## What was run", "## What matters", "## Indices",
                    "## Monte Carlo noise", "How to read it", "## How the indices were computed",
                    "## References"):
        assert section in report
    for reference in ("Morris, M. D. (1991)", "Campolongo", "Saltelli, A. (2002)",
                      "Saltelli, A., Annoni", "Herman, J., & Usher, W. (2017)"):
        assert reference in report
    assert "replications per point: 10" in report and "`behaviour.exit_logit`" in report
    assert report == analysis.report_markdown()


# --------------------------------------------------------------------------------------------
# The shipped experiment files and one real run


@pytest.mark.parametrize("name", ["morris_national", "sobol_national"])
def test_shipped_sensitivity_experiments(name):
    path = ROOT / "experiments" / f"{name}.toml"
    experiment = load_experiment(path)
    check_analysable(experiment)
    assert experiment.design.kind == name.split("_")[0]
    assert experiment.scenario_paths == (str(ROOT / "scenarios" / "national.toml"),)
    assert all(f.key.startswith("behaviour.") for f in experiment.factors)
    assert 10 <= len(experiment.factors) <= 14
    header = path.read_text(encoding="utf-8").split("schema_version")[0]
    assert "Question:" in header and "Assumptions" in header
    # under about 3 minutes on 2 cores at the national scenario's ~3,000 replications a
    # second (10-year horizon, store included, measured)
    assert experiment.total_replications <= 450_000
    # each range holds the parameter's default (the ranges are its documented prior)
    defaults = {f"behaviour.{name}": spec.default
                for name, spec in field_specs(Behaviour).items()}
    for factor in tomllib.loads(path.read_text(encoding="utf-8"))["factors"]:
        low, high = factor["range"]
        assert low <= defaults[factor["key"]] <= high, factor


def test_command_line_sensitivity_end_to_end(tmp_path, capsys):
    path = tmp_path / "tiny.toml"
    path.write_text(f"""
schema_version = 1
name = "tiny"
scenario = "{(ROOT / 'scenarios' / 'national.toml').as_posix()}"
[design]
kind = "morris"
samples = 2
levels = 4
seed = 1
[run]
replications = 40
horizon_years = 10
[[factors]]
key = "behaviour.exit_logit"
range = [-6.5, -4.5]
[[factors]]
key = "behaviour.coordination_cost_weight"
range = [0.125, 0.5]
distribution = "loguniform"
""", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sensitivity", str(path), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "mu*" in printed and "coordination_cost_weight" in printed
    for name in ("morris.csv", "noise.csv", "morris.png", "report.md", "points.csv"):
        assert (out / name).is_file(), name
