"""The scenario loader: valid files resolve to params, every problem is reported by key."""

import dataclasses
import json
import math
import pickle
import re
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from samenwerkingsim.model.engine import sample_arrangements
from samenwerkingsim.model.params import (
    AGENDA_DIMENSIONS,
    Behaviour,
    Case,
    GovernanceChange,
    Levers,
    Member,
    PopulationSample,
    RunSettings,
    check_fields,
    field_specs,
)
from samenwerkingsim.scenarios import (
    MAX_MEMBERS,
    MAX_NAME_LENGTH,
    ScenarioError,
    ScenarioWarning,
    apply_overrides,
    load_scenario,
    parse_scenario,
    read_scenario_data,
    scenario_hash,
    scenario_to_dict,
)

SOURCE = "test.toml"

VALID_TOML = """\
# a small valid scenario
schema_version = 1
name = "two towns"
description = "for tests"

[case]
start = "2010-01"
arrangement = "werkorganisatie"

[[case.members]]
name = "Aadorp"
population = 20000
agenda = [0.6, 0.5, 0.5]

[[case.members]]
name = "Beeveld"
population = 10000
agenda = { social = 0.5, spatial = 0.6, economic = 0.4 }
merger_preference = 0.4

[levers]
has_committees = true
joint_meetings_per_month = 4.3

[run]
replications = 10
horizon_years = 5
"""


def case_data():
    """A fresh, valid raw scenario with a [case]."""
    return {
        "schema_version": 1,
        "name": "test",
        "case": {
            "start": "2010-01",
            "members": [
                {"name": "Aadorp", "population": 20000},
                {"name": "Beeveld", "population": 10000},
            ],
        },
        "levers": {},
        "behaviour": {},
        "run": {},
    }


def sample_data():
    """A fresh, valid raw scenario with a [sample]."""
    return {
        "schema_version": 1,
        "name": "national",
        "sample": {
            "n_members": {"2": 14, "3": 7, "4": 2},
            "arrangement": {"werkorganisatie": 17, "centrumgemeente": 6},
            "start_year": {"2013": 3, "2014": 5},
            "size_ratio": {"median": 2.5, "low": 1.1, "high": 28.0},
        },
        "levers": {"exit_cost_years": 3.0},
    }


def report(data) -> str:
    """The error report of invalid data; fails the test when the data is valid."""
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, source=SOURCE)
    return str(info.value)


def line_for(text: str, key: str) -> str:
    """The one report line about ``key``."""
    lines = [line for line in text.splitlines() if f"{SOURCE}: {key}: " in line]
    assert len(lines) == 1, f"expected one line for {key!r} in:\n{text}"
    return lines[0]


# --------------------------------------------------------------------------------------------
# Valid input


def test_valid_file_resolves_with_defaults_filled_in(tmp_path):
    path = tmp_path / "two.toml"
    path.write_text(VALID_TOML)
    s = load_scenario(path)
    assert s.name == "two towns"
    assert (s.case.start_year, s.case.start_month) == (2010, 1)
    assert [m.name for m in s.case.members] == ["Aadorp", "Beeveld"]
    assert s.case.members[0].agenda == (0.6, 0.5, 0.5)
    assert s.case.members[1].agenda == (0.5, 0.6, 0.4)  # table form, in AGENDA_DIMENSIONS order
    assert s.case.members[1].merger_preference == 0.4
    assert s.case.members[0].merger_preference == 0.3  # params.Member default
    assert s.levers.has_committees is True
    assert s.levers.separate_director is False  # params.Levers default
    assert s.behaviour == Behaviour()
    assert s.run == RunSettings(replications=10, horizon_years=5.0, seed=20231031)
    assert isinstance(s.run.horizon_years, float)
    assert s.sample is None and s.timeline == ()
    assert check_fields(s.levers) == [] and check_fields(s.run) == []


def test_load_is_read_then_parse(tmp_path):
    path = tmp_path / "two.toml"
    path.write_text(VALID_TOML)
    assert load_scenario(path) == parse_scenario(read_scenario_data(path), source=str(path))


def test_whole_number_float_population_is_accepted_as_int():
    data = case_data()
    data["case"]["members"][0]["population"] = 20000.0
    member = parse_scenario(data, source=SOURCE).case.members[0]
    assert member.population == 20000 and isinstance(member.population, int)


def test_sample_resolves_to_population_sample():
    s = parse_scenario(sample_data(), source=SOURCE)
    assert s.case is None
    assert s.sample.n_members_weights == ((2, 14.0), (3, 7.0), (4, 2.0))
    assert s.sample.arrangement_weights == (("werkorganisatie", 17.0), ("centrumgemeente", 6.0))
    assert s.sample.start_year_weights == ((2013, 3.0), (2014, 5.0))
    assert s.sample.size_ratio_median == 2.5 and s.sample.size_ratio_range == (1.1, 28.0)
    assert s.sample.agenda_spread == PopulationSample().agenda_spread  # default kept
    assert s.max_members == 4


# --------------------------------------------------------------------------------------------
# The file itself


def test_missing_file_is_reported_with_its_name(tmp_path):
    path = tmp_path / "nope.toml"
    with pytest.raises(ScenarioError, match=re.escape(f"{path}: file not found")):
        load_scenario(path)


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)


