"""The command line: parse, call, print.

    samenwerkingsim run SCENARIO [--replications N] [--seed S] [--jobs J] [--out DIR]
                                 [--engine ensemble|mesa] [--set key=value ...]
    samenwerkingsim compare A.toml B.toml ... [--out DIR] [--replications N] ...
    samenwerkingsim validate FILES...
    samenwerkingsim info
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from pathlib import Path

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT, EXIT_POINTS_FAILED = 0, 1, 2, 3
# the shell's convention for a process ended by a signal: 128 + the signal's number
EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}


class UsageError(Exception):
    """Bad input from the user: reported in one message, exit code 2."""


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM: the run stops, cleans up and exits 130 or 143.

    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` swallows it.
    """

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.outputs = ""  # what became of the output folder, said by the command


@contextlib.contextmanager
def stop_on_signals():
    """Turn SIGINT and SIGTERM into :class:`Interrupted` while the command runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Interrupted(signum)

    previous = {s: signal.signal(s, handler) for s in EXIT_SIGNAL}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="samenwerkingsim",
        description="Simulate the stability of shared civil-service organisations "
                    "(ambtelijke fusies) of Dutch municipalities.")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"samenwerkingsim {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    # also accepted after the command, where users tend to put it
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add_run_options(p, many: bool):
        p.add_argument("--replications", "-n", type=int, metavar="N",
                       help="number of replications (default: the scenario's run.replications)")
        p.add_argument("--seed", type=int, metavar="S",
                       help="root seed (default: the scenario's run.seed)")
        p.add_argument("--jobs", "-j", type=int, default=1, metavar="J",
                       help="worker processes; results do not depend on it (default 1)")
        p.add_argument("--engine", choices=("ensemble", "mesa"), default="ensemble",
                       help="many replications at once, or the Mesa model one by one; "
                            "same histories (default ensemble)")
        p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       dest="overrides", help="override a scenario value, e.g. "
                       "levers.has_committees=true (repeatable)" +
                       (", applied to every scenario" if many else ""))
        p.add_argument("--posterior", type=int, nargs="?", const=100, metavar="N",
                       help="run N draws (default 100) from the calibration's posterior, each "
                            "with the replications: bands include parameter uncertainty")
        p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")

    run = commands.add_parser("run", help="run one scenario and write its outputs",
                              parents=[debug])
    run.add_argument("scenario", type=Path, help="scenario file (TOML)")
    run.add_argument("--out", "-o", metavar="DIR",
                     help="output folder, replaced as a whole (default: results/<scenario file "
                          "name>, with the scenario hash added when --set is given)")
    add_run_options(run, many=False)

    compare = commands.add_parser("compare", help="run several scenarios and compare their "
                                                  "stability curves", parents=[debug])
    compare.add_argument("scenarios", type=Path, nargs="+", help="scenario files (TOML)")
    compare.add_argument("--out", "-o", metavar="DIR", default="results/compare",
                         help="output folder (default: results/compare)")
    add_run_options(compare, many=True)

    validate = commands.add_parser("validate", help="check scenario and experiment files "
                                                    "without running them", parents=[debug])
    validate.add_argument("files", type=Path, nargs="+",
                          help="scenario or experiment files (TOML)")

    def add_experiment_options(p):
        p.add_argument("experiment", type=Path, help="experiment file (TOML)")
        p.add_argument("--out", "-o", metavar="DIR",
                       help="folder of the store and outputs (default: results/<file name>)")
        where = p.add_mutually_exclusive_group()
        where.add_argument("--jobs", "-j", type=int, default=1, metavar="J",
                           help="local worker processes (default 1)")
        where.add_argument("--cluster", metavar="local:N",
                           help="start a Dask LocalCluster of N workers on 127.0.0.1")
        where.add_argument("--scheduler", metavar="ADDRESS",
                           help="use a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
        p.add_argument("--restart", action="store_true",
                       help="delete the store of finished work and start over")
        p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")

    sweep = commands.add_parser("sweep", help="run every point of an experiment (resumable)",
                                parents=[debug])
    add_experiment_options(sweep)
    sensitivity = commands.add_parser(
        "sensitivity", help="Morris or Sobol sensitivity analysis of an experiment (runs or "
                            "resumes its sweep first)", parents=[debug])
    add_experiment_options(sensitivity)
    calibrate = commands.add_parser(
        "calibrate", help="estimate the behavioural parameters against the targets (screening, "
                          "history matching, ABC; resumable)", parents=[debug])
    add_experiment_options(calibrate)
    calibrate.set_defaults(file_kind="calibration")

    commands.add_parser("info", help="versions, engines and the machine", parents=[debug])

    explore = commands.add_parser(
        "explore", parents=[debug],
        help="change a scenario's governance in the browser and watch it run (needs the "
             "explore extra)")
    explore.add_argument("scenario", type=Path, help="scenario file (TOML)")
    explore.add_argument("--port", type=int, default=8765, metavar="P",
                         help="port on 127.0.0.1 (default 8765; 0 for any free port)")
    explore.add_argument("--jobs", "-j", type=int, default=1, metavar="J",
                         help="worker processes of the Monte Carlo panel (default 1)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``samenwerkingsim`` command; returns the exit code.

    Exit codes: 0 done; 1 an unexpected failure (or a write that failed, such as a full disk);
    2 bad input, found before any simulation (including an output folder another run is
    writing); 3 an experiment finished but some of its points failed (see failures.csv);
    130 and 143 stopped by Ctrl-C or SIGTERM.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_line = ["samenwerkingsim", *(sys.argv[1:] if argv is None else argv)]
    from .experiments.executors import ClusterUnavailable
    from .output.folders import OutputFolderError
    from .scenarios import ScenarioError

    try:
        with stop_on_signals():
            return COMMANDS[args.command](args)
    except (ScenarioError, UsageError, OutputFolderError, ClusterUnavailable) as error:
        _traceback_if(args.debug)
        print(f"samenwerkingsim: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (Interrupted, KeyboardInterrupt) as stop:
        _traceback_if(args.debug)
        signum = stop.signum if isinstance(stop, Interrupted) else signal.SIGINT
        outputs = getattr(stop, "outputs", "")
        print(f"samenwerkingsim: stopped by {signal.Signals(signum).name}; workers stopped and "
              f"unfinished outputs removed{outputs}", file=sys.stderr)
        return EXIT_SIGNAL[signum]
    except OSError as error:  # a write that failed after the work was done
        _traceback_if(args.debug)
        reason = "no space left on the disk" if error.errno == errno.ENOSPC else (
            error.strerror or str(error))
        where = f" ({error.filename})" if error.filename else ""
        print(f"samenwerkingsim: error: could not write the outputs: {reason}{where}; the "
              "output folder was left as it was", file=sys.stderr)
        return EXIT_ERROR
    except Exception as error:  # an unexpected failure: say so plainly, details with --debug
        if not _traceback_if(args.debug):
            print("samenwerkingsim: unexpected error (run with --debug for the traceback):",
                  file=sys.stderr)
        print(f"samenwerkingsim: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_ERROR


def _traceback_if(debug: bool) -> bool:
    if debug:
        traceback.print_exc()
    return debug


def _load(path: Path, overrides: list[str]):
    """Read, override and validate a scenario; its warnings are printed, not raised."""
    from .scenarios import ScenarioWarning, apply_overrides, parse_scenario, read_scenario_data

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ScenarioWarning)
        data = apply_overrides(read_scenario_data(path), overrides, source=str(path))
        scenario = parse_scenario(data, source=str(path), overrides=overrides)
    for warning in caught:
        if issubclass(warning.category, ScenarioWarning):
            print(f"samenwerkingsim: warning: {warning.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)
    return scenario


def _load_all(paths: list[Path], overrides: list[str]) -> list:
    """Every scenario, or one error that reports the problems of every invalid file."""
    from .scenarios import ScenarioError

    scenarios, errors = [], []
    for path in paths:
        try:
            scenarios.append(_load(path, overrides))
        except ScenarioError as error:
            errors.append(str(error))
    if errors:
        raise UsageError("\n".join(errors))
    return scenarios


def _check_run_options(args) -> None:
    """What the command line alone decides, checked before any file is read."""
    from .experiments.workers import usable_cores
    from .model.params import RunSettings, field_specs

    specs = field_specs(RunSettings)
    for option, name in (("--replications", "replications"), ("--seed", "seed")):
        value, meta = getattr(args, name), specs[name].metadata
        if value is not None and not meta["low"] <= value <= meta["high"]:
            raise UsageError(f"{option} must be a whole number in [{meta['low']}, "
                             f"{meta['high']}], found {value}")
    if args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, found {args.jobs}")
    if getattr(args, "posterior", None) is not None and args.engine != "ensemble":
        raise UsageError(f"--posterior runs on the ensemble engine (the same histories as "
                         f"the Mesa model, many draws at once); leave out --engine "
                         f"{args.engine}")
    cores = usable_cores()
    if args.jobs > cores:
        print(f"samenwerkingsim: note: --jobs {args.jobs} is more than the {cores} usable "
              f"cores; running {cores} workers", file=sys.stderr)
        args.jobs = cores


def _prepare_outputs(out: Path, replications: int):
    """Lock and check the output folder before any simulation (exit 2 if it is unusable)."""
    from .output.folders import OutputSet

    # runs.csv alone takes some 50 bytes a replication; the figures about a megabyte
    return OutputSet.prepare(out, min_free_bytes=50 * replications + 2_000_000)


@contextlib.contextmanager
def _written_as_a_whole(outputs):
    """Commit the output set when the block succeeds; otherwise discard it and say, on an
    interruption, what the user finds in the folder."""
    existed = outputs.folder.exists()
    try:
        with outputs as staging:
            yield staging
    except Interrupted as stop:
        stop.outputs = (f"; {outputs.shown} is unchanged" if existed
                        else f"; nothing was written to {outputs.shown}")
        raise


def _simulate(scenario, args, label: str):
    """Run with a progress bar on stderr that shows up only for runs of more than a second."""
    from tqdm import tqdm

    from .experiments.runner import run_scenario

    total = args.replications or scenario.run.replications
    with tqdm(total=total, desc=label, unit="rep", delay=1.0, file=sys.stderr,
              disable=args.quiet or None, leave=False) as bar:
        return run_scenario(scenario, replications=args.replications, seed=args.seed,
                            jobs=args.jobs, engine=args.engine, progress=bar.update)


def command_run(args) -> int:
    from .scenarios import scenario_hash

    _check_run_options(args)
    scenario = _load(args.scenario, args.overrides)
    out = args.out
    if out is None:
        # variants of one file made with --set get folders of their own
        suffix = f"-{scenario_hash(scenario)[:8]}" if args.overrides else ""
        # and a posterior run writes other files than a plain one: a folder of its own too
        suffix += "-posterior" if args.posterior is not None else ""
        out = Path("results") / f"{args.scenario.stem}{suffix}"
    outputs = _prepare_outputs(out, args.replications or scenario.run.replications)
    if args.posterior is not None:
        return _run_posterior(args, scenario, outputs, out)
    # the heavy modules only now: bad input is reported without waiting for them
    from . import __version__
    from .analysis import format_summary_table
    from .output.files import write_run_outputs
    from .plotting import new_figure, plot_stability, plot_trajectories, save_figure
    from .scenarios import scenario_to_dict

    with _written_as_a_whole(outputs) as staging:
        started = time.perf_counter()
        result = _simulate(scenario, args, scenario.name)
        elapsed = time.perf_counter() - started
        curves = result.curves()
        resolved = scenario_to_dict(result.scenario)
        digest = scenario_hash(result.scenario)
        written = write_run_outputs(staging, result, curves, resolved, digest, result.jobs,
                                    str(args.scenario), args.command_line)
        metadata = {"Software": f"samenwerkingsim {__version__}",
                    "Description": f"{scenario.name}; scenario hash {digest}; "
                                   f"seed {result.scenario.run.seed}; "
                                   f"{result.scenario.run.replications} replications"}
        fig, ax = new_figure(figsize=(7, 4.5))
        plot_stability(curves, ax=ax, label=scenario.name)
        ax.set_title(f"{scenario.name}: stability "
                     f"({result.scenario.run.replications} replications)")
        written.append(save_figure(fig, staging / "stability.png", metadata))
        fig, axes = new_figure(2, 2, figsize=(9, 6), sharex=True)
        plot_trajectories(result.trajectory_table, axes=axes)
        fig.suptitle(f"{scenario.name}: mean and 5-95% band over arrangements still standing")
        written.append(save_figure(fig, staging / "trajectories.png", metadata))

    print(format_summary_table(curves, title=f"{scenario.name}  (seed {result.scenario.run.seed},"
                                             f" {args.engine} engine, {elapsed:.1f} s)"))
    print(f"\nwrote {len(written)} files to {out}/: {', '.join(p.name for p in written)}")
    return EXIT_OK


def _set_behaviour_names(overrides: list[str]) -> set[str]:
    """The behavioural parameters that ``--set KEY=VALUE`` options set."""
    from .scenarios.overrides import override_notes

    return {key.removeprefix("behaviour.") for key, _ in override_notes(overrides)
            if key.startswith("behaviour.")}


def _posterior_curves(args, scenarios: list, label: str) -> list:
    """The posterior draws and, per scenario, the curves of every draw (the same draws and
    replication streams for every scenario)."""
    from tqdm import tqdm

    from .calibration.posterior import (
        load_posterior,
        posterior_draws,
        posterior_scenarios,
        simulate_draws,
        summarise_draws,
    )

    if args.posterior < 2:
        raise UsageError(f"--posterior needs at least 2 draws, found {args.posterior}")
    short = [s for s in scenarios if s.run.horizon_months < 12]
    if short:
        raise UsageError(f"--posterior reports outcomes by year: {short[0].name} runs "
                         f"{short[0].run.horizon_years:g} years; give a horizon of at least "
                         "1 year (--set run.horizon_years=...)")
    try:
        posterior = load_posterior()
    except FileNotFoundError as error:
        raise UsageError(f"this installation carries no posterior ({error}); run "
                         "samenwerkingsim calibrate first") from None
    seed = args.seed if args.seed is not None else scenarios[0].run.seed
    draws = posterior_draws(posterior, args.posterior, seed)
    fixed = _set_behaviour_names(args.overrides) & set(posterior.names)
    if fixed:
        # --set wins over the posterior: the draws vary the other calibrated parameters
        draws = [{k: v for k, v in d.items() if k not in fixed} for d in draws]
        print(f"samenwerkingsim: note: {', '.join(sorted(fixed))} fixed by --set; the "
              f"posterior draws vary the other {len(posterior.names) - len(fixed)} "
              "calibrated parameters", file=sys.stderr)
    per_scenario = []
    for scenario in scenarios:
        n = args.replications or scenario.run.replications
        with tqdm(total=n * len(draws), desc=f"{label}: {scenario.name} x {len(draws)} draws",
                  unit="rep", delay=1.0, file=sys.stderr, disable=args.quiet or None,
                  leave=False) as bar:
            curves = simulate_draws(posterior_scenarios(scenario, draws), n, seed,
                                    jobs=args.jobs, progress=bar.update)
        per_scenario.append(summarise_draws(curves))
    return draws, per_scenario


def _run_posterior(args, scenario, outputs, out) -> int:
    from . import __version__
    from .output.experiments import write_table_csv
    from .output.files import manifest, write_json
    from .plotting import new_figure, save_figure
    from .plotting.curves import plot_posterior_stability
    from .scenarios import scenario_hash, scenario_to_dict

    with _written_as_a_whole(outputs) as staging:
        draws, (curves,) = _posterior_curves(args, [scenario], scenario.name)
        summary = {"scenario": scenario.name, "version": __version__,
                   "replications_per_draw": args.replications or scenario.run.replications,
                   "posterior": curves.to_summary()}
        write_json(staging / "summary.json", summary)
        years = [y for y in (5, 10, 15, 20) if 12 * y <= scenario.run.horizon_months]
        table = {"draw": list(range(len(draws)))}
        for name in curves.quantities:
            for y in years:
                table[f"{name}_{y}y"] = curves.at(name, y)
        for parameter in draws[0]:
            table[parameter] = [d[parameter] for d in draws]
        write_table_csv(staging / "posterior_draws.csv", table)
        write_json(staging / "manifest.json", manifest(
            scenario_to_dict(scenario), scenario_hash(scenario),
            args.seed if args.seed is not None else scenario.run.seed,
            args.engine, args.jobs, str(args.scenario), args.command_line))
        fig, ax = new_figure(figsize=(7, 4.5))
        plot_posterior_stability(curves, ax=ax, label=scenario.name)
        save_figure(fig, staging / "stability.png", {
            "Software": f"samenwerkingsim {__version__}",
            "Description": f"{scenario.name}; scenario hash {scenario_hash(scenario)}; "
                           f"{len(draws)} posterior draws"})
    print(_posterior_table(scenario.name, curves, years))
    print(f"\nwrote summary.json, posterior_draws.csv, stability.png and manifest.json to "
          f"{out}/")
    return EXIT_OK


def _posterior_table(name: str, curves, years) -> str:
    import numpy as np

    lines = [f"{name}: {curves.draws} posterior draws; median [95% band over the draws: "
             "parameter uncertainty and Monte Carlo noise]",
             "  years   still standing            intact                    merged"]
    for y in years:
        cells = []
        for quantity in ("survival", "intact", "merger"):
            low, mid, high = np.percentile(curves.at(quantity, y), [2.5, 50, 97.5])
            cells.append(f"{mid:.3f} [{low:.3f}, {high:.3f}]")
        lines.append(f"  {y:5d}   " + "    ".join(cells))
    return "\n".join(lines)


def _compare_posterior(args, scenarios, names, outputs, out) -> int:
    """Each design under the same posterior draws: bands, and the probability that it beats
    the first."""
    from . import __version__
    from .calibration.posterior import probability_better
    from .output.files import write_json
    from .plotting import new_figure, save_figure
    from .plotting.curves import plot_posterior_stability
    from .scenarios import scenario_hash

    horizon = min(s.run.horizon_months for s in scenarios)
    with _written_as_a_whole(outputs) as staging:
        draws, per_scenario = _posterior_curves(args, scenarios, "compare")
        years = min(10, horizon // 12)
        reference = per_scenario[0]
        better = {n: {"still_standing": probability_better(reference, c, "survival", years),
                      "intact": probability_better(reference, c, "intact", years)}
                  for n, c in zip(names[1:], per_scenario[1:], strict=True)}
        result = {"horizon_years": horizon / 12, "draws": len(draws),
                  "band": "2.5%, 50% and 97.5% over the posterior draws",
                  "scenarios": {n: c.to_summary() for n, c in zip(names, per_scenario,
                                                                  strict=True)},
                  f"probability_better_than_first_at_{years}y": better}
        write_json(staging / "comparison.json", result)
        fig, ax = new_figure(figsize=(8, 5))
        for name, curves in zip(names, per_scenario, strict=True):
            plot_posterior_stability(curves, ax=ax, label=name, incidences=False)
        ax.set_title(f"Stability under {len(draws)} posterior draws (bands: 95% over draws)")
        save_figure(fig, staging / "comparison.png", {
            "Software": f"samenwerkingsim {__version__}",
            "Description": "posterior comparison of " + "; ".join(
                f"{n} (scenario hash {scenario_hash(s)})"
                for n, s in zip(names, scenarios, strict=True))})
        write_json(staging / "manifest.json", {
            "generator": "samenwerkingsim", "command_line": args.command_line,
            "scenario_files": [str(p) for p in args.scenarios]})
    for name, curves in zip(names, per_scenario, strict=True):
        print(_posterior_table(name, curves, [y for y in (5, 10, 15, 20) if 12 * y <= horizon]))
    for name, curves in zip(names[1:], per_scenario[1:], strict=True):
        print(f"{name} against {names[0]} after {years} years, draw by draw: "
              f"{_shares_text(reference, curves, 'survival', years)} (still standing); "
              f"{_shares_text(reference, curves, 'intact', years)} (intact)")
    print(f"\nwrote comparison.json, comparison.png and manifest.json to {out}/")
    return EXIT_OK


def _shares_text(reference, curves, quantity: str, years: int) -> str:
    """In how many draws a design is higher, lower or the same as the reference."""
    import numpy as np

    x, y = reference.at(quantity, years), curves.at(quantity, years)
    return (f"higher in {np.mean(y > x):.0%}, lower in {np.mean(y < x):.0%}, "
            f"equal in {np.mean(y == x):.0%}")


def unique_labels(names: list[str]) -> list[str]:
    """The names, with a running number added where a name occurs more than once."""
    seen: dict[str, int] = {}
    labels = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        labels.append(name if names.count(name) == 1 else f"{name} ({seen[name]})")
    return labels


def command_compare(args) -> int:
    _check_run_options(args)
    scenarios = _load_all(args.scenarios, args.overrides)
    names = unique_labels([s.name for s in scenarios])
    horizons = {s.run.horizon_months for s in scenarios}
    horizon = min(horizons)
    out = args.out
    total = sum(args.replications or s.run.replications for s in scenarios)
    outputs = _prepare_outputs(out, total)
    if args.posterior is not None:
        return _compare_posterior(args, scenarios, names, outputs, out)
    import numpy as np

    from . import __version__
    from .analysis import compare, format_comparison_table
    from .output.files import manifest, write_json
    from .plotting import new_figure, plot_comparison, save_figure
    from .scenarios import scenario_hash, scenario_to_dict

    with _written_as_a_whole(outputs) as staging:
        runs, resolved, jobs = {}, {}, 1
        for name, scenario in zip(names, scenarios, strict=True):
            result = _simulate(scenario, args, name)
            resolved[name] = result.scenario
            jobs = max(jobs, result.jobs)
            end = result.runs["end_month"]
            outcomes = result.outcomes.copy()
            # compare on the shortest horizon: an ending or exit at or after it is censored
            # there, as in a run with that horizon (its last simulated month is horizon - 1)
            outcomes[end >= horizon] = "censored"
            first_exit = result.runs["first_exit_month"]
            runs[name] = (end.clip(max=horizon), outcomes,
                          np.where(first_exit < horizon, first_exit, -1))
        comparison = compare(runs, horizon)
        hashes = {name: scenario_hash(s) for name, s in resolved.items()}
        fig, ax = new_figure(figsize=(8, 5))
        plot_comparison(comparison, ax=ax)
        ax.set_title("Stability curves")
        seeds = sorted({s.run.seed for s in resolved.values()})
        metadata = {"Software": f"samenwerkingsim {__version__}",
                    "Description": "comparison of " + "; ".join(
                        f"{name} (scenario hash {hashes[name]})" for name in names)
                    + f"; seed {', '.join(map(str, seeds))}"}
        save_figure(fig, staging / "comparison.png", metadata)
        write_json(staging / "comparison.json", {
            "horizon_years": horizon / 12,
            "scenarios": {n: c.to_summary() for n, c in comparison.curves.items()},
            "logrank_vs_first": {n: {"statistic": s, "p_value": p}
                                 for n, (s, p) in comparison.logrank.items()},
            "logrank_intact_vs_first": {n: {"statistic": s, "p_value": p}
                                        for n, (s, p) in comparison.logrank_intact.items()},
        })
        write_json(staging / "manifest.json", {
            "generator": "samenwerkingsim",
            "scenario_files": [str(p) for p in args.scenarios],
            "scenarios": {name: manifest(scenario_to_dict(s), hashes[name], s.run.seed,
                                         args.engine, jobs, str(path), args.command_line)
                          for (name, s), path in zip(resolved.items(), args.scenarios,
                                                     strict=True)},
        })
    print(format_comparison_table(comparison))
    if len(horizons) > 1:
        print(f"(horizons differ; compared over the shortest, {horizon / 12:g} years)")
    print(f"\nwrote comparison.png, comparison.json and manifest.json to {out}/")
    return EXIT_OK


def command_validate(args) -> int:
    from .scenarios import ScenarioError, scenario_hash

    failures = 0
    for path in args.files:
        try:
            kind = _file_kind(path)
            if kind == "calibration":
                from .calibration.spec import load_calibration

                spec = load_calibration(path)
                print(f"ok       {path}  (calibration {spec.name}: {len(spec.targets)} targets "
                      f"on {len(spec.bases)} scenarios, fingerprint {spec.digest()})")
                continue
            if kind == "experiment":
                from .experiments.spec import load_experiment

                experiment = load_experiment(path)
                print(f"ok       {path}  (experiment {experiment.name}: {experiment.n_points} "
                      f"points x {experiment.replications} replications, fingerprint "
                      f"{experiment.digest()})")
                continue
            scenario = _load(path, [])
        except ScenarioError as error:
            failures += 1
            print(f"invalid  {error}", file=sys.stderr)
        else:
            print(f"ok       {path}  ({scenario.name}, hash {scenario_hash(scenario)})")
    return EXIT_BAD_INPUT if failures else EXIT_OK


def _file_kind(path: Path) -> str:
    """A calibration file has [[targets]], an experiment file [[factors]] or a [design];
    anything else is read as a scenario (whose loader reports why a file cannot be read)."""
    import tomllib

    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, ValueError, RecursionError):
        return "scenario"
    if "targets" in data:
        return "calibration"
    return "experiment" if "factors" in data or "design" in data else "scenario"


def _sweep(args, check=None):
    """Load the experiment, check the options (and, with ``check``, the experiment for what
    comes after the sweep), run or resume its sweep with a progress bar."""
    from .experiments.executors import executor_for
    from .experiments.spec import load_experiment
    from .experiments.sweep import run_sweep
    from .experiments.workers import usable_cores

    if args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, found {args.jobs}")
    if args.jobs > usable_cores():
        print(f"samenwerkingsim: note: --jobs {args.jobs} is more than the {usable_cores()} "
              f"usable cores; running {usable_cores()} workers", file=sys.stderr)
    if args.cluster is not None:
        executor_for(cluster=args.cluster, check_only=True)
    experiment = load_experiment(args.experiment)
    if check is not None:
        check(experiment)
    out = args.out if args.out is not None else str(Path("results") / args.experiment.stem)
    from tqdm import tqdm

    from .output.experiments import write_sweep_outputs

    with tqdm(total=experiment.total_replications, desc=experiment.name, unit="rep",
              delay=1.0, file=sys.stderr, disable=args.quiet or None, leave=False) as bar:
        def progress(replications, points_done):
            bar.update(replications)
            bar.set_postfix_str(f"points {points_done}/{experiment.n_points}", refresh=False)

        try:
            result = run_sweep(
                experiment, out, restart=args.restart, progress=progress,
                executor_factory=lambda: executor_for(args.jobs, args.cluster, args.scheduler),
                write_outputs=lambda r: write_sweep_outputs(r, args.command_line))
        except Interrupted as stop:
            stop.outputs = (f"; the finished chunks are kept in {out}/store.sqlite: run the "
                            "same command to resume")
            raise
    return result, out


def _sweep_report(result, out) -> str:
    from .output.experiments import format_cell

    experiment = result.experiment
    # the posterior draws' parameters are in points.csv; a wide design shows its first four
    keys = [] if experiment.design.kind == "posterior" else [f.key for f in experiment.factors]
    hidden = len(keys) - 4 if len(keys) > 4 else 0
    scenario = ["scenario"] if len(experiment.scenario_paths) > 1 else []
    shown = ["point", *scenario, *keys[:4], "s_10y", "s_10y_low", "s_10y_high",
             "dissolution_10y", "merger_10y", "status"]
    rows = result.records()
    lines = [f"{experiment.name}: {experiment.n_points} points x {experiment.replications} "
             f"replications ({result.replications_run} simulated now on {result.executor}, "
             f"{result.seconds:.1f} s)"]
    widths = [max(len(c), 10) for c in shown]
    lines.append("  ".join(c.rjust(w) for c, w in zip(shown, widths, strict=True)))
    outputs = {"s_10y", "s_10y_low", "s_10y_high", "dissolution_10y", "merger_10y"}

    def cell(column, value):  # probabilities to 3 decimals on screen, 6 digits in the CSV
        if column in outputs and isinstance(value, float) and value == value:
            return f"{value:.3f}"
        return format_cell(value)

    for row in rows[:25]:
        lines.append("  ".join(cell(c, row.get(c)).rjust(w)
                               for c, w in zip(shown, widths, strict=True)))
    if len(rows) > 25:
        lines.append(f"... {len(rows) - 25} more points in {out}/points.csv")
    if hidden:
        lines.append(f"({hidden} more factors in {out}/points.csv)")
    if experiment.contrasts and not result.failures:
        lines += ["", *_contrast_lines(result), f"(every output in {out}/contrasts.md)"]
    if result.failures:
        points = sorted({f["point"] for f in result.failures})
        lines.append(f"{len(points)} point(s) failed: {points[:10]}; tracebacks in "
                     f"{out}/failures.csv; rerun the same command to retry them")
    return "\n".join(lines)


def _contrast_lines(result) -> list[str]:
    from .experiments.contrasts import contrasts

    rows = [r for r in contrasts(result).records() if r["output"] == "s_10y"]
    width = max((len(r["name"]) for r in rows), default=0)
    lines = [f"{'contrast'.ljust(width)}  S(10y) variant - base [95%]   P(lower)"]
    for r in rows:
        lines.append(f"{r['name'].ljust(width)}  {r['difference']:+.3f} "
                     f"[{r['low']:+.3f}, {r['high']:+.3f}]        {r['p_negative']:.2f}")
    return lines


def command_sweep(args) -> int:
    result, out = _sweep(args)
    print(_sweep_report(result, out))
    from .experiments.sweep import STORE_NAME, SWEEP_OUTPUT_NAMES

    written = sorted(p.name for p in Path(out).iterdir() if p.name in SWEEP_OUTPUT_NAMES
                     and not p.name.startswith(STORE_NAME))
    print(f"\noutputs in {out}/: {', '.join(written)} (store: {out}/store.sqlite)")
    return EXIT_POINTS_FAILED if result.failures else EXIT_OK


def command_sensitivity(args) -> int:
    from .experiments.sensitivity import analyse, check_analysable
    from .output.sensitivity import write_sensitivity_outputs

    result, out = _sweep(args, check=check_analysable)
    if result.failures:
        print(_sweep_report(result, out))
        print("samenwerkingsim: the sensitivity analysis needs every point; rerun the same "
              "command to retry the failed ones", file=sys.stderr)
        return EXIT_POINTS_FAILED
    analysis = analyse(result)
    written = write_sensitivity_outputs(analysis, result.folder)
    print(analysis.summary_text())
    print(f"\nwrote {', '.join(p.name for p in written)} to {out}/")
    return EXIT_OK


def command_calibrate(args) -> int:
    from tqdm import tqdm

    from .calibration.run import StageFailed, calibrate
    from .calibration.spec import load_calibration
    from .experiments.executors import executor_for
    from .output.calibration import write_calibration_outputs

    if args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, found {args.jobs}")
    if args.cluster is not None:
        executor_for(cluster=args.cluster, check_only=True)
    spec = load_calibration(args.experiment)
    out = args.out if args.out is not None else str(Path("results") / args.experiment.stem)
    bars: dict = {}

    def progress(stage, replications, total):
        if args.quiet:
            return
        if stage not in bars:
            for bar in bars.values():
                bar.close()
            bars[stage] = tqdm(total=total, desc=f"{spec.name}: {stage}", unit="rep",
                               delay=1.0, file=sys.stderr, leave=False)
        bars[stage].update(replications)

    try:
        result = calibrate(spec, out, restart=args.restart, progress=progress,
                           executor_factory=lambda: executor_for(args.jobs, args.cluster,
                                                                 args.scheduler))
    except Interrupted as stop:
        stop.outputs = (f"; every finished chunk is kept in the stage stores under {out}/: "
                        "run the same command to resume")
        raise
    except StageFailed as failed:
        print(f"samenwerkingsim: {failed}", file=sys.stderr)
        return EXIT_POINTS_FAILED
    finally:
        for bar in bars.values():
            bar.close()
    write_calibration_outputs(result, args.command_line)
    print(f"{spec.name}: {result.replications:,} replications in all stages, "
          f"{result.simulated:,} simulated now, {result.seconds / 60:.1f} minutes")
    print(f"kept: {', '.join(result.kept)}")
    for wave in result.waves:
        print(f"wave {wave['wave']}: {int(wave['nroy'].sum())} of {len(wave['u'])} points "
              "not implausible")
    if result.reference:
        print(f"ABC: {int(result.reference['accepted'].sum())} of "
              f"{len(result.reference['u'])} accepted")
    if result.conflicts:
        print("the targets could not all be met:\n  " + "\n  ".join(result.conflicts))
    if result.chosen:
        verdict = "meets every target" if result.chosen["meets_targets"] else "misses a target"
        print(f"chosen point {verdict}: {out}/chosen.toml")
    print(f"report: {out}/report.md")
    return EXIT_OK if result.succeeded else EXIT_POINTS_FAILED


def command_info(args) -> int:
    from .model.params import BEHAVIOUR_NAMES, LEVER_NAMES
    from .output.files import dependency_versions

    print("samenwerkingsim: agent-based simulation of ambtelijke fusies")
    for name, value in dependency_versions().items():
        print(f"  {name:<16} {value}")
    print(f"  {'engines':<16} ensemble (default), mesa")
    print(f"  {'cpu cores':<16} {os.cpu_count()}")
    print(f"  {'levers':<16} {len(LEVER_NAMES)}: {', '.join(LEVER_NAMES)}")
    print(f"  {'behaviour':<16} {len(BEHAVIOUR_NAMES)} parameters (docs/parameters.md)")
    return EXIT_OK


COMMANDS = {"run": command_run, "compare": command_compare, "validate": command_validate,
            "sweep": command_sweep, "sensitivity": command_sensitivity,
            "calibrate": command_calibrate, "info": command_info}


def command_explore(args) -> int:
    """Serve the explorer on 127.0.0.1 until Ctrl-C or SIGTERM, which stop it cleanly (0)."""
    from .explore import missing_requirement

    problem = missing_requirement()
    if problem:
        raise UsageError(problem)
    if args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, found {args.jobs}")
    _load(args.scenario, [])  # bad input is reported before the server starts
    from .explore.server import PortUnavailable, bind, serve

    try:
        sock = bind(args.port)
    except PortUnavailable as error:
        raise UsageError(str(error)) from None

    def announce(url: str) -> None:
        print(f"samenwerkingsim explore: {args.scenario} at {url}  (Ctrl-C stops it)",
              flush=True)

    # uvicorn shuts down on Ctrl-C or SIGTERM and then passes the signal on: a clean stop
    with contextlib.suppress(Interrupted, KeyboardInterrupt):
        serve(args.scenario, jobs=args.jobs, announce=announce, sock=sock)
    print("samenwerkingsim explore: stopped", flush=True)
    return EXIT_OK


COMMANDS["explore"] = command_explore


if __name__ == "__main__":
    sys.exit(main())
