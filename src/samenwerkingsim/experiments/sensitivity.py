"""Sensitivity of the stability outputs to the factors of an experiment: Morris elementary
effects or Sobol' indices, with bootstrap intervals and the Monte Carlo noise of each output.

The samplers and the estimators are SALib's (Herman & Usher 2017): the design of a ``morris``
or ``sobol`` experiment comes from ``SALib.sample`` (:func:`.spec.design_points`) and the
indices from ``SALib.analyze.morris`` (Morris 1991; Campolongo et al. 2007) and
``SALib.analyze.sobol`` (Saltelli 2002; Saltelli et al. 2010). What is added here is what
SALib leaves out because it assumes a deterministic model:

- **Monte Carlo noise.** Each output of a point (S(5y), S(10y), the 10-year cumulative
  incidences of merger and dissolution) is a proportion of the point's replications: every
  replication runs to the horizon, so censoring happens only there and the estimate's variance
  is p (1 - p) / n. Its mean over the points, set against the variance of the output over the
  points, is the share of the output's variation that noise could explain
  (:func:`monte_carlo_noise`). With common random numbers (the default) the noise of the
  points is positively correlated and cancels partly in differences between points, so the
  share is an upper bound for what noise contributes to the indices.
- **A flag per index**, saying whether it can be told from that noise (see :func:`analyse`).
- **A bootstrap interval for Morris' sigma** (SALib gives one for mu* only).

References
----------
Morris, M. D. (1991). Factorial sampling plans for preliminary computational experiments.
    Technometrics 33(2), 161-174. doi:10.1080/00401706.1991.10484804
Campolongo, F., Cariboni, J., & Saltelli, A. (2007). An effective screening design for
    sensitivity analysis of large models. Environmental Modelling & Software 22(10),
    1509-1518. doi:10.1016/j.envsoft.2006.10.004
Saltelli, A. (2002). Making best use of model evaluations to compute sensitivity indices.
    Computer Physics Communications 145(2), 280-297. doi:10.1016/S0010-4655(02)00280-1
Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M., & Tarantola, S. (2010).
    Variance based sensitivity analysis of model output. Computer Physics Communications
    181(2), 259-270. doi:10.1016/j.cpc.2009.09.018
Herman, J., & Usher, W. (2017). SALib: An open-source Python library for sensitivity
    analysis. Journal of Open Source Software 2(9), 97. doi:10.21105/joss.00097
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from ..analysis import SUMMARY_YEARS
from ..scenarios.errors import Problem
from .spec import Experiment, ExperimentError
from .tables import plain_rows

__all__ = ["INDEX_COLUMNS", "METHODS", "NOISE_COLUMNS", "OUTPUT_YEARS", "SENSITIVITY_OUTPUTS",
           "SensitivityResult", "analyse", "check_analysable", "is_constant", "monte_carlo_noise",
           "morris_step", "short_factor_names"]

#: The outputs analysed by default, in the order of the tables and panels.
SENSITIVITY_OUTPUTS = ("s_10y", "merger_10y", "dissolution_10y", "s_5y")
#: The design kinds that have a sensitivity estimator.
METHODS = ("morris", "sobol")
#: Outputs that are proportions of a point's replications, and the years each needs.
OUTPUT_YEARS = {**{f"s_{y}y": y for y in SUMMARY_YEARS}, "dissolution_10y": 10,
                "merger_10y": 10}
#: The columns of :attr:`SensitivityResult.indices` after ``output`` and ``factor``.
INDEX_COLUMNS = {
    "morris": ("mu", "mu_star", "mu_star_low", "mu_star_high", "sigma", "sigma_low",
               "sigma_high", "mu_star_above_noise"),
    "sobol": ("S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high", "S1_above_noise",
              "ST_above_noise"),
}
#: The columns of :attr:`SensitivityResult.noise`; Morris adds ``elementary_effect_noise``.
NOISE_COLUMNS = ("output", "mean", "mc_variance", "output_variance", "noise_share",
                 "mc_standard_error")

# SALib's Morris estimator bootstraps mu* itself; in the sigma bootstrap that interval is not
# used, so it runs with the fewest resamples its standard deviation (ddof=1) allows
_UNUSED_RESAMPLES = 2


@dataclass(frozen=True, eq=False)
class SensitivityResult:
    """The sensitivity indices of the outputs of an experiment, and their Monte Carlo noise.

    Attributes
    ----------
    method : {"morris", "sobol"}
    experiment : Experiment
    outputs : tuple of str
        The outputs analysed, in table order (columns of the sweep's ``points.csv``).
    indices : dict of str to ndarray
        One row per output and factor: ``output``, ``factor`` and :data:`INDEX_COLUMNS`.
        Morris: ``mu`` (mean elementary effect), ``mu_star`` (mean absolute effect),
        ``sigma`` (their standard deviation), each in the output's units per whole range of
        the factor in its sampling coordinate (the logarithm for a loguniform factor).
        Sobol: first-order ``S1`` and total ``ST`` shares of the output's variance. ``_low``
        and ``_high`` bound the bootstrap interval at ``confidence``; ``*_above_noise`` says
        whether the index can be told from Monte Carlo noise.
    noise : dict of str to ndarray
        One row per output: :data:`NOISE_COLUMNS` (see :func:`monte_carlo_noise`), and for
        Morris ``elementary_effect_noise``.
    confidence : float
        Level of the intervals.
    bootstrap : int
        Resamples behind each interval.
    seed : int
        Seed of the bootstrap resampling.
    n_points : int
        Design points analysed.
    """

    method: str
    experiment: Experiment
    outputs: tuple[str, ...]
    indices: dict[str, np.ndarray]
    noise: dict[str, np.ndarray]
    confidence: float
    bootstrap: int
    seed: int
    n_points: int

    @property
    def factors(self) -> list[str]:
        return [f.key for f in self.experiment.factors]

    @property
    def index_names(self) -> tuple[str, ...]:
        """The main indices of the method: ``mu_star, sigma`` or ``S1, ST``."""
        return ("mu_star", "sigma") if self.method == "morris" else ("S1", "ST")

    def records(self) -> list[dict]:
        """One dict per output and factor, with plain Python values (None for NaN)."""
        return plain_rows(self.indices)

    def noise_records(self) -> list[dict]:
        """One dict per output: its Monte Carlo noise."""
        return plain_rows(self.noise)

    def rows(self, output: str) -> dict[str, np.ndarray]:
        """The index table of one output, one row per factor in factor order."""
        if output not in self.outputs:
            raise ValueError(f"output {output!r} was not analysed; analysed: "
                             f"{', '.join(self.outputs)}")
        keep = self.indices["output"] == output
        return {name: column[keep] for name, column in self.indices.items()}

    def noise_of(self, output: str) -> dict:
        """The noise row of one output as a dict."""
        return self.noise_records()[self.outputs.index(output)]

    def plot(self, ax=None, output: str = "s_10y"):
        """Horizontal bars of the indices of ``output``, one pair per factor, sorted, with
        their intervals and the noise level; returns the Axes."""
        from ..plotting.sensitivity import plot_sensitivity

        return plot_sensitivity(self, output=output, ax=ax)

    def summary_text(self) -> str:
        """A compact table for the terminal: the indices of every output per factor."""
        return _summary_text(self)

    def report_markdown(self) -> str:
        """The ``report.md`` of the analysis: what was run, the tables, the noise, what
        matters, and the references."""
        from ..output.sensitivity import render_report

        return render_report(self)


# --------------------------------------------------------------------------------------------
# Checks


def check_analysable(experiment: Experiment,
                     outputs: Sequence[str] = SENSITIVITY_OUTPUTS) -> None:
    """Check, before any simulation, that an experiment can be given a sensitivity analysis.

    It needs a ``morris`` or ``sobol`` design, one base scenario (the estimators read the
    points as one design matrix) and, at every point, a horizon that reaches each output's
    year.

    Raises
    ------
    ExperimentError
        Naming every problem, with what to change.
    ValueError
        For an output that is not a proportion of the replications (see
        :data:`OUTPUT_YEARS`).
    """
    unknown = [o for o in outputs if o not in OUTPUT_YEARS]
    if unknown or not outputs:
        raise ValueError(f"outputs: found {list(outputs)!r}; allowed: one or more of "
                         f"{', '.join(map(repr, OUTPUT_YEARS))} (proportions of a point's "
                         "replications)")
    problems = []
    if experiment.design.kind not in METHODS:
        problems.append(Problem("design.kind", (
            f"found {experiment.design.kind!r}; a sensitivity analysis needs "
            f"{' or '.join(map(repr, METHODS))} (a {experiment.design.kind} design has no "
            "sensitivity estimator)")))
    if len(experiment.scenario_paths) > 1:
        problems.append(Problem("scenarios", (
            f"found {len(experiment.scenario_paths)} base scenarios; a sensitivity analysis "
            "reads the points as one design, so give one base scenario (an experiment file "
            "per scenario)")))
    needed = max(OUTPUT_YEARS[o] for o in outputs)
    short = [p.index for p in experiment.points
             if p.scenario.run.horizon_months < 12 * needed]
    if short:
        horizon = experiment.points[short[0]].scenario.run.horizon_months / 12
        problems.append(Problem("run.horizon_years", (
            f"{len(short)} point(s) end at {horizon:g} years (point {short[0]} first); "
            f"the outputs {', '.join(outputs)} need a horizon of at least {needed} years")))
    if problems:
        raise ExperimentError(experiment.source, problems)


def _output_values(result, outputs: Sequence[str]) -> dict[str, np.ndarray]:
    """Each output over the points, after checking that every point finished."""
    table = result.table
    status = np.asarray(table["status"])
    failed = np.flatnonzero(status != "ok")
    if failed.size:
        raise ValueError(
            f"{failed.size} point(s) of {result.experiment.name} did not finish (points "
            f"{failed[:10].tolist()}); the estimators need every point: rerun the sweep to "
            "retry them")
    values = {}
    for output in outputs:
        y = np.asarray(table[output], dtype=float)
        missing = np.flatnonzero(~np.isfinite(y))
        if missing.size:
            raise ValueError(
                f"{output} is undefined at {missing.size} point(s) (points "
                f"{missing[:10].tolist()}); is the horizon shorter than "
                f"{OUTPUT_YEARS.get(output, '?')} years?")
        values[output] = y
    return values


# --------------------------------------------------------------------------------------------
# Noise


#: Proportions from at most a million replications differ by 1e-6 or more; closer values
#: differ only by rounding (the incidences are computed, not counted).
_SAME = 1e-12


def is_constant(values: np.ndarray) -> bool:
    """Whether an output takes one value over the whole design (up to rounding)."""
    return values.size < 2 or float(np.ptp(values)) <= _SAME


def morris_step(levels: int) -> float:
    """The Morris step Delta as a share of a factor's range: p / (2 (p - 1)) for p levels
    (Morris 1991; SALib's choice)."""
    return levels / (2.0 * (levels - 1))


def monte_carlo_noise(values: np.ndarray, replications: np.ndarray) -> dict[str, float]:
    """The Monte Carlo noise of a proportion estimated at each point of a design.

    Parameters
    ----------
    values : ndarray
        The estimated proportion p_i at each point, in [0, 1].
    replications : ndarray
        The replications n_i behind each estimate.

    Returns
    -------
    dict
        ``mean``: mean of p_i over the points; ``mc_variance``: mean over the points of the
        estimate's variance p_i (1 - p_i) / n_i (a binomial proportion: every replication
        runs to the horizon, so there is no censoring before it); ``output_variance``:
        variance of p_i over the points (ddof 1); ``noise_share``: their ratio, the share of
        the output's variation across points that Monte Carlo noise could explain (NaN when
        the output does not vary); ``mc_standard_error``: sqrt(mc_variance), the typical
        standard error of one point's estimate.

    Notes
    -----
    With common random numbers the noise of different points is positively correlated, so
    part of it is the same at every point and does not move the indices: the share is then an
    upper bound for the share of the indices' variance that noise explains.
    """
    p = np.asarray(values, dtype=float)
    n = np.asarray(replications, dtype=float)
    mc_variance = float(np.mean(p * (1.0 - p) / n))
    spread = 0.0 if is_constant(p) else float(np.var(p, ddof=1))
    return {"mean": float(np.mean(p)), "mc_variance": mc_variance, "output_variance": spread,
            "noise_share": mc_variance / spread if spread > 0 else float("nan"),
            "mc_standard_error": float(np.sqrt(mc_variance))}


def _noise_table(method: str, levels: int, values: dict[str, np.ndarray],
                 replications: np.ndarray) -> dict[str, np.ndarray]:
    rows = [{"output": output, **monte_carlo_noise(y, replications)}
            for output, y in values.items()]
    if method == "morris":
        for row in rows:
            # an elementary effect is a difference of two points' estimates over a step of
            # Delta ranges; with independent noise its standard deviation is this
            row["elementary_effect_noise"] = np.sqrt(2.0 * row["mc_variance"]) / morris_step(
                levels)
    return {name: np.array([row[name] for row in rows], dtype=object if name == "output"
                           else float) for name in rows[0]}


# --------------------------------------------------------------------------------------------
# The estimators


def analyse(result, outputs: Sequence[str] = SENSITIVITY_OUTPUTS, confidence: float = 0.95,
            bootstrap: int = 1000, seed: int | None = None) -> SensitivityResult:
    """Morris or Sobol' sensitivity indices of a finished sweep, with their Monte Carlo noise.

    The method follows the experiment's design. Morris (Morris 1991; Campolongo et al.
    2007): SALib's ``morris.analyze`` gives mu, mu* and sigma of the elementary effects and a
    bootstrap interval for mu*; sigma gets one here by resampling whole trajectories (the
    D + 1 rows of each, so the effects of one trajectory stay together) with replacement and
    re-running SALib's estimator on each resample. Sobol' (Saltelli 2002; Saltelli et al.
    2010): SALib's ``sobol.analyze`` without second-order terms gives S1 and ST with
    bootstrap intervals. Every interval is SALib's: the estimate plus or minus z times the
    standard deviation of the bootstrap estimates (z of ``confidence``), cut at 0 for mu*
    and sigma, which cannot be negative.

    An index is flagged as above noise by a simple rule:

    - Morris: mu* is larger than the standard deviation an elementary effect would have from
      Monte Carlo noise alone, sqrt(2 v) / Delta, with v the mean Monte Carlo variance of a
      point and Delta the Morris step (:func:`morris_step`). Pure noise with independent
      streams would give mu* of about 0.8 times that. With common random numbers the noise in
      a difference of two points is smaller than with independent streams, so the rule is
      conservative.
    - Sobol': the interval excludes 0 and the index is larger than the noise share of the
      output's variance (:func:`monte_carlo_noise`). Noise independent across points adds
      about that share to every ST and takes it from the S1; with common random numbers it
      is an upper bound.

    Parameters
    ----------
    result : SweepResult
        A finished sweep (``.experiment`` and ``.table``, one row per point in point order).
    outputs : sequence of str
        Columns of the points table, each a proportion of the replications (default
        :data:`SENSITIVITY_OUTPUTS`).
    confidence : float
        Level of the intervals, in (0, 1).
    bootstrap : int
        Bootstrap resamples, at least 2.
    seed : int, optional
        Seed of the resampling; default the experiment's run seed, so the intervals are
        reproducible. Each output has its own stream, derived from the seed and its name.

    Raises
    ------
    ExperimentError
        For a design other than morris or sobol, more than one base scenario, or a horizon
        shorter than an output's year (:func:`check_analysable`).
    ValueError
        When a point did not finish, an output is unknown or undefined somewhere, or an
        argument is out of range.
    """
    experiment = result.experiment
    outputs = tuple(outputs)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), found {confidence!r}")
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int) or bootstrap < 2:
        raise ValueError(f"bootstrap must be a whole number of at least 2, found {bootstrap!r}")
    check_analysable(experiment, outputs)
    values = _output_values(result, outputs)
    seed = experiment.seed if seed is None else seed
    X = np.asarray(experiment.sample, dtype=float)
    if X.shape[0] != len(result.table["status"]):
        raise ValueError(f"the sweep has {len(result.table['status'])} points but the design "
                         f"matrix {X.shape[0]} rows; is the result of another experiment?")
    method = experiment.design.kind
    problem = _problem(experiment)
    estimate = _morris_indices if method == "morris" else _sobol_indices
    parts = [estimate(problem, X, values[o], experiment.design.levels, confidence, bootstrap,
                      _output_rng(seed, o)) for o in outputs]
    noise = _noise_table(method, experiment.design.levels, values,
                         np.asarray(result.table["n_replications"]))
    indices = _stack(outputs, [f.key for f in experiment.factors], parts)
    _flag(method, indices, noise)
    return SensitivityResult(method=method, experiment=experiment, outputs=outputs,
                             indices=indices, noise=noise, confidence=confidence,
                             bootstrap=bootstrap, seed=seed, n_points=X.shape[0])


