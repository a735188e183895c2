"""The explorer's controls, settings, model, timeline and saved scenario files (no page)."""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import date
from pathlib import Path

import pytest

from samenwerkingsim.cli import main
from samenwerkingsim.explore import state
from samenwerkingsim.explore.state import (
    EVENT_TEXT,
    MAIN_BEHAVIOUR,
    TIMELINE_ROWS,
    BaseScenario,
    Design,
    ExplorerModel,
    default_save_path,
    main_behaviour_names,
    save_scenario,
    slider_step,
    timeline,
    toml_text,
)
from samenwerkingsim.model.engine import EVENTS
from samenwerkingsim.model.mesa_model import SharedServiceModel
from samenwerkingsim.model.params import Behaviour, Levers, field_specs
from samenwerkingsim.scenarios import load_scenario, read_scenario_data
from samenwerkingsim.scenarios.schema import SAMPLED_LEVERS

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
KEMPEN = ROOT / "scenarios" / "kempengemeenten.toml"


@pytest.fixture(scope="module")
def kempen() -> BaseScenario:
    return BaseScenario.load(KEMPEN)


def control(base: BaseScenario, name: str):
    return next(c for c in base.controls if c.name == name)


# --------------------------------------------------------------------------------------------
# Controls


def test_main_behaviour_names_are_fields_of_behaviour():
    """The one list of behavioural parameters the page offers names existing fields; after a
    model revision renames one, this fails (and the page skips the name meanwhile)."""
    missing = [name for name in MAIN_BEHAVIOUR if name not in field_specs(Behaviour)]
    assert not missing, f"MAIN_BEHAVIOUR names fields Behaviour no longer has: {missing}"
    assert len(set(MAIN_BEHAVIOUR)) == len(MAIN_BEHAVIOUR)


def test_a_name_missing_from_behaviour_is_skipped(monkeypatch):
    monkeypatch.setattr(state, "MAIN_BEHAVIOUR", (*MAIN_BEHAVIOUR, "renamed_parameter"))
    assert "renamed_parameter" not in main_behaviour_names()
    base = BaseScenario.load(KEMPEN)
    assert "renamed_parameter" not in {c.name for c in base.controls}


def test_every_lever_is_a_control_with_its_unit_and_range(kempen):
    levers = [c for c in kempen.controls if c.section == "levers"]
    specs = field_specs(Levers)
    assert [c.name for c in levers] == list(specs)
    for c in levers:
        meta = specs[c.name].metadata
        assert (c.unit, c.low, c.high, c.doc) == (meta["unit"], meta["low"], meta["high"],
                                                  meta["doc"])
        if c.kind in ("float", "int"):
            assert f"{c.low:g} to {c.high:g}" in c.label
            if not c.unit.startswith("["):
                assert c.unit in c.label
    meetings = control(kempen, "joint_meetings_per_month")
    assert meetings.label == "Joint meetings per month (meetings/month, 0 to 5)"
    assert control(kempen, "chairs_in_db").label == "Chairs in DB"
    assert control(kempen, "cost_key").choices == ("population", "equal")


def test_behaviour_controls_follow_the_main_list(kempen):
    behaviour = [c.name for c in kempen.controls if c.section == "behaviour"]
    assert behaviour == list(main_behaviour_names())


def test_a_population_scenario_offers_only_the_levers_it_does_not_draw():
    national = BaseScenario.load(ROOT / "scenarios" / "national.toml")
    names = {c.name for c in national.controls if c.section == "levers"}
    assert names == set(field_specs(Levers)) - set(SAMPLED_LEVERS)
    assert set(national.sampled_levers) == set(SAMPLED_LEVERS)


@pytest.mark.parametrize(("low", "high", "default", "step"), [
    (0.0, 1.0, 0.5, 0.01), (0.0, 5.0, 0.0, 0.01), (-15.0, 5.0, -5.5, 0.1),
    (0.0, 0.1, 0.0104, 0.0001), (0.0, 0.05, 0.012, 0.0001)])
def test_slider_step_keeps_the_default_on_the_grid(low, high, default, step):
    assert slider_step(low, high, default) == pytest.approx(step)


def test_float_values_are_rounded_to_the_slider(kempen):
    scope = control(kempen, "scope_policy")
    assert scope.coerce(0.1 + 0.2) == 0.3
    assert control(kempen, "has_committees").coerce(0) is False


# --------------------------------------------------------------------------------------------
# Settings and scenarios


def test_the_file_settings_give_the_file_scenario(kempen):
    settings = kempen.default_settings()
    assert kempen.changes(settings) == []
    assert kempen.scenario_for(settings) is kempen.scenario
    assert settings.seed == kempen.scenario.run.seed


