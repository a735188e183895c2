"""The Python API, for notebooks: the same functions the command line calls.

>>> import samenwerkingsim as sws
>>> scenario = sws.load_scenario("scenarios/noaberkracht.toml",
...                              **{"levers.joint_meetings_per_month": 1.0})
>>> result = sws.run(scenario, replications=500, seed=1)
>>> result.curves().survival_at(10)                                    # doctest: +SKIP
>>> experiment = sws.load_experiment("experiments/joint_meetings_divergent_four.toml")
>>> points = sws.sweep(experiment, out="results/meetings", jobs=2)
>>> points.records()[0]["s_10y"], points.plot()                        # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["load_experiment", "load_scenario", "run", "sensitivity", "sweep"]


def load_scenario(path: str | os.PathLike, **overrides: Any):
    """Read and validate a scenario file, with values overridden by dotted key.

    Parameters
    ----------
    path : path
        A scenario file (TOML).
    **overrides
        Values by dotted key, as ``--set`` takes them: ``**{"levers.has_committees": False}``,
        or with ``__`` for the dots: ``levers__has_committees=False``.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Listing every problem, an overridden value named as such.
    """
    from .scenarios import parse_scenario, read_scenario_data
    from .scenarios.overrides import set_values

    values = {key.replace("__", "."): value for key, value in overrides.items()}
    data = set_values(read_scenario_data(path), values, source=str(path))
    return parse_scenario(data, source=str(path),
                          overrides=[f"{key}={value!r}" for key, value in values.items()])


def run(scenario, *, replications: int | None = None, seed: int | None = None, jobs: int = 1,
        engine: str = "ensemble"):
    """Run the replications of a scenario (a :class:`Scenario` or a path to one).

    Returns
    -------
    RunResult
        ``.runs`` (one row per replication), ``.events``, ``.trajectory_table``,
        ``.curves()`` (the stability curve, with ``survival_at(t)`` and the cumulative
        incidences), ``.records()`` and ``.plot(ax=None)``.
    """
    from .experiments.runner import run_scenario

    if isinstance(scenario, str | os.PathLike):
        scenario = load_scenario(scenario)
    return run_scenario(scenario, replications=replications, seed=seed, jobs=jobs,
                        engine=engine)


def load_experiment(path: str | os.PathLike):
    """Read and validate an experiment file and every point of it.

    Returns
    -------
    Experiment
        ``.points`` (each with its factor values and resolved scenario), ``.factors``,
        ``.design``, ``.n_points``.
    """
    from .experiments.spec import load_experiment as load

    return load(path)


def sweep(experiment, *, out: str | os.PathLike | None = None, jobs: int = 1,
          cluster: str | None = None, scheduler: str | None = None, restart: bool = False,
          write_outputs: bool = True):
    """Run or resume every point of an experiment (an :class:`Experiment` or a path).

    Parameters
    ----------
    out : path, optional
        The folder of the store and outputs; default ``results/<experiment name>``.
    jobs, cluster, scheduler
        Local worker processes, ``"local:N"`` for a Dask LocalCluster on 127.0.0.1, or the
        address of a running Dask scheduler. The results do not depend on them.
    restart : bool
        Start over instead of resuming from the store.
    write_outputs : bool
        Write ``points.csv``, the figures and the manifest into ``out``.

    Returns
    -------
    SweepResult
        ``.table`` (columns as arrays), ``.records()``, ``.curves(point)``,
        ``.trajectories``, ``.failures`` and ``.plot(ax=None)``.
    """
    from .experiments.executors import executor_for
    from .experiments.sweep import run_sweep
    from .output.experiments import write_sweep_outputs

    if isinstance(experiment, str | os.PathLike):
        experiment = load_experiment(experiment)
    executor_for(jobs, cluster, scheduler, check_only=True)
    folder = Path(out) if out is not None else Path("results") / experiment.name
    return run_sweep(experiment, folder, restart=restart,
                     executor_factory=lambda: executor_for(jobs, cluster, scheduler),
                     write_outputs=write_sweep_outputs if write_outputs else None)


def sensitivity(experiment_or_sweep, *, out: str | os.PathLike | None = None, jobs: int = 1,
                cluster: str | None = None, scheduler: str | None = None,
                restart: bool = False, write_outputs: bool = True, **options):
    """Morris or Sobol sensitivity indices of an experiment (an :class:`Experiment`, a path,
    or a finished :class:`SweepResult`), with bootstrap intervals and the Monte Carlo noise
    of each output. ``options`` go to :func:`samenwerkingsim.experiments.sensitivity.analyse`.

    Returns
    -------
    SensitivityResult
        ``.indices`` and ``.noise`` (columns as arrays), ``.records()``, ``.plot(ax=None)``
        and ``.report_markdown()``.
    """
    from .experiments.sensitivity import analyse
    from .experiments.sweep import SweepResult
    from .output.sensitivity import write_sensitivity_outputs

    result = experiment_or_sweep
    if not isinstance(result, SweepResult):
        result = sweep(result, out=out, jobs=jobs, cluster=cluster, scheduler=scheduler,
                       restart=restart, write_outputs=write_outputs)
    analysis = analyse(result, **options)
    if write_outputs:
        write_sensitivity_outputs(analysis, result.folder)
    return analysis