def _problem(experiment: Experiment) -> dict:
    """SALib's problem: the factors' names and bounds in their sampling coordinates, as the
    design was drawn (:func:`.spec.design_points`)."""
    return {"num_vars": len(experiment.factors),
            "names": [f.key for f in experiment.factors],
            "bounds": [list(f.bounds()) for f in experiment.factors]}


def _output_rng(seed: int, output: str) -> np.random.Generator:
    """The bootstrap stream of one output: the same whichever other outputs are analysed."""
    return np.random.default_rng([seed, zlib.crc32(output.encode("utf-8"))])


def _morris_indices(problem: dict, X: np.ndarray, Y: np.ndarray, levels: int,
                    confidence: float, bootstrap: int, rng: np.random.Generator) -> dict:
    from SALib.analyze import morris

    found = morris.analyze(dict(problem), X, Y, num_resamples=bootstrap,
                           conf_level=confidence, num_levels=levels, seed=rng)
    mu_star = _plain_array(found["mu_star"])
    half = _plain_array(found["mu_star_conf"])
    sigma = _plain_array(found["sigma"])
    spread = _sigma_bootstrap(problem, X, Y, levels, bootstrap, rng)
    z = norm.ppf(0.5 + confidence / 2)
    return {"mu": _plain_array(found["mu"]), "mu_star": mu_star,
            "mu_star_low": np.maximum(mu_star - half, 0.0), "mu_star_high": mu_star + half,
            "sigma": sigma, "sigma_low": np.maximum(sigma - z * spread, 0.0),
            "sigma_high": sigma + z * spread}


