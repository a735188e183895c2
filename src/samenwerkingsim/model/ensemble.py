"""Many replications at once on the same rules, with results that do not depend on chunking.

:func:`simulate_chunk` advances a block of replications together (the ensemble engine) and
returns a :class:`ChunkResult`; :class:`Trajectories` keeps running aggregates of the monthly
means (exact integer sums and fixed-bin histograms), so chunks merge in any order into the same
numbers and memory stays bounded however many replications run.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from .engine import Context, State, advance_month, initial_state, observe
from .params import MAX_MEMBERS, Scenario
from .seeding import ReplicationStreams

METRICS = ("trust", "ownership", "value", "quality")
FIXED_POINT = 2.0 ** 32  # sums in fixed point are exact, so merging order cannot matter
# squares in a coarser fixed point, so that 10 million squares of values up to 1000 fit in
# int64 (1e7 x 1e6 x 2**16 < 2**63); enough for a standard error
SQUARE_FIXED_POINT = 2.0 ** 16
QUANTILES = (0.05, 0.95)


class FixedBins(ABC):
    """Fixed histogram bins on ``[low, high]``, equally wide in a coordinate ``u = transform(x)``.

    Counts on fixed edges are integers that add exactly, so histograms of chunks merge in any
    order into the same table. Subclasses set ``low``, ``high`` and ``n_bins`` and define the
    increasing maps :meth:`transform` and :meth:`inverse`; observations outside
    ``[low, high]`` count in the edge bins.
    """

    low: float
    high: float
    n_bins: int

    @abstractmethod
    def transform(self, x: np.ndarray) -> np.ndarray:
        """The coordinate in which the bins are equally wide."""

    @abstractmethod
    def inverse(self, u: np.ndarray) -> np.ndarray:
        """Back from the binning coordinate to the metric's own scale."""

    @property
    def bin_width(self) -> float:
        """Width of every bin, in the coordinate ``u``."""
        return float((self.transform(self.high) - self.transform(self.low)) / self.n_bins)

    @property
    def edges(self) -> np.ndarray:
        """The ``n_bins + 1`` bin edges, on the metric's own scale."""
        u_low = self.transform(self.low)
        return self.inverse(u_low + np.arange(self.n_bins + 1) * self.bin_width)

    def index(self, x: np.ndarray) -> np.ndarray:
        """Bin of each observation, 0 to ``n_bins - 1``."""
        u_low, u_high = self.transform(self.low), self.transform(self.high)
        u = self.transform(np.clip(x, self.low, self.high))
        # for equal bins this is the arithmetic the histograms always used: same bins as before
        bins = np.floor((u - u_low) / (u_high - u_low) * self.n_bins).astype(np.int64)
        return np.clip(bins, 0, self.n_bins - 1)


@dataclass(frozen=True)
class UniformBins(FixedBins):
    """``n_bins`` equal bins on ``[low, high]``."""

    low: float
    high: float
    n_bins: int

    def transform(self, x):
        return np.asarray(x, dtype=float)

    def inverse(self, u):
        return np.asarray(u, dtype=float)


@dataclass(frozen=True)
class LinearLogBins(FixedBins):
    """Equal bins on the core ``[-core, core]``, then bins that grow geometrically out to
    ``+-limit``: fine resolution around 0 and a wide range at a modest number of bins.

    In the binning coordinate ``u = x`` on the core and ``u = sign(x) (core + w ln(|x| / core)
    / g)`` beyond, with ``w = 2 core / core_bins`` the width of a core bin and ``g = ln(limit /
    core) / tail_bins`` the log-width of a tail bin; ``u`` is continuous and increasing, and
    every bin is ``w`` wide in it. So a tail bin is ``exp(g)`` times as wide as the one
    before it: a resolution of ``100 (exp(g) - 1)`` percent of the value. The same symmetric
    idea as matplotlib's ``symlog`` scale.
    """

    core: float
    core_bins: int
    limit: float
    tail_bins: int

    @property
    def low(self) -> float:
        return -self.limit

    @property
    def high(self) -> float:
        return self.limit

    @property
    def n_bins(self) -> int:
        return self.core_bins + 2 * self.tail_bins

    @property
    def _core_width(self) -> float:
        return 2.0 * self.core / self.core_bins

    @property
    def _tail_log_width(self) -> float:
        return math.log(self.limit / self.core) / self.tail_bins

    def transform(self, x):
        x = np.asarray(x, dtype=float)
        magnitude = np.abs(x)
        # log of 1 on the core, so the unused branch of np.where raises no warning
        tail = np.log(np.maximum(magnitude, self.core) / self.core)
        beyond = self.core + self._core_width * tail / self._tail_log_width
        return np.where(magnitude <= self.core, x, np.copysign(beyond, x))

    def inverse(self, u):
        u = np.asarray(u, dtype=float)
        magnitude = np.abs(u)
        excess = np.maximum(magnitude - self.core, 0.0)
        beyond = self.core * np.exp(excess * self._tail_log_width / self._core_width)
        return np.where(magnitude <= self.core, u, np.copysign(beyond, u))