def test_malformed_toml_reports_line_and_column(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('schema_version = 1\nname = "x"\n[levers]\nhas_committees = \n')
    with pytest.raises(ScenarioError, match=r"broken\.toml: malformed TOML: .*line 4, column"):
        load_scenario(path)


def test_not_utf8(tmp_path):
    path = tmp_path / "binary.toml"
    path.write_bytes(b'name = "\xff\xfe"\n')
    with pytest.raises(ScenarioError, match=r"binary\.toml: not UTF-8"):
        load_scenario(path)


def test_data_that_is_not_a_table():
    with pytest.raises(ScenarioError, match="expected a table of scenario settings"):
        parse_scenario([1, 2], source=SOURCE)


# --------------------------------------------------------------------------------------------
# Top level


@pytest.mark.parametrize("version", [2, 0, "1", 1.0, True])
def test_schema_version_other_than_1(version):
    data = case_data()
    data["schema_version"] = version
    with pytest.raises(ScenarioError, match=re.escape(
            f"{SOURCE}: schema_version: found {version!r}, allowed: 1")):
        parse_scenario(data, source=SOURCE)


def test_schema_version_and_name_are_required():
    data = case_data()
    del data["schema_version"], data["name"]
    text = report(data)
    assert "schema_version = 1" in line_for(text, "schema_version")
    assert "missing" in line_for(text, "name")


@pytest.mark.parametrize("name", ["", "   ", 3])
def test_name_must_be_a_non_empty_string(name):
    data = case_data()
    data["name"] = name
    with pytest.raises(ScenarioError, match=re.escape(
            f"{SOURCE}: name: expected a non-empty string, found {name!r}")):
        parse_scenario(data, source=SOURCE)


def test_description_must_be_a_string():
    data = case_data()
    data["description"] = 5
    with pytest.raises(ScenarioError, match=r"description: expected a string, found 5"):
        parse_scenario(data, source=SOURCE)


def test_unknown_top_level_table_suggests_the_nearest():
    data = case_data()
    data["lever"] = {"has_committees": True}
    with pytest.raises(ScenarioError, match=re.escape(
            f"{SOURCE}: lever: unknown table or key 'lever', did you mean 'levers'?")):
        parse_scenario(data, source=SOURCE)


def test_unknown_top_level_key_without_close_match_lists_the_allowed():
    data = case_data()
    data["xyzzy"] = 1
    text = report(data)
    assert "allowed: schema_version, name, description, case, sample" in line_for(text, "xyzzy")


def test_case_and_sample_together_is_an_error():
    data = case_data()
    data["sample"] = sample_data()["sample"]
    with pytest.raises(ScenarioError, match=r"found both \[case\] and \[sample\]"):
        parse_scenario(data, source=SOURCE)


def test_case_or_sample_is_required():
    data = case_data()
    del data["case"]
    with pytest.raises(ScenarioError, match=r"test\.toml: missing \[case\] or \[sample\]"):
        parse_scenario(data, source=SOURCE)


@pytest.mark.parametrize("table", ["case", "levers", "behaviour", "run", "sample"])
def test_a_section_that_is_not_a_table(table):
    data = sample_data() if table == "sample" else case_data()
    data[table] = 5
    with pytest.raises(ScenarioError, match=re.escape(f"{SOURCE}: {table}: expected a table")):
        parse_scenario(data, source=SOURCE)


# --------------------------------------------------------------------------------------------
# Unknown keys at every level


@pytest.mark.parametrize(("where", "typo", "suggestion"), [
    (("case",), "arrangment", "arrangement"),
    (("case", "members", 1), "populaton", "population"),
    (("levers",), "has_comittees", "has_committees"),
    (("behaviour",), "exit_logitt", "exit_logit"),
    (("run",), "replication", "replications"),
])
def test_unknown_key_suggests_the_nearest_valid_key(where, typo, suggestion):
    data = case_data()
    node = data
    for step in where:
        node = node[step]
    node[typo] = 1
    dotted = ".".join(str(s) for s in where).replace(".1", "[1]")
    with pytest.raises(ScenarioError, match=re.escape(
            f"{SOURCE}: {dotted}.{typo}: unknown")) as info:
        parse_scenario(data, source=SOURCE)
    assert f"did you mean {suggestion!r}?" in str(info.value)


def test_unknown_key_in_timeline_entry_and_agenda_and_sample():
    data = case_data()
    data["levers"]["timeline"] = [{"date": "2012-01", "separate_directr": True}]
    data["case"]["members"][0]["agenda"] = {"social": 0.5, "spatial": 0.5, "economc": 0.5}
    text = report(data)
    assert "did you mean 'separate_director'?" in line_for(
        text, "levers.timeline[0].separate_directr")
    assert "did you mean 'economic'?" in line_for(text, "case.members[0].agenda.economc")

    data = sample_data()
    data["sample"]["size_ration"] = {}
    data["sample"]["size_ratio"]["meadian"] = 2.0
    text = report(data)
    assert "did you mean 'size_ratio'?" in line_for(text, "sample.size_ration")
    assert "did you mean 'median'?" in line_for(text, "sample.size_ratio.meadian")


def test_unknown_behavioural_parameter_without_close_match():
    data = case_data()
    data["behaviour"] = {"zzz": 1}
    text = report(data)
    assert "unknown behavioural parameter 'zzz'" in line_for(text, "behaviour.zzz")


# --------------------------------------------------------------------------------------------
# Values: ranges, types, choices


def test_lever_out_of_range_names_file_key_value_and_range():
    data = case_data()
    data["levers"]["joint_meetings_per_month"] = 7
    with pytest.raises(ScenarioError, match=re.escape(
            f"{SOURCE}: levers.joint_meetings_per_month: found 7, allowed range [0.0, 5.0]")
    ) as info:
        parse_scenario(data, source=SOURCE)
    assert "meetings/month" in str(info.value)


def test_string_where_a_number_is_expected():
    data = case_data()
    data["levers"]["culture_build_new"] = "high"
    with pytest.raises(ScenarioError, match=re.escape(
            f"{SOURCE}: levers.culture_build_new: expected a number, found 'high'; "
            "allowed range [0.0, 1.0]")):
        parse_scenario(data, source=SOURCE)


def test_quoted_number_gets_a_hint():
    data = case_data()
    data["levers"]["scope_policy"] = "0.5"
    with pytest.raises(ScenarioError, match="write the number without quotes"):
        parse_scenario(data, source=SOURCE)


def test_bool_where_a_number_is_expected():
    # bool is a subclass of int in Python: true must not pass as 1
    data = case_data()
    data["levers"]["exit_cost_years"] = True
    with pytest.raises(ScenarioError, match=re.escape(
            f"{SOURCE}: levers.exit_cost_years: expected a number, found True; "
            "allowed range [0.0, 10.0]")):
        parse_scenario(data, source=SOURCE)


@pytest.mark.parametrize("value", [1, "true", 0.0])
def test_number_or_string_where_a_bool_is_expected(value):
    data = case_data()
    data["levers"]["has_committees"] = value
    with pytest.raises(ScenarioError, match=re.escape(
            f"{SOURCE}: levers.has_committees: expected true or false, found {value!r}")):
        parse_scenario(data, source=SOURCE)


def test_nan_is_rejected():
    data = case_data()
    data["levers"]["scope_policy"] = math.nan
    with pytest.raises(ScenarioError, match=r"levers\.scope_policy: found NaN"):
        parse_scenario(data, source=SOURCE)


def test_cost_key_choices():
    data = case_data()
    data["levers"]["cost_key"] = "populaton"
    with pytest.raises(ScenarioError, match=re.escape(
            f"{SOURCE}: levers.cost_key: found 'populaton', allowed: 'population', 'equal'; "
            "did you mean 'population'?")):
        parse_scenario(data, source=SOURCE)


def test_arrangement_choices():
    data = case_data()
    data["case"]["arrangement"] = "centrum"
    with pytest.raises(ScenarioError, match=re.escape(
            f"{SOURCE}: case.arrangement: found 'centrum', allowed: 'werkorganisatie', "
            "'centrumgemeente'")):
        parse_scenario(data, source=SOURCE)


def test_case_numbers_are_checked():
    data = case_data()
    data["case"]["provincial_merger_pressure"] = 1.5
    data["case"]["prior_cooperation_years"] = -1
    text = report(data)
    assert "found 1.5, allowed range [0.0, 1.0]" in line_for(
        text, "case.provincial_merger_pressure")
    assert "found -1, allowed range [0.0, 30.0]" in line_for(text, "case.prior_cooperation_years")


# --------------------------------------------------------------------------------------------
# Case: start and members


@pytest.mark.parametrize(("start", "expected"), [
    ("2010/01", "found '2010/01', expected a month as a string \"YYYY-MM\""),
    ("January 2010", "found 'January 2010', expected a month"),
    ("2010-13", "found '2010-13': month 13 is outside 1..12"),
    ("2010-00", "found '2010-00': month 0 is outside 1..12"),
    ("1850-01", "found '1850-01': year 1850 is outside 1900..2100"),
    (201001, "expected a month as a string \"YYYY-MM\", e.g. \"2010-01\", found 201001"),
])
def test_unparseable_or_out_of_range_start(start, expected):
    data = case_data()
    data["case"]["start"] = start
    with pytest.raises(ScenarioError, match=re.escape(f"{SOURCE}: case.start: {expected}")):
        parse_scenario(data, source=SOURCE)


def test_toml_date_instead_of_string_start(tmp_path):
    path = tmp_path / "date.toml"
    path.write_text(VALID_TOML.replace('start = "2010-01"', "start = 2010-01-01"))
    with pytest.raises(ScenarioError, match=r"date\.toml: case\.start: expected a month as a "
                                            r"string .*datetime\.date\(2010, 1, 1\)"):
        load_scenario(path)


def test_start_is_required():
    data = case_data()
    del data["case"]["start"]
    with pytest.raises(ScenarioError, match=r"case\.start: missing"):
        parse_scenario(data, source=SOURCE)


def test_empty_member_list():
    data = case_data()
    data["case"]["members"] = []
    with pytest.raises(ScenarioError, match=re.escape(
            f"{SOURCE}: case.members: found no members; an arrangement needs at least 2 "
            "members")):
        parse_scenario(data, source=SOURCE)


def test_missing_member_list():
    data = case_data()
    del data["case"]["members"]
    with pytest.raises(ScenarioError, match=r"case\.members: missing"):
        parse_scenario(data, source=SOURCE)


def test_a_single_member():
    data = case_data()
    data["case"]["members"] = data["case"]["members"][:1]
    with pytest.raises(ScenarioError, match=re.escape(
            f"{SOURCE}: case.members: found 1 member; an arrangement needs at least 2 members")):
        parse_scenario(data, source=SOURCE)


def test_too_many_members():
    data = case_data()
    data["case"]["members"] = [{"name": f"M{i}", "population": 1000}
                               for i in range(MAX_MEMBERS + 1)]
    with pytest.raises(ScenarioError, match=re.escape(
            f"{SOURCE}: case.members: found 9 members, allowed at most 8")):
        parse_scenario(data, source=SOURCE)


def test_duplicate_member_names_ignoring_case():
    data = case_data()
    data["case"]["members"].append({"name": "aadorp", "population": 5000})
    with pytest.raises(ScenarioError, match=re.escape(
            f"{SOURCE}: case.members[2].name: found 'aadorp' again (also case.members[0])")):
        parse_scenario(data, source=SOURCE)


@pytest.mark.parametrize("population", [0, -500])
def test_non_positive_population(population):
    data = case_data()
    data["case"]["members"][1]["population"] = population
    with pytest.raises(ScenarioError, match=re.escape(
            f"{SOURCE}: case.members[1].population: found {population}, allowed range "
            "[1, 2000000]")) as info:
        parse_scenario(data, source=SOURCE)
    assert "member 'Beeveld'" in str(info.value)


def test_fractional_population():
    data = case_data()
    data["case"]["members"][0]["population"] = 1234.5
    with pytest.raises(ScenarioError, match=re.escape(
            "case.members[0].population: expected a whole number, found 1234.5")):
        parse_scenario(data, source=SOURCE)


def test_member_needs_name_and_population():
    data = case_data()
    data["case"]["members"][0] = {"agenda": [0.5, 0.5, 0.5]}
    text = report(data)
    assert "missing" in line_for(text, "case.members[0].name")
    assert "missing" in line_for(text, "case.members[0].population")


def test_member_entry_that_is_not_a_table():
    data = case_data()
    data["case"]["members"][1] = "Beeveld"
    with pytest.raises(ScenarioError, match=r"case\.members\[1\]: expected a table"):
        parse_scenario(data, source=SOURCE)


def test_member_preferences_are_checked():
    data = case_data()
    data["case"]["members"][0]["autonomy_preference"] = 1.2
    with pytest.raises(ScenarioError, match=re.escape(
            "case.members[0].autonomy_preference: found 1.2, allowed range [0.0, 1.0]")):
        parse_scenario(data, source=SOURCE)


@pytest.mark.parametrize(("agenda", "key", "expected"), [
    ([0.5, 0.5], "case.members[0].agenda", "expected 3 numbers in [0, 1] (social, spatial, "
                                           "economic), found [0.5, 0.5]"),
    ([0.5, 0.5, 0.5, 0.5], "case.members[0].agenda", "expected 3 numbers"),
    ([0.5, 1.5, 0.5], "case.members[0].agenda[1]", "found 1.5, allowed a share in [0.0, 1.0]"),
    ([0.5, "x", 0.5], "case.members[0].agenda[1]", "expected a share in [0.0, 1.0], found 'x'"),
    ([0.5, True, 0.5], "case.members[0].agenda[1]", "expected a share in [0.0, 1.0], found "
                                                    "True"),
    ({"social": 0.5, "spatial": 0.5}, "case.members[0].agenda.economic", "missing"),
    ({"social": -0.1, "spatial": 0.5, "economic": 0.5}, "case.members[0].agenda.social",
     "found -0.1, allowed a share in [0.0, 1.0]"),
    (0.5, "case.members[0].agenda", "expected 3 numbers in [0, 1] (social, spatial, economic) "
                                    "as a list or a table"),
])
def test_agenda_problems(agenda, key, expected):
    data = case_data()
    data["case"]["members"][0]["agenda"] = agenda
    with pytest.raises(ScenarioError, match=re.escape(f"{SOURCE}: {key}: {expected}")):
        parse_scenario(data, source=SOURCE)


def test_agenda_table_and_list_are_the_same():
    as_list, as_table = case_data(), case_data()
    as_list["case"]["members"][0]["agenda"] = [0.1, 0.2, 0.3]
    as_table["case"]["members"][0]["agenda"] = dict(zip(AGENDA_DIMENSIONS, [0.1, 0.2, 0.3],
                                                        strict=True))
    assert parse_scenario(as_list, source=SOURCE) == parse_scenario(as_table, source=SOURCE)


# --------------------------------------------------------------------------------------------
# Sample


def test_sample_weights_must_be_non_negative_with_positive_sum():
    data = sample_data()
    data["sample"]["n_members"] = {"2": -1, "3": 7}
    data["sample"]["arrangement"] = {"werkorganisatie": 0, "centrumgemeente": 0}
    data["sample"]["start_year"] = {"2014": "five"}
    text = report(data)
    assert "found -1, allowed a weight >= 0.0" in line_for(text, "sample.n_members.2")
    assert "the weights must have a positive sum" in line_for(text, "sample.arrangement")
    assert "expected a weight >= 0.0, found 'five'" in line_for(text, "sample.start_year.2014")


def test_sample_member_counts_are_2_to_8():
    data = sample_data()
    data["sample"]["n_members"] = {"1": 3, "9": 1, "two": 1}
    text = report(data)
    for label in ("1", "9", "two"):
        assert f"found member count {label!r}, allowed: \"2\" to \"8\"" in line_for(
            text, f"sample.n_members.{label}")


def test_sample_arrangement_and_year_labels():
    data = sample_data()
    data["sample"]["arrangement"] = {"werkorganisatie": 1, "centrumgemeent": 1}
    data["sample"]["start_year"] = {"14": 1}
    text = report(data)
    assert "did you mean 'centrumgemeente'?" in line_for(text, "sample.arrangement.centrumgemeent")
    assert "found start year '14'" in line_for(text, "sample.start_year.14")


def test_sample_empty_weights():
    data = sample_data()
    data["sample"]["n_members"] = {}
    with pytest.raises(ScenarioError, match=r"sample\.n_members: found no categories"):
        parse_scenario(data, source=SOURCE)


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("autonomy_preference", [0.8, 0.2], "found [0.8, 0.2]: low is above high"),
    ("autonomy_preference", [0.2, 1.3], "found [0.2, 1.3], allowed: low and high in [0.0, 1.0]"),
    ("scope_policy", [-0.1, 0.5], "found [-0.1, 0.5], allowed: low and high in [0.0, 1.0]"),
    ("agenda_spread", [0.1], "expected [low, high], two numbers in [0.0, 1.0], found [0.1]"),
    ("joint_meetings_per_month", [0.0, 6.0], "found [0.0, 6.0], allowed: low and high in "
                                             "[0.0, 5.0] (meetings/month)"),
    ("largest_population", [0, 90000], "found [0, 90000], allowed: low and high in "
                                       "[1, 2000000] (inhabitants)"),
    ("culture_build_new", [True, 0.5], "expected [low, high]"),
])
def test_sample_ranges(key, value, expected):
    data = sample_data()
    data["sample"][key] = value
    with pytest.raises(ScenarioError, match=re.escape(f"{SOURCE}: sample.{key}: {expected}")):
        parse_scenario(data, source=SOURCE)


