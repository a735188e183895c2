"""The command line: parse, call, print.

    samenwerkingsim run SCENARIO [--replications N] [--seed S] [--jobs J] [--out DIR]
                                 [--engine ensemble|mesa] [--set key=value ...]
    samenwerkingsim compare A.toml B.toml ... [--out DIR] [--replications N] ...
    samenwerkingsim validate FILES...
    samenwerkingsim info
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(Exception):
    """Bad input from the user: reported in one message, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="samenwerkingsim",
        description="Simulate the stability of shared civil-service organisations "
                    "(ambtelijke fusies) of Dutch municipalities.")
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
        p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")

    run = commands.add_parser("run", help="run one scenario and write its outputs",
                              parents=[debug])
    run.add_argument("scenario", type=Path, help="scenario file (TOML)")
    run.add_argument("--out", "-o", type=Path, metavar="DIR",
                     help="output folder (default: results/<scenario file name>)")
    add_run_options(run, many=False)

    compare = commands.add_parser("compare", help="run several scenarios and compare their "
                                                  "stability curves", parents=[debug])
    compare.add_argument("scenarios", type=Path, nargs="+", help="scenario files (TOML)")
    compare.add_argument("--out", "-o", type=Path, metavar="DIR", default=Path("results/compare"),
                         help="output folder (default: results/compare)")
    add_run_options(compare, many=True)

    validate = commands.add_parser("validate", help="check scenario files without running them",
                                   parents=[debug])
    validate.add_argument("files", type=Path, nargs="+", help="scenario files (TOML)")

    commands.add_parser("info", help="versions, engines and the machine", parents=[debug])
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``samenwerkingsim`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_line = ["samenwerkingsim", *(sys.argv[1:] if argv is None else argv)]
    from .scenario import ScenarioError

    try:
        return COMMANDS[args.command](args)
    except (ScenarioError, UsageError) as error:
        if args.debug:
            traceback.print_exc()
        print(f"samenwerkingsim: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("samenwerkingsim: interrupted; files already written are complete, the rest "
              "were not written", file=sys.stderr)
        return 130
    except Exception as error:  # an unexpected failure: say so plainly, details with --debug
        if args.debug:
            traceback.print_exc()
        else:
            print("samenwerkingsim: unexpected error (run with --debug for the traceback):",
                  file=sys.stderr)
        print(f"samenwerkingsim: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_ERROR


def _load(path: Path, overrides: list[str]):
    from .scenario import apply_overrides, parse_scenario, read_scenario_data

    data = apply_overrides(read_scenario_data(path), overrides, source=str(path))
    return parse_scenario(data, source=str(path))


def _check_run_options(args) -> None:
    if args.replications is not None and args.replications < 1:
        raise UsageError(f"--replications must be at least 1, found {args.replications}")
    if args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, found {args.jobs}")
    if args.seed is not None and not 0 <= args.seed <= 2**63 - 1:
        raise UsageError(f"--seed must be an integer in [0, 2**63 - 1], found {args.seed}")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out} is a file; give a folder")


def _simulate(scenario, args, label: str):
    """Run with a progress bar on stderr that shows up only for runs of more than a second."""
    from tqdm import tqdm

    from .experiment import run_scenario

    total = args.replications or scenario.run.replications
    with tqdm(total=total, desc=label, unit="rep", delay=1.0, file=sys.stderr,
              disable=args.quiet or None, leave=False) as bar:
        return run_scenario(scenario, replications=args.replications, seed=args.seed,
                            jobs=args.jobs, engine=args.engine, progress=bar.update)


def command_run(args) -> int:
    from . import __version__
    from .analysis import format_summary_table
    from .io import write_run_outputs
    from .plotting import new_figure, plot_stability, plot_trajectories, save_figure
    from .scenario import scenario_hash, scenario_to_dict

    _check_run_options(args)
    scenario = _load(args.scenario, args.overrides)
    out = args.out or Path("results") / args.scenario.stem
    started = time.perf_counter()
    result = _simulate(scenario, args, scenario.name)
    elapsed = time.perf_counter() - started
    curves = result.curves()
    resolved = scenario_to_dict(result.scenario)
    digest = scenario_hash(result.scenario)
    written = write_run_outputs(out, result, curves, resolved, digest, args.jobs,
                                str(args.scenario), args.command_line)
    metadata = {"Software": f"samenwerkingsim {__version__}",
                "Description": f"{scenario.name}; scenario hash {digest}; "
                               f"seed {result.scenario.run.seed}; "
                               f"{result.scenario.run.replications} replications"}
    fig, ax = new_figure(figsize=(7, 4.5))
    plot_stability(curves, ax=ax, label=scenario.name)
    ax.set_title(f"{scenario.name}: stability ({result.scenario.run.replications} replications)")
    written.append(save_figure(fig, out / "stability.png", metadata))
    fig, axes = new_figure(2, 2, figsize=(9, 6), sharex=True)
    plot_trajectories(result.trajectory_table, axes=axes)
    fig.suptitle(f"{scenario.name}: mean and 5-95% band over arrangements still standing")
    written.append(save_figure(fig, out / "trajectories.png", metadata))

    print(format_summary_table(curves, title=f"{scenario.name}  (seed {result.scenario.run.seed},"
                                             f" {args.engine} engine, {elapsed:.1f} s)"))
    print(f"\nwrote {len(written)} files to {out}/: {', '.join(p.name for p in written)}")
    return EXIT_OK


def unique_labels(names: list[str]) -> list[str]:
    """The names, with a running number added where a name occurs more than once."""
    seen: dict[str, int] = {}
    labels = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        labels.append(name if names.count(name) == 1 else f"{name} ({seen[name]})")
    return labels


def command_compare(args) -> int:
    from . import __version__
    from .analysis import compare, format_comparison_table
    from .io import manifest, write_json
    from .plotting import new_figure, plot_comparison, save_figure
    from .scenario import scenario_hash, scenario_to_dict

    _check_run_options(args)
    scenarios = [_load(path, args.overrides) for path in args.scenarios]
    names = unique_labels([s.name for s in scenarios])
    horizons = {s.run.horizon_months for s in scenarios}
    horizon = min(horizons)
    runs, resolved = {}, {}
    for name, scenario in zip(names, scenarios, strict=True):
        result = _simulate(scenario, args, name)
        resolved[name] = result.scenario
        end = result.runs["end_month"]
        outcomes = result.outcomes
        # compare on the shortest horizon: an ending at or after it is censored there, as in
        # a run with that horizon (its last simulated month is horizon - 1)
        late = end >= horizon
        runs[name] = (end.clip(max=horizon), outcomes.copy())
        runs[name][1][late] = "censored"
    comparison = compare(runs, horizon)
    fig, ax = new_figure(figsize=(8, 5))
    plot_comparison(comparison, ax=ax)
    ax.set_title("Stability curves")
    out = args.out
    metadata = {"Software": f"samenwerkingsim {__version__}",
                "Description": "comparison of " + ", ".join(names)}
    figure = save_figure(fig, out / "comparison.png", metadata)
    summary = write_json(out / "comparison.json", {
        "horizon_years": horizon / 12,
        "scenarios": {n: c.to_summary() for n, c in comparison.curves.items()},
        "logrank_vs_first": {n: {"statistic": s, "p_value": p}
                             for n, (s, p) in comparison.logrank.items()},
    })
    write_json(out / "manifest.json", {
        "scenario_files": [str(p) for p in args.scenarios],
        "scenarios": {name: manifest(scenario_to_dict(s), scenario_hash(s), s.run.seed,
                                     args.engine, args.jobs, str(path), args.command_line)
                      for (name, s), path in zip(resolved.items(), args.scenarios,
                                                 strict=True)},
    })
    print(format_comparison_table(comparison))
    if len(horizons) > 1:
        print(f"(horizons differ; compared over the shortest, {horizon / 12:g} years)")
    print(f"\nwrote {figure}, {summary} and {out / 'manifest.json'}")
    return EXIT_OK


def command_validate(args) -> int:
    from .scenario import ScenarioError, load_scenario, scenario_hash

    failures = 0
    for path in args.files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            failures += 1
            print(f"invalid  {error}", file=sys.stderr)
        else:
            print(f"ok       {path}  ({scenario.name}, hash {scenario_hash(scenario)})")
    return EXIT_BAD_INPUT if failures else EXIT_OK


def command_info(args) -> int:
    from .io import dependency_versions
    from .params import BEHAVIOUR_NAMES, LEVER_NAMES

    print("samenwerkingsim: agent-based simulation of ambtelijke fusies")
    for name, value in dependency_versions().items():
        print(f"  {name:<16} {value}")
    print(f"  {'engines':<16} ensemble (default), mesa")
    print(f"  {'cpu cores':<16} {os.cpu_count()}")
    print(f"  {'levers':<16} {len(LEVER_NAMES)}: {', '.join(LEVER_NAMES)}")
    print(f"  {'behaviour':<16} {len(BEHAVIOUR_NAMES)} parameters (docs/parameters.md)")
    return EXIT_OK


COMMANDS = {"run": command_run, "compare": command_compare, "validate": command_validate,
            "info": command_info}


if __name__ == "__main__":
    sys.exit(main())
