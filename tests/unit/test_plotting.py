"""Figures: each plot function returns its Axes, draws what it promises, saves with metadata."""

from itertools import pairwise

import numpy as np
import pytest
from matplotlib.axes import Axes
from PIL import Image

from samenwerkingsim.analysis import compare, stability_curves
from samenwerkingsim.plotting import (
    TRAJECTORY_METRICS,
    new_figure,
    plot_comparison,
    plot_stability,
    plot_trajectories,
    save_figure,
)

H = 240


def _sample(rng, n=60, scale=150, horizon=H):
    t = rng.exponential(scale, n).astype(int)
    o = np.where(rng.random(n) < 0.5, "dissolution", "merger")
    o = np.where(t >= horizon, "censored", o)
    return np.minimum(t, horizon), o


def _trajectories(months=H):
    month = np.arange(months + 1)
    data = {"month": month}
    for i, metric in enumerate(TRAJECTORY_METRICS):
        mean = np.linspace(0.3, 0.7, month.size) + 0.01 * i
        mean[-12:] = np.nan  # no replication standing in the last year
        data[f"{metric}_mean"] = mean
        data[f"{metric}_q05"] = mean - 0.1
        data[f"{metric}_q95"] = mean + 0.1
    return data


def test_plot_stability_returns_axes_with_survival_and_two_incidence_lines():
    curves = stability_curves(*_sample(np.random.default_rng(1)), H)
    ax = plot_stability(curves, label="baseline")
    assert isinstance(ax, Axes)
    assert len(ax.lines) == 3
    assert len(ax.collections) == 1  # the 95% band
    low, high = ax.get_ylim()  # probabilities, with room for curves at 0 and 1
    assert -0.05 < low < 0 and 1 < high < 1.05
    assert ax.get_xlim() == (0, 20)
    assert all(t.get_text().startswith("baseline: ") for t in ax.get_legend().get_texts())


def test_plot_stability_draws_on_the_given_axes():
    curves = stability_curves(*_sample(np.random.default_rng(2)), H)
    fig, ax = new_figure()
    assert plot_stability(curves, ax=ax) is ax
    plot_stability(curves, ax=ax, label="again")
    assert len(ax.lines) == 6
    assert fig.axes == [ax]


def test_plot_comparison_draws_one_survival_line_and_band_per_scenario():
    rng = np.random.default_rng(3)
    cmp = compare({name: _sample(rng) for name in ("base", "committees", "centrum")}, H)
    ax = plot_comparison(cmp)
    assert isinstance(ax, Axes)
    assert len(ax.lines) == 3 and len(ax.collections) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(cmp.names)


def test_plot_trajectories_draws_a_mean_line_and_band_per_metric():
    axes = plot_trajectories(_trajectories())
    assert axes.shape == (2, 2)
    for ax, metric in zip(axes.flat, TRAJECTORY_METRICS, strict=True):
        assert isinstance(ax, Axes)
        assert ax.get_title() == metric
        assert len(ax.lines) == 1 and len(ax.collections) == 1
    assert axes[1, 0].get_xlabel() == "years since start"


def test_plot_trajectories_uses_given_axes_and_names_a_missing_key():
    fig, axes = new_figure(2, 2)
    assert plot_trajectories(_trajectories(), axes=axes) is not None
    assert all(len(ax.lines) == 1 for ax in fig.axes)
    data = _trajectories()
    del data["value_q95"]
    with pytest.raises(KeyError, match="value_q95"):
        plot_trajectories(data)


def test_save_figure_writes_png_with_metadata_and_leaves_no_temp_file(tmp_path):
    curves = stability_curves(*_sample(np.random.default_rng(4)), H)
    ax = plot_stability(curves)
    metadata = {"Software": "samenwerkingsim 0.1.0", "Description": "scenario hash 1a2b3c"}
    path = save_figure(ax.figure, tmp_path / "stability.png", metadata)
    assert path == tmp_path / "stability.png"
    assert list(tmp_path.iterdir()) == [path]
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size[0] > 100 and image.size[1] > 100
        text = image.text
    assert text["Software"] == "samenwerkingsim 0.1.0"
    assert text["Description"] == "scenario hash 1a2b3c"


