"""samenwerkingsim: why shared civil-service organisations of Dutch municipalities last.

An agent-based model of ambtelijke fusies: municipalities, wethouders and a director whose
trust, ownership and autonomy trade-offs decide whether the shared organisation lasts,
dissolves, or becomes a full municipal merger.

The Python API (see :mod:`samenwerkingsim.api`)::

    import samenwerkingsim as sws
    scenario = sws.load_scenario("scenarios/noaberkracht.toml")
    result = sws.run(scenario, replications=1000)
    points = sws.sweep("experiments/joint_meetings_divergent_four.toml", jobs=2)
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("samenwerkingsim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

__all__ = ["__version__", "calibrate", "load_experiment", "load_scenario", "run",
           "run_posterior", "sensitivity", "sweep"]
_API = {"calibrate", "load_experiment", "load_scenario", "run", "run_posterior", "sensitivity",
        "sweep"}


def __getattr__(name: str):
    # the API is imported on first use, so that ``import samenwerkingsim`` (and the command
    # line's quick checks) do not load numpy, scipy and matplotlib
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'samenwerkingsim' has no attribute {name!r}")
