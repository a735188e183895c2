"""The files of a sensitivity analysis: ``morris.csv`` or ``sobol.csv``, ``noise.csv``,
``morris.png`` or ``sobol.png`` and ``report.md``, written atomically into the sweep's folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .experiments import format_cell, write_table_csv
from .files import dependency_versions, write_text

__all__ = ["REFERENCES", "render_report", "write_sensitivity_outputs"]

REFERENCES = (
    "Morris, M. D. (1991). Factorial sampling plans for preliminary computational "
    "experiments. *Technometrics* 33(2), 161-174. doi:10.1080/00401706.1991.10484804",
    "Campolongo, F., Cariboni, J., & Saltelli, A. (2007). An effective screening design for "
    "sensitivity analysis of large models. *Environmental Modelling & Software* 22(10), "
    "1509-1518. doi:10.1016/j.envsoft.2006.10.004",
    "Saltelli, A. (2002). Making best use of model evaluations to compute sensitivity "
    "indices. *Computer Physics Communications* 145(2), 280-297. "
    "doi:10.1016/S0010-4655(02)00280-1",
    "Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M., & Tarantola, S. (2010). "
    "Variance based sensitivity analysis of model output. Design and estimator for the total "
    "sensitivity index. *Computer Physics Communications* 181(2), 259-270. "
    "doi:10.1016/j.cpc.2009.09.018",
    "Herman, J., & Usher, W. (2017). SALib: An open-source Python library for sensitivity "
    "analysis. *Journal of Open Source Software* 2(9), 97. doi:10.21105/joss.00097",
)

_LABELS = {"s_5y": "S(5y), still standing after 5 years",
           "s_10y": "S(10y), still standing after 10 years",
           "merger_10y": "merged within 10 years (cumulative incidence)",
           "dissolution_10y": "dissolved within 10 years (cumulative incidence)"}


def write_sensitivity_outputs(analysis, folder: str | Path) -> list[Path]:
    """Write the index table, the noise table, the figure and the report into ``folder``.

    Returns
    -------
    list of Path
        The files written: ``<method>.csv``, ``noise.csv``, ``<method>.png``, ``report.md``.
    """
    from ..plotting import save_figure
    from ..plotting.sensitivity import plot_sensitivity_panels

    folder = Path(folder)
    method = analysis.method
    written = [write_table_csv(folder / f"{method}.csv", analysis.indices),
               write_table_csv(folder / "noise.csv", analysis.noise)]
    axes = plot_sensitivity_panels(analysis)
    figure = axes[0].figure
    figure.suptitle(_figure_title(analysis), fontsize="medium")
    written.append(save_figure(figure, folder / f"{method}.png", _metadata(analysis)))
    written.append(write_text(folder / "report.md", render_report(analysis)))
    return written


def _figure_title(analysis) -> str:
    experiment = analysis.experiment
    what = ("Morris mu* and sigma" if analysis.method == "morris"
            else "Sobol' first-order and total indices")
    return (f"{experiment.name}: {what} ({analysis.n_points} points x "
            f"{experiment.replications} replications; bars: {analysis.confidence:.0%} "
            "bootstrap intervals; faint: within Monte Carlo noise)")


def _metadata(analysis) -> dict[str, str]:
    experiment = analysis.experiment
    return {"Software": f"samenwerkingsim {dependency_versions()['samenwerkingsim']}",
            "Description": f"{analysis.method} sensitivity analysis of experiment "
                           f"{experiment.name}; fingerprint {experiment.digest()}; seed "
                           f"{experiment.seed}; bootstrap seed {analysis.seed}; "
                           f"{experiment.replications} replications per point"}


# --------------------------------------------------------------------------------------------
# report.md


def render_report(analysis) -> str:
    """The text of ``report.md`` (Markdown): what was run, the indices of every output, the
    Monte Carlo noise and how to read it, which factors matter, and the references."""
    parts = [f"# Sensitivity analysis: {analysis.experiment.name}", "",
             *_what_was_run(analysis), "", *_findings(analysis), "", *_index_tables(analysis),
             "", *_noise_section(analysis), "", *_method_section(analysis), "",
             "## References", "", *(f"- {r}" for r in REFERENCES)]
    return "\n".join(parts) + "\n"


def _what_was_run(analysis) -> list[str]:
    experiment = analysis.experiment
    design = experiment.design
    if analysis.method == "morris":
        size = (f"Morris, {design.samples} trajectories on a {design.levels}-level grid "
                f"({design.samples} x (D + 1) = {analysis.n_points} points)")
    else:
        size = (f"Sobol' (Saltelli sampling without second-order terms), N = {design.samples} "
                f"base samples (N x (D + 2) = {analysis.n_points} points)")
    lines = ["## What was run", ""]
    if experiment.description:
        lines += [experiment.description, ""]
    lines += [
        f"- experiment file: `{experiment.source}` (fingerprint `{experiment.digest()}`)",
        f"- base scenario: `{experiment.scenario_paths[0]}`",
        f"- design: {size}, design seed {design.seed}",
        f"- replications per point: {experiment.replications}, run seed {experiment.seed}, "
        f"common random numbers: {'yes' if experiment.common_random_numbers else 'no'}",
        f"- intervals: {analysis.confidence:.0%}, from {analysis.bootstrap} bootstrap "
        f"resamples (seed {analysis.seed})",
        f"- software: samenwerkingsim {dependency_versions()['samenwerkingsim']}, SALib",
        "", "| factor | low | high | distribution |", "| --- | ---: | ---: | --- |"]
    lines += [f"| `{f.key}` | {format_cell(f.low)} | {format_cell(f.high)} | "
              f"{f.distribution} |" for f in experiment.factors]
    return lines


def _index_tables(analysis) -> list[str]:
    if analysis.method == "morris":
        columns = [("mu", "mu"), ("mu*", "mu_star"), ("sigma", "sigma")]
        flags = [("mu* above noise", "mu_star_above_noise")]
        sort_by = "mu_star"
        intro = ("mu* is the mean absolute change of the output when a factor moves over its "
                 "whole range (in its sampling coordinate: the logarithm for a loguniform "
                 "factor); mu its signed mean (mu near 0 with a large mu* means effects of "
                 "both signs); sigma the spread of the effects (interactions or "
                 "non-linearity). Intervals in brackets.")
    else:
        columns = [("S1", "S1"), ("ST", "ST")]
        flags = [("S1 above noise", "S1_above_noise"), ("ST above noise", "ST_above_noise")]
        sort_by = "ST"
        intro = ("S1 is the share of the output's variance due to a factor alone, ST the share "
                 "due to it and all its interactions; ST - S1 measures interactions. "
                 "Intervals in brackets.")
    lines = ["## Indices", "", intro]
    for output in analysis.outputs:
        rows = analysis.rows(output)
        order = np.argsort(-np.nan_to_num(np.asarray(rows[sort_by], float), nan=-np.inf),
                           kind="stable")
        lines += ["", f"### {_LABELS.get(output, output)} (`{output}`)", "",
                  "| factor | " + " | ".join(h for h, _ in columns + flags) + " |",
                  "| --- | " + " | ".join("---:" for _ in columns) + " | "
                  + " | ".join("---" for _ in flags) + " |"]
        for i in order:
            cells = [_with_interval(rows, name, i) if f"{name}_low" in rows
                     else _fmt(rows[name][i]) for _, name in columns]
            cells += ["yes" if rows[name][i] else "no" for _, name in flags]
            lines.append(f"| `{rows['factor'][i]}` | " + " | ".join(cells) + " |")
    return lines


def _noise_section(analysis) -> list[str]:
    morris = analysis.method == "morris"
    header = ("| output | mean | Monte Carlo SE of a point | mean Monte Carlo variance | "
              "variance across points | noise share |")
    align = "| --- | ---: | ---: | ---: | ---: | ---: |"
    if morris:
        header += " noise of one elementary effect |"
        align += " ---: |"
    lines = ["## Monte Carlo noise", "", header, align]
    for row in analysis.noise_records():
        cells = [_significant(row[c]) for c in ("mean", "mc_standard_error", "mc_variance",
                                                "output_variance", "noise_share")]
        if morris:
            cells.append(_significant(row["elementary_effect_noise"]))
        lines.append(f"| `{row['output']}` | " + " | ".join(cells) + " |")
    n = analysis.experiment.replications
    lines += ["", (
        f"How to read it. Each output of a point is a proportion of its {n} replications "
        "(every replication runs to the horizon, so there is no censoring before it), so its "
        "Monte Carlo variance is p (1 - p) / n; the SE column is the square root of its mean "
        "over the points. The *noise share* is that mean variance divided by the variance of "
        "the output across the points: the share of the output's variation that noise could "
        "explain. SALib's estimators assume a deterministic model and would read that share "
        "as an effect of the factors. Near 0, the indices describe the factors; near 1 or "
        "above, the output hardly varies beyond noise and its indices say little (more "
        "replications per point lower it in proportion). With common random numbers "
        "the points share their random streams, their noise is positively correlated and "
        "partly cancels in differences between points, so the share is an upper bound.")]
    return lines


def _findings(analysis) -> list[str]:
    flag, name = (("mu_star_above_noise", "mu_star") if analysis.method == "morris"
                  else ("ST_above_noise", "ST"))
    shown = "mu*" if name == "mu_star" else name
    lines = ["## What matters", "",
             f"Factors whose {shown} can be told from Monte Carlo noise, largest first (the "
             "rule is under *How the indices were computed*):", ""]
    for output in analysis.outputs:
        rows = analysis.rows(output)
        order = np.argsort(-np.nan_to_num(np.asarray(rows[name], float), nan=-np.inf),
                           kind="stable")
        clear = [i for i in order if rows[flag][i]]
        within = [i for i in order if not rows[flag][i]]
        matter = ", ".join(f"`{_short(rows['factor'][i])}` ({_fmt(rows[name][i])})"
                           for i in clear) or "none"
        noise = ", ".join(f"`{_short(rows['factor'][i])}`" for i in within) or "none"
        share = analysis.noise_of(output)["noise_share"]
        lines.append(f"- **{output}** (noise share {_fmt(share)}): {matter}. Not told from "
                     f"noise by this (conservative) rule: {noise}.")
    return lines


def _method_section(analysis) -> list[str]:
    z = f"{analysis.confidence:.0%}"
    if analysis.method == "morris":
        body = [
            "SALib's `morris.analyze` (Morris 1991; Campolongo et al. 2007) computes the "
            "elementary effects of each trajectory and their mean (mu), mean absolute value "
            f"(mu*) and standard deviation (sigma). Its {z} interval of mu* is the estimate "
            "plus or minus z times the standard deviation of mu* over bootstrap resamples of "
            "each factor's effects. SALib gives no interval for sigma; here it has one built "
            "the same way, from bootstrap resamples of whole trajectories (the D + 1 points "
            "of each, with replacement), each analysed again with `morris.analyze`. Both are "
            "cut at 0.",
            "",
            "**Above noise** means that mu* is larger than sqrt(2 v) / Delta, the standard "
            "deviation an elementary effect would have from Monte Carlo noise alone (v the "
            "mean Monte Carlo variance of a point, Delta the Morris step, "
            f"{analysis.experiment.design.levels} / (2 ({analysis.experiment.design.levels} - "
            "1)) of the range). Pure noise with independent streams would give mu* of about "
            "0.8 times that; with common random numbers the noise in a difference of two "
            "points is smaller still, so the rule is conservative.",
        ]
    else:
        body = [
            "SALib's `sobol.analyze` without second-order terms (Saltelli 2002; Saltelli et "
            "al. 2010) estimates S1 and ST from the N x (D + 2) points; its "
            f"{z} intervals are the estimate plus or minus z times the standard deviation of "
            "the estimates over bootstrap resamples of the N base samples.",
            "",
            "**Above noise** means that the interval excludes 0 and the index is larger than "
            "the noise share of the output's variance. Noise that is independent across "
            "points adds about that share to every ST and takes it from the S1; with common "
            "random numbers it is an upper bound, so the rule is conservative.",
        ]
    return ["## How the indices were computed", "", *body]


def _with_interval(rows: dict, name: str, i: int) -> str:
    return (f"{_fmt(rows[name][i])} [{_fmt(rows[f'{name}_low'][i])}, "
            f"{_fmt(rows[f'{name}_high'][i])}]")


def _fmt(x) -> str:
    if x is None:
        return "n/a"
    x = float(x)
    return f"{x:.3f}" if np.isfinite(x) else "n/a"


def _significant(x) -> str:
    """Three significant digits: the noise variances are small numbers."""
    return "n/a" if x is None or not np.isfinite(float(x)) else f"{float(x):.3g}"


def _short(key: str) -> str:
    return key.rsplit(".", 1)[-1]
