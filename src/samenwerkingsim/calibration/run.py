"""The calibration: screen, history-match in waves, ABC on the non-implausible region, choose
and check a point, and check the posterior's predictions.

Every stage is a sweep on the experiment layer (its own store in a sub-folder, so an
interrupted calibration resumes without recomputing a finished chunk, on local processes or a
Dask cluster, with the same results for any number of workers). Each stage's points follow
deterministically from the file and the stages before, so a rerun finds them all in the
stores.

1. **Screening** (Morris 1991; Campolongo et al. 2007, with SALib): every behavioural
   parameter with a prior, over its prior, on every target's output. A parameter's influence
   on a target is its mu* divided by the target's scale (a quarter of the band width, or 0.05
   for a one-sided target). The ``keep`` parameters that go on are each target's most
   influential one, then the rest by their largest influence over the targets, and the
   ``always_keep`` parameters whatever their influence; the others stay at their defaults.
2. **History matching** (Craig et al. 1997; Vernon et al. 2010): each wave samples the current
   region with a Latin hypercube (scipy.stats.qmc), computes every target's implausibility
   (see :mod:`.inference`), keeps the points whose largest implausibility is below the cutoff,
   and shrinks the region to their bounding box (with a margin of a tenth of its width).
3. **ABC rejection** (Beaumont et al. 2002): a reference table sampled uniformly in the last
   region, with more replications; a point is accepted when every output lies inside its band
   up to ``tolerance`` Monte Carlo standard deviations. The priors are uniform in their
   sampling coordinates and the proposal is uniform on a box inside them that holds every
   non-implausible point, so the accepted points carry equal weights.
4. **The chosen point**: the accepted point nearest the posterior median (in units of the
   prior ranges), checked with many replications; if it misses a target by more than two
   Monte Carlo standard deviations, the next nearest.
5. **Posterior predictive checks**: draws from the posterior, each run over the predictive
   horizons; bands over draws.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..experiments.spec import build_experiment
from ..experiments.sweep import run_sweep
from ..model.params import Behaviour, field_specs
from ..output.folders import FolderLock, check_folder_path
from .inference import exceedance, implausibility
from .spec import CalibrationSpec

__all__ = ["Calibration", "ParameterSpace", "StageFailed", "calibrate"]

_BEHAVIOUR = field_specs(Behaviour)
ONE_SIDED_SCALE = 0.05  # the scale of a one-sided target in the screening
MARGIN = 0.1            # of the region's width, added around the non-implausible points
CHECK_LIMIT = 2.0       # Monte Carlo SDs a checked point may miss a target by
MAX_CHECKS = 10


class StageFailed(Exception):
    """Points of a stage raised: the stage's results would be biased without them."""

    def __init__(self, stage: str, folder: Path, failures: list[dict]):
        points = sorted({f["point"] for f in failures})
        super().__init__(
            f"{len(points)} point(s) of the calibration's {stage} stage failed (the first: "
            f"{failures[0]['error']}); the tracebacks are in the failures table of "
            f"{folder}/store.sqlite. Nothing was estimated from the stage: run the same "
            "command to retry them")
        self.stage, self.folder, self.points = stage, folder, points


@dataclass(frozen=True)
class ParameterSpace:
    """Behavioural parameters in their sampling coordinates: the value for a uniform prior,
    its logarithm for a log-uniform one."""

    names: tuple[str, ...]

    @property
    def priors(self):
        return [_BEHAVIOUR[n].metadata["prior"] for n in self.names]

    @property
    def bounds(self) -> np.ndarray:
        return np.array([(math.log(p.low), math.log(p.high)) if p.kind == "loguniform"
                         else (p.low, p.high) for p in self.priors])

    def values(self, row) -> dict[str, float]:
        return {n: float(math.exp(u) if p.kind == "loguniform" else u)
                for n, p, u in zip(self.names, self.priors, row, strict=True)}

    def coordinates(self, values: dict[str, float]) -> np.ndarray:
        return np.array([math.log(values[n]) if p.kind == "loguniform" else values[n]
                         for n, p in zip(self.names, self.priors, strict=True)])

    def defaults(self) -> np.ndarray:
        return self.coordinates({n: _BEHAVIOUR[n].default for n in self.names})