def _sigma_bootstrap(problem: dict, X: np.ndarray, Y: np.ndarray, levels: int,
                     bootstrap: int, rng: np.random.Generator) -> np.ndarray:
    """Standard deviation of sigma over bootstrap resamples of whole trajectories, each
    estimated by SALib's ``morris.analyze`` (the same estimator as sigma itself)."""
    from SALib.analyze import morris

    size = problem["num_vars"] + 1
    trajectories = X.shape[0] // size
    within = np.arange(size)
    sigmas = np.empty((bootstrap, problem["num_vars"]))
    for b in range(bootstrap):
        chosen = rng.integers(trajectories, size=trajectories)
        rows = (chosen[:, None] * size + within).ravel()
        found = morris.analyze(dict(problem), X[rows], Y[rows],
                               num_resamples=_UNUSED_RESAMPLES, num_levels=levels, seed=0)
        sigmas[b] = _plain_array(found["sigma"])
    return sigmas.std(axis=0, ddof=1)


def _sobol_indices(problem: dict, X: np.ndarray, Y: np.ndarray, levels: int,
                   confidence: float, bootstrap: int, rng: np.random.Generator) -> dict:
    from SALib.analyze import sobol

    d = problem["num_vars"]
    if is_constant(Y):
        # an output that does not vary over the design has no variance to share out; SALib
        # would divide by zero (and warn)
        nan = np.full(d, np.nan)
        return {name: nan.copy() for name in ("S1", "S1_low", "S1_high", "ST", "ST_low",
                                              "ST_high")}
    found = sobol.analyze(dict(problem), Y, calc_second_order=False, num_resamples=bootstrap,
                          conf_level=confidence, seed=rng)
    out = {}
    for name in ("S1", "ST"):
        value = _plain_array(found[name])
        half = _plain_array(found[f"{name}_conf"])
        out.update({name: value, f"{name}_low": value - half, f"{name}_high": value + half})
    return out