@pytest.mark.parametrize("key", ["p_designed_as_step_to_merger", "p_has_committees",
                                 "p_chairs_in_db", "p_separate_director"])
@pytest.mark.parametrize("value", [-0.1, 1.1])
def test_sample_probabilities(key, value):
    data = sample_data()
    data["sample"][key] = value
    with pytest.raises(ScenarioError, match=re.escape(
            f"{SOURCE}: sample.{key}: found {value}, allowed a probability in [0.0, 1.0]")):
        parse_scenario(data, source=SOURCE)


@pytest.mark.parametrize(("ratio", "expected"), [
    ({"median": 2.5, "low": 3.0, "high": 28.0}, "allowed: 1 <= low <= median <= high"),
    ({"median": 30.0, "low": 1.1, "high": 28.0}, "allowed: 1 <= low <= median <= high"),
    ({"median": 2.5, "low": 0.5, "high": 28.0}, "found 0.5, allowed a population ratio >= 1.0"),
    ({"median": 2.5, "high": 28.0}, "missing"),
])
def test_sample_size_ratio(ratio, expected):
    data = sample_data()
    data["sample"]["size_ratio"] = ratio
    with pytest.raises(ScenarioError, match=re.escape(expected)) as info:
        parse_scenario(data, source=SOURCE)
    assert f"{SOURCE}: sample.size_ratio" in str(info.value)


