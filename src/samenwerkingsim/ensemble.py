"""Many replications at once on the same rules, with results that do not depend on chunking.

:func:`simulate_chunk` advances a block of replications together (the ensemble engine) and
returns a :class:`ChunkResult`; :class:`Trajectories` keeps running aggregates of the monthly
means (exact integer sums and fixed-bin histograms), so chunks merge in any order into the same
numbers and memory stays bounded however many replications run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine import Context, State, advance_month, initial_state, observe
from .params import Scenario
from .seeding import ReplicationStreams

METRICS = ("trust", "ownership", "value", "quality")
# histogram ranges per metric; values outside are counted in the edge bins
METRIC_RANGES = {"trust": (0.0, 1.0), "ownership": (0.0, 1.0), "value": (-2.0, 2.0),
                 "quality": (0.0, 1.0)}
N_BINS = 400
FIXED_POINT = 2.0 ** 32  # sums in fixed point are exact, so merging order cannot matter
QUANTILES = (0.05, 0.95)

RUN_DTYPE = np.dtype([("replication", np.int64), ("end_month", np.int64),
                      ("outcome", np.int8), ("n_member_exits", np.int64),
                      ("n_members", np.int64), ("centrumgemeente", bool),
                      ("designed_as_step_to_merger", bool), ("start_year", np.int64)])
# compact: 100,000 forty-year replications log some ten million events
EVENT_DTYPE = np.dtype([("replication", np.int32), ("month", np.int16), ("event", np.int8),
                        ("member", np.int8)])


class Trajectories:
    """Running aggregates of the monthly means of trust, ownership, value and quality over the
    replications still standing."""

    def __init__(self, horizon_months: int):
        self.horizon_months = horizon_months
        self.standing = np.zeros(horizon_months, dtype=np.int64)
        self.sums = np.zeros((len(METRICS), horizon_months), dtype=np.int64)
        # int32: a bin counts at most the number of replications (at most 10 million)
        self.histograms = np.zeros((len(METRICS), horizon_months, N_BINS), dtype=np.int32)

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
            low, high = METRIC_RANGES[metric]
            bins = np.clip(((x - low) / (high - low) * N_BINS).astype(np.int64), 0, N_BINS - 1)
            flat = np.bincount(months[standing] * N_BINS + bins,
                               minlength=self.horizon_months * N_BINS)
            self.histograms[k] += flat.reshape(self.horizon_months, N_BINS)

    def merge(self, other: Trajectories) -> None:
        self.standing += other.standing
        self.sums += other.sums
        self.histograms += other.histograms

    def table(self) -> dict[str, np.ndarray]:
        """Monthly mean and 5%/95% quantiles per metric, NaN where nothing stands."""
        out = {"month": np.arange(self.horizon_months), "standing": self.standing.copy()}
        with np.errstate(invalid="ignore", divide="ignore"):
            for k, metric in enumerate(METRICS):
                out[f"{metric}_mean"] = np.where(
                    self.standing > 0, self.sums[k] / FIXED_POINT / self.standing, np.nan)
                for q in QUANTILES:
                    out[f"{metric}_q{round(q * 100):02d}"] = histogram_quantile(
                        self.histograms[k], q, METRIC_RANGES[metric])
        return out


def histogram_quantile(histograms: np.ndarray, q: float, value_range) -> np.ndarray:
    """Quantile ``q`` of each row of fixed-bin counts, interpolating linearly within a bin."""
    low, high = value_range
    width = (high - low) / histograms.shape[-1]
    cumulative = np.cumsum(histograms, axis=-1)
    total = cumulative[..., -1]
    target = q * total
    index = np.array([np.searchsorted(row, x, side="left") for row, x in zip(cumulative, target,
                                                                                strict=True)])
    index = np.minimum(index, histograms.shape[-1] - 1)
    below = np.where(index > 0, np.take_along_axis(cumulative, np.maximum(index - 1, 0)[:, None],
                                                   axis=-1)[:, 0], 0)
    in_bin = np.take_along_axis(histograms, index[:, None], axis=-1)[:, 0]
    fraction = np.where(in_bin > 0, (target - below) / np.maximum(in_bin, 1), 0.0)
    return np.where(total > 0, low + (index + np.clip(fraction, 0.0, 1.0)) * width, np.nan)


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
                   horizon_months: int) -> ChunkResult:
    """Run the replications ``replications`` of parameter point ``point`` together.

    Every replication reads its own stream in fixed-shape blocks, so the history of replication
    r does not depend on which others run beside it. Replications that have ended are set
    aside every year, so the rest run on smaller arrays.
    """
    replications = np.asarray(replications, dtype=np.int64)
    streams = ReplicationStreams(seed, point, replications.tolist(), scenario.max_members)
    state = initial_state(scenario, streams.setup())
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
    trajectories = Trajectories(horizon_months)
    trajectories.add(observed)
    runs = np.concatenate(runs)
    events = np.concatenate(events)
    return ChunkResult(runs[np.argsort(runs["replication"], kind="stable")],
                       events[np.argsort(events["replication"], kind="stable")], trajectories)
