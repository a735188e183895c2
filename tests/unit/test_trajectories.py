"""Trajectory aggregates: fixed-bin quantiles that follow the observations, merged exactly."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from samenwerkingsim.model.ensemble import (
    METRIC_BINS,
    METRICS,
    VALUE_BINS,
    Trajectories,
    histogram_quantile,
)

VALUE = METRICS.index("value")


def _observations(value_samples, n_months=None, rng=None):
    """Observations ``(metrics, months, replications)`` with the given value per month and
    trust, ownership and quality uniform on [0, 1]."""
    value_samples = np.atleast_2d(value_samples)
    months, replications = value_samples.shape
    rng = np.random.default_rng(0) if rng is None else rng
    values = rng.random((len(METRICS), months, replications))
    values[VALUE] = value_samples
    return values


def _table(values):
    trajectories = Trajectories(values.shape[1])
    trajectories.add(values)
    return trajectories.table()


def test_value_quantiles_far_beyond_two_are_within_one_bin_of_numpy():
    rng = np.random.default_rng(1)
    samples = np.stack([
        rng.uniform(-30, 30, 20_000),  # the documented weights reach tens either way
        rng.uniform(-5, 60, 20_000),
        rng.normal(-100, 40, 20_000),
        rng.uniform(0.5, 900, 20_000),
    ])
    table = _table(_observations(samples, rng=rng))
    width = VALUE_BINS.bin_width  # every bin is this wide in the binning coordinate
    for q, column in ((0.05, "value_q05"), (0.95, "value_q95")):
        exact = np.quantile(samples, q, axis=1)
        distance = np.abs(VALUE_BINS.transform(table[column]) - VALUE_BINS.transform(exact))
        assert np.all(distance <= width), (q, table[column], exact)
    # The 5-95% band of U(-30, 30) is about [-27, 27], not collapsed onto [-2, 2].
    assert table["value_q05"][0] == pytest.approx(-27, abs=0.5)
    assert table["value_q95"][0] == pytest.approx(27, abs=0.5)


def test_value_quantiles_inside_two_keep_a_resolution_of_0_01():
    rng = np.random.default_rng(2)
    samples = np.stack([
        rng.uniform(-1.9, 1.9, 5000),
        rng.normal(0.0, 0.05, 5000),  # a narrow spread around 0 stays resolved
        rng.normal(-0.4, 0.3, 5000),
        rng.uniform(1.5, 1.99, 5000),
    ])
    table = _table(_observations(samples, rng=rng))
    for q, column in ((0.05, "value_q05"), (0.95, "value_q95")):
        exact = np.quantile(samples, q, axis=1)
        np.testing.assert_allclose(table[column], exact, rtol=0, atol=0.01)
    edges = VALUE_BINS.edges
    core = edges[(edges >= -2 - 1e-9) & (edges <= 2 + 1e-9)]
    assert core[0] == pytest.approx(-2) and core[-1] == pytest.approx(2)
    assert np.diff(core).max() <= 0.01 + 1e-12


def test_value_bins_cover_plus_minus_1000_with_about_one_percent_resolution():
    edges = VALUE_BINS.edges
    assert edges[0] == pytest.approx(-1000) and edges[-1] == pytest.approx(1000)
    assert np.all(np.diff(edges) > 0)
    tail = edges[edges >= 2 - 1e-9]
    np.testing.assert_allclose(tail[1:] / tail[:-1], np.exp(np.log(500) / 600), rtol=1e-9)
    # int32 counts: four metrics over a 40-year horizon stay a few megabytes.
    megabytes = sum(480 * bins.n_bins * 4 for bins in METRIC_BINS.values()) / 1e6
    assert megabytes < 6


@given(st.floats(-1000, 1000, allow_nan=False))
def test_value_binning_coordinate_maps_back_to_the_value(x):
    u = VALUE_BINS.transform(x)
    assert VALUE_BINS.inverse(u) == pytest.approx(x, rel=1e-12, abs=1e-12)
    i = int(VALUE_BINS.index(np.array([x]))[0])
    edges = VALUE_BINS.edges
    assert edges[i] - 1e-9 <= x <= edges[i + 1] + 1e-9


def test_values_beyond_plus_minus_1000_count_in_the_edge_bins():
    samples = np.array([[-1e6, -5e3, 1e4, 1e5, 0.0]])
    trajectories = Trajectories(1)
    trajectories.add(_observations(samples))
    counts = trajectories.histograms["value"][0]
    assert counts.sum() == 5
    assert counts[0] == 2 and counts[-1] == 2


@pytest.mark.parametrize("metric", ["trust", "ownership", "quality"])
def test_unit_metrics_keep_400_equal_bins_on_zero_to_one(metric):
    np.testing.assert_allclose(METRIC_BINS[metric].edges, np.linspace(0, 1, 401), atol=1e-15)
    # Hand calculation: 0.1, 0.2, 0.3, 0.4 fall in bins 40, 80, 120, 160 (0.0025 wide). The 5%
    # target 0.2 of 4 lies a fifth into bin 40: 40.2 * 0.0025 = 0.1005; the 95% target 3.8 lies
    # four fifths into bin 160: 160.8 * 0.0025 = 0.402.
    values = _observations(np.zeros((1, 4)))
    values[METRICS.index(metric), 0] = [0.1, 0.2, 0.3, 0.4]
    table = _table(values)
    assert table[f"{metric}_q05"][0] == pytest.approx(0.1005, abs=1e-12)
    assert table[f"{metric}_q95"][0] == pytest.approx(0.402, abs=1e-12)


def test_quantile_of_an_empty_month_is_nan_and_the_columns_are_unchanged():
    values = _observations(np.zeros((3, 2)))
    values[:, 1] = np.nan  # nothing standing in the second month
    table = _table(values)
    assert list(table) == ["month", "standing"] + [
        f"{m}_{s}" for m in METRICS for s in ("mean", "q05", "q95")
    ]
    assert table["standing"].tolist() == [2, 0, 2]
    assert np.isnan(table["value_q05"][1]) and np.isnan(table["trust_q95"][1])


def test_histogram_quantile_accepts_a_plain_range_for_equal_bins():
    counts = np.zeros((1, 4), dtype=np.int32)
    counts[0, 2] = 10  # all in [0, 0.5) of bins on [-1, 1]
    assert histogram_quantile(counts, 0.5, (-1.0, 1.0))[0] == pytest.approx(0.25)
    with pytest.raises(ValueError, match="4 bins, expected 1600"):
        histogram_quantile(counts, 0.5, VALUE_BINS)


def test_merging_chunks_in_any_order_gives_the_same_table():
    rng = np.random.default_rng(3)
    months, replications = 24, 600
    values = rng.random((len(METRICS), months, replications))
    values[VALUE] = rng.normal(0, 20, (months, replications)) * rng.random(replications)
    # Replications end at random months: NaN from then on, as simulate_chunk leaves them.
    ends = rng.integers(1, months + 1, replications)
    values[:, np.arange(months)[:, None] >= ends[None, :]] = np.nan

    whole = Trajectories(months)
    whole.add(values)
    expected = whole.table()

    chunks = []
    for part in np.array_split(np.arange(replications), 7):
        chunk = Trajectories(months)
        chunk.add(values[:, :, part])
        chunks.append(chunk)
    orders = [range(7), reversed(range(7)), rng.permutation(7), rng.permutation(7)]
    for order in orders:
        merged = Trajectories(months)
        for i in order:
            merged.merge(chunks[i])
        table = merged.table()
        assert list(table) == list(expected)
        for column in expected:
            np.testing.assert_array_equal(table[column], expected[column], err_msg=column)
    # Pairwise (tree) merging as well: the counts and fixed-point sums are integers.
    level = chunks
    while len(level) > 1:
        paired = []
        for a, b in zip(level[::2], level[1::2], strict=False):
            a.merge(b)
            paired.append(a)
        level = paired + ([level[-1]] if len(level) % 2 else [])
    for column in expected:
        np.testing.assert_array_equal(level[0].table()[column], expected[column])