def _plain_array(values) -> np.ndarray:
    """SALib's results (lists, masked arrays) as a plain float array, NaN where masked."""
    return np.ma.filled(np.ma.asarray(values, dtype=float), np.nan)


def _stack(outputs: Sequence[str], factors: list[str], parts: list[dict]) -> dict:
    """The per-output index arrays as one long table: output-major, factors in order."""
    table = {"output": np.repeat(np.array(outputs, dtype=object), len(factors)),
             "factor": np.array(list(factors) * len(outputs), dtype=object)}
    for name in parts[0]:
        table[name] = np.concatenate([part[name] for part in parts])
    return table


def _flag(method: str, indices: dict, noise: dict) -> None:
    """Add the ``*_above_noise`` columns (the rule is in :func:`analyse`)."""
    position = {o: i for i, o in enumerate(noise["output"])}
    rows = np.array([position[o] for o in indices["output"]])
    if method == "morris":
        level = noise["elementary_effect_noise"][rows]
        indices["mu_star_above_noise"] = indices["mu_star"] > level
        return
    share = noise["noise_share"][rows]
    for name in ("S1", "ST"):
        with np.errstate(invalid="ignore"):
            indices[f"{name}_above_noise"] = ((indices[f"{name}_low"] > 0)
                                              & (indices[name] > share))




