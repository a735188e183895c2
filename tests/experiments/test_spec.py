"""Experiment files: strict validation with every problem reported, designs, and every shipped
file loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from samenwerkingsim.experiments.spec import ExperimentError, load_experiment

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENT_FILES = sorted(p for p in (ROOT / "experiments").glob("*.toml")
                          if p.name != "calibration.toml")  # read by its own loader
SCENARIO = (ROOT / "scenarios" / "noaberkracht.toml").as_posix()


def write(tmp_path: Path, body: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'schema_version = 1\nname = "exp"\nscenario = "{SCENARIO}"\n' + body)
    return path


def problems_of(path: Path) -> str:
    with pytest.raises(ExperimentError) as error:
        load_experiment(path)
    return str(error.value)


@pytest.mark.parametrize("path", EXPERIMENT_FILES, ids=lambda p: p.name)
def test_every_shipped_experiment_loads_and_says_what_question_it_answers(path):
    experiment = load_experiment(path)
    assert experiment.name == path.stem
    assert experiment.n_points >= 2
    header = [line for line in path.read_text().splitlines() if line.startswith("#")]
    assert header and "?" in " ".join(header[:6]), f"{path.name}: state the question"


def test_the_shipped_experiments_include_the_ones_the_issue_asks_for():
    stems = {p.stem for p in EXPERIMENT_FILES}
    assert {"joint_meetings_divergent_four", "committees_by_culture", "morris_national",
            "sobol_national", "kempengemeenten_levers", "lever_effects"} <= stems
    meetings = load_experiment(ROOT / "experiments" / "joint_meetings_divergent_four.toml")
    assert meetings.n_points == 9 and len(meetings.factors) == 1
    grid = load_experiment(ROOT / "experiments" / "committees_by_culture.toml")
    assert grid.design.kind == "grid" and len(grid.factors) == 2


def test_grid_is_the_full_factorial_with_the_first_factor_slowest(tmp_path):
    path = write(tmp_path, """
[[factors]]
key = "levers.has_committees"
values = [false, true]
[[factors]]
key = "levers.culture_build_new"
range = [0.2, 0.6]
steps = 3
""")
    experiment = load_experiment(path)
    values = [dict(p.values) for p in experiment.points]
    assert [v["levers.has_committees"] for v in values] == [False] * 3 + [True] * 3
    assert [v["levers.culture_build_new"] for v in values] == pytest.approx([0.2, 0.4, 0.6] * 2)
    assert experiment.points[4].scenario.levers.culture_build_new == pytest.approx(0.4)
    assert experiment.points[4].scenario.levers.has_committees is True


def test_the_point_scenarios_carry_the_run_settings_of_the_experiment(tmp_path):
    path = write(tmp_path, """
[run]
replications = 123
seed = 5
horizon_years = 7
[[factors]]
key = "levers.culture_build_new"
values = [0.2, 0.4]
""")
    experiment = load_experiment(path)
    run = experiment.points[1].scenario.run
    assert (run.replications, run.seed, run.horizon_years) == (123, 5, 7)
    assert experiment.total_replications == 246


@pytest.mark.parametrize("kind, samples, n_points", [("lhs", 10, 10), ("sobol", 8, 8 * 4),
                                                     ("morris", 5, 5 * 3)])
def test_sampling_designs_have_the_documented_number_of_points(tmp_path, kind, samples,
                                                               n_points):
    path = write(tmp_path, f"""
[design]
kind = "{kind}"
samples = {samples}
seed = 3
[[factors]]
key = "behaviour.trust_gain_per_success"
range = [0.01, 0.1]
distribution = "loguniform"
[[factors]]
key = "case.members[0].population"
range = [15000, 40000]
""")
    experiment = load_experiment(path)
    assert experiment.n_points == n_points
    assert experiment.sample.shape == (n_points, 2)
    gains = [dict(p.values)["behaviour.trust_gain_per_success"] for p in experiment.points]
    assert min(gains) >= 0.01 and max(gains) <= 0.1
    populations = [p.scenario.case.members[0].population for p in experiment.points]
    assert all(isinstance(x, int) for x in populations)  # an integer quantity is rounded
    # the sample is in the sampling coordinates: the log of a loguniform factor
    assert np.allclose(np.exp(experiment.sample[:, 0]), gains)


def test_same_file_gives_the_same_design_and_fingerprint(tmp_path):
    body = """