def test_save_figure_replaces_an_existing_file(tmp_path):
    path = tmp_path / "figure.png"
    path.write_bytes(b"old")
    fig, _ = new_figure()
    save_figure(fig, path, {"Description": "new"})
    with Image.open(path) as image:
        assert image.text["Description"] == "new"
    assert list(tmp_path.iterdir()) == [path]


def test_save_figure_cleans_up_when_writing_fails(tmp_path, monkeypatch):
    fig, _ = new_figure()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("samenwerkingsim.plotting.curves.os.replace", fail)
    with pytest.raises(OSError, match="disk full"):
        save_figure(fig, tmp_path / "figure.png", {})
    assert list(tmp_path.iterdir()) == []


def test_save_figure_creates_the_output_folder(tmp_path):
    fig, _ = new_figure()
    path = save_figure(fig, tmp_path / "new" / "figure.png", {})
    assert path.exists()


def _visible_major_ticks(ax):
    low, high = ax.get_xlim()
    return [t for t in ax.get_xticks() if low - 1e-9 <= t <= high + 1e-9]


def _time_axes(horizon_years):
    """The stability, comparison and trajectory axes of a run with this horizon."""
    months = horizon_years * 12
    rng = np.random.default_rng(horizon_years)
    curves = stability_curves(*_sample(rng, scale=months / 2, horizon=months), months)
    cmp = compare({"a": _sample(rng, scale=months, horizon=months)}, months)
    trajectory_axes = plot_trajectories(_trajectories(months)).flat
    return [plot_stability(curves), plot_comparison(cmp), *trajectory_axes]


@pytest.mark.parametrize("horizon_years", [5, 20, 40, 100, 200])
def test_time_axes_have_at_most_11_visible_major_ticks(horizon_years):
    for ax in _time_axes(horizon_years):
        ticks = _visible_major_ticks(ax)
        assert 3 <= len(ticks) <= 11, (horizon_years, ticks)


@pytest.mark.parametrize("horizon_years", [20, 40])
def test_summary_years_5_10_15_20_are_ticks_of_20_and_40_year_horizons(horizon_years):
    for ax in _time_axes(horizon_years):
        assert {5, 10, 15, 20} <= set(_visible_major_ticks(ax))


@pytest.mark.parametrize(
    ("horizon_years", "step"), [(50, 5), (60, 10), (100, 10), (150, 20), (200, 20), (250, 25)]
)
def test_long_horizons_get_round_tick_spacing(horizon_years, step):
    ax = _time_axes(horizon_years)[0]
    ticks = _visible_major_ticks(ax)
    np.testing.assert_allclose(np.diff(ticks), step)
    assert ticks[0] == 0 and ticks[-1] == pytest.approx(horizon_years // step * step)


def _overlapping_labels(fig, axes):
    fig.draw_without_rendering()
    pairs = []
    for ax in axes:
        low, high = ax.get_xlim()
        labels = [
            tick.label1
            for tick in ax.xaxis.get_major_ticks()
            if tick.label1.get_visible() and tick.label1.get_text()
            and low - 1e-9 <= tick.get_loc() <= high + 1e-9
        ]
        boxes = sorted((label.get_window_extent() for label in labels), key=lambda b: b.x0)
        pairs += [(a, b) for a, b in pairwise(boxes) if a.x1 > b.x0]
    return pairs


def test_year_labels_do_not_overlap_on_a_200_year_horizon_at_the_cli_figure_sizes():
    months = 200 * 12
    curves = stability_curves(*_sample(np.random.default_rng(5), scale=1200, horizon=months),
                              months)
    fig, ax = new_figure(figsize=(7, 4.5))
    plot_stability(curves, ax=ax)
    assert _overlapping_labels(fig, [ax]) == []
    fig, axes = new_figure(2, 2, figsize=(9, 6), sharex=True)
    plot_trajectories(_trajectories(months), axes=axes)
    assert _overlapping_labels(fig, axes[1]) == []  # the bottom row carries the labels
