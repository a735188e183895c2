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


def contrasts_markdown(result, table) -> str:
    """The contrasts as Markdown: one table per contrast."""
    experiment = result.experiment
    design = experiment.design
    per_scenario = experiment.n_points // max(1, len({p.label for p in experiment.points}))
    drawn = ": draws from the calibration's posterior" if design.kind == "posterior" else ""
    lines = [f"# Contrasts: {experiment.name}", "", experiment.description, "",
             f"Each contrast compares two scenarios at the same {per_scenario} points "
             f"({design.kind} design{drawn}), {experiment.replications} replications each, "
             "with common random numbers. "
             "Difference: variant minus base, the median over the points with its 95% "
             "interval (2.5% and 97.5% quantiles over the points: parameter uncertainty and "
             "Monte Carlo noise); P(lower): the share of points where the variant is lower.",
             ""]
    records = [dict(zip(table, row, strict=True)) for row in zip(*table.values(), strict=True)]
    for name in dict.fromkeys(r["name"] for r in records):
        rows = [r for r in records if r["name"] == name]
        lines += [f"## {name}", "", f"`{rows[0]['variant']}` against `{rows[0]['base']}`", "",
                  "| output | base | variant | difference [95% interval] | P(lower) |",
                  "| --- | --- | --- | --- | --- |"]
        for r in rows:
            lines.append(f"| {r['output']} | {r['base_median']:.3f} | {r['variant_median']:.3f} "
                         f"| {r['difference']:+.3f} [{r['low']:+.3f}, {r['high']:+.3f}] | "
                         f"{r['p_negative']:.2f} |")
        lines.append("")
    return "\n".join(lines)


def write_contrasts(result, metadata: dict | None = None) -> list[Path]:
    """``contrasts.csv``, ``contrasts.md`` and ``contrasts.png`` of an experiment with
    [[contrasts]]."""
    from ..experiments.contrasts import contrasts
    from ..plotting import save_figure
    from ..plotting.sweeps import plot_contrasts
    from .files import write_text

    table = contrasts(result).table
    axes = plot_contrasts(table)
    band = ("95% over the posterior draws: parameter uncertainty and Monte Carlo noise"
            if result.experiment.design.kind == "posterior" else "95% over the points")
    axes[0].figure.suptitle(f"{result.experiment.name}: variant minus base (intervals: "
                            f"{band}; red: below 0, green: above 0)", fontsize="small")
    return [write_table_csv(result.folder / "contrasts.csv", table),
            write_text(result.folder / "contrasts.md", contrasts_markdown(result, table) + "\n"),
            save_figure(axes[0].figure, result.folder / "contrasts.png", metadata or {})]


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
    by_factor = folder / "stability_by_factor.png"
    if experiment.design.kind == "posterior":
        by_factor.unlink(missing_ok=True)  # its factors are draws, not choices
    else:
        axes = plot_factor_effects(result)
        figure = axes[0].figure
        figure.suptitle(f"{experiment.name} ({experiment.replications} replications a "
                        "point; bands: 95% Monte Carlo intervals)", fontsize="medium")
        written.append(save_figure(figure, by_factor, metadata))
    heatmap = folder / "heatmap.png"
    if experiment.design.kind == "grid" and len(experiment.factors) == 2:
        fig, ax = new_figure(figsize=(7, 5))
        plot_heatmap(result, ax=ax)
        ax.set_title(f"{experiment.name}: still standing after 10 years")
        written.append(save_figure(fig, heatmap, metadata))
    else:
        heatmap.unlink(missing_ok=True)
    contrast_files = [folder / n for n in ("contrasts.csv", "contrasts.md", "contrasts.png")]
    if experiment.contrasts and not result.failures:
        written += write_contrasts(result, metadata)
    else:  # a pair with a failed point has no difference: no contrasts until it is rerun
        for path in contrast_files:
            path.unlink(missing_ok=True)
    if experiment.design.kind == "one_at_a_time":
        from ..experiments.effects import lever_effects
        from .effects import write_effects_outputs

        written += write_effects_outputs(result, lever_effects(result))
    fig, ax = new_figure(figsize=(8, 5))
    plot_point_curves(result, ax=ax)
    ax.set_title(f"{experiment.name}: stability of chosen points (95% Monte Carlo bands)")
    written.append(save_figure(fig, folder / "curves.png", metadata))
    return written
