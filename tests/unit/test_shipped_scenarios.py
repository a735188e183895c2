"""Every shipped scenario loads, documents itself, and each what-if variant differs from its base
in exactly the success factor it removes."""

import fnmatch
from pathlib import Path

import pytest

from samenwerkingsim.model.params import PopulationSample
from samenwerkingsim.output.files import read_targets
from samenwerkingsim.scenarios import load_scenario, scenario_to_dict

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
EXPERIMENTS = ROOT / "experiments"
SCENARIO_FILES = sorted(SCENARIOS.glob("*.toml"))

# variant -> (base, patterns of the resolved keys that must differ, and nothing else may)
WHAT_IF = {
    "kempengemeenten_no_committees": (
        "kempengemeenten", ["levers.has_committees", "levers.chairs_in_db"]),
    "kempengemeenten_no_separate_director": (
        "kempengemeenten", ["levers.separate_director"]),
    "kempengemeenten_divergent_agendas": (
        "kempengemeenten", ["case.members.*.agenda.*"]),
    "kempengemeenten_high_autonomy": (
        "kempengemeenten", ["case.members.*.autonomy_preference"]),
    "kempengemeenten_late_director": (
        "kempengemeenten", ["levers.separate_director", "levers.timeline*"]),
    "noaberkracht_no_joint_meetings": (
        "noaberkracht", ["levers.joint_meetings_per_month"]),
    "noaberkracht_compromise_culture": (
        "noaberkracht", ["levers.culture_build_new"]),
    "noaberkracht_divergent_agendas": (
        "noaberkracht", ["case.members.*.agenda.*"]),
    "noaberkracht_high_autonomy": (
        "noaberkracht", ["case.members.*.autonomy_preference"]),
}


def flatten(value, prefix=""):
    """Leaf values by dotted key, list entries by index: {'case.members.0.name': ...}."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        return {prefix: value}
    out = {}
    for key, item in items:
        out.update(flatten(item, f"{prefix}.{key}" if prefix else key))
    return out


def resolved(stem):
    data = scenario_to_dict(load_scenario(SCENARIOS / f"{stem}.toml"))
    del data["name"], data["description"]
    return flatten(data)


def header(path):
    """The comment lines at the top of a file, before the first setting."""
    lines = []
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            lines.append(line)
        elif line.strip():
            break
    return "\n".join(lines)


def test_scenarios_are_shipped():
    stems = {p.stem for p in SCENARIO_FILES}
    expected = {"kempengemeenten", "noaberkracht", "national", "centrumgemeente_asymmetric",
                "divergent_four", "step_to_merger", *WHAT_IF}
    assert expected <= stems


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_shipped_scenario_loads(path):
    s = load_scenario(path)
    assert s.name == path.stem
    assert s.description
    assert s.run.seed == 20231031
    assert s.run.replications == 1000
    expected_horizon = 40.0 if path.stem.startswith("kempengemeenten") else 20.0
    assert s.run.horizon_years == expected_horizon


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_shipped_scenario_has_a_comment_header_with_sources(path):
    text = header(path)
    assert len(text.splitlines()) >= 5, f"{path.name}: write a comment header"
    assert "targets.toml" in text
    assert "Succesfactoren voor ambtelijke fusies" in text
    assert "assumption" in text.lower()


@pytest.mark.parametrize("variant", sorted(WHAT_IF))
def test_what_if_variant_differs_from_its_base_in_exactly_the_intended_keys(variant):
    base, patterns = WHAT_IF[variant]
    a, b = resolved(base), resolved(variant)
    differing = {key for key in a.keys() | b.keys() if a.get(key, None) != b.get(key, None)}
    assert differing, f"{variant} is identical to {base}"
    unexpected = {k for k in differing if not any(fnmatch.fnmatch(k, p) for p in patterns)}
    assert not unexpected, f"{variant} also changes {sorted(unexpected)}"
    for pattern in patterns:
        assert any(fnmatch.fnmatch(k, pattern) for k in differing), (
            f"{variant} does not change {pattern}")
    text = header(SCENARIOS / f"{variant}.toml")
    assert f"What-if variant of {base}.toml" in text


def test_member_variants_change_every_member():
    base = load_scenario(SCENARIOS / "kempengemeenten.toml").case.members
    high = load_scenario(SCENARIOS / "kempengemeenten_high_autonomy.toml").case.members
    assert [m.autonomy_preference for m in high] == [0.85] * len(base)
    for stem in ("kempengemeenten", "noaberkracht"):
        similar = load_scenario(SCENARIOS / f"{stem}.toml").case.members
        divergent = load_scenario(SCENARIOS / f"{stem}_divergent_agendas.toml").case.members
        assert all(a.agenda != b.agenda for a, b in zip(similar, divergent, strict=True))


def test_late_director_timeline():
    s = load_scenario(SCENARIOS / "kempengemeenten_late_director.toml")
    assert s.levers.separate_director is False
    assert [(c.year, c.month, c.changes) for c in s.timeline] == [
        (2017, 1, (("separate_director", True),))]


def test_success_cases_use_the_figures_of_the_targets():
    targets = read_targets()
    cases = {c["name"]: c for c in targets["success_case"]}
    for stem, name in [("kempengemeenten", "Kempengemeenten"), ("noaberkracht", "Noaberkracht")]:
        case = load_scenario(SCENARIOS / f"{stem}.toml").case
        assert [m.name for m in case.members] == cases[name]["members"]
        assert [m.population for m in case.members] == cases[name]["population"]
        assert f"{case.start_year:04d}-{case.start_month:02d}" == cases[name]["start"]


def test_national_sample_mirrors_the_composition_of_the_targets():
    composition = read_targets()["national_trend"]["composition"]
    sample = load_scenario(SCENARIOS / "national.toml").sample
    assert dict(sample.n_members_weights) == {int(k): v
                                              for k, v in composition["n_members"].items()}
    assert dict(sample.arrangement_weights) == composition["arrangement"]
    assert dict(sample.start_year_weights) == {int(k): v
                                               for k, v in composition["start_year"].items()}
    total = sum(composition["n_members"].values())
    assert sample.p_designed_as_step_to_merger == composition["designed_as_step_to_merger"] / total
    ratio = composition["size_ratio_largest_to_smallest"]
    assert sample.size_ratio_median == ratio["median"]
    assert list(sample.size_ratio_range) == ratio["range"]


def test_national_sample_assumptions_are_the_documented_defaults():
    sample = load_scenario(SCENARIOS / "national.toml").sample
    default = PopulationSample()
    for name in ("largest_population", "agenda_spread", "autonomy_preference", "control_demand",
                 "merger_preference", "council_scepticism", "prior_cooperation_years",
                 "provincial_merger_pressure",
                 "culture_build_new", "joint_meetings_per_month", "scope_back_office",
                 "scope_policy", "p_has_committees", "p_chairs_in_db", "p_separate_director"):
        assert getattr(sample, name) == getattr(default, name), name


def test_packaged_targets_are_the_shared_evidence_with_its_sources():
    text = (ROOT / "src" / "samenwerkingsim" / "data" / "targets.toml").read_text()
    assert "TwynstraGudde" in text and "Binnenlands Bestuur" in text
    targets = read_targets()
    assert targets["national_trend"]["survival_10y"] == {"value": 0.52, "low": 0.40,
                                                         "high": 0.65}
    assert [c["name"] for c in targets["success_case"]] == ["Kempengemeenten", "Noaberkracht"]