def test_changed_settings_make_a_validated_scenario(kempen):
    settings = (kempen.default_settings().set(control(kempen, "has_committees"), False)
                .set(control(kempen, "joint_meetings_per_month"), 2.5))
    if "trust_loss_per_failure" in main_behaviour_names():
        settings = settings.set(control(kempen, "trust_loss_per_failure"), 0.1)
    settings = dataclasses.replace(settings, seed=7)
    scenario = kempen.scenario_for(settings)
    assert scenario.levers.has_committees is False
    assert scenario.levers.joint_meetings_per_month == 2.5
    assert scenario.run.seed == 7
    keys = [c.key for c in kempen.changes(settings)]
    assert keys[:2] == ["levers.has_committees", "levers.joint_meetings_per_month"]
    assert keys[-1] == "run.seed"
    # only what changed is written into the file's tables; the rest stays as it was
    data = kempen.data_for(settings)
    original = read_scenario_data(KEMPEN)
    assert data["case"] == original["case"]
    assert data["levers"] == {**original["levers"], "has_committees": False,
                              "joint_meetings_per_month": 2.5}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_toml_text_reads_back_as_the_same_tables(path):
    data = read_scenario_data(path)
    assert tomllib.loads(toml_text(data)) == data


def test_toml_text_escapes_strings():
    data = {"name": 'a "quoted" name\\with backslash', "description": "line\nbreak é",
            "case": {"members": [{"name": "Reusel-De Mierden", "agenda": [0.5, 0.5, 0.5]}]}}
    assert tomllib.loads(toml_text(data)) == data


# --------------------------------------------------------------------------------------------
# Saving


def test_a_saved_scenario_is_read_by_run(kempen, tmp_path, capsys):
    settings = kempen.default_settings().set(control(kempen, "has_committees"), False)
    path = tmp_path / "kempen_no_committees.toml"
    saved = save_scenario(Design(kempen, settings), path, today=date(2026, 1, 2))
    text = path.read_text()
    assert text.startswith("# kempen_no_committees: saved by samenwerkingsim explore on "
                           "2026-01-02\n# from kempengemeenten.toml (kempengemeenten)")
    assert "#   levers.has_committees: true -> false" in text
    assert saved.scenario.name == "kempen_no_committees"
    assert saved.scenario.levers.has_committees is False
    assert load_scenario(path) == saved.scenario
    assert main(["validate", str(path)]) == 0
    assert main(["run", str(path), "-n", "20", "-q", "--out", str(tmp_path / "out")]) == 0
    assert "kempen_no_committees" in capsys.readouterr().out


def test_saving_behaviour_changes_says_they_are_a_sensitivity_study(kempen, tmp_path):
    name = main_behaviour_names()[0]
    c = control(kempen, name)
    settings = kempen.default_settings().set(c, c.high)
    text = save_scenario(Design(kempen, settings), tmp_path / "s.toml").path.read_text()
    assert "sensitivity" in text
    assert load_scenario(tmp_path / "s.toml").behaviour == dataclasses.replace(
        kempen.scenario.behaviour, **{name: c.high})


@pytest.mark.parametrize(("name", "message"), [
    ("notes.txt", "ends in .toml"), ("missing/x.toml", "does not exist"),
    ("taken.toml", "exists already")])
def test_saving_refuses_bad_paths(kempen, tmp_path, name, message):
    (tmp_path / "taken.toml").write_text("keep me")
    with pytest.raises(ValueError, match=message):
        save_scenario(Design(kempen, kempen.default_settings()), tmp_path / name)
    assert (tmp_path / "taken.toml").read_text() == "keep me"


def test_the_default_file_name_is_new(kempen, tmp_path):
    assert default_save_path(kempen, tmp_path) == tmp_path / "kempengemeenten_explored.toml"
    (tmp_path / "scenarios").mkdir()
    first = default_save_path(kempen, tmp_path)
    assert first == tmp_path / "scenarios" / "kempengemeenten_explored.toml"
    first.write_text("")
    assert default_save_path(kempen, tmp_path).name == "kempengemeenten_explored_2.toml"


# --------------------------------------------------------------------------------------------
# The model and its timeline


@pytest.mark.parametrize("replication", [0, 3])
def test_the_explorer_model_is_the_mesa_model(kempen, replication):
    """Same history as the plain Mesa model (and so as the ensemble engine)."""
    design = Design(kempen, kempen.default_settings())
    explored = ExplorerModel(lambda: design, replication=replication)
    plain = SharedServiceModel(kempen.scenario, seed=kempen.scenario.run.seed,
                               replication=replication)
    for _ in range(60):
        explored.step()
        plain.step()
    assert explored.observations == plain.observations
    assert [(m, c) for m, c, *_ in explored.state.events] == [
        (m, c) for m, c, *_ in plain.state.events]


def test_the_timeline_tells_elections_and_the_event_log(kempen):
    model = ExplorerModel(Design(kempen, kempen.default_settings()))
    for _ in range(60):
        model.step()
    entries = timeline(model)
    assert [e.month for e in entries] == sorted(e.month for e in entries)
    # the shared organisation started in January 2010; municipal elections were in March
    elections = [e for e in entries if e.kind == "election"]
    assert [e.date for e in elections] == ["2010-03", "2014-03"]
    assert all(e.text.startswith("Municipal elections: ") and "of 15 wethouders" in e.text
               for e in elections)
    logged = sum(1 if members is None else len(members)
                 for _, _, _, members in model.state.events)
    assert len([e for e in entries if e.kind in EVENTS]) == logged
    assert {e.row for e in entries} <= set(TIMELINE_ROWS)
    assert set(EVENT_TEXT) == {*EVENTS, "election", "wethouder_departure"}
    for entry in entries:
        assert entry.text and "{" not in entry.text
