"""The scenario file format: its version, tables, keys and limits, derived from the parameter
metadata of :mod:`samenwerkingsim.model.params` so that the two cannot drift apart."""

from __future__ import annotations

import dataclasses
import re

from ..model.params import (
    LEVER_NAMES,
    Behaviour,
    Case,
    Levers,
    Member,
    PopulationSample,
    RunSettings,
    field_specs,
)

SCHEMA_VERSION = 1
YEARS = (1900, 2100)  # plausible calendar years for a start date or a governance change
# names end up in CSV headers, file names and figure titles: one short line of text
MAX_NAME_LENGTH = 60
SCENARIO_NAME_FORBIDDEN = "/\\"  # path separators: the scenario name becomes a file name

TOP_LEVEL_KEYS = ("schema_version", "name", "description", "case", "sample", "levers",
                  "behaviour", "run")

MEMBER_SPECS = field_specs(Member)
CASE_SPECS = field_specs(Case)
LEVER_SPECS = field_specs(Levers)
BEHAVIOUR_SPECS = field_specs(Behaviour)
RUN_SPECS = field_specs(RunSettings)

CASE_KEYS = ("start", *CASE_SPECS, "members")
MEMBER_KEYS = ("name", "population", "agenda", *(k for k in MEMBER_SPECS if k != "population"))

# [sample]: keys of the file and what they mean.  Ranges are [low, high] pairs of a uniform draw,
# bounded by the documented range of the quantity they are drawn for.
_SAMPLE_FIELDS = {f.name for f in dataclasses.fields(PopulationSample)}
SAMPLE_RANGE_BOUNDS = {
    "largest_population": MEMBER_SPECS["population"],
    "agenda_spread": (0.0, 1.0, "[0,1]"),
    "autonomy_preference": MEMBER_SPECS["autonomy_preference"],
    "control_demand": MEMBER_SPECS["control_demand"],
    "merger_preference": MEMBER_SPECS["merger_preference"],
    "council_scepticism": MEMBER_SPECS["council_scepticism"],
    "prior_cooperation_years": CASE_SPECS["prior_cooperation_years"],
    "provincial_merger_pressure": CASE_SPECS["provincial_merger_pressure"],
    "culture_build_new": LEVER_SPECS["culture_build_new"],
    "joint_meetings_per_month": LEVER_SPECS["joint_meetings_per_month"],
    "scope_back_office": LEVER_SPECS["scope_back_office"],
    "scope_policy": LEVER_SPECS["scope_policy"],
}
SAMPLE_PROBABILITIES = ("p_designed_as_step_to_merger", "p_has_committees", "p_chairs_in_db",
                         "p_separate_director")
SAMPLE_KEYS = ("n_members", "arrangement", "start_year", "p_designed_as_step_to_merger",
                "size_ratio", *SAMPLE_RANGE_BOUNDS, *SAMPLE_PROBABILITIES[1:])

# In a [sample] scenario these levers are drawn per replication, so [levers] must not set them.
SAMPLED_LEVERS = {name: (name if name in _SAMPLE_FIELDS else f"p_{name}")
                  for name in LEVER_NAMES
                  if name in _SAMPLE_FIELDS or f"p_{name}" in _SAMPLE_FIELDS}

BEHAVIOUR_KEYS = (*BEHAVIOUR_SPECS, "director_competence_range")

# [0-9], not \d: \d and str.isdigit also accept other scripts' digits ("٢٠١٠", "²")
DATE_PATTERN = re.compile(r"([0-9]{4})-([0-9]{1,2})")
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


