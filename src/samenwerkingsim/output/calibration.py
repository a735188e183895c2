"""The files of a calibration: tables of every stage, the posterior, the chosen point, the
report and its figures."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from ..calibration.run import Calibration, ParameterSpace
from ..calibration.spec import calibrated_parameters
from .experiments import format_cell, write_table_csv
from .files import dependency_versions, write_json, write_text

__all__ = ["CALIBRATION_OUTPUT_NAMES", "write_calibration_outputs"]

CALIBRATION_OUTPUT_NAMES = (
    "screening.csv", "waves.csv", "reference_table.csv", "posterior.csv", "checks.csv",
    "predictive.csv", "chosen.toml", "report.md", "manifest.json", "screening.png",
    "implausibility.png", "posterior.png", "pairs.png", "predictive_national.png",
    "predictive_cases.png", "calls.json")
IDENTIFIED, PARTLY = 0.5, 0.2  # contraction of the posterior variance


def _point_table(calibration: Calibration, record: dict, extra: dict) -> dict:
    space = ParameterSpace(calibration.kept)
    table = {"point": np.arange(len(record["u"]))}
    values = [space.values(row) for row in record["u"]]
    for name in space.names:
        table[name] = np.array([v[name] for v in values])
    for k, target in enumerate(calibration.spec.targets):
        table[target.name] = record["y"][:, k]
    table.update(extra)
    return table


def write_calibration_outputs(calibration: Calibration,
                              command_line: list[str] | None = None) -> list[Path]:
    folder = calibration.folder
    spec = calibration.spec
    written = []
    if calibration.screening:
        s = calibration.screening
        written.append(write_table_csv(folder / "screening.csv", {
            k: s[k] for k in ("target", "parameter", "mu_star", "mu_star_conf", "scaled")}))
    if calibration.waves:
        parts = []
        for wave in calibration.waves:
            table = _point_table(calibration, wave, {
                "max_implausibility": wave["max_implausibility"], "not_implausible":
                wave["nroy"]})
            parts.append({"wave": np.full(len(wave["u"]), wave["wave"]), **table})
        written.append(write_table_csv(folder / "waves.csv", {
            k: np.concatenate([p[k] for p in parts]) for k in parts[0]}))
    if calibration.reference:
        ref = calibration.reference
        written.append(write_table_csv(folder / "reference_table.csv", _point_table(
            calibration, ref, {"largest_exceedance": ref["exceedance"].max(axis=1),
                               "accepted": ref["accepted"]})))
    if calibration.posterior:
        post = calibration.posterior
        record = {"u": post["u"], "y": post["y"]}
        written.append(write_table_csv(folder / "posterior.csv", _point_table(
            calibration, record, {"weight": post["weights"]})))
    if calibration.checks:
        written.append(write_table_csv(folder / "checks.csv", {
            "rank": [c["rank"] for c in calibration.checks],
            "distance_to_median": [c["distance_to_median"] for c in calibration.checks],
            **{t.name: [float(c["y"][k]) for c in calibration.checks]
               for k, t in enumerate(spec.targets)},
            "meets_targets": [c["meets_targets"] for c in calibration.checks]}))
    if calibration.predictive:
        pred = calibration.predictive
        written.append(write_table_csv(folder / "predictive.csv", {
            "draw": np.arange(len(pred["draws"])), "posterior_point": pred["draws"],
            **{t.name: pred["y"][:, k] for k, t in enumerate(spec.targets)}}))
    if calibration.chosen:
        written.append(write_text(folder / "chosen.toml", chosen_toml(calibration)))
    calls = _record_call(calibration)
    written.append(write_json(folder / "calls.json", calls))
    written.append(write_text(folder / "report.md", report_markdown(calibration, calls)))
    written.append(write_json(folder / "manifest.json", {
        "generator": "samenwerkingsim", "versions": dependency_versions(),
        "command_line": command_line or [], "calibration_file": spec.source,
        "calibration_digest": spec.digest(), "seconds": calibration.seconds,
        "replications": calibration.replications, "simulated_now": calibration.simulated}))
    written += _figures(calibration)
    # an output this call did not write (a stage it did not reach) belongs to an earlier
    # call: remove it, so that every file in the folder comes from this calibration
    for name in set(CALIBRATION_OUTPUT_NAMES) - {p.name for p in written}:
        (folder / name).unlink(missing_ok=True)
    return written


def _record_call(calibration: Calibration) -> list[dict]:
    """The calls that did this calibration's work, this one last (``calls.json``).

    A resumed call finds earlier work in the stores, so the earlier calls of the same
    calibration count too; a call that simulated everything itself (the first, or one with
    --restart) starts the list again."""
    import json

    path = calibration.folder / "calls.json"
    digest = calibration.spec.digest()
    earlier = []
    if calibration.simulated < calibration.replications and path.is_file():
        try:
            earlier = [c for c in json.loads(path.read_text(encoding="utf-8"))
                       if isinstance(c, dict) and c.get("calibration_digest") == digest]
        except (OSError, ValueError):
            earlier = []  # an unreadable log: this call's figures are still right
    return [*earlier, {"calibration_digest": digest,
                       "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
                       "seconds": round(calibration.seconds, 1),
                       "simulated": calibration.simulated}]


def _timing_line(calibration: Calibration, calls: list[dict]) -> str:
    total = sum(c["seconds"] for c in calls)
    simulated = sum(c["simulated"] for c in calls)
    line = (f"Wall time: {total / 60:.1f} minutes in {len(calls)} "
            f"call{'s' if len(calls) > 1 else ''}, which simulated {simulated:,} replications "
            f"({calibration.replications:,} in all stages)")
    if len(calls) > 1:
        line += (f"; this call {calibration.seconds / 60:.1f} minutes, "
                 f"{calibration.simulated:,} simulated, the rest read from the stores")
    return line + "."


def chosen_toml(calibration: Calibration) -> str:
    """The chosen point as a ``[behaviour]`` table, with where it came from."""
    spec = calibration.spec
    lines = [f"# The point chosen by the calibration {spec.source} (fingerprint "
             f"{spec.digest()}),", f"# samenwerkingsim {dependency_versions()['samenwerkingsim']}"
             f", {time.strftime('%Y-%m-%d')}. It meets every target: "
             f"{calibration.chosen['meets_targets']}.",
             "# As the package defaults: set these values in src/samenwerkingsim/model/"
             "params.py; as an override: copy the table into a scenario file.", "",
             "[behaviour]"]
    for name, value in calibration.chosen["values"].items():
        lines.append(f"{name} = {value:.6g}")
    return "\n".join(lines) + "\n"


def report_markdown(calibration: Calibration, calls: list[dict] | None = None) -> str:
    spec = calibration.spec
    space = ParameterSpace(calibration.kept) if calibration.kept else None
    lines = [
        f"# Calibration: {spec.name}", "",
        f"`samenwerkingsim calibrate {Path(spec.source).name}` (fingerprint `{spec.digest()}`, "
        f"samenwerkingsim {dependency_versions()['samenwerkingsim']}, "
        f"{time.strftime('%Y-%m-%d')}). {spec.description}", "",
        _timing_line(calibration, calls or [{"seconds": calibration.seconds,
                                              "simulated": calibration.simulated}]), "",
        "## Method", "",
        "1. **Screening** (Morris 1991; Campolongo et al. 2007; SALib, Herman & Usher 2017) of "
        f"{len(spec.screened)} behavioural parameters (of {len(calibrated_parameters())} with a "
        f"prior) over their priors, {spec.screening_trajectories} trajectories, on every "
        "target's output. "
        f"The {spec.keep} kept are each target's most influential parameter and then the "
        "most influential overall (mu* in units of the target's scale)"
        + (f", and {len(spec.always_keep)} more are kept whatever their influence "
           "(`always_keep`: the pathways of the questions the posterior is to answer)"
           if spec.always_keep else "")
        + "; every other parameter stays at its default.",
        "2. **History matching in waves** (Craig et al. 1997; Vernon et al. 2010): Latin "
        "hypercube samples (scipy.stats.qmc) of the current region; implausibility per target "
        "= distance to the band's centre over the band's standard deviation (a quarter of its "
        "width) and the Monte Carlo error combined; one-sided targets count the Monte Carlo "
        "error only. Points below the wave's cutoff are not implausible; the region shrinks "
        "to their bounding box with a margin.",
        "3. **ABC rejection** (Beaumont et al. 2002) on a reference table sampled uniformly "
        "in the last region, with more replications: a point is accepted when every output "
        f"lies inside its band up to {spec.abc.cutoff:g} Monte Carlo standard deviations. "
        "With uniform priors (in the sampling coordinates: the logarithm for log-uniform "
        "priors) and a uniform proposal on a box holding every non-implausible point, the "
        "accepted points carry equal weights.",
        "4. **The chosen point**: the accepted point nearest the posterior median (in units of "
        "the prior ranges), so it is both typical of the posterior and a point that was "
        "simulated and accepted (a median of the marginals need not be); checked with "
        "many replications, the next nearest if it misses a target by more than two Monte "
        "Carlo standard deviations.",
        "5. **Posterior predictive checks**: posterior draws, each simulated over longer "
        "horizons; bands over the draws.", "",
        "Why this and not ABC-SMC (pyabc): history matching discards most of a wide prior "
        "cheaply with few replications per point, and the stored reference table makes the "
        "ABC step a query, reproducible for any number of workers and resumable, on the "
        "same store as every sweep.", "",
        "## Targets", "",
        "| target | scenario | output | band | source |", "| --- | --- | --- | --- | --- |"]
    for t in spec.targets:
        lines.append(f"| {t.name} | {t.scenario} | {t.output} | [{t.low:g}, {t.high:g}] | "
                     f"{t.source} |")
    lines += ["", "## Screening", ""]
    if calibration.screening:
        influence = calibration.screening["influence"]
        by_influence = [n for n in calibration.kept if n not in spec.always_keep
                        or calibration.kept.index(n) < spec.keep]
        lines.append("Kept by influence: " + ", ".join(f"`{n}` ({influence[n]:.2f})"
                                                        for n in by_influence) + ".")
        also = [n for n in calibration.kept if n not in by_influence]
        if also:
            lines += ["", "Kept whatever their influence (`always_keep`): " + ", ".join(
                f"`{n}` ({influence[n]:.2f})" for n in also) + "."]
        fixed = sorted((n for n in influence if n not in calibration.kept),
                       key=lambda n: -influence[n])
        if fixed:
            weakest = min(by_influence, key=lambda n: influence[n])
            close = [n for n in fixed if influence[n] >= 0.9 * influence[weakest]]
            lines += ["", f"The most influential not kept, `{fixed[0]}`, has "
                      f"{influence[fixed[0]]:.2f} against {influence[weakest]:.2f} for the "
                      f"weakest kept (`{weakest}`); {len(close)} not kept are within 10% of "
                      "it. Influence falls off gradually, so the cut is a choice of "
                      "budget, not a gap: the parameters not kept stay at their defaults and "
                      "their uncertainty is not in the posterior."]
        lines += ["", f"Fixed at their defaults ({len(fixed)}, most influential first): "
                  + ", ".join(f"`{n}`" for n in fixed) + ".", "",
                  "![screening](screening.png)", ""]
    lines += ["## History matching", ""]
    for wave in calibration.waves:
        lines.append(f"- wave {wave['wave']}: {len(wave['u'])} points, cutoff "
                     f"{wave['cutoff']:g}: {int(wave['nroy'].sum())} not implausible "
                     f"({wave['nroy'].mean():.1%})")
    lines += ["", "![implausibility](implausibility.png)", ""]
    if calibration.reference:
        ref = calibration.reference
        lines += ["## ABC", "", f"Reference table: {len(ref['u'])} points; accepted: "
                  f"{int(ref['accepted'].sum())} ({ref['accepted'].mean():.1%}).", ""]
    if calibration.posterior and space is not None:
        post = calibration.posterior
        lines += ["## Posterior", "",
                  "| parameter | prior | posterior median | 90% interval | contraction | "
                  "identified |", "| --- | --- | --- | --- | --- | --- |"]
        for j, name in enumerate(space.names):
            prior = space.priors[j]
            values = np.array([v[name] for v in post["values"]])
            lo, med, hi = np.percentile(values, [5, 50, 95])
            c = post["contraction"][j]
            verdict = ("yes" if c >= IDENTIFIED else "partly" if c >= PARTLY else "no")
            lines.append(f"| `{name}` | {prior.kind} [{prior.low:g}, {prior.high:g}] | "
                         f"{med:.4g} | [{lo:.4g}, {hi:.4g}] | {c:.2f} | {verdict} |")
        lines += ["", f"Contraction is 1 - posterior variance / prior variance in the sampling "
                  f"coordinate: identified from {IDENTIFIED}, partly from {PARTLY}.", "",
                  "![posterior](posterior.png)", "", "![pairs](pairs.png)", ""]
    if calibration.chosen:
        chosen = calibration.chosen
        sizes = ", ".join(f"{k} {v:,}" for k, v in spec.check_replications.items())
        verdict = "meets every target" if chosen["meets_targets"] else "MISSES a target"
        lines += ["## The chosen point", "",
                  f"Checked with {sizes} replications; it {verdict} (the accepted point "
                  f"nearest the posterior median, rank {chosen['rank']}).", "",
                  "| target | band | chosen point | Monte Carlo SD |", "| --- | --- | --- | --- |"]
        for k, t in enumerate(spec.targets):
            y, n = float(chosen["y"][k]), float(chosen["n"][k])
            lines.append(f"| {t.name} | [{t.low:g}, {t.high:g}] | {y:.3f} | "
                         f"{math.sqrt(max(y * (1 - y), 0.25 / n) / n):.3f} |")
        lines += ["", "Values (`chosen.toml`):", "", "| parameter | value |", "| --- | --- |"]
        lines += [f"| `{n}` | {format_cell(v)} |" for n, v in chosen["values"].items()]
        lines.append("")
    if calibration.predictive:
        pred = calibration.predictive
        lines += ["## Posterior predictive checks", "",
                  f"{len(pred['draws'])} posterior draws, each simulated with "
                  + ", ".join(f"{k} {v}" for k, v in spec.predictive_replications.items())
                  + " replications. Coverage: the share of draws whose output lies inside "
                  "the target's band.", "", "| target | band | coverage |", "| --- | --- | --- |"]
        for k, t in enumerate(spec.targets):
            lines.append(f"| {t.name} | [{t.low:g}, {t.high:g}] | {pred['coverage'][k]:.0%} |")
        lines += ["", "![national](predictive_national.png)", "",
                  "![success cases](predictive_cases.png)", ""]
    if calibration.conflicts:
        lines += ["## The targets could not all be met", "",
                  *[f"- {line}" for line in calibration.conflicts], ""]
    lines += ["## References", "",
              "- Beaumont, M. A., Zhang, W. & Balding, D. J. (2002). Approximate Bayesian "
              "computation in population genetics. *Genetics* 162(4), 2025-2035.",
              "- Campolongo, F., Cariboni, J. & Saltelli, A. (2007). An effective screening "
              "design for sensitivity analysis of large models. *Environmental Modelling & "
              "Software* 22(10), 1509-1518.",
              "- Craig, P. S., Goldstein, M., Seheult, A. H. & Smith, J. A. (1997). Pressure "
              "matching for hydrocarbon reservoirs. In *Case Studies in Bayesian Statistics* "
              "III, 37-93.",
              "- Grimm, V. et al. (2005). Pattern-oriented modeling of agent-based complex "
              "systems. *Science* 310(5750), 987-991.",
              "- Herman, J. & Usher, W. (2017). SALib: an open-source Python library for "
              "sensitivity analysis. *Journal of Open Source Software* 2(9), 97.",
              "- Morris, M. D. (1991). Factorial sampling plans for preliminary computational "
              "experiments. *Technometrics* 33(2), 161-174.",
              "- Vernon, I., Goldstein, M. & Bower, R. G. (2010). Galaxy formation: a Bayesian "
              "uncertainty analysis. *Bayesian Analysis* 5(4), 619-669.", ""]
    return "\n".join(lines)


def _figures(calibration: Calibration) -> list[Path]:
    from ..plotting import new_figure, save_figure
    from ..plotting.calibration import (
        plot_implausibility,
        plot_pairs,
        plot_posterior_marginals,
        plot_predictive,
        plot_screening,
    )

    folder, spec = calibration.folder, calibration.spec
    metadata = {"Software": f"samenwerkingsim {dependency_versions()['samenwerkingsim']}",
                "Description": f"calibration {spec.name}; fingerprint {spec.digest()}; "
                               f"seed {spec.seed}"}
    written = []
    if calibration.screening:
        fig, ax = new_figure(figsize=(8, 7))
        plot_screening(calibration, ax=ax)
        written.append(save_figure(fig, folder / "screening.png", metadata))
    if calibration.waves:
        fig, ax = new_figure(figsize=(7, 4))
        plot_implausibility(calibration, ax=ax)
        written.append(save_figure(fig, folder / "implausibility.png", metadata))
    if calibration.posterior:
        axes = plot_posterior_marginals(calibration)
        written.append(save_figure(axes[0].figure, folder / "posterior.png", metadata))
        axes = plot_pairs(calibration)
        # thousands of points: a lower resolution keeps the file small
        written.append(save_figure(axes[0, 0].figure, folder / "pairs.png", metadata, dpi=100))
    if calibration.predictive:
        labels = [b.label for b in spec.bases]
        national = [label for label in labels if label == "national"] or labels[:1]
        fig, ax = new_figure(figsize=(8, 5))
        plot_predictive(calibration, national[0], ax=ax)
        written.append(save_figure(fig, folder / "predictive_national.png", metadata))
        others = [label for label in labels if label not in national]
        if others:
            fig, axes = new_figure(1, len(others), figsize=(6 * len(others), 4.5),
                                   squeeze=False)
            for ax, label in zip(axes[0], others, strict=True):
                plot_predictive(calibration, label, ax=ax)
            written.append(save_figure(fig, folder / "predictive_cases.png", metadata))
    return written