# --------------------------------------------------------------------------------------------
# The terminal table

_MORRIS_TITLE = ("Morris elementary effects (Morris 1991; Campolongo et al. 2007): mu*, the "
                 "mean absolute change of the output over a factor's whole range")
_SOBOL_TITLE = ("Sobol' indices (Saltelli 2002; Saltelli et al. 2010): shares of the output's "
                "variance")


def _summary_text(analysis: SensitivityResult) -> str:
    experiment = analysis.experiment
    design = experiment.design
    size = (f"{design.samples} trajectories" if analysis.method == "morris"
            else f"N = {design.samples} base samples")
    lines = [f"{experiment.name}: {analysis.method} over {len(analysis.factors)} factors, "
             f"{size}, {analysis.n_points} points x {experiment.replications} replications "
             f"(seed {experiment.seed}); {analysis.confidence:.0%} bootstrap intervals "
             f"({analysis.bootstrap} resamples, seed {analysis.seed})",
             _MORRIS_TITLE if analysis.method == "morris" else _SOBOL_TITLE]
    for name in ("mu_star",) if analysis.method == "morris" else ("S1", "ST"):
        lines += ["", *_index_block(analysis, name)]
    lines += ["", *_noise_block(analysis)]
    return "\n".join(lines)


def _index_block(analysis: SensitivityResult, name: str) -> list[str]:
    """One row per factor (sorted by the first output), one column per output:
    ``value ±half-width``, with ``*`` when it is above noise."""
    flag = f"{name}_above_noise"
    tables = {o: analysis.rows(o) for o in analysis.outputs}
    first = tables[analysis.outputs[0]][name]
    order = np.argsort(-np.nan_to_num(first, nan=-np.inf), kind="stable")
    labels = short_factor_names(analysis.factors)
    width = max(len(label) for label in labels) + 2
    shown = {"mu_star": "mu*", "S1": "S1", "ST": "ST"}[name]
    lines = [f"{shown} ± half-width of the {analysis.confidence:.0%} interval; * = above "
             "Monte Carlo noise",
             f"{'factor':<{width}}" + "".join(f"{o:>16}" for o in analysis.outputs)]
    for i in order:
        cells = []
        for o in analysis.outputs:
            t = tables[o]
            half = (t[f"{name}_high"][i] - t[f"{name}_low"][i]) / 2
            mark = "*" if t[flag][i] else " "
            cells.append(f"{_num(t[name][i])} ±{_num(half)} {mark}".rjust(16))
        lines.append(f"{labels[i]:<{width}}" + "".join(cells))
    return lines


def _noise_block(analysis: SensitivityResult) -> list[str]:
    rows = [("Monte Carlo SE of one point", "mc_standard_error"),
            ("noise share of the variance", "noise_share")]
    if analysis.method == "morris":
        rows.append(("noise of one elementary effect", "elementary_effect_noise"))
    width = max(len(label) for label, _ in rows) + 2
    lines = [f"{'Monte Carlo noise':<{width}}" + "".join(f"{o:>16}" for o in analysis.outputs)]
    for label, column in rows:
        lines.append(f"{label:<{width}}" + "".join(
            f"{_num(analysis.noise_of(o)[column]):<14}".rjust(16) for o in analysis.outputs))
    return lines


def _num(x) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.3f}"


def short_factor_names(keys: Sequence[str]) -> list[str]:
    """Factor keys without their common table (``behaviour.``), unless that makes two equal."""
    short = [k.rsplit(".", 1)[-1] for k in keys]
    return short if len(set(short)) == len(short) else list(keys)
