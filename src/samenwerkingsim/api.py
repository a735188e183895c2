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

__all__ = ["calibrate", "load_experiment", "load_scenario", "run", "run_posterior", "sensitivity",
           "sweep"]


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


def run_posterior(scenario, *, draws: int = 100, replications: int | None = None,
                  seed: int | None = None, jobs: int = 1, fixed: tuple[str, ...] = ()):
    """Run a scenario under ``draws`` draws from the calibration's posterior (what
    ``run --posterior`` does), every draw on the same replication streams. The draws set
    every calibrated parameter but those named in ``fixed``, which keep the scenario's
    values (as ``--set behaviour.NAME=...`` does on the command line).

    Returns
    -------
    PosteriorCurves
        ``.quantities`` (``survival``, ``intact``, ``dissolution``, ``merger``: one row per
        draw), ``.band(name)`` (2.5%, 50% and 97.5% over the draws: parameter uncertainty and
        Monte Carlo noise), ``.at(name, years)`` and ``.to_summary()``. Two of them give the
        posterior probability that one design beats the other with
        :func:`samenwerkingsim.calibration.posterior.probability_better`.
    """
    from .calibration.posterior import (
        load_posterior,
        posterior_draws,
        posterior_scenarios,
        simulate_draws,
        summarise_draws,
    )

    if isinstance(scenario, str | os.PathLike):
        scenario = load_scenario(scenario)
    if draws < 2:
        raise ValueError(f"draws must be at least 2, found {draws}")
    from .model.params import BEHAVIOUR_NAMES

    unknown = sorted(set(fixed) - set(BEHAVIOUR_NAMES))
    if unknown:
        raise ValueError(f"fixed: {unknown} are not behavioural parameters")
    seed = scenario.run.seed if seed is None else seed
    points = [{k: v for k, v in d.items() if k not in fixed}
              for d in posterior_draws(load_posterior(), draws, seed)]
    curves = simulate_draws(posterior_scenarios(scenario, points),
                            replications or scenario.run.replications, seed, jobs=jobs)
    return summarise_draws(curves)


def calibrate(path: str | os.PathLike, *, out: str | os.PathLike, jobs: int = 1,
              restart: bool = False, write_outputs: bool = True):
    """Run (or resume) a calibration file into the folder ``out`` (what ``samenwerkingsim
    calibrate`` does, without the command line's checks and progress bar).

    Returns
    -------
    Calibration
        ``.kept`` (the parameters estimated), ``.posterior``, ``.chosen`` (its ``values`` and
        whether it ``meets_targets``), ``.checks``, ``.predictive``, ``.conflicts`` and
        ``.succeeded``; with ``write_outputs`` its report and tables are in ``out``.
    """
    from .calibration.run import calibrate as run_calibration
    from .calibration.spec import load_calibration
    from .experiments.executors import executor_for
    from .output.calibration import write_calibration_outputs

    result = run_calibration(load_calibration(path), out, restart=restart,
                             executor_factory=lambda: executor_for(jobs, None, None))
    if write_outputs:
        write_calibration_outputs(result)
    return result