@dataclass(eq=False)
class Calibration:
    """Everything a calibration found; written out by :mod:`samenwerkingsim.output.calibration`."""

    spec: CalibrationSpec
    folder: Path
    screening: dict[str, np.ndarray] = field(default_factory=dict)
    kept: tuple[str, ...] = ()
    waves: list[dict] = field(default_factory=list)
    reference: dict = field(default_factory=dict)
    posterior: dict = field(default_factory=dict)
    chosen: dict = field(default_factory=dict)
    checks: list[dict] = field(default_factory=list)
    predictive: dict = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)
    replications: int = 0
    simulated: int = 0
    seconds: float = 0.0

    @property
    def succeeded(self) -> bool:
        return bool(self.chosen) and self.chosen.get("meets_targets", False)


# --------------------------------------------------------------------------------------------


def calibrate(spec: CalibrationSpec, out, *, executor_factory=None, restart: bool = False,
              progress: Callable[[str, int, int], None] | None = None) -> Calibration:
    """Run (or resume) a calibration into the folder ``out``."""
    started = time.perf_counter()
    folder = check_folder_path(out)
    folder.mkdir(parents=True, exist_ok=True)
    lock = FolderLock(folder)  # one calibration at a time; the stages lock their own folders
    lock.acquire(str(out))
    try:
        result = Calibration(spec, folder)
        runner = _StageRunner(spec, folder, executor_factory, restart, progress, result)
        _screen(spec, runner, result)
        space = ParameterSpace(result.kept)
        region = space.bounds
        nroy = None
        for i, wave in enumerate(spec.waves):
            record = _history_match(spec, runner, space, region, wave, i)
            result.waves.append(record)
            nroy = record["u"][record["nroy"]]
            if not len(nroy):
                result.conflicts = _conflicts(spec, record, space.names)
                break
            region = _shrink(nroy, region, space.bounds)
        if nroy is not None and len(nroy):
            result.reference = _reference_table(spec, runner, space, region)
            accepted = result.reference["accepted"]
            if accepted.any():
                result.posterior = _posterior(space, result.reference)
                _choose(spec, runner, space, result)
                _predict(spec, runner, space, result)
            else:
                result.conflicts = _conflicts(spec, result.reference, space.names)
        result.seconds = time.perf_counter() - started
        return result
    finally:
        lock.release()


class _StageRunner:
    """Runs the points of a stage as a sweep in its own sub-folder (resumable)."""

    def __init__(self, spec, folder, executor_factory, restart, progress, result):
        self.spec, self.folder = spec, folder
        self.executor_factory, self.restart = executor_factory, restart
        self.progress, self.result = progress, result

    def outputs(self, stage: str, values: list[dict[str, float]], replications: dict,
                horizons: dict | None = None):
        """Run every point on every scenario; return the sweep's table by (scenario, point)."""
        horizons = horizons or self.spec.horizons
        design = [tuple((f"behaviour.{k}", v) for k, v in point.items()) for point in values]
        runs = {label: {"replications": replications[label],
                        "horizon_years": horizons[label]} for label in replications}
        experiment = build_experiment(f"{self.spec.name}-{stage}", self.spec.source,
                                      list(self.spec.bases), design, runs, self.spec.seed)
        total = experiment.total_replications
        self.result.replications += total

        def report(replications, points_done):
            if self.progress is not None:
                self.progress(stage, replications, total)

        sweep = run_sweep(experiment, self.folder / stage, restart=self.restart,
                          executor_factory=self.executor_factory, progress=report)
        self.result.simulated += sweep.replications_run
        if sweep.failures:
            # a failed point has no outputs: it would count as implausible (or as having no
            # influence in the screening) and bias the stage; rerunning retries it
            raise StageFailed(stage, self.folder / stage, sweep.failures)
        n_design = len(values)
        by_scenario = {}
        for b, base in enumerate(self.spec.bases):
            rows = slice(b * n_design, (b + 1) * n_design)
            by_scenario[base.label] = {k: np.asarray(v)[rows] for k, v in sweep.table.items()}
        return by_scenario, sweep


def _target_matrix(spec: CalibrationSpec, table: dict, replications: dict) -> tuple:
    """(outputs, replications) arrays, one column per target."""
    y = np.column_stack([np.asarray(table[t.scenario][t.output], dtype=float)
                         for t in spec.targets])
    n = np.column_stack([np.full(len(y), replications[t.scenario]) for t in spec.targets])
    return y, n