def test_sample_scenario_may_not_set_sampled_levers_or_a_timeline():
    data = sample_data()
    data["levers"]["has_committees"] = True
    data["levers"]["timeline"] = [{"date": "2015-01", "separate_director": True}]
    text = report(data)
    assert "set sample.p_has_committees instead" in line_for(text, "levers.has_committees")
    assert "a governance timeline needs a [case]" in line_for(text, "levers.timeline")


# --------------------------------------------------------------------------------------------
# Governance timeline


def test_timeline_resolves_sorted_by_date():
    data = case_data()
    data["levers"]["timeline"] = [
        {"date": "2017-01", "separate_director": True},
        {"date": "2012-06", "joint_meetings_per_month": 2, "has_committees": True},
    ]
    s = parse_scenario(data, source=SOURCE)
    assert s.timeline == (
        GovernanceChange(2012, 6, (("has_committees", True), ("joint_meetings_per_month", 2.0))),
        GovernanceChange(2017, 1, (("separate_director", True),)),
    )


def test_timeline_date_before_case_start():
    data = case_data()
    data["levers"]["timeline"] = [{"date": "2009-12", "separate_director": True}]
    with pytest.raises(ScenarioError, match=re.escape(
            f"{SOURCE}: levers.timeline[0].date: found '2009-12', which is before the case "
            "start '2010-01'")):
        parse_scenario(data, source=SOURCE)


def test_timeline_date_checked_even_when_a_member_is_invalid():
    data = case_data()
    data["case"]["members"][0]["population"] = 0
    data["levers"]["timeline"] = [{"date": "2009-12", "separate_director": True}]
    text = report(data)
    assert "before the case start" in line_for(text, "levers.timeline[0].date")


def test_timeline_entry_problems():
    data = case_data()
    data["levers"]["timeline"] = [
        {"date": "2012-01"},
        {"separate_director": True},
        {"date": "2012-13", "separate_director": True},
        {"date": "2013-01", "joint_meetings_per_month": 9},
        {"date": "2013-01", "separate_director": True},
        "2014-01",
    ]
    text = report(data)
    assert "changes at least one lever" in line_for(text, "levers.timeline[0]")
    assert "missing" in line_for(text, "levers.timeline[1].date")
    assert "month 13 is outside 1..12" in line_for(text, "levers.timeline[2].date")
    assert "found 9, allowed range [0.0, 5.0]" in line_for(
        text, "levers.timeline[3].joint_meetings_per_month")
    assert "found '2013-01' again (also levers.timeline[3].date)" in line_for(
        text, "levers.timeline[4].date")
    assert "expected a table" in line_for(text, "levers.timeline[5]")


def test_timeline_that_is_not_an_array():
    data = case_data()
    data["levers"]["timeline"] = {"date": "2012-01"}
    with pytest.raises(ScenarioError, match=r"levers\.timeline: expected an array of tables"):
        parse_scenario(data, source=SOURCE)


# --------------------------------------------------------------------------------------------
# Behaviour and run settings


def test_behaviour_overrides_are_applied_and_checked():
    data = case_data()
    data["behaviour"] = {"exit_logit": -5, "director_competence_range": [0.3, 0.8]}
    b = parse_scenario(data, source=SOURCE).behaviour
    assert b == Behaviour().with_overrides(exit_logit=-5.0, director_competence_range=(0.3, 0.8))

    data["behaviour"] = {"exit_logit": -25, "exit_ownership_slope": -1}
    text = report(data)
    assert "found -25, allowed range [-20.0, 5.0] (log-odds)" in line_for(
        text, "behaviour.exit_logit")
    assert "found -1, allowed range [0.0, 20.0]" in line_for(text,
                                                            "behaviour.exit_ownership_slope")


def test_a_parameter_of_an_earlier_version_is_reported_with_the_nearest_name():
    data = case_data()
    data["behaviour"] = {"exit_lag_months": 12}  # the exit lag is a fixed fact since 0.1
    assert "unknown behavioural parameter 'exit_lag_months'" in line_for(
        report(data), "behaviour.exit_lag_months")