#: Trust, ownership and quality lie in [0, 1]: 400 equal bins, 0.0025 wide.
UNIT_BINS = UniformBins(0.0, 1.0, 400)

#: The smoothed value is a sum of weighted benefits and costs; with weights up to 10 it reaches
#: tens either way, so fixed bins on [-2, 2] would pile the 5-95% band onto the edges. Here
#: the core keeps the old 0.01-wide bins on [-2, 2] (quantiles there do not change, up to
#: rounding), and 600 bins each side, each 1.04% wider than the last, reach +-1000: 1600 bins
#: in all, 3 MB of int32 counts for a 40-year horizon. Bins equally wide in asinh(x / scale)
#: would need some 3400 for the same range: to be 0.01 wide at +-2 they must be 0.5% wide
#: (relative) all the way out to 1000.
VALUE_BINS = LinearLogBins(core=2.0, core_bins=400, limit=1000.0, tail_bins=600)

#: Histogram bins per metric.
METRIC_BINS: dict[str, FixedBins] = {"trust": UNIT_BINS, "ownership": UNIT_BINS,
                                     "value": VALUE_BINS, "quality": UNIT_BINS}

RUN_DTYPE = np.dtype([("replication", np.int64), ("end_month", np.int64),
                      ("outcome", np.int8), ("n_member_exits", np.int64),
                      ("first_exit_month", np.int64), ("n_members", np.int64),
                      ("centrumgemeente", bool), ("designed_as_step_to_merger", bool),
                      ("start_year", np.int64),
                      # month each member slot's exit took effect, -1 if it did not leave
                      ("left_month", np.int16, (MAX_MEMBERS,))])
# compact: 100,000 forty-year replications log some ten million events
EVENT_DTYPE = np.dtype([("replication", np.int32), ("month", np.int16), ("event", np.int8),
                        ("member", np.int8)])