def _screen(spec: CalibrationSpec, runner: _StageRunner, result: Calibration) -> None:
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    space = ParameterSpace(spec.screened)
    problem = {"num_vars": len(space.names), "names": list(space.names),
               "bounds": space.bounds.tolist()}
    design = morris_sample.sample(problem, spec.screening_trajectories, num_levels=4,
                                  seed=spec.seed % 2**32)
    table, _ = runner.outputs("screening", [space.values(row) for row in design],
                              spec.screening_replications)
    y, _ = _target_matrix(spec, table, spec.screening_replications)
    rng = np.random.default_rng(spec.seed % 2**32)
    scaled = np.zeros((len(spec.targets), len(space.names)))
    rows = {"target": [], "parameter": [], "mu_star": [], "mu_star_conf": [], "scaled": []}
    for k, target in enumerate(spec.targets):
        scale = (0.25 * (target.high - target.low) if target.kind == "band"
                 else ONE_SIDED_SCALE)
        indices = morris_analyze.analyze(problem, design, y[:, k], num_levels=4,
                                         num_resamples=200, seed=rng)
        mu_star = np.asarray(indices["mu_star"], dtype=float)
        mu_star = np.where(np.isfinite(mu_star), mu_star, 0.0)
        scaled[k] = mu_star / scale
        for j, name in enumerate(space.names):
            rows["target"].append(target.name)
            rows["parameter"].append(name)
            rows["mu_star"].append(float(mu_star[j]))
            rows["mu_star_conf"].append(float(indices["mu_star_conf"][j]))
            rows["scaled"].append(float(mu_star[j] / scale))
    influence = scaled.max(axis=0)
    kept = list(dict.fromkeys(int(np.argmax(row)) for row in scaled if row.max() > 0))
    kept += [j for j in np.argsort(-influence, kind="stable") if j not in kept]
    by_influence = [space.names[j] for j in kept[:spec.keep]]
    result.kept = tuple(by_influence + [n for n in spec.always_keep if n not in by_influence])
    result.screening = {**{k: np.array(v, dtype=object if k in ("target", "parameter")
                                       else float) for k, v in rows.items()},
                        "influence": dict(zip(space.names, influence.tolist(), strict=True))}


