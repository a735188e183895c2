"""The files of a sweep: ``points.csv``, ``failures.csv``, ``manifest.json`` and its figures.

Every file is derived from the store and written atomically, so rewriting them after a resume
gives the same bytes.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np

from .files import dependency_versions, write_atomically, write_json

__all__ = ["format_cell", "write_points_csv", "write_sweep_outputs", "write_table_csv"]


def format_cell(value) -> str:
    """One CSV cell: numbers to six significant digits (as in the JSON outputs), empty for an
    undefined number, true/false, and lists as JSON."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else ""
    if value is None:
        return ""
    if isinstance(value, list | tuple | dict):
        return json.dumps(value)
    return str(value)


def write_table_csv(path: Path, table: dict[str, np.ndarray]) -> Path:
    """A table of columns as CSV (RFC 4180 quoting), one row per entry."""
    columns = list(table)
    n = len(next(iter(table.values()))) if table else 0

    def write(handle):
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for i in range(n):
            writer.writerow([format_cell(table[c][i]) for c in columns])
    return write_atomically(path, write)


write_points_csv = write_table_csv


def write_sweep_outputs(result, command_line: list[str] | None = None) -> list[Path]:
    """Write the tables, the manifest and the figures of a sweep into its folder."""
    from ..plotting import new_figure, save_figure
    from ..plotting.sweeps import plot_factor_effects, plot_heatmap, plot_point_curves

    folder = result.folder
    experiment = result.experiment
    written = [write_points_csv(folder / "points.csv", result.table)]
    failures = folder / "failures.csv"
    if result.failures:
        table = {key: [f[key] if key != "parameters" else json.dumps(f[key])
                       for f in result.failures]
                 for key in ("point", "first", "count", "parameters", "error", "traceback")}
        written.append(write_table_csv(failures, table))
    else:
        failures.unlink(missing_ok=True)
    written.append(write_json(folder / "manifest.json", {
        "generator": "samenwerkingsim",
        "versions": dependency_versions(),
        "command_line": command_line or [],
        "experiment_file": experiment.source,
        "experiment_digest": experiment.digest(),
        "points": experiment.n_points,
        "replications_per_point": experiment.replications,
        "seed": experiment.seed,
        "common_random_numbers": experiment.common_random_numbers,
        "executor": result.executor,
        "experiment": experiment.resolved,
    }))
    metadata = {"Software": f"samenwerkingsim {dependency_versions()['samenwerkingsim']}",
                "Description": f"experiment {experiment.name}; fingerprint "
                               f"{experiment.digest()}; seed {experiment.seed}; "
                               f"{experiment.replications} replications per point"}
    axes = plot_factor_effects(result)
    figure = axes[0].figure
    figure.suptitle(f"{experiment.name} ({experiment.replications} replications a point; "
                    "bands: 95% Monte Carlo intervals)", fontsize="medium")
    written.append(save_figure(figure, folder / "stability_by_factor.png", metadata))
    heatmap = folder / "heatmap.png"
    if experiment.design.kind == "grid" and len(experiment.factors) == 2:
        fig, ax = new_figure(figsize=(7, 5))
        plot_heatmap(result, ax=ax)
        ax.set_title(f"{experiment.name}: still standing after 10 years")
        written.append(save_figure(fig, heatmap, metadata))
    else:
        heatmap.unlink(missing_ok=True)
    if experiment.design.kind == "one_at_a_time":
        from ..experiments.effects import lever_effects
        from .effects import write_effects_outputs

        written += write_effects_outputs(result, lever_effects(result))
    fig, ax = new_figure(figsize=(8, 5))
    plot_point_curves(result, ax=ax)
    ax.set_title(f"{experiment.name}: stability of chosen points (95% Monte Carlo bands)")
    written.append(save_figure(fig, folder / "curves.png", metadata))
    return written
