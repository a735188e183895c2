"""The command line as a user meets it: exit codes, messages, files written."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from samenwerkingsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
NOABERKRACHT = SCENARIOS / "noaberkracht.toml"

BAD_SCENARIO = """\
schema_version = 1
name = "bad"
[case]
start = "2010-01"
[[case.members]]
name = "A"
population = 1000
[[case.members]]
name = "B"
population = 2000
[levers]
joint_meetings_per_month = 9
has_comittees = true
"""


def run_cli(*args: str) -> int:
    return main([*args])


def test_run_writes_every_output_and_prints_the_summary(tmp_path, capsys):
    out = tmp_path / "out"
    code = run_cli("run", str(NOABERKRACHT), "-n", "30", "--out", str(out), "--quiet")
    assert code == 0
    printed = capsys.readouterr().out
    assert "still standing" in printed and "95% CI" in printed and "median lifetime" in printed
    names = {p.name for p in out.iterdir()}
    assert names == {"runs.csv", "events.csv", "trajectories.csv", "summary.json",
                     "manifest.json", "stability.png", "trajectories.png"}
    with open(out / "runs.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 30
    assert {row["outcome"] for row in rows} <= {"dissolution", "merger", "censored"}
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["survival"]) == {"5", "10", "15", "20"}
    assert abs(sum(summary["outcome_shares"].values()) - 1.0) < 1e-9
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 20231031
    assert len(manifest["scenario_hash"]) == 16
    assert manifest["versions"]["mesa"] != "not installed"
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "temporary files left"


def test_set_overrides_reach_the_resolved_scenario_in_the_manifest(tmp_path):
    out = tmp_path / "out"
    code = run_cli("run", str(NOABERKRACHT), "-n", "5", "--out", str(out), "--quiet",
                   "--set", "levers.joint_meetings_per_month=1", "--set", "run.horizon_years=5")
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"]["levers"]["joint_meetings_per_month"] == 1.0
    assert manifest["scenario"]["run"]["horizon_years"] == 5.0
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary["survival"]) == ["5"]


def test_runs_csv_is_identical_for_one_and_two_jobs(tmp_path):
    for jobs in ("1", "2"):
        assert run_cli("run", str(NOABERKRACHT), "-n", "40", "--jobs", jobs, "--quiet",
                       "--set", "run.horizon_years=10", "--out", str(tmp_path / jobs)) == 0
    for name in ("runs.csv", "events.csv", "trajectories.csv"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes()


def test_bad_scenario_reports_every_problem_exits_2_and_writes_nothing(tmp_path, capsys):
    scenario = tmp_path / "bad.toml"
    scenario.write_text(BAD_SCENARIO)
    out = tmp_path / "out"
    assert run_cli("run", str(scenario), "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err
    assert "levers.joint_meetings_per_month" in err and "9" in err and "[0.0, 5.0]" in err
    assert "did you mean 'has_committees'" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_debug_flag_shows_the_traceback(tmp_path, capsys):
    scenario = tmp_path / "bad.toml"
    scenario.write_text(BAD_SCENARIO)
    assert run_cli("--debug", "run", str(scenario), "--out", str(tmp_path / "out")) == 2
    assert "Traceback" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["run", "missing.toml"], "file not found"),
    (["run", str(NOABERKRACHT), "--replications", "0"],
     "--replications must be a whole number in [1, 10000000], found 0"),
    (["run", str(NOABERKRACHT), "--replications", "100000000"], "found 100000000"),
    (["run", str(NOABERKRACHT), "--out", ""], "--out is empty"),
    (["run", str(NOABERKRACHT), "--jobs", "0"], "--jobs must be at least 1"),
    (["run", str(NOABERKRACHT), "--set", "levers.culture_build_new=2"], "allowed range"),
    (["run", str(NOABERKRACHT), "--set", "run.horizon_years=0"], "run.horizon_years"),
])
def test_bad_command_line_input_exits_2_with_a_message(args, message, tmp_path, capsys,
                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_cli(*args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_malformed_toml_is_reported_with_its_position(tmp_path, capsys):
    scenario = tmp_path / "broken.toml"
    scenario.write_text('schema_version = 1\nname = "x\n')
    assert run_cli("validate", str(scenario)) == 2
    err = capsys.readouterr().err
    assert "broken.toml" in err and "malformed TOML" in err and "line" in err


def test_validate_accepts_every_shipped_scenario(capsys):
    files = sorted(str(p) for p in SCENARIOS.glob("*.toml"))
    assert run_cli("validate", *files) == 0
    assert capsys.readouterr().out.count("ok ") == len(files)


def test_compare_prints_a_logrank_test_and_writes_the_figure(tmp_path, capsys):
    out = tmp_path / "cmp"
    code = run_cli("compare", str(NOABERKRACHT), str(SCENARIOS / "divergent_four.toml"),
                   "-n", "60", "--quiet", "--out", str(out))
    assert code == 0
    printed = capsys.readouterr().out
    assert "noaberkracht" in printed and "divergent_four" in printed
    assert "log-rank" in printed.lower() or "chi2" in printed.lower()
    assert (out / "comparison.png").stat().st_size > 0
    data = json.loads((out / "comparison.json").read_text())
    assert set(data["logrank_vs_first"]) == {"divergent_four"}


def test_compare_keeps_a_scenario_given_twice_and_writes_a_manifest(tmp_path, capsys):
    out = tmp_path / "cmp"
    code = run_cli("compare", str(NOABERKRACHT), str(NOABERKRACHT), "-n", "20", "--quiet",
                   "--out", str(out), "--set", "run.horizon_years=5")
    assert code == 0
    printed = capsys.readouterr().out
    assert "noaberkracht (1)" in printed and "noaberkracht (2)" in printed
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["scenarios"]) == {"noaberkracht (1)", "noaberkracht (2)"}
    assert manifest["scenarios"]["noaberkracht (1)"]["command_line"][:2] == [
        "samenwerkingsim", "compare"]


def test_debug_is_accepted_after_the_command(tmp_path, capsys):
    scenario = tmp_path / "bad.toml"
    scenario.write_text(BAD_SCENARIO)
    assert run_cli("run", str(scenario), "--debug", "--out", str(tmp_path / "out")) == 2
    assert "Traceback" in capsys.readouterr().err


def test_outputs_are_readable_by_others_as_the_umask_allows(tmp_path):
    out = tmp_path / "out"
    assert run_cli("run", str(NOABERKRACHT), "-n", "5", "--quiet", "--out", str(out),
                   "--set", "run.horizon_years=2") == 0
    umask = os.umask(0o022)  # reading the mask means setting it; set it back at once
    os.umask(umask)
    for name in ("runs.csv", "summary.json", "manifest.json", "stability.png"):
        mode = (out / name).stat().st_mode & 0o777
        assert mode == 0o666 & ~umask, f"{name} has mode {oct(mode)}"


def test_an_output_path_that_is_a_file_is_refused_before_simulating(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("not a folder")
    assert run_cli("run", str(NOABERKRACHT), "--out", str(target)) == 2
    assert "is a file" in capsys.readouterr().err


def test_info_lists_the_installed_versions_of_the_package_and_mesa(capsys):
    import re
    from importlib.metadata import version

    assert run_cli("info") == 0
    printed = capsys.readouterr().out
    for name in ("samenwerkingsim", "mesa", "numpy"):
        shown = re.search(rf"^\s+{name}\s+(\S+)$", printed, re.MULTILINE)
        assert shown is not None, f"info does not list {name}"
        assert shown.group(1) == version(name)


def test_version_flag_prints_the_package_version(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as stop:
        run_cli("--version")
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"samenwerkingsim {version('samenwerkingsim')}"


ODD_NAMES = """\
schema_version = 1
name = "odd_names"
[case]
start = "2010-01"
[[case.members]]
name = 'Reusel, De Mierden'
population = 13000
[[case.members]]
name = 'Het "Dorp"'
population = 20000
[run]
horizon_years = 10
"""


def test_member_names_with_commas_and_quotes_round_trip_through_csv_reader(tmp_path):
    scenario = tmp_path / "odd.toml"
    scenario.write_text(ODD_NAMES)
    out = tmp_path / "out"
    assert run_cli("run", str(scenario), "-n", "200", "--quiet", "--out", str(out)) == 0
    with open(out / "events.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert all(len(row) == 4 for row in rows)
    named = {row[3] for row in rows[1:]} - {""}
    assert named == {"Reusel, De Mierden", 'Het "Dorp"'}


def test_json_outputs_give_every_number_to_six_significant_digits(tmp_path):
    out = tmp_path / "cmp"
    assert run_cli("compare", str(NOABERKRACHT), str(SCENARIOS / "divergent_four.toml"),
                   "-n", "70", "--quiet", "--out", str(out)) == 0

    def floats(value):
        if isinstance(value, dict):
            return [x for v in value.values() for x in floats(v)]
        if isinstance(value, list):
            return [x for v in value for x in floats(v)]
        return [value] if isinstance(value, float) else []

    numbers = floats(json.loads((out / "comparison.json").read_text()))
    assert numbers and all(float(f"{x:.6g}") == x for x in numbers)
    summary = json.loads((out / "comparison.json").read_text())
    assert all(float(f"{x:.6g}") == x for x in floats(summary["logrank_vs_first"]))


def test_comparison_figure_carries_the_scenario_hashes_and_seed(tmp_path):
    from PIL import Image

    from samenwerkingsim.scenarios import load_scenario, scenario_hash

    out = tmp_path / "cmp"
    assert run_cli("compare", str(NOABERKRACHT), str(SCENARIOS / "divergent_four.toml"),
                   "-n", "10", "--seed", "5", "--quiet", "--out", str(out),
                   "--set", "run.horizon_years=2") == 0
    with Image.open(out / "comparison.png") as image:
        description = image.text["Description"]
    manifest = json.loads((out / "manifest.json").read_text())
    for entry in manifest["scenarios"].values():
        assert entry["scenario_hash"] in description
    assert "seed 5" in description
    assert scenario_hash(load_scenario(NOABERKRACHT)) not in description  # the hash as run


def test_compare_reports_every_invalid_file_and_runs_nothing(tmp_path, capsys):
    first, second = tmp_path / "first.toml", tmp_path / "second.toml"
    first.write_text(BAD_SCENARIO)
    second.write_text(BAD_SCENARIO.replace("has_comittees", "seperate_director"))
    out = tmp_path / "cmp"
    assert run_cli("compare", str(NOABERKRACHT), str(first), str(second), "--out",
                   str(out)) == 2
    err = capsys.readouterr().err
    assert "first.toml" in err and "second.toml" in err
    assert "did you mean 'separate_director'" in err
    assert not out.exists()


def test_a_timeline_change_after_the_horizon_is_run_with_a_warning(tmp_path, capsys):
    out = tmp_path / "out"
    late = SCENARIOS / "kempengemeenten_late_director.toml"
    assert run_cli("run", str(late), "-n", "5", "--quiet", "--out", str(out),
                   "--set", "run.horizon_years=5") == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "levers.timeline[0].date" in err and "no effect" in err


def test_an_invalid_set_value_is_blamed_on_set_not_on_the_file(tmp_path, capsys):
    assert run_cli("run", str(NOABERKRACHT), "--out", str(tmp_path / "out"),
                   "--set", "levers.culture_build_new=2") == 2
    assert "(from --set levers.culture_build_new=2)" in capsys.readouterr().err


def test_more_jobs_than_cores_run_as_many_workers_as_cores(tmp_path, capsys):
    from samenwerkingsim.experiments.workers import usable_cores

    out = tmp_path / "out"
    assert run_cli("run", str(NOABERKRACHT), "-n", "30", "--jobs", "64", "--quiet",
                   "--out", str(out), "--set", "run.horizon_years=2") == 0
    cores = usable_cores()
    assert f"more than the {cores} usable cores" in capsys.readouterr().err
    assert json.loads((out / "manifest.json").read_text())["jobs"] <= cores


def test_module_and_console_script_run_as_real_processes(tmp_path):
    module = subprocess.run(
        [sys.executable, "-m", "samenwerkingsim", "run", str(NOABERKRACHT), "-n", "5",
         "--set", "run.horizon_years=3", "--out", str(tmp_path / "m"), "--quiet"],
        capture_output=True, text=True, check=False)
    assert module.returncode == 0, module.stderr
    assert (tmp_path / "m" / "runs.csv").exists()
    script = Path(sys.executable).with_name("samenwerkingsim")
    if script.exists():
        result = subprocess.run([str(script), "validate", str(NOABERKRACHT)],
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