@pytest.mark.parametrize(("value", "expected"), [
    ([0.9, 0.4], "found [0.9, 0.4]: low is above high"),
    ([0.4, 1.2], "found [0.4, 1.2], allowed: low and high in [0.0, 1.0]"),
    (0.5, "expected [low, high], two numbers in [0.0, 1.0], found 0.5"),
])
def test_director_competence_range(value, expected):
    data = case_data()
    data["behaviour"] = {"director_competence_range": value}
    with pytest.raises(ScenarioError, match=re.escape(
            f"{SOURCE}: behaviour.director_competence_range: {expected}")):
        parse_scenario(data, source=SOURCE)


def test_zero_horizon_names_the_allowed_range():
    data = case_data()
    data["run"]["horizon_years"] = 0
    with pytest.raises(ScenarioError, match=re.escape(
            f"{SOURCE}: run.horizon_years: found 0, allowed range [0.1, 200.0] "
            "(years)")):
        parse_scenario(data, source=SOURCE)


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("replications", 0, "found 0, allowed range [1, 10000000]"),
    ("replications", 2.5, "expected a whole number, found 2.5"),
    ("seed", -1, "found -1, allowed range [0, 9223372036854775807]"),
    ("seed", "abc", "expected a number, found 'abc'"),
])
def test_run_settings(key, value, expected):
    data = case_data()
    data["run"][key] = value
    with pytest.raises(ScenarioError, match=re.escape(f"{SOURCE}: run.{key}: {expected}")):
        parse_scenario(data, source=SOURCE)


def test_integer_beyond_float_range_is_reported_not_raised():
    data = case_data()
    data["run"]["seed"] = 10**400  # tomllib reads integers of any size
    with pytest.raises(ScenarioError, match=r"run\.seed: found 10+, allowed range \[0, "):
        parse_scenario(data, source=SOURCE)


# --------------------------------------------------------------------------------------------
# All problems in one report


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    path = tmp_path / "many.toml"
    path.write_text("""\
schema_version = 1
name = "many"
colour = "blue"

[case]
start = "2010-01"

[[case.members]]
name = "Aadorp"
population = -1

[[case.members]]
name = "Beeveld"
population = 10000
agenda = [0.5, 0.5]

[levers]
joint_meetings_per_month = 9.0
has_comittees = true
cost_key = "fair"

[[levers.timeline]]
date = "2008-01"
separate_director = true

[run]
horizon_years = 0
""")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    err = info.value
    expected_keys = ["colour", "case.members[0].population", "case.members[1].agenda",
                     "levers.has_comittees", "levers.joint_meetings_per_month",
                     "levers.cost_key", "levers.timeline[0].date", "run.horizon_years"]
    assert sorted(p.key for p in err.problems) == sorted(expected_keys)
    lines = str(err).splitlines()
    assert lines[0] == f"8 problems in scenario {path}:"
    assert len(lines) == 1 + len(expected_keys)
    assert all(line.startswith(f"  {path}: ") for line in lines[1:])
    assert err.source == str(path)


def test_scenario_error_is_a_value_error_and_pickles():
    data = case_data()
    data["levers"]["scope_policy"] = 2
    with pytest.raises(ValueError) as info:
        parse_scenario(data, source=SOURCE)
    copy = pickle.loads(pickle.dumps(info.value))
    assert isinstance(copy, ScenarioError)
    assert str(copy) == str(info.value) and copy.problems == info.value.problems


# --------------------------------------------------------------------------------------------
# --set overrides


def test_valid_overrides_change_the_values():
    data = case_data()
    data2 = apply_overrides(data, [
        "levers.has_committees=true",
        "run.replications=200",
        "behaviour.exit_logit=-5",
        "levers.cost_key=equal",               # not TOML: taken as a plain string
        'levers.culture_build_new = 0.85',
        "case.start=2012-03",
        "case.members[1].population=12000",
        "case.members[0].agenda=[0.1, 0.2, 0.3]",
        "description=with overrides",
    ])
    s = parse_scenario(data2, source=SOURCE)
    assert s.levers.has_committees is True
    assert s.levers.cost_key == "equal"
    assert s.levers.culture_build_new == 0.85
    assert s.run.replications == 200
    assert s.behaviour.exit_logit == -5.0
    assert (s.case.start_year, s.case.start_month) == (2012, 3)
    assert s.case.members[1].population == 12000
    assert s.case.members[0].agenda == (0.1, 0.2, 0.3)
    assert s.description == "with overrides"
    assert data == case_data()  # the input is not modified


def test_override_creates_a_missing_table():
    data = case_data()
    del data["levers"]
    s = parse_scenario(apply_overrides(data, ["levers.separate_director=true"]), source=SOURCE)
    assert s.levers.separate_director is True


def test_invalid_override_is_reported_under_its_key():
    data = apply_overrides(case_data(), ["levers.joint_meetings_per_month=9",
                                         "run.horizon_years=0"])
    text = report(data)
    assert "found 9, allowed range [0.0, 5.0]" in line_for(text, "levers.joint_meetings_per_month")
    assert "found 0, allowed range" in line_for(text, "run.horizon_years")


def test_misspelt_override_key_suggests_the_nearest():
    data = apply_overrides(case_data(), ["levers.has_commitees=true"])
    with pytest.raises(ScenarioError, match=re.escape(
            f"{SOURCE}: levers.has_commitees: unknown key 'has_commitees', "
            "did you mean 'has_committees'?")):
        parse_scenario(data, source=SOURCE)


def test_override_that_cannot_be_applied():
    with pytest.raises(ScenarioError) as info:
        apply_overrides(case_data(), ["levers.has_committees", "case.members[5].population=1",
                                      "name.first=x", "=3", "levers..x=1"])
    text = str(info.value)
    assert text.splitlines()[0] == "5 problems in --set:"
    assert "expected key=value" in line_for_source(text, "--set", "levers.has_committees")
    assert "case.members has 2 entries, so index 5 is out of range (0..1)" in line_for_source(
        text, "--set", "case.members[5].population")
    assert "name is not a table" in line_for_source(text, "--set", "name.first")
    assert "cannot read the key" in line_for_source(text, "--set", "levers..x")


def test_override_problems_name_the_scenario_file_when_given():
    with pytest.raises(ScenarioError) as raised:
        apply_overrides(case_data(), ["levers.has_committees"], source="scenarios/k.toml")
    header, line = str(raised.value).splitlines()
    assert header == "1 problem in --set (for scenarios/k.toml):"
    assert line == "  --set: levers.has_committees: expected key=value, e.g. " \
                   "levers.has_committees=true"


def line_for_source(text: str, source: str, key: str) -> str:
    lines = [line for line in text.splitlines() if f"{source}: {key}: " in line]
    assert len(lines) == 1, f"expected one line for {key!r} in:\n{text}"
    return lines[0]


def test_overrides_apply_to_a_resolved_scenario_dict():
    s = parse_scenario(case_data(), source=SOURCE)
    data = apply_overrides(scenario_to_dict(s), ["levers.scope_policy=0.9"])
    assert parse_scenario(data, source=SOURCE).levers.scope_policy == 0.9