class Trajectories:
    """Running aggregates of the monthly means of trust, ownership, value and quality over the
    replications still standing.

    Attributes
    ----------
    standing : ndarray of int64, shape (months,)
        Replications standing in each month.
    sums : ndarray of int64, shape (metrics, months)
        Sums of the observations in fixed point (units of ``1 / FIXED_POINT``).
    square_sums : ndarray of int64, shape (metrics, months)
        Sums of their squares in fixed point (units of ``1 / SQUARE_FIXED_POINT``), for
        standard errors of the means.
    histograms : dict of str to ndarray of int32, shape (months, n_bins)
        Counts per month on the fixed bins :data:`METRIC_BINS` of each metric; empty when
        made with ``histograms=False`` (means only, as sweeps keep them).
    """

    def __init__(self, horizon_months: int, histograms: bool = True):
        self.horizon_months = horizon_months
        self.standing = np.zeros(horizon_months, dtype=np.int64)
        self.sums = np.zeros((len(METRICS), horizon_months), dtype=np.int64)
        self.square_sums = np.zeros((len(METRICS), horizon_months), dtype=np.int64)
        # int32: a bin counts at most the number of replications (at most 10 million)
        self.histograms = {metric: np.zeros((horizon_months, METRIC_BINS[metric].n_bins),
                                            dtype=np.int32)
                           for metric in METRICS} if histograms else {}

    def add(self, values: np.ndarray) -> None:
        """Add observations ``(metrics, months, replications)``, NaN where not standing."""
        standing = ~np.isnan(values[0])
        self.standing += standing.sum(axis=1)
        months = np.broadcast_to(np.arange(self.horizon_months)[:, None], standing.shape)
        for k, metric in enumerate(METRICS):
            x = values[k][standing]
            # integers below 2**53 add exactly in float64, so the cast back loses nothing
            self.sums[k] += np.bincount(months[standing], weights=np.rint(x * FIXED_POINT),
                                        minlength=self.horizon_months).astype(np.int64)
            self.square_sums[k] += np.bincount(
                months[standing], weights=np.rint(x * x * SQUARE_FIXED_POINT),
                minlength=self.horizon_months).astype(np.int64)
            if metric in self.histograms:
                bins = METRIC_BINS[metric]
                flat = np.bincount(months[standing] * bins.n_bins + bins.index(x),
                                   minlength=self.horizon_months * bins.n_bins)
                self.histograms[metric] += flat.reshape(self.horizon_months, bins.n_bins)

    def merge(self, other: Trajectories) -> None:
        self.standing += other.standing
        self.sums += other.sums
        self.square_sums += other.square_sums
        for metric in self.histograms:
            self.histograms[metric] += other.histograms[metric]

    def table(self) -> dict[str, np.ndarray]:
        """Monthly mean and 5%/95% quantiles per metric, NaN where nothing stands."""
        out = {"month": np.arange(self.horizon_months), "standing": self.standing.copy()}
        with np.errstate(invalid="ignore", divide="ignore"):
            for k, metric in enumerate(METRICS):
                out[f"{metric}_mean"] = np.where(
                    self.standing > 0, self.sums[k] / FIXED_POINT / self.standing, np.nan)
                for q in QUANTILES:
                    out[f"{metric}_q{round(q * 100):02d}"] = histogram_quantile(
                        self.histograms[metric], q, METRIC_BINS[metric]
                    ) if metric in self.histograms else np.full(self.horizon_months, np.nan)
        return out


def histogram_quantile(histograms: np.ndarray, q: float, bins) -> np.ndarray:
    """Quantile ``q`` of each row of fixed-bin counts, NaN for an empty row.

    Parameters
    ----------
    histograms : ndarray of int, shape (rows, n_bins)
        Counts per bin.
    q : float
        Probability, ``0 < q < 1``.
    bins : FixedBins or (float, float)
        The bins the counts are on; a pair ``(low, high)`` means equal bins on that range.

    Returns
    -------
    ndarray of float, shape (rows,)
        The quantile, found by linear interpolation within its bin in the coordinate in which
        the bins are equally wide (so within a geometric tail bin of :class:`LinearLogBins`,
        geometric interpolation), mapped back to the metric's scale. It lies within one bin of
        the quantile of the observations themselves.
    """
    if not isinstance(bins, FixedBins):
        low, high = bins
        bins = UniformBins(float(low), float(high), histograms.shape[-1])
    if histograms.shape[-1] != bins.n_bins:
        raise ValueError(f"histograms have {histograms.shape[-1]} bins, expected {bins.n_bins}")
    cumulative = np.cumsum(histograms, axis=-1)
    total = cumulative[..., -1]
    target = q * total
    # first bin whose cumulative count reaches the target (searchsorted, side="left", per row)
    index = np.count_nonzero(cumulative < target[:, None], axis=-1)
    index = np.minimum(index, bins.n_bins - 1)
    below = np.where(index > 0, np.take_along_axis(cumulative, np.maximum(index - 1, 0)[:, None],
                                                   axis=-1)[:, 0], 0)
    in_bin = np.take_along_axis(histograms, index[:, None], axis=-1)[:, 0]
    fraction = np.where(in_bin > 0, (target - below) / np.maximum(in_bin, 1), 0.0)
    u = bins.transform(bins.low) + (index + np.clip(fraction, 0.0, 1.0)) * bins.bin_width
    return np.where(total > 0, bins.inverse(u), np.nan)