[design]
kind = "lhs"
samples = 6
[[factors]]
key = "levers.culture_build_new"
range = [0.1, 0.9]
"""
    a, b = load_experiment(write(tmp_path, body)), load_experiment(write(tmp_path, body, "b.toml"))
    assert np.array_equal(a.sample, b.sample)
    assert a.digest() == b.digest()
    changed = load_experiment(write(tmp_path, body.replace("0.9", "0.8"), "c.toml"))
    assert changed.digest() != a.digest()


def test_every_problem_of_the_file_is_reported_at_once(tmp_path):
    path = write(tmp_path, """
seeed = 4
[design]
kind = "grd"
[run]
replications = 0
[[factors]]
key = "levers.has_comittees"
values = [true, false]
[[factors]]
key = "levers.culture_build_new"
range = [0.9, 0.1]
steps = 3
""")
    report = problems_of(path)
    assert "5 problems in experiment" in report or "problems in experiment" in report
    for expected in ("unknown table or key 'seeed'", "design.kind", "'grd'", "run.replications",
                     "levers.has_comittees", "factors[1].range"):
        assert expected in report, expected


def test_a_point_whose_value_is_out_of_range_is_found_before_any_simulation(tmp_path):
    path = write(tmp_path, """
[[factors]]
key = "levers.culture_build_new"
values = [0.5, 1.5]
""")
    report = problems_of(path)
    assert "point 1" in report and "levers.culture_build_new = 1.5" in report
    assert "allowed range [0.0, 1.0]" in report


@pytest.mark.parametrize("body, expected", [
    ('[design]\nkind = "sobol"\nsamples = 10\n[[factors]]\nkey = "levers.culture_build_new"\n'
     'range = [0.1, 0.9]\n', "power of 2"),
    ('[design]\nkind = "lhs"\n[[factors]]\nkey = "levers.culture_build_new"\n'
     'values = [0.1, 0.9]\n', "give range = [low, high] instead of values"),
    ('[[factors]]\nkey = "levers.culture_build_new"\nrange = [0.1, 0.9]\n', "needs steps"),
    ('[[factors]]\nkey = "levers.has_committees"\nrange = [0, 1]\nsteps = 2\n',
     "is not a number"),
    ('[[factors]]\nkey = "levers.culture_build_new"\nvalues = [0.1]\n[[factors]]\n'
     'key = "levers.culture_build_new"\nvalues = [0.2]\n', "vary each key once"),
    ('[[factors]]\nkey = "case.members[7].population"\nvalues = [1000]\n', "is not a key"),
    ('[design]\nkind = "morris"\nlevels = 3\n[[factors]]\nkey = "levers.culture_build_new"\n'
     'range = [0.1, 0.9]\n', "an even whole number"),
    ('[outputs]\ncurves = [5]\n[[factors]]\nkey = "levers.culture_build_new"\n'
     'values = [0.1, 0.2]\n', "numbered 0 to 1"),
    ("", "factors: missing"),
])
def test_design_and_factor_mistakes_are_explained(tmp_path, body, expected):
    assert expected in problems_of(write(tmp_path, body))


def test_a_missing_or_invalid_base_scenario_is_reported_with_its_own_problems(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('schema_version = 1\nname = "bad"\n[case]\nstart = "2010-01"\n')
    path = tmp_path / "exp.toml"
    path.write_text('schema_version = 1\nname = "exp"\nscenarios = ["missing.toml", "bad.toml"]\n'
                    '[[factors]]\nkey = "run.seed"\nvalues = [1, 2]\n')
    report = problems_of(path)
    assert "scenarios[0] (missing.toml)" in report and "file not found" in report
    assert "scenarios[1] (bad.toml: case.members)" in report


def test_several_base_scenarios_are_crossed_with_the_design(tmp_path):
    path = tmp_path / "exp.toml"
    path.write_text(f'schema_version = 1\nname = "exp"\nscenarios = ["{SCENARIO}", '
                    f'"{(ROOT / "scenarios" / "divergent_four.toml").as_posix()}"]\n'
                    '[[factors]]\nkey = "levers.culture_build_new"\nvalues = [0.2, 0.8]\n')
    experiment = load_experiment(path)
    assert [p.label for p in experiment.points] == ["noaberkracht"] * 2 + ["divergent_four"] * 2
    assert [p.index for p in experiment.points] == [0, 1, 2, 3]
