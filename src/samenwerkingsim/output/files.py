"""Every file samenwerkingsim writes: CSV tables, JSON summaries, manifests, figures.

Each file is written to a temporary name in the same folder and then renamed, so a reader
never sees half a file. The command line writes them into a staging folder that replaces the
output folder as a whole (:mod:`samenwerkingsim.output.folders`).

CSV files follow RFC 4180 (fields with commas, quotes or line breaks are quoted); JSON files
give every number to six significant digits, and null where a number is undefined.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import platform
import sys
import tempfile
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from ..model.engine import EVENTS, OUTCOME_NAMES

DEPENDENCIES = ("samenwerkingsim", "mesa", "numpy", "scipy", "matplotlib", "tqdm")


def read_targets() -> dict:
    """The empirical targets the model is calibrated against (``data/targets.toml``, shipped
    with the package, with its sources in the header)."""
    import tomllib
    from importlib.resources import files

    return tomllib.loads(files("samenwerkingsim").joinpath("data/targets.toml").read_text(
        encoding="utf-8"))


def current_umask() -> int:
    """The process's file-creation mask (reading it means setting it, so set it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomically(path: Path, write: Callable[[io.TextIOBase], None]) -> Path:
    """Write a text file through ``write(handle)`` to a temporary file, then rename it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes it private; outputs are not
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def write_text(path: Path, text: str) -> Path:
    return write_atomically(path, lambda handle: handle.write(text))


SIGNIFICANT_DIGITS = 6


def rounded(data):
    """``data`` with every float given to six significant digits and NaN or infinity as None:
    one rule for every JSON output, enough for any estimate from a simulation."""
    if isinstance(data, dict):
        return {key: rounded(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [rounded(value) for value in data]
    if isinstance(data, np.generic):
        data = data.item()
    if isinstance(data, float):
        return float(f"{data:.{SIGNIFICANT_DIGITS}g}") if math.isfinite(data) else None
    return data


def write_json(path: Path, data) -> Path:
    text = json.dumps(rounded(data), indent=2, sort_keys=False, allow_nan=False)
    return write_text(path, text + "\n")


def csv_field(text: str) -> str:
    """One CSV field, quoted as RFC 4180 asks when it holds a comma, quote or line break."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([text])
    return buffer.getvalue()


def write_runs(path: Path, runs: np.ndarray, names: list[str]) -> Path:
    """``runs.csv``: one row per replication, with the month each member left (empty if it
    did not) in a column ``left_<member>``."""
    def write(handle):
        header = ("replication,end_month,outcome,n_member_exits,first_exit_month,n_members,"
                  "arrangement,designed_as_step_to_merger,start_year")
        handle.write(header + "".join("," + csv_field(f"left_{n}") for n in names) + "\n")
        arrangement = np.where(runs["centrumgemeente"], "centrumgemeente", "werkorganisatie")
        outcome = np.array([OUTCOME_NAMES[int(c)] for c in runs["outcome"]])
        step = np.where(runs["designed_as_step_to_merger"], "true", "false")
        first_exit = np.where(runs["first_exit_month"] >= 0,
                              runs["first_exit_month"].astype(str), "")
        left = runs["left_month"][:, :len(names)]
        left_text = np.where(left >= 0, left.astype(str), "")
        for i, row in enumerate(zip(runs["replication"], runs["end_month"], outcome,
                                    runs["n_member_exits"], first_exit, runs["n_members"],
                                    arrangement, step, runs["start_year"], strict=True)):
            handle.write(",".join(map(str, (*row, *left_text[i]))) + "\n")
    return write_atomically(path, write)


def write_events(path: Path, events: np.ndarray, names: list[str]) -> Path:
    """``events.csv``: the event log, one row per event (municipality empty when it concerns
    the whole arrangement)."""
    labels = np.array([csv_field(name) for name in names] + [""])  # member -1: empty
    event_names = np.array(EVENTS)

    def write(handle):
        handle.write("replication,month,event,municipality\n")
        for start in range(0, len(events), 100_000):
            part = events[start:start + 100_000]
            lines = [f"{r},{m},{e},{w}" for r, m, e, w in zip(
                part["replication"].tolist(), part["month"].tolist(),
                event_names[part["event"]].tolist(), labels[part["member"]].tolist(),
                strict=True)]
            handle.write("\n".join(lines) + ("\n" if lines else ""))
    return write_atomically(path, write)


def write_trajectories(path: Path, table: dict[str, np.ndarray]) -> Path:
    """``trajectories.csv``: monthly mean and 5/95% quantiles of each metric."""
    columns = list(table)

    def write(handle):
        handle.write(",".join(columns) + "\n")
        for i in range(len(table["month"])):
            cells = []
            for column in columns:
                x = table[column][i]
                if np.issubdtype(np.asarray(x).dtype, np.integer):
                    cells.append(str(int(x)))
                else:
                    cells.append("" if np.isnan(x) else f"{x:.6g}")
            handle.write(",".join(cells) + "\n")
    return write_atomically(path, write)


def dependency_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in DEPENDENCIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def manifest(scenario_dict: dict, scenario_hash: str, seed: int, engine: str, jobs: int,
             source: str | None, argv: list[str] | None = None) -> dict:
    """What is needed to reproduce a run: versions, the resolved scenario, its hash, the seed
    and the command line."""
    return {
        "generator": "samenwerkingsim",
        "versions": dependency_versions(),
        "platform": platform.platform(),
        "command_line": list(sys.argv if argv is None else argv),
        "scenario_file": source,
        "scenario_hash": scenario_hash,
        "seed": seed,
        "engine": engine,
        "jobs": jobs,
        "scenario": scenario_dict,
    }


def write_run_outputs(out: Path, result, curves, scenario_dict: dict, scenario_hash: str,
                      jobs: int, source: str | None, argv: list[str] | None = None) -> list[Path]:
    """Write every output of a run into ``out``; figures are added by the caller."""
    from .. import __version__

    scenario = result.scenario
    summary = {"scenario": scenario.name, "version": __version__, **curves.to_summary()}
    return [
        write_runs(out / "runs.csv", result.runs, scenario.member_names),
        write_events(out / "events.csv", result.events, scenario.member_names),
        write_trajectories(out / "trajectories.csv", result.trajectory_table),
        write_json(out / "summary.json", summary),
        write_json(out / "manifest.json", manifest(scenario_dict, scenario_hash,
                                                   scenario.run.seed, result.engine, jobs,
                                                   source, argv)),
    ]