# --------------------------------------------------------------------------------------------
# Resolved form and hash


def test_round_trip_through_the_resolved_dict():
    for data in (case_data(), sample_data()):
        if "case" in data:
            data["levers"]["timeline"] = [{"date": "2015-01", "separate_director": True}]
            data["behaviour"] = {"director_competence_range": [0.3, 0.7]}
        s = parse_scenario(data, source=SOURCE)
        resolved = scenario_to_dict(s)
        again = parse_scenario(resolved, source="resolved")
        assert again == s
        assert scenario_hash(again) == scenario_hash(s)
        # JSON-friendly, and the same after a trip through JSON
        assert parse_scenario(json.loads(json.dumps(resolved)), source="json") == s


def test_resolved_dict_fills_in_every_default():
    resolved = scenario_to_dict(parse_scenario(case_data(), source=SOURCE))
    assert set(resolved["levers"]) == {*field_specs(Levers), "timeline"}
    assert set(resolved["behaviour"]) == {*field_specs(Behaviour), "director_competence_range"}
    assert set(resolved["run"]) == set(field_specs(RunSettings))
    assert resolved["case"]["members"][0]["agenda"] == {"social": 0.5, "spatial": 0.5,
                                                        "economic": 0.5}


def test_every_field_of_the_parameter_classes_has_a_key():
    # guards against a field added to params.py that a scenario file cannot set
    def names(cls):
        return {f.name for f in dataclasses.fields(cls)}

    case = scenario_to_dict(parse_scenario(case_data(), source=SOURCE))
    sample = scenario_to_dict(parse_scenario(sample_data(), source=SOURCE))
    assert set(case["levers"]) - {"timeline"} == names(Levers)
    assert set(case["behaviour"]) == names(Behaviour)
    assert set(case["run"]) == names(RunSettings)
    assert set(case["case"]) == names(Case) - {"start_year", "start_month"} | {"start"}
    assert set(case["case"]["members"][0]) == names(Member)
    renamed = {"n_members": {"n_members_weights"}, "arrangement": {"arrangement_weights"},
               "start_year": {"start_year_weights"},
               "size_ratio": {"size_ratio_median", "size_ratio_range"}}
    covered = set().union(*(renamed.get(key, {key}) for key in sample["sample"]))
    assert covered == names(PopulationSample)


def test_resolved_sample_leaves_out_the_sampled_levers():
    resolved = scenario_to_dict(parse_scenario(sample_data(), source=SOURCE))
    assert set(resolved["levers"]) == {"cost_key", "exit_cost_years", "timeline"}


def test_hash_is_short_hex_and_sensitive_to_values_only():
    a = case_data()
    b = case_data()
    b["levers"]["joint_meetings_per_month"] = 0  # int or float: the same resolved value
    c = case_data()
    c["levers"]["joint_meetings_per_month"] = 1.0
    ha, hb, hc = (scenario_hash(parse_scenario(d, source=SOURCE)) for d in (a, b, c))
    assert re.fullmatch(r"[0-9a-f]{16}", ha)
    assert ha == hb
    assert ha != hc


# --------------------------------------------------------------------------------------------
# Property: in range loads, out of range is rejected

LEVER_SPECS = field_specs(Levers)
NUMERIC_LEVERS = ["joint_meetings_per_month", "scope_back_office", "scope_policy",
                  "culture_build_new", "exit_cost_years"]


@settings(database=None, max_examples=200)
@given(data=st.data(), name=st.sampled_from(NUMERIC_LEVERS))
def test_any_in_range_lever_value_loads(data, name):
    low, high = LEVER_SPECS[name].metadata["low"], LEVER_SPECS[name].metadata["high"]
    value = data.draw(st.one_of(st.floats(low, high), st.integers(math.ceil(low),
                                                                   math.floor(high))))
    raw = case_data()
    raw["levers"][name] = value
    s = parse_scenario(raw, source=SOURCE)
    assert getattr(s.levers, name) == value
    assert isinstance(getattr(s.levers, name), float)


@settings(database=None, max_examples=200)
@given(data=st.data(), name=st.sampled_from(NUMERIC_LEVERS))
def test_any_out_of_range_lever_value_is_rejected(data, name):
    low, high = LEVER_SPECS[name].metadata["low"], LEVER_SPECS[name].metadata["high"]
    value = data.draw(st.one_of(
        st.floats(max_value=low, exclude_max=True),
        st.floats(min_value=high, exclude_min=True),
        st.just(math.nan),
    ))
    raw = case_data()
    raw["levers"][name] = value
    with pytest.raises(ScenarioError) as info:
        parse_scenario(raw, source=SOURCE)
    assert [p.key for p in info.value.problems] == [f"levers.{name}"]
    assert f"[{low}, {high}]" in str(info.value) or "NaN" in str(info.value)


# --------------------------------------------------------------------------------------------
# Names: one printable line of text, since they end up in CSV headers, file names and titles

NAME_RULE = (f"allowed: printable text of 1 to {MAX_NAME_LENGTH} characters without leading "
             "or trailing whitespace")


@pytest.mark.parametrize(("name", "reason"), [
    ("Aa\ndorp", "not printable"),
    ("Aa\tdorp", "not printable"),
    ("Aa\x00dorp", "not printable"),
    ("Aa\u200bdorp", "not printable"),  # a zero-width space, invisible in a figure title
    (" Aadorp", "leading or trailing whitespace"),
    ("Aadorp\u00a0", "not printable"),  # a no-break space is neither printable nor strippable
    ("Aadorp ", "leading or trailing whitespace"),
    ("A" * (MAX_NAME_LENGTH + 1), f"it is {MAX_NAME_LENGTH + 1} characters long"),
])
def test_member_name_that_is_not_one_short_printable_line_is_rejected(name, reason):
    data = case_data()
    data["case"]["members"][0]["name"] = name
    line = line_for(report(data), "case.members[0].name")
    assert f"found {name!r}: " in line and reason in line and NAME_RULE in line


def test_member_name_with_surrounding_whitespace_is_one_problem_not_also_a_duplicate():
    data = case_data()
    data["case"]["members"].append({"name": "Aadorp ", "population": 5000})
    text = report(data)
    assert "leading or trailing whitespace" in line_for(text, "case.members[2].name")


@pytest.mark.parametrize("name", ['Reusel-De Mierden', 'Bergen, N.H.', 'De "Kempen"',
                                  "Súdwest-Fryslân", "A" * MAX_NAME_LENGTH])
def test_member_name_with_commas_quotes_and_accents_is_accepted(name):
    data = case_data()
    data["case"]["members"][0]["name"] = name
    assert parse_scenario(data, source=SOURCE).case.members[0].name == name


@pytest.mark.parametrize(("name", "reason"), [
    ("two\ntowns", "not printable"),
    ("two towns ", "leading or trailing whitespace"),
    ("t" * (MAX_NAME_LENGTH + 1), "characters long"),
    ("kempen/late", "it contains /"),
    ("kempen\\late", "it contains \\"),
])
def test_scenario_name_is_one_short_printable_line_without_path_separators(name, reason):
    data = case_data()
    data["name"] = name
    line = line_for(report(data), "name")
    assert f"found {name!r}: " in line and reason in line
    assert f"{NAME_RULE}, and without / or \\" in line