@dataclass
class ChunkResult:
    """What a block of replications produced."""

    runs: np.ndarray          # RUN_DTYPE, one row per replication
    events: np.ndarray        # EVENT_DTYPE, sorted by replication then month
    trajectories: Trajectories


def run_rows(state: State, replications, horizon_months: int) -> np.ndarray:
    """One row per replication: when and how it ended (censored at the horizon)."""
    rows = np.zeros(state.n_replications, dtype=RUN_DTYPE)
    rows["replication"] = replications
    rows["end_month"] = np.where(state.end_month >= 0, state.end_month, horizon_months)
    rows["outcome"] = state.outcome
    rows["n_member_exits"] = state.n_member_exits
    rows["first_exit_month"] = state.first_exit_month
    rows["left_month"] = -1
    rows["left_month"][:, :state.left_month.shape[1]] = state.left_month
    rows["n_members"] = (state.population > 0).sum(axis=1)
    rows["centrumgemeente"] = state.is_centrumgemeente
    rows["designed_as_step_to_merger"] = state.levers.designed_as_step_to_merger
    rows["start_year"] = state.start_index // 12
    return rows


def event_rows(state: State, replications) -> np.ndarray:
    """The event log of a state, as rows sorted by replication, month and order of occurrence."""
    parts = []
    for month, code, local, members in state.events:
        part = np.zeros(len(local), dtype=EVENT_DTYPE)
        part["replication"] = local
        part["month"] = month
        part["event"] = code
        part["member"] = -1 if members is None else members
        parts.append(part)
    if not parts:
        return np.zeros(0, dtype=EVENT_DTYPE)
    rows = np.concatenate(parts)
    rows = rows[np.argsort(rows["replication"], kind="stable")]
    rows["replication"] = np.asarray(replications)[rows["replication"]]
    return rows


def simulate_chunk(scenario: Scenario, seed: int, point: int, replications,
                   horizon_months: int, *, events: bool = True,
                   histograms: bool = True) -> ChunkResult:
    """Run the replications ``replications`` of parameter point ``point`` together.

    Every replication reads its own stream in fixed-shape blocks, so the history of replication
    r does not depend on which others run beside it. Replications that have ended are set
    aside every year, so the rest run on smaller arrays. ``events=False`` keeps no event log
    and ``histograms=False`` only the means of the trajectories (what a sweep keeps); neither
    changes the history.
    """
    replications = np.asarray(replications, dtype=np.int64)
    streams = ReplicationStreams(seed, point, replications.tolist(), scenario.max_members)
    state = initial_state(scenario, streams.setup())
    state.record_events = events
    ctx = Context.for_scenario(scenario)
    observed = np.full((len(METRICS), horizon_months, len(replications)), np.nan)
    position = np.arange(len(replications))  # column in ``observed`` of each running row
    runs, events = [], []
    for t in range(horizon_months):
        advance_month(state, streams.month(t), ctx)
        standing = state.running
        if (t + 1) % 12 == 0 and not standing.all():
            # set the ended replications aside with their results so far
            ended = np.flatnonzero(~standing)
            runs.append(run_rows(state, replications[position], horizon_months)[ended])
            log = event_rows(state, replications[position])
            events.append(log)
            state.events = []
            kept = np.flatnonzero(standing)
            state.keep(kept)
            streams.keep(kept)
            position = position[kept]
            if len(kept) == 0:
                break
            standing = state.running
        for k, values in enumerate(observe(state, ctx).values()):
            observed[k, t, position] = np.where(standing, values, np.nan)
    runs.append(run_rows(state, replications[position], horizon_months))
    events.append(event_rows(state, replications[position]))
    trajectories = Trajectories(horizon_months, histograms=histograms)
    trajectories.add(observed)
    runs = np.concatenate(runs)
    events = np.concatenate(events)
    return ChunkResult(runs[np.argsort(runs["replication"], kind="stable")],
                       events[np.argsort(events["replication"], kind="stable")], trajectories)