def _lhs(region: np.ndarray, n: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    sampler = qmc.LatinHypercube(d=len(region), seed=np.random.default_rng(seed))
    return qmc.scale(sampler.random(n), region[:, 0], region[:, 1])


def _history_match(spec, runner, space, region, wave, i) -> dict:
    u = _lhs(region, wave.points, spec.seed + 101 * (i + 1))
    table, _ = runner.outputs(f"wave{i + 1}", [space.values(row) for row in u],
                              wave.replications)
    y, n = _target_matrix(spec, table, wave.replications)
    scores = np.column_stack([implausibility(t, y[:, k], n[:, k])
                              for k, t in enumerate(spec.targets)])
    worst = scores.max(axis=1)
    return {"wave": i + 1, "u": u, "y": y, "n": n, "implausibility": scores,
            "max_implausibility": worst, "nroy": worst <= wave.cutoff, "cutoff": wave.cutoff,
            "region": region.copy()}


def _shrink(points: np.ndarray, region: np.ndarray, prior: np.ndarray) -> np.ndarray:
    low, high = points.min(axis=0), points.max(axis=0)
    margin = MARGIN * (region[:, 1] - region[:, 0])
    return np.column_stack([np.maximum(low - margin, prior[:, 0]),
                            np.minimum(high + margin, prior[:, 1])])


def _reference_table(spec, runner, space, region) -> dict:
    stage = spec.abc
    u = _lhs(region, stage.points, spec.seed + 7919)
    table, _ = runner.outputs("abc", [space.values(row) for row in u], stage.replications)
    y, n = _target_matrix(spec, table, stage.replications)
    distances = np.column_stack([exceedance(t, y[:, k], n[:, k])
                                 for k, t in enumerate(spec.targets)])
    implaus = np.column_stack([implausibility(t, y[:, k], n[:, k])
                               for k, t in enumerate(spec.targets)])
    return {"u": u, "y": y, "n": n, "exceedance": distances, "implausibility": implaus,
            "accepted": distances.max(axis=1) <= stage.cutoff, "region": region.copy(),
            "tolerance": stage.cutoff}


def _posterior(space: ParameterSpace, reference: dict) -> dict:
    accepted = reference["accepted"]
    u = reference["u"][accepted]
    weights = np.full(len(u), 1.0 / len(u))
    prior = space.bounds
    prior_var = (prior[:, 1] - prior[:, 0]) ** 2 / 12.0
    mean = weights @ u
    var = weights @ (u - mean) ** 2
    return {"u": u, "y": reference["y"][accepted], "weights": weights,
            "median": np.median(u, axis=0), "mean": mean, "sd": np.sqrt(var),
            "contraction": 1.0 - var / prior_var,
            "values": [space.values(row) for row in u]}


def _choose(spec, runner, space, result) -> None:
    posterior = result.posterior
    width = space.bounds[:, 1] - space.bounds[:, 0]
    distance = np.sqrt((((posterior["u"] - posterior["median"]) / width) ** 2).sum(axis=1))
    candidates = np.argsort(distance, kind="stable")[:MAX_CHECKS]
    for rank, index in enumerate(candidates):
        values = space.values(posterior["u"][index])
        table, _ = runner.outputs(f"check{rank + 1}", [values], spec.check_replications)
        y, n = _target_matrix(spec, table, spec.check_replications)
        misses = np.array([exceedance(t, y[:, k], n[:, k])[0]
                           for k, t in enumerate(spec.targets)])
        check = {"rank": rank + 1, "values": values, "y": y[0], "n": n[0],
                 "exceedance": misses, "meets_targets": bool((misses <= CHECK_LIMIT).all()),
                 "distance_to_median": float(distance[index])}
        result.checks.append(check)
        if check["meets_targets"]:
            result.chosen = check
            return
    result.chosen = {**result.checks[0], "meets_targets": False}


def _predict(spec, runner, space, result) -> None:
    posterior = result.posterior
    rng = np.random.default_rng(spec.seed % 2**32 + 17)
    draws = rng.choice(len(posterior["u"]), size=spec.predictive_draws, replace=True,
                       p=posterior["weights"])
    values = [space.values(posterior["u"][i]) for i in draws]
    table, sweep = runner.outputs("predictive", values, spec.predictive_replications,
                                  spec.predictive_horizons)
    curves = sweep.curves_by_point
    n_design = len(values)
    per_scenario = {}
    for b, base in enumerate(spec.bases):
        points = [curves[b * n_design + i] for i in range(n_design)]
        per_scenario[base.label] = points
    y, n = _target_matrix(spec, table, spec.predictive_replications)
    inside = np.column_stack([(y[:, k] >= t.low) & (y[:, k] <= t.high)
                              for k, t in enumerate(spec.targets)])
    result.predictive = {"draws": draws, "curves": per_scenario, "y": y, "n": n,
                         "coverage": inside.mean(axis=0)}


def _conflicts(spec: CalibrationSpec, record: dict, names) -> list[str]:
    """Which targets could not be met together, and which parameters pull them apart, by
    the measure the stage accepted points with: the implausibility in a wave, the
    exceedance in the reference table."""
    if "tolerance" in record:
        scores, cutoff = record["exceedance"], record["tolerance"]
    else:
        scores, cutoff = record["implausibility"], record["cutoff"]
    ok = scores <= cutoff
    lines = []
    for k, target in enumerate(spec.targets):
        lines.append(f"{target.name}: met at {ok[:, k].mean():.0%} of the points")
    for a in range(len(spec.targets)):
        for b in range(a + 1, len(spec.targets)):
            both = (ok[:, a] & ok[:, b]).mean()
            if ok[:, a].mean() > 0.05 and ok[:, b].mean() > 0.05 and both < 0.01:
                lines.append(f"{spec.targets[a].name} and {spec.targets[b].name} conflict: "
                             f"each is met at some points, both at {both:.1%}")
    u = record["u"]
    for k, target in enumerate(spec.targets):
        corr = [float(np.corrcoef(u[:, j], scores[:, k])[0, 1]) if np.std(u[:, j]) > 0
                else 0.0 for j in range(u.shape[1])]
        order = np.argsort(-np.abs(corr))[:3]
        lines.append(f"{target.name}: its implausibility correlates most with "
                     + ", ".join(f"{names[j]} ({corr[j]:+.2f})" for j in order))
    return lines