# characters str.isprintable accepts: everything but the categories below, and the space
PRINTABLE = st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"))
PRINTABLE_NAMES = st.text(PRINTABLE | st.just(" "), min_size=1, max_size=MAX_NAME_LENGTH).filter(
    lambda name: name == name.strip())


@settings(database=None, max_examples=200)
@given(name=PRINTABLE_NAMES)
def test_any_printable_name_of_1_to_60_characters_without_surrounding_whitespace_loads(name):
    assume(name.casefold() != "beeveld")  # the other member's name
    data = case_data()
    data["case"]["members"][0]["name"] = name
    data["name"] = name.replace("/", "-").replace("\\", "-")
    s = parse_scenario(data, source=SOURCE)
    assert s.case.members[0].name == name and s.name == data["name"]
    assert parse_scenario(json.loads(json.dumps(scenario_to_dict(s))), source=SOURCE) == s


# --------------------------------------------------------------------------------------------
# [sample]: no impossible arrangements, no crash on odd weight labels


def test_sample_whose_smallest_member_would_have_no_inhabitants_names_both_keys():
    data = sample_data()
    data["sample"]["largest_population"] = [20, 90000]  # high ratio 28: 20 / 28 < 1
    text = report(data)
    expected = ("found largest_population low 20.0 and size_ratio.high 28.0: the smallest "
                "member would have fewer than 1 inhabitant (20.0 / 28.0 = 0.714); allowed: "
                "largest_population low >= size_ratio.high")
    assert expected in line_for(text, "sample.largest_population")
    assert expected in line_for(text, "sample.size_ratio")


def test_smallest_member_check_takes_the_default_of_the_key_not_given():
    data = sample_data()
    del data["sample"]["size_ratio"]  # the default high ratio is 28
    data["sample"]["largest_population"] = [27, 90000]
    line = line_for(report(data), "sample.largest_population")
    assert "size_ratio.high 28.0 (the default): the smallest member would have fewer than 1 "\
           "inhabitant" in line

    data = sample_data()
    data["sample"]["size_ratio"]["high"] = 20001  # the default low largest population is 20000
    line = line_for(report(data), "sample.size_ratio")
    assert "largest_population low 20000 (the default) and size_ratio.high 20001.0" in line


def test_smallest_member_of_exactly_1_inhabitant_is_accepted():
    data = sample_data()
    data["sample"]["largest_population"] = [28, 90000]
    assert parse_scenario(data, source=SOURCE).sample.largest_population == (28.0, 90000.0)


def smallest_drawn_population(sample: PopulationSample) -> float:
    """The population engine.sample_arrangements gives the smaller of two members at the
    extreme draw: the low bound of the largest population with the high size ratio."""
    a = np.zeros((1, 24))
    a[0, 5], a[0, 6], a[0, 7] = 0.99, 1.0, 0.0  # upper side of the median, at its top; low
    draws = {"sample_arrangement": a, "sample_member": np.zeros((1, 2, 6)),
             "sample_agenda_centre": np.zeros((1, 3)), "sample_agenda": np.zeros((1, 2, 3))}
    return sample_arrangements(sample, draws, 2)["population"][0, 1]


@settings(database=None, max_examples=200)
@given(data=st.data())
def test_any_accepted_sample_draws_a_smallest_member_of_at_least_1_inhabitant(data):
    high = data.draw(st.floats(1.0, 2e6), label="size_ratio.high")
    low = data.draw(st.floats(1.0, 2e6), label="largest_population low")
    raw = sample_data()
    raw["sample"]["n_members"] = {"2": 1}
    raw["sample"]["size_ratio"] = {"median": 1.0, "low": 1.0, "high": high}
    raw["sample"]["largest_population"] = [low, 2e6]
    if low / high < 1:
        assert "fewer than 1 inhabitant" in report(raw)
    else:
        assert smallest_drawn_population(parse_scenario(raw, source=SOURCE).sample) >= 1


def test_weights_whose_sum_overflows_are_rejected():
    data = sample_data()
    data["sample"]["n_members"] = {"2": 1e308, "3": 1e308}
    assert ("found {'2': 1e+308, '3': 1e+308}: the sum of the weights overflows to infinity; "
            "the weights must be finite with a finite positive sum") in line_for(
        report(data), "sample.n_members")


@pytest.mark.parametrize(("weight", "shown"), [(math.inf, "inf"), (math.nan, "nan"),
                                               (10**400, "1" + "0" * 400)],
                         ids=["inf", "nan", "10**400"])
def test_non_finite_weight_is_rejected(weight, shown):
    data = sample_data()
    data["sample"]["arrangement"] = {"werkorganisatie": weight, "centrumgemeente": 6}
    assert (f"found {shown}; the weights must be finite with a finite positive sum"
            in line_for(report(data), "sample.arrangement.werkorganisatie"))


@pytest.mark.parametrize(("table", "label", "expected"), [
    ("n_members", "²", "found member count '²', allowed: \"2\" to \"8\""),  # int() fails
    ("n_members", "٣", "found member count '٣', allowed: \"2\" to \"8\""),  # int() gives 3
    ("n_members", "３", "found member count '３'"),
    ("start_year", "２０１０", "found start year '２０１０', allowed: a year \"1900\" to \"2100\""),
    ("start_year", "٢٠١٠", "found start year '٢٠١٠'"),
])
def test_weight_label_with_non_ascii_digits_is_reported(table, label, expected):
    data = sample_data()
    data["sample"][table] = {label: 3}
    key = "sample." + table + "." + json.dumps(label)  # not a bare key: quoted, as TOML does
    line = line_for(report(data), key)
    assert expected in line and "write the number with the digits 0-9" in line


@pytest.mark.parametrize(("label", "key"), [
    ("02", "02"),          # would be a second weight for 2 members, lost in scenario_to_dict
    ("+3", '"+3"'),
    (" 3", '" 3"'),
    ("9" * 5000, "9" * 5000),  # int() refuses strings of more than 4300 digits
], ids=["leading zero", "plus sign", "space", "5000 digits"])
def test_member_count_label_must_be_written_plainly(label, key):
    data = sample_data()
    data["sample"]["n_members"] = {"2": 1, label: 1}
    assert "allowed: \"2\" to \"8\"" in line_for(report(data), f"sample.n_members.{key}")


def test_file_with_a_non_ascii_digit_is_a_scenario_error(tmp_path):
    # so that `samenwerkingsim validate` reports it and goes on to the next file
    path = tmp_path / "digits.toml"
    path.write_text('schema_version = 1\nname = "x"\n[sample]\nn_members = { "²" = 3 }\n',
                    encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"digits\.toml: sample\.n_members\..*member count"):
        load_scenario(path)


@pytest.mark.parametrize("start", ["٢٠١٠-٠١", "２０１０-０１"])
def test_month_with_non_ascii_digits_is_rejected(start):
    data = case_data()
    data["case"]["start"] = start
    line = line_for(report(data), "case.start")
    assert f"found {start!r}, expected a month" in line
    assert "write the number with the digits 0-9" in line


