"""Scenario files: TOML -> :class:`~samenwerkingsim.model.params.Scenario`, with strict,
friendly errors.

- :mod:`.schema`: the format (tables, keys, limits), derived from the parameter metadata;
- :mod:`.errors`: problems and the error that reports them all at once;
- :mod:`.values`: checks of single values (numbers, names, months, ranges);
- :mod:`.parsing`: reading a file and resolving it into a scenario;
- :mod:`.overrides`: ``--set key=value``;
- :mod:`.resolved`: the resolved scenario as a dict, and its hash.
"""

from ..model.params import MAX_MEMBERS, MIN_MEMBERS
from .errors import Problem, ScenarioError, ScenarioWarning
from .overrides import apply_overrides
from .parsing import load_scenario, parse_scenario, read_scenario_data
from .resolved import scenario_hash, scenario_to_dict
from .schema import MAX_NAME_LENGTH, SCHEMA_VERSION, YEARS

__all__ = [
    "MAX_MEMBERS",
    "MAX_NAME_LENGTH",
    "MIN_MEMBERS",
    "SCHEMA_VERSION",
    "YEARS",
    "Problem",
    "ScenarioError",
    "ScenarioWarning",
    "apply_overrides",
    "load_scenario",
    "parse_scenario",
    "read_scenario_data",
    "scenario_hash",
    "scenario_to_dict",
]
