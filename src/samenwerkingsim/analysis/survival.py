"""Stability curves of shared civil-service organisations, and comparisons between scenarios.

Every simulated replication of a werkorganisatie ends in one of three ways: it is dissolved
(ontvlechting), the member municipalities merge (herindeling), or it is still standing at the
horizon (censored). This module turns the end month and outcome of each replication into small
result objects:

- :func:`stability_curves` gives the Kaplan-Meier probability that the organisation is still
  standing after *t* years, with a pointwise 95% confidence band, and the cumulative incidence of
  each way of ending (Aalen-Johansen estimator, because dissolution and merger compete: an
  organisation that merged can no longer be dissolved).
- :func:`compare` puts several scenarios side by side, with a log-rank test of each against the
  first.
- :func:`format_summary_table` and :func:`format_comparison_table` render them for a terminal.

No plotting here; see :mod:`samenwerkingsim.plotting`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

__all__ = [
    "OUTCOMES",
    "Comparison",
    "StabilityCurves",
    "compare",
    "format_comparison_table",
    "format_summary_table",
    "stability_curves",
]

OUTCOMES = ("dissolution", "merger", "censored")
"""How a replication ends; ``censored`` means still standing at the horizon."""

#: The ways of ending that count as events; each gets a cumulative incidence curve.
CAUSES = ("dissolution", "merger")

#: Years at which the summary reports S(t); those beyond the horizon are left out.
SUMMARY_YEARS = (5, 10, 15, 20)

MONTHS_PER_YEAR = 12

#: Coverage of the pointwise band of S(t).
CONFIDENCE_LEVEL = 0.95


@dataclass(frozen=True, eq=False)  # eq=False: comparing array fields with == is ambiguous
class StabilityCurves:
    """How long shared civil-service organisations last, estimated from a set of replications.

    All curves live on a monthly grid ``months = 0, 1, ..., horizon_months`` and are
    right-continuous step functions: the value at month *m* includes every ending in month *m*.

    Attributes
    ----------
    horizon_months : int
        Length of the simulated period, in months.
    n : int
        Number of replications.
    months : ndarray of int, shape (horizon_months + 1,)
        The monthly grid.
    survival : ndarray of float
        Kaplan-Meier estimate of S(t), the probability that the organisation is still standing
        (neither dissolved nor merged) after month t.
    survival_low, survival_high : ndarray of float
        Pointwise 95% confidence band of S(t): the log-log interval (Kalbfleisch and Prentice
        1980, Greenwood variance) where 0 < S(t) < 1; the exact binomial (Clopper and Pearson
        1934) interval ``[0.025 ** (1 / n_at_risk), 1]`` before the first ending, where S = 1;
        and ``[0, last upper bound]`` once S has reached 0. Always within [0, 1] and around
        ``survival``; see the Notes of :func:`stability_curves`.
    incidence : dict of str to ndarray of float
        Cumulative incidence of ``"dissolution"`` and of ``"merger"``: the probability of having
        ended that way by month t (Aalen-Johansen). ``survival + sum(incidence.values()) == 1``.
    outcome_counts : dict of str to int
        Number of replications that ended in each of :data:`OUTCOMES`.
    intact, intact_low, intact_high : ndarray of float or None
        The intact curve: the probability that the arrangement still stands with all its
        founding members after month t (Kaplan-Meier on the first member exit or the end,
        whichever comes first), with its band as for ``survival``. None when the first exits
        were not given. ``intact <= survival``: the gap is the partial break-ups.

    See Also
    --------
    stability_curves : builds this object from end months and outcomes.
    """

    horizon_months: int
    n: int
    months: np.ndarray
    survival: np.ndarray
    survival_low: np.ndarray
    survival_high: np.ndarray
    incidence: dict[str, np.ndarray]
    outcome_counts: dict[str, int]
    intact: np.ndarray | None = None
    intact_low: np.ndarray | None = None
    intact_high: np.ndarray | None = None

    def __repr__(self) -> str:
        # The arrays would drown the numbers a reader wants first.
        median = self.median_lifetime_years
        median_text = "None" if median is None else f"{median:g}"
        return (
            f"StabilityCurves(n={self.n}, horizon_months={self.horizon_months}, "
            f"median_lifetime_years={median_text}, outcome_counts={self.outcome_counts})"
        )

    @property
    def horizon_years(self) -> float:
        """Length of the simulated period, in years."""
        return self.horizon_months / MONTHS_PER_YEAR

    def _index(self, years: float) -> int:
        """Grid index of the last month at or before ``years``; raise beyond the horizon."""
        years = float(years)
        if not math.isfinite(years) or years < 0:
            raise ValueError(f"years must be a finite number >= 0, got {years!r}")
        # The small tolerance keeps e.g. 2.5 * 12 == 29.999... from landing one month early.
        month = math.floor(years * MONTHS_PER_YEAR + 1e-9)
        if month > self.horizon_months:
            raise ValueError(
                f"years={years!r} lies beyond the horizon of {self.horizon_years:g} years "
                f"({self.horizon_months} months); nothing is known there"
            )
        return month

    def survival_at(self, years: float) -> float:
        """Probability that the organisation is still standing after ``years`` years.

        Parameters
        ----------
        years : float
            Time since the start, in years, ``0 <= years <= horizon``.

        Returns
        -------
        float
            Kaplan-Meier S(t).
        """
        return float(self.survival[self._index(years)])

    def intact_at(self, years: float) -> float:
        """Probability that the arrangement still stands with all its founding members."""
        if self.intact is None:
            raise ValueError("these curves were made without the first member exits")
        return float(self.intact[self._index(years)])

    def intact_ci_at(self, years: float) -> tuple[float, float]:
        """Pointwise 95% confidence interval of the intact curve at ``years`` years."""
        if self.intact is None:
            raise ValueError("these curves were made without the first member exits")
        i = self._index(years)
        return float(self.intact_low[i]), float(self.intact_high[i])

    def survival_ci_at(self, years: float) -> tuple[float, float]:
        """Pointwise 95% confidence interval of S(t) at ``years`` years, as ``(low, high)``."""
        i = self._index(years)
        return float(self.survival_low[i]), float(self.survival_high[i])

    def incidence_at(self, cause: str, years: float) -> float:
        """Probability of having ended by ``cause`` within ``years`` years.

        Parameters
        ----------
        cause : {"dissolution", "merger"}
            The way of ending.
        years : float
            Time since the start, in years, ``0 <= years <= horizon``.
        """
        if cause not in self.incidence:
            raise ValueError(f"unknown cause {cause!r}; expected one of {CAUSES}")
        return float(self.incidence[cause][self._index(years)])

    @property
    def median_lifetime_years(self) -> float | None:
        """First time, in years, at which S(t) <= 0.5; None if not reached within the horizon."""
        reached = np.flatnonzero(self.survival <= 0.5)
        if reached.size == 0:
            return None
        return float(self.months[reached[0]] / MONTHS_PER_YEAR)

    @property
    def outcome_shares(self) -> dict[str, float]:
        """Fraction of replications that ended in each of :data:`OUTCOMES`."""
        return {k: self.outcome_counts[k] / self.n for k in OUTCOMES}

    def to_summary(self) -> dict:
        """The headline numbers as a JSON-ready dict of plain Python values.

        Survival is reported at 5, 10, 15 and 20 years; years beyond the horizon are left out.
        ``incidence_10y`` holds None for both causes when the horizon is shorter than 10 years.
        """
        years = [y for y in SUMMARY_YEARS if y * MONTHS_PER_YEAR <= self.horizon_months]
        has_10y = self.horizon_months >= 10 * MONTHS_PER_YEAR
        summary = {
            "n_replications": int(self.n),
            "horizon_years": float(self.horizon_years),
            "survival": {str(y): self.survival_at(y) for y in years},
            "survival_ci": {str(y): list(self.survival_ci_at(y)) for y in years},
            "median_lifetime_years": self.median_lifetime_years,
            "outcome_shares": {k: float(v) for k, v in self.outcome_shares.items()},
            "incidence_10y": {c: (self.incidence_at(c, 10) if has_10y else None) for c in CAUSES},
        }
        if self.intact is not None:
            summary["intact"] = {str(y): self.intact_at(y) for y in years}
            summary["intact_ci"] = {str(y): list(self.intact_ci_at(y)) for y in years}
        return summary


def _validate(end_month, outcome, horizon_months) -> tuple[np.ndarray, np.ndarray, int]:
    """Check and normalise the inputs of :func:`stability_curves`; errors name the bad value."""
    if isinstance(horizon_months, bool) or not isinstance(horizon_months, int | np.integer):
        raise ValueError(f"horizon_months must be an integer, got {horizon_months!r}")
    if horizon_months < 1:
        raise ValueError(f"horizon_months must be >= 1, got {horizon_months!r}")
    horizon_months = int(horizon_months)

    months = np.asarray(end_month)
    labels = np.asarray(outcome)
    if months.ndim != 1 or labels.ndim != 1:
        raise ValueError(
            f"end_month and outcome must be one-dimensional, got shapes {months.shape} "
            f"and {labels.shape}"
        )
    if months.size != labels.size:
        raise ValueError(f"end_month and outcome differ in length: {months.size} != {labels.size}")
    if months.size == 0:
        raise ValueError("no replications: end_month and outcome are empty")

    if months.dtype.kind in "iu":
        months = months.astype(np.int64)
    elif months.dtype.kind == "f":
        # Whole months stored as floats (e.g. read back from CSV) are fine; fractions are not.
        bad = ~np.isfinite(months) | (months != np.round(months))
        if bad.any():
            raise ValueError(f"end_month must hold whole months, got {months[bad][0]!r}")
        months = months.astype(np.int64)
    else:
        raise ValueError(f"end_month must hold integers, got dtype {months.dtype}")
    if (months < 0).any():
        raise ValueError(f"end_month must be >= 0, got {months[months < 0][0]}")
    if (months > horizon_months).any():
        raise ValueError(
            f"end_month {months[months > horizon_months][0]} lies beyond the horizon of "
            f"{horizon_months} months"
        )

    labels = labels.astype(str)
    unknown = sorted(set(labels.tolist()) - set(OUTCOMES))
    if unknown:
        raise ValueError(f"unknown outcome label {unknown[0]!r}; expected one of {OUTCOMES}")
    return months, labels, horizon_months


def _kaplan_meier(months: np.ndarray, ended: np.ndarray, grid: np.ndarray):
    """Kaplan-Meier S(t) and its pointwise 95% band on ``grid``, via :func:`scipy.stats.ecdf`.

    The band is the one described in the Notes of :func:`stability_curves`: log-log where
    0 < S < 1, Clopper-Pearson where S = 1, and [0, last upper bound] where S = 0.
    """
    data = stats.CensoredData(uncensored=months[ended], right=months[~ended])
    sf = stats.ecdf(data).sf
    survival = sf.evaluate(grid)
    with warnings.catch_warnings():
        # log(-log S) is undefined where S is 1 or 0; scipy warns and returns NaN there, and
        # both cases are filled in below.
        warnings.filterwarnings(
            "ignore", message="The confidence interval is undefined", category=RuntimeWarning
        )
        ci = sf.confidence_interval(CONFIDENCE_LEVEL, method="log-log")
        low = ci.low.evaluate(grid)
        high = ci.high.evaluate(grid)

    # Before the first ending every replication still at risk is standing: with n at risk
    # and no endings, the exact binomial interval is [(alpha/2)**(1/n), 1]. Unlike the
    # degenerate [1, 1] of Greenwood's formula, it is wide for few replications and narrows
    # as n grows. With no one at risk (all censored earlier) nothing is known: [0, 1].
    first_ending = months[ended].min() if ended.any() else grid.max() + 1
    before_first = grid < first_ending
    at_risk = months.size - np.searchsorted(np.sort(months), grid[before_first], side="left")
    alpha = 1.0 - CONFIDENCE_LEVEL
    with np.errstate(divide="ignore"):
        exact_low = np.where(at_risk > 0, (alpha / 2) ** (1.0 / at_risk), 0.0)
    survival[before_first] = 1.0
    low[before_first] = exact_low
    high[before_first] = 1.0

    # What is left undefined is where S has reached 0 (the last replication at risk ended).
    # There the lower bound is 0 (S itself is 0) and the upper bound keeps its last defined
    # value: a finite sample cannot rule out that some organisations would have lasted, so we
    # do not claim a degenerate [0, 0].
    low = np.where(np.isnan(low), 0.0, low)
    finite = ~np.isnan(high)
    last_finite = np.maximum.accumulate(np.where(finite, np.arange(high.size), -1))
    high = np.where(last_finite >= 0, high[np.maximum(last_finite, 0)], 1.0)
    return survival, np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)


def _cumulative_incidence(
    months: np.ndarray, labels: np.ndarray, horizon_months: int
) -> dict[str, np.ndarray]:
    """Aalen-Johansen cumulative incidence of each cause on the monthly grid.

    For cause *k*, ``F_k(t) = sum_{u <= t} S(u-) d_k(u) / n(u)``, where ``n(u)`` is the number
    of replications still at risk at the start of month *u* (ended or censored at *u* or later),
    ``d_k(u)`` the number that ended by cause *k* in month *u*, and ``S(u-)`` the all-cause
    Kaplan-Meier estimate just before *u*. Endings count before censorings in the same month,
    as in :func:`scipy.stats.ecdf`.

    References
    ----------
    Aalen, O. O. and Johansen, S. (1978). An empirical transition matrix for non-homogeneous
    Markov chains based on censored observations. *Scandinavian Journal of Statistics* 5(3),
    141-150.
    """
    size = horizon_months + 1
    # Months are whole numbers, so counting per month replaces sorting distinct times.
    leaving = np.bincount(months, minlength=size)
    at_risk = np.cumsum(leaving[::-1])[::-1]
    ending = {c: np.bincount(months[labels == c], minlength=size) for c in CAUSES}
    ended_any = sum(ending.values())

    def hazard(count: np.ndarray) -> np.ndarray:
        # No one at risk means no one can end: hazard 0 rather than 0/0.
        return np.divide(count, at_risk, out=np.zeros(size), where=at_risk > 0)

    survival = np.cumprod(1.0 - hazard(ended_any))
    survival_before = np.concatenate([[1.0], survival[:-1]])
    return {c: np.cumsum(survival_before * hazard(ending[c])) for c in CAUSES}


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def intact_times(end_month: np.ndarray, labels: np.ndarray,
                 first_exit_month) -> tuple[np.ndarray, np.ndarray]:
    """When each arrangement stopped being intact (its first member exit, or its end if that
    came first) and whether it did within the horizon."""
    first = np.asarray(first_exit_month)
    if first.shape != end_month.shape:
        raise ValueError(f"first_exit_month has shape {first.shape}, expected "
                         f"{end_month.shape} like end_month")
    exited = first >= 0
    ended = labels != "censored"
    months = np.where(exited, np.minimum(first, end_month), end_month).astype(np.int64)
    return months, exited | ended


def stability_curves(end_month, outcome, horizon_months: int,
                     first_exit_month=None) -> StabilityCurves:
    """Estimate how long shared civil-service organisations last, from simulated replications.

    Parameters
    ----------
    end_month : array_like of int, shape (n,)
        Month, counted from the start (0), in which each replication ended; for a censored
        replication the month of censoring, normally ``horizon_months``. ``0 <= end_month <=
        horizon_months``.
    outcome : array_like of str, shape (n,)
        How each replication ended, one of :data:`OUTCOMES`.
    horizon_months : int
        Length of the simulated period, in months (>= 1).
    first_exit_month : array_like of int, shape (n,), optional
        Month in which the first member's exit took effect, -1 if no member left; gives the
        intact curve.

    Returns
    -------
    StabilityCurves
        Kaplan-Meier survival with pointwise 95% band, and the Aalen-Johansen cumulative
        incidence of dissolution and of merger, on the grid ``0..horizon_months``.

    Raises
    ------
    ValueError
        If the inputs are empty or of different lengths, a month is negative, fractional or
        beyond the horizon, or an outcome label is unknown.

    Notes
    -----
    Survival counts both dissolution and merger as the end of the organisation.

    The pointwise 95% band of S(t) is, in three regions:

    - where 0 < S(t) < 1, the log-log interval of Kalbfleisch and Prentice (1980), from
      ``scipy.stats.ecdf(...).sf.confidence_interval(0.95, method="log-log")``:
      ``S(t) ** exp(+-z * sigma(t) / |log S(t)|)`` with ``z = 1.96`` and Greenwood's
      ``sigma(t)**2 = sum_{u <= t} d(u) / (n(u) (n(u) - d(u)))``. It is the normal interval
      of ``log(-log S)`` mapped back, so it lies inside (0, 1) and contains S; unlike the
      linear interval ``S +- z S sigma`` it needs no clipping and stays honest near 1, where
      the linear one is too narrow.
    - before the first ending, where S = 1 and ``log(-log S)`` is undefined, the exact binomial
      interval of Clopper and Pearson (1934) for no endings among the ``n(t)`` replications
      still at risk: ``[(alpha / 2) ** (1 / n(t)), 1]`` with ``alpha = 0.05``, e.g.
      ``[0.69, 1]`` for 10 replications and ``[0.9963, 1]`` for 1000.
    - once S has reached 0 (the last replication at risk ended), lower bound 0 and the upper
      bound carried forward from its last defined value.

    References
    ----------
    Kalbfleisch, J. D. and Prentice, R. L. (1980). *The Statistical Analysis of Failure Time
    Data*. Wiley, New York.

    Clopper, C. J. and Pearson, E. S. (1934). The use of confidence or fiducial limits
    illustrated in the case of the binomial. *Biometrika* 26(4), 404-413.

    Greenwood, M. (1926). The natural duration of cancer. *Reports on Public Health and Medical
    Subjects* 33, 1-26. His Majesty's Stationery Office, London.

    Examples
    --------
    >>> res = stability_curves([30, 70, 240, 240], ["dissolution", "merger", "censored",
    ...                         "censored"], horizon_months=240)
    >>> res.survival_at(5)
    0.75
    >>> res.incidence_at("merger", 10)
    0.25
    """
    months, labels, horizon_months = _validate(end_month, outcome, horizon_months)
    grid = np.arange(horizon_months + 1)
    ended = labels != "censored"
    survival, low, high = _kaplan_meier(months, ended, grid)
    incidence = _cumulative_incidence(months, labels, horizon_months)
    intact = (None, None, None)
    if first_exit_month is not None:
        intact = tuple(_readonly(np.asarray(a, dtype=float)) for a in _kaplan_meier(
            *intact_times(months, labels, first_exit_month), grid))
    return StabilityCurves(
        horizon_months=horizon_months,
        n=int(months.size),
        months=_readonly(grid),
        survival=_readonly(np.asarray(survival, dtype=float)),
        survival_low=_readonly(low),
        survival_high=_readonly(high),
        incidence={c: _readonly(v) for c, v in incidence.items()},
        outcome_counts={k: int(np.count_nonzero(labels == k)) for k in OUTCOMES},
        intact=intact[0], intact_low=intact[1], intact_high=intact[2],
    )


@dataclass(frozen=True, eq=False)
class Comparison:
    """Stability curves of several scenarios, each tested against the first.

    Attributes
    ----------
    names : tuple of str
        Scenario names in the order given; ``names[0]`` is the reference.
    curves : dict of str to StabilityCurves
        The curves of each scenario.
    logrank : dict of str to (float, float)
        For every scenario but the reference: the log-rank chi-squared statistic (1 degree of
        freedom; the square of the z statistic of :func:`scipy.stats.logrank`) and its
        two-sided p-value, testing equal survival against the reference. Both are NaN when the
        test is undefined, e.g. when no replication in either group ended.
    logrank_intact : dict of str to (float, float)
        The same test on the intact curves (empty when the first exits were not given).
    """

    names: tuple[str, ...]
    curves: dict[str, StabilityCurves]
    logrank: dict[str, tuple[float, float]]
    logrank_intact: dict[str, tuple[float, float]] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Comparison(names={self.names!r}, logrank={self.logrank!r})"


def _censored_data(months: np.ndarray, labels: np.ndarray) -> stats.CensoredData:
    ended = labels != "censored"
    return stats.CensoredData(uncensored=months[ended], right=months[~ended])


def _logrank(x: stats.CensoredData, y: stats.CensoredData) -> tuple[float, float]:
    """Log-rank chi-squared and p-value, or (NaN, NaN) where the test is undefined."""
    with warnings.catch_warnings():
        # With no endings in either group the variance is 0 and scipy warns on 0/0.
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            res = stats.logrank(x, y)
        except (ValueError, ZeroDivisionError, FloatingPointError):
            return math.nan, math.nan
    z, p = float(res.statistic), float(res.pvalue)
    if not (math.isfinite(z) and math.isfinite(p)):
        return math.nan, math.nan
    return z * z, p


def compare(named: Mapping[str, tuple], horizon_months: int) -> Comparison:
    """Compare the stability of several scenarios, each against the first.

    Parameters
    ----------
    named : mapping of str to (end_month, outcome) or (end_month, outcome, first_exit_month)
        Per scenario, the arrays accepted by :func:`stability_curves`. The first entry is the
        reference for the log-rank tests; with the first exits, the intact curves are
        compared too.
    horizon_months : int
        Length of the simulated period, in months; the same for all scenarios.

    Returns
    -------
    Comparison

    References
    ----------
    Mantel, N. (1966). Evaluation of survival data and two new rank order statistics arising in
    its consideration. *Cancer Chemotherapy Reports* 50(3), 163-170.
    """
    if not named:
        raise ValueError("compare needs at least one scenario, got none")
    names = tuple(named)
    curves: dict[str, StabilityCurves] = {}
    data: dict[str, stats.CensoredData] = {}
    intact: dict[str, stats.CensoredData] = {}
    for name in names:
        try:
            end_month, outcome, *first_exit = named[name]
        except (TypeError, ValueError):
            raise ValueError(f"scenario {name!r}: expected (end_month, outcome) or "
                             "(end_month, outcome, first_exit_month)") from None
        try:
            months, labels, horizon = _validate(end_month, outcome, horizon_months)
            curves[name] = stability_curves(months, labels, horizon, *first_exit)
        except ValueError as err:
            raise ValueError(f"scenario {name!r}: {err}") from None
        data[name] = _censored_data(months, labels)
        if first_exit:
            times, events = intact_times(months, labels, first_exit[0])
            intact[name] = stats.CensoredData(uncensored=times[events], right=times[~events])
    reference = names[0]
    logrank = {name: _logrank(data[name], data[reference]) for name in names[1:]}
    logrank_intact = ({name: _logrank(intact[name], intact[reference]) for name in names[1:]}
                      if len(intact) == len(names) else {})
    return Comparison(names=names, curves=curves, logrank=logrank,
                      logrank_intact=logrank_intact)


# -- terminal tables ---------------------------------------------------------------------------


def _percent(share: float) -> str:
    return f"{100 * share:5.1f} %"


def _p_value(p: float) -> str:
    if math.isnan(p):
        return "n/a"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _horizon_text(curves: StabilityCurves) -> str:
    if curves.horizon_months % MONTHS_PER_YEAR == 0:
        return f"{curves.horizon_months // MONTHS_PER_YEAR} years"
    return f"{curves.horizon_months} months"


def _median(curves: StabilityCurves) -> str:
    median = curves.median_lifetime_years
    if median is None:
        return "> horizon"
    return f"{median:.1f} y"


def format_summary_table(curves: StabilityCurves, title: str) -> str:
    """A plain-text summary of one scenario's stability, for reading in a terminal.

    Parameters
    ----------
    curves : StabilityCurves
    title : str
        First line, e.g. the scenario name.

    Returns
    -------
    str
        S(t) with 95% CI at 5, 10, 15 and 20 years (those within the horizon), the median
        lifetime, and the shares of replications that were dissolved, merged, or still standing.
    """
    header = f"{title}  (n = {curves.n}, horizon {_horizon_text(curves)})"
    lines = [header, "-" * len(header), "  years   still standing   95% CI"]
    for years in SUMMARY_YEARS:
        if years * MONTHS_PER_YEAR > curves.horizon_months:
            continue
        low, high = curves.survival_ci_at(years)
        lines.append(f"  {years:5d}   {curves.survival_at(years):14.3f}   [{low:.3f}, {high:.3f}]")
    shares = curves.outcome_shares
    lines.append("")
    for label, value in (
        ("median lifetime", _median(curves)),
        ("ended in dissolution", _percent(shares["dissolution"])),
        ("ended in merger", _percent(shares["merger"])),
        ("still standing (censored)", _percent(shares["censored"])),
    ):
        lines.append(f"  {label:<26}{value:>8}")
    return "\n".join(lines)


def format_comparison_table(comparison: Comparison) -> str:
    """A plain-text table with one row per scenario, for reading in a terminal.

    Columns: S(10y) with 95% CI, the intact curve at 10 years (when known), median lifetime,
    shares dissolved / merged / still standing at the horizon, and the log-rank chi-squared and
    p-value against the first scenario (of S(t), and of the intact curve).
    """
    with_intact = bool(comparison.logrank_intact) or (
        len(comparison.names) == 1 and comparison.curves[comparison.names[0]].intact is not None)
    headers = ("scenario", "S(10y) [95% CI]", *(("intact(10y)",) if with_intact else ()),
               "median", "dissolved", "merged", "standing", "chi2", "p",
               *(("p intact",) if with_intact else ()))
    rows = []
    for i, name in enumerate(comparison.names):
        c = comparison.curves[name]
        ten = c.horizon_months >= 10 * MONTHS_PER_YEAR
        if ten:
            low, high = c.survival_ci_at(10)
            s10 = f"{c.survival_at(10):.3f} [{low:.3f}, {high:.3f}]"
        else:
            s10 = "n/a"
        intact = (f"{c.intact_at(10):.3f}" if ten else "n/a",) if with_intact else ()
        if i == 0:
            chi2_text, p_text, p_intact = "(ref)", "", ""
        else:
            chi2, p = comparison.logrank[name]
            chi2_text = "n/a" if math.isnan(chi2) else f"{chi2:.2f}"
            p_text = _p_value(p)
            p_intact = _p_value(comparison.logrank_intact[name][1]) if with_intact else ""
        shares = c.outcome_shares
        rows.append((name, s10, *intact, _median(c), _percent(shares["dissolution"]),
                     _percent(shares["merger"]), _percent(shares["censored"]), chi2_text,
                     p_text, *((p_intact,) if with_intact else ())))
    widths = [max(len(r[j]) for r in (headers, *rows)) for j in range(len(headers))]

    def render(row) -> str:
        # Scenario name left-aligned, numbers right-aligned so decimals line up.
        numbers = zip(row[1:], widths[1:], strict=True)
        cells = [row[0].ljust(widths[0])] + [v.rjust(w) for v, w in numbers]
        return "  ".join(cells).rstrip()

    lines = [render(headers), render(tuple("-" * w for w in widths))]
    lines += [render(r) for r in rows]
    footer = f"horizon {_horizon_text(comparison.curves[comparison.names[0]])}"
    if len(comparison.names) > 1:
        footer += f"; log-rank tests against {comparison.names[0]!r}"
    lines.append(footer)
    return "\n".join(lines)