# --------------------------------------------------------------------------------------------
# Odd input anywhere is a ScenarioError, never another exception


def test_integer_of_more_than_4300_digits_in_the_file_is_reported(tmp_path):
    path = tmp_path / "digits.toml"
    path.write_text(f'schema_version = 1\nname = "x"\n[run]\nseed = {"9" * 5000}\n')
    with pytest.raises(ScenarioError, match=r"digits\.toml: cannot read a number in the file"):
        load_scenario(path)


def test_too_deeply_nested_file_is_reported(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text(f'schema_version = 1\nname = "x"\n[run]\nseed = {"[" * 5000}{"]" * 5000}\n')
    with pytest.raises(ScenarioError, match=r"deep\.toml: arrays or tables are nested too "
                                            "deeply to read"):
        load_scenario(path)


@pytest.mark.parametrize("text", ["9" * 5000, "[" * 5000 + "]" * 5000],
                         ids=["5000 digits", "5000 nested arrays"])
def test_override_value_that_toml_cannot_read_is_taken_as_a_string(text):
    data = apply_overrides(case_data(), [f"run.seed={text}"])
    assert data["run"]["seed"] == text
    assert "expected a number" in line_for(report(data), "run.seed")


def test_override_index_of_more_than_9_digits_is_reported():
    with pytest.raises(ScenarioError, match=r"cannot read the key"):
        apply_overrides(case_data(), [f"case.members[{'9' * 5000}].population=1"])


@pytest.mark.parametrize("value", [[1, math.inf], [1, 10**400], [math.nan, 90000]],
                         ids=["inf", "10**400", "nan"])
def test_non_finite_or_huge_range_bound_is_out_of_range(value):
    data = sample_data()
    data["sample"]["largest_population"] = value
    assert (f"found {value!r}, allowed: low and high in [1, 2000000] (inhabitants)"
            in line_for(report(data), "sample.largest_population"))


@pytest.mark.parametrize("high", [math.inf, 10**400], ids=["inf", "10**400"])
def test_unbounded_number_must_be_finite(high):
    data = sample_data()
    data["sample"]["size_ratio"]["high"] = high
    assert (f"found {high!r}, allowed a population ratio >= 1.0 and finite"
            in line_for(report(data), "sample.size_ratio.high"))


# --------------------------------------------------------------------------------------------
# Governance changes the run never reaches


def test_timeline_change_after_the_horizon_warns_but_loads():
    data = case_data()
    data["run"]["horizon_years"] = 40
    data["levers"]["timeline"] = [{"date": "2070-01", "separate_director": True}]
    with pytest.warns(ScenarioWarning, match=re.escape(
            f"{SOURCE}: levers.timeline[0].date: '2070-01' lies after the horizon (2050-01, 40 "
            "years from the start 2010-01); the change has no effect")):
        s = parse_scenario(data, source=SOURCE)
    assert s.timeline == (GovernanceChange(2070, 1, (("separate_director", True),)),)


@pytest.mark.parametrize(("horizon_years", "last", "first_unreached"), [
    (5, "2014-12", "2015-01"),
    (0.1, "2010-01", "2010-02"),    # round(1.2) = 1 month: only the start month is simulated
    (2.5, "2012-06", "2012-07"),
])
def test_horizon_warning_starts_at_the_first_month_the_run_does_not_simulate(
        horizon_years, last, first_unreached):
    data = case_data()
    data["run"]["horizon_years"] = horizon_years
    data["levers"]["timeline"] = [{"date": last, "separate_director": True}]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parse_scenario(data, source=SOURCE)  # the last simulated month: no warning
    data["levers"]["timeline"] = [{"date": first_unreached, "separate_director": True}]
    with pytest.warns(ScenarioWarning, match=re.escape(
            f"'{first_unreached}' lies at the horizon ({first_unreached}, {horizon_years:g} "
            "years from the start 2010-01)")):
        parse_scenario(data, source=SOURCE)


def test_horizon_warning_is_attributed_to_the_caller():
    data = case_data()
    data["levers"]["timeline"] = [{"date": "2090-01", "separate_director": True}]
    with pytest.warns(ScenarioWarning) as record:
        parse_scenario(data, source=SOURCE)
    assert record[0].filename == __file__
    assert issubclass(ScenarioWarning, UserWarning)


def test_invalid_scenario_with_a_late_change_raises_without_warning():
    data = case_data()
    data["levers"]["timeline"] = [{"date": "2090-01", "separate_director": True}]
    data["run"]["seed"] = -1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "run.seed" in report(data)


# --------------------------------------------------------------------------------------------
# Problems in --set values are blamed on --set, not on the file


def parse_with(sets, data=None):
    """The report of the scenario with overrides ``sets``, parsed as the command line does."""
    data = case_data() if data is None else data
    with pytest.raises(ScenarioError) as info:
        parse_scenario(apply_overrides(data, sets, source="bad.toml"), source="bad.toml",
                       overrides=sets)
    return str(info.value)


def test_problem_in_an_overridden_value_says_it_came_from_set():
    text = parse_with(["levers.culture_build_new=2"])
    assert ("  bad.toml: levers.culture_build_new: found 2, allowed range [0.0, 1.0] "
            "(from --set levers.culture_build_new=2)") in text.splitlines()


def test_problem_below_an_overridden_table_names_that_override():
    sets = ['case.members[0] = {name = "Aadorp", population = 0}']
    text = parse_with(sets)
    line = next(ln for ln in text.splitlines() if "case.members[0].population" in ln)
    assert line.endswith('(from --set case.members[0]={name = "Aadorp", population = 0})')


def test_the_last_override_of_a_key_is_the_one_named():
    text = parse_with(["levers.scope_policy=3", "levers.scope_policy = 4"])
    assert "found 4, allowed range [0.0, 1.0] (share) (from --set levers.scope_policy=4)" in text


def test_problem_in_the_file_is_not_blamed_on_set():
    data = case_data()
    data["levers"]["scope_policy_x"] = 1          # a key that merely starts like an override
    data["case"]["members"][1]["population"] = 0  # a sibling of an overridden key
    text = parse_with(["levers.scope_policy=0.2", "case.members[0].population=5", "run.seed=-1"],
                      data)
    assert "from --set" not in line_for_source(text, "bad.toml", "levers.scope_policy_x")
    assert "from --set" not in line_for_source(text, "bad.toml", "case.members[1].population")
    assert line_for_source(text, "bad.toml", "run.seed").endswith("(from --set run.seed=-1)")


def test_without_overrides_nothing_is_blamed_on_set():
    data = apply_overrides(case_data(), ["levers.culture_build_new=2"])
    assert "from --set" not in report(data)


def test_horizon_warning_for_an_overridden_date_says_it_came_from_set():
    data = case_data()
    data["levers"]["timeline"] = [{"date": "2012-01", "separate_director": True}]
    sets = ["levers.timeline[0].date=2090-01"]
    with pytest.warns(ScenarioWarning, match=re.escape(
            "the change has no effect (from --set levers.timeline[0].date=2090-01)")):
        parse_scenario(apply_overrides(data, sets), source=SOURCE, overrides=sets)
