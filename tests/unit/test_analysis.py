"""Stability curves and comparisons on small hand-made sets of replications."""

import json
import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from samenwerkingsim.analysis import (
    OUTCOMES,
    compare,
    format_comparison_table,
    format_summary_table,
    stability_curves,
)

H = 240  # 20-year horizon, in months

# Censoring before events, with a tie of two causes in month 6. Hand calculation:
#   month  2: 8 at risk, 1 dissolution      S = 7/8
#   month  4: 1 censored (6 left at risk)
#   month  6: 6 at risk, 1 dissolution + 1 merger   S = 7/8 * 4/6 = 7/12
#   month 10: 1 censored (3 left at risk)
#   month 12: 3 at risk, 1 dissolution      S = 7/12 * 2/3 = 7/18
#   month 24: 2 censored at the horizon
# Aalen-Johansen: F_dissolution = 1/8 + (7/8)(1/6) + (7/12)(1/3) = 67/144,
#                 F_merger      = (7/8)(1/6) = 21/144.
HAND_MONTHS = [2, 4, 6, 6, 10, 12, 24, 24]
HAND_OUTCOMES = [
    "dissolution",
    "censored",
    "merger",
    "dissolution",
    "censored",
    "dissolution",
    "censored",
    "censored",
]
HAND_H = 24

Z_975 = NormalDist().inv_cdf(0.975)  # 1.959964..., the two-sided 95% normal quantile


def _log_log_band(s, greenwood_sum):
    """Hand calculation of the Kalbfleisch-Prentice log-log interval of S: the normal interval
    of log(-log S), whose standard error is sqrt(Greenwood sum) / |log S|, mapped back."""
    se = math.sqrt(greenwood_sum) / abs(math.log(s))
    return s ** math.exp(Z_975 * se), s ** math.exp(-Z_975 * se)


def _synthetic(rng, n, scale_months, p_dissolution, horizon=H):
    """Exponential lifetimes, censored only at the horizon."""
    t = rng.exponential(scale_months, n).astype(int)
    o = np.where(rng.random(n) < p_dissolution, "dissolution", "merger")
    o = np.where(t >= horizon, "censored", o)
    return np.minimum(t, horizon), o


def test_km_equals_empirical_fraction_standing_when_censoring_only_at_horizon():
    rng = np.random.default_rng(11)
    t, o = _synthetic(rng, 500, 150, 0.6)
    res = stability_curves(t, o, H)
    # Still standing after month m: ended later, or never ended (censored at the horizon).
    empirical = np.array([((t > m) | (o == "censored")).mean() for m in range(H + 1)])
    np.testing.assert_allclose(res.survival, empirical, atol=1e-12)


def test_km_matches_hand_calculation_with_censoring_before_events():
    res = stability_curves(HAND_MONTHS, HAND_OUTCOMES, HAND_H)
    expected = np.ones(HAND_H + 1)
    expected[2:] = 7 / 8
    expected[6:] = 7 / 12
    expected[12:] = 7 / 18
    np.testing.assert_allclose(res.survival, expected, atol=1e-12)


def test_log_log_band_matches_hand_calculation_at_first_event():
    res = stability_curves(HAND_MONTHS, HAND_OUTCOMES, HAND_H)
    # Month 2: 8 at risk, 1 ending; Greenwood sum d / (n (n - d)) = 1 / 56.
    expected = _log_log_band(7 / 8, 1 / (8 * 7))
    assert res.survival_ci_at(2 / 12) == pytest.approx(expected, abs=1e-9)
    # Not the old linear interval S +- z S sqrt(1/56), which reaches 1.0 at the top.
    linear_low = 7 / 8 - Z_975 * 7 / 8 * math.sqrt(1 / 56)
    assert abs(res.survival_low[2] - linear_low) > 0.05


def test_log_log_band_matches_hand_calculation_after_censoring_and_a_tie():
    res = stability_curves(HAND_MONTHS, HAND_OUTCOMES, HAND_H)
    # Month 6: 6 at risk (one censored at month 4), 2 endings; Greenwood sum 1/56 + 2/(6 * 4).
    expected = _log_log_band(7 / 12, 1 / 56 + 2 / (6 * 4))
    assert (res.survival_low[6], res.survival_high[6]) == pytest.approx(expected, abs=1e-9)
    # Month 12: 3 at risk, 1 ending; the band holds until the next ending (none before 24).
    expected = _log_log_band(7 / 18, 1 / 56 + 2 / 24 + 1 / (3 * 2))
    for month in (12, 18, 24):
        assert (res.survival_low[month], res.survival_high[month]) == pytest.approx(
            expected, abs=1e-9
        )


def test_aalen_johansen_matches_hand_calculation():
    res = stability_curves(HAND_MONTHS, HAND_OUTCOMES, HAND_H)
    assert res.incidence_at("dissolution", 2) == pytest.approx(67 / 144)
    assert res.incidence_at("merger", 2) == pytest.approx(21 / 144)
    assert res.incidence["dissolution"][5] == pytest.approx(1 / 8)
    assert res.incidence["merger"][5] == 0


def test_incidences_plus_survival_add_to_one_when_censoring_only_at_horizon():
    rng = np.random.default_rng(12)
    t, o = _synthetic(rng, 400, 120, 0.7)
    res = stability_curves(t, o, H)
    total = res.survival + res.incidence["dissolution"] + res.incidence["merger"]
    np.testing.assert_allclose(total, 1.0, atol=1e-12)
    # With censoring only at the horizon, each incidence is the plain fraction ended that way.
    for cause in ("dissolution", "merger"):
        empirical = np.array([((t <= m) & (o == cause)).mean() for m in range(H + 1)])
        np.testing.assert_allclose(res.incidence[cause], empirical, atol=1e-12)


def test_incidences_plus_survival_add_to_one_with_early_censoring():
    # Our Aalen-Johansen and scipy's Kaplan-Meier must agree on the all-cause survival.
    res = stability_curves(HAND_MONTHS, HAND_OUTCOMES, HAND_H)
    total = res.survival + res.incidence["dissolution"] + res.incidence["merger"]
    np.testing.assert_allclose(total, 1.0, atol=1e-12)


def test_curves_are_monotone_and_band_contains_estimate():
    rng = np.random.default_rng(13)
    t, o = _synthetic(rng, 200, 90, 0.5)
    res = stability_curves(t, o, H)
    assert np.all(np.diff(res.survival) <= 0)
    for cause in ("dissolution", "merger"):
        assert np.all(np.diff(res.incidence[cause]) >= 0)
    assert np.all(res.survival_low <= res.survival)
    assert np.all(res.survival <= res.survival_high)
    assert res.survival_low.min() >= 0 and res.survival_high.max() <= 1


def test_survival_is_one_before_the_first_ending_with_exact_binomial_band():
    res = stability_curves([30, 240], ["merger", "censored"], H)
    assert np.all(res.survival[:30] == 1)
    # Clopper-Pearson for 2 standing out of 2: lower bound 0.025 ** (1/2) = 0.158.
    np.testing.assert_allclose(res.survival_low[:30], 0.025 ** (1 / 2), rtol=1e-12)
    assert np.all(res.survival_high[:30] == 1)
    assert res.survival[30] == 0.5


def test_no_endings_at_all_gives_flat_curves_and_no_median():
    res = stability_curves([H] * 10, ["censored"] * 10, H)
    assert np.all(res.survival == 1)
    np.testing.assert_allclose(res.survival_low, 0.025 ** (1 / 10), rtol=1e-12)  # 0.6915
    assert np.all(res.survival_high == 1)
    assert np.all(res.incidence["dissolution"] == 0) and np.all(res.incidence["merger"] == 0)
    assert res.median_lifetime_years is None


@pytest.mark.parametrize("n", [1, 3, 10, 100, 1000])
def test_band_with_no_endings_is_clopper_pearson_lower_bound_0_025_to_the_1_over_n(n):
    res = stability_curves([H] * n, ["censored"] * n, H)
    np.testing.assert_allclose(res.survival_low, 0.025 ** (1 / n), rtol=1e-12)
    assert np.all(res.survival_high == 1)
    # The same bound from scipy's exact binomial interval for n successes in n trials.
    exact = stats.binomtest(n, n).proportion_ci(0.95, method="exact")
    assert res.survival_low[0] == pytest.approx(exact.low, rel=1e-9)
    assert exact.high == 1


def test_band_with_no_endings_shrinks_towards_one_as_n_grows():
    sizes = [1, 2, 5, 10, 50, 200, 1000, 10_000]
    lows = [stability_curves([H] * n, ["censored"] * n, H).survival_low[H] for n in sizes]
    assert np.all(np.diff(lows) > 0)
    assert lows[0] == pytest.approx(0.025)
    assert 1 - lows[-1] == pytest.approx(-math.log(0.025) / 10_000, rel=1e-3)  # 3.7e-4


def test_band_before_first_ending_uses_the_replications_still_at_risk():
    # One replication censored at month 5 before any ending: 4 at risk up to month 5, 3 after.
    months = [5, 10, 24, 24]
    outcomes = ["censored", "dissolution", "censored", "censored"]
    res = stability_curves(months, outcomes, 24)
    np.testing.assert_allclose(res.survival_low[:6], 0.025 ** (1 / 4), rtol=1e-12)
    np.testing.assert_allclose(res.survival_low[6:10], 0.025 ** (1 / 3), rtol=1e-12)
    assert np.all(res.survival_high[:10] == 1)
    # Month 10: 3 at risk, 1 ending, S = 2/3, back on the log-log interval.
    assert res.survival_ci_at(10 / 12) == pytest.approx(_log_log_band(2 / 3, 1 / 6), abs=1e-9)


def test_every_replication_ending_gives_finite_band_down_to_zero():
    # log(-log S) is undefined once everyone at risk has ended (S = 0); no NaN may leak out.
    res = stability_curves([12, 24, 36], ["dissolution", "merger", "dissolution"], H)
    assert res.survival_at(3) == 0
    for band in (res.survival_low, res.survival_high):
        assert np.all(np.isfinite(band))
    assert np.all(res.survival_low[36:] == 0)
    assert np.all(res.survival_high[36:] >= res.survival_high[35])  # carried forward, not 0
    assert res.incidence_at("dissolution", 20) == pytest.approx(2 / 3)


@st.composite
def _replication_sets(draw):
    """Any small set of replications: early censoring, ties, all ended or none ended."""
    horizon = draw(st.integers(1, 60))
    n = draw(st.integers(1, 25))
    months = draw(st.lists(st.integers(0, horizon), min_size=n, max_size=n))
    outcomes = draw(st.lists(st.sampled_from(OUTCOMES), min_size=n, max_size=n))
    return months, outcomes, horizon


@given(_replication_sets())
def test_band_always_contains_the_estimate_and_lies_in_the_unit_interval(data):
    res = stability_curves(*data)
    low, s, high = res.survival_low, res.survival, res.survival_high
    assert np.all(np.isfinite(low)) and np.all(np.isfinite(high))
    assert np.all((low >= 0) & (low <= s) & (s <= high) & (high <= 1))
    # Strictly below the estimate while S > 0: a finite sample never pins S down exactly.
    assert np.all(low[s > 0] < s[s > 0])


def test_log_log_band_covers_the_true_survival_near_one_at_least_95_percent_of_the_time():
    # Many small samples of exponential lifetimes (mean 20 years) with independent censoring
    # at whole months, so S(24) = P(floor(T) > 24) = exp(-25/240) = 0.90 is known exactly.
    rng = np.random.default_rng(20240617)
    horizon, month, samples = 36, 24, 1500
    truth = math.exp(-(month + 1) / 240)
    covered = 0
    for _ in range(samples):
        n = int(rng.integers(30, 91))
        lifetime = np.floor(rng.exponential(240.0, n)).astype(int)
        censored_after = np.minimum(rng.integers(0, 2 * horizon + 1, n), horizon)
        ended = lifetime <= censored_after
        res = stability_curves(
            np.where(ended, lifetime, censored_after),
            np.where(ended, "dissolution", "censored"),
            horizon,
        )
        covered += res.survival_low[month] <= truth <= res.survival_high[month]
    coverage = covered / samples
    # The binomial standard error of a coverage estimated from 1500 samples is
    # sqrt(0.95 * 0.05 / 1500) = 0.0056; 4 SE = 0.0225. With 20,000 samples of this design
    # the log-log band covers 0.963 (slightly conservative at these n) and the old linear
    # Greenwood band 0.901: too narrow near 1, it fails the first check for almost any seed.
    tolerance = 4 * math.sqrt(0.95 * 0.05 / samples)
    assert coverage >= 0.95 - tolerance
    # Not much wider than it needs to be: 0.015 allows for the known small-sample excess.
    assert coverage <= 0.95 + 0.015 + tolerance


def test_median_lifetime_of_known_set_is_month_of_fifth_ending_of_ten():
    months = [12, 24, 36, 48, 60, 72, H, H, H, H]
    outcomes = ["dissolution"] * 3 + ["merger"] * 3 + ["censored"] * 4
    res = stability_curves(months, outcomes, H)
    assert res.median_lifetime_years == 5.0  # S drops to exactly 0.5 at month 60


def test_survival_at_reads_the_step_function_between_months():
    res = stability_curves(HAND_MONTHS, HAND_OUTCOMES, HAND_H)
    assert res.survival_at(0.5) == pytest.approx(7 / 12)  # month 6 includes its endings
    assert res.survival_at(5.99 / 12) == pytest.approx(7 / 8)


def test_outcome_counts_and_shares():
    res = stability_curves(HAND_MONTHS, HAND_OUTCOMES, HAND_H)
    assert res.outcome_counts == {"dissolution": 3, "merger": 1, "censored": 4}
    assert res.outcome_shares == {"dissolution": 3 / 8, "merger": 1 / 8, "censored": 0.5}
    assert set(res.outcome_shares) == set(OUTCOMES)


def test_summary_is_json_serialisable_with_plain_floats():
    rng = np.random.default_rng(14)
    res = stability_curves(*_synthetic(rng, 100, 150, 0.5), H)
    summary = res.to_summary()
    json.dumps(summary, allow_nan=False)
    assert list(summary) == [
        "n_replications",
        "horizon_years",
        "survival",
        "survival_ci",
        "median_lifetime_years",
        "outcome_shares",
        "incidence_10y",
    ]
    assert summary["n_replications"] == 100 and summary["horizon_years"] == 20.0
    assert list(summary["survival"]) == ["5", "10", "15", "20"]
    assert all(type(v) is float for v in summary["survival"].values())
    assert all(type(x) is float for pair in summary["survival_ci"].values() for x in pair)
    assert set(summary["incidence_10y"]) == {"dissolution", "merger"}


def test_summary_omits_years_beyond_the_horizon():
    res = stability_curves([30, 144], ["merger", "censored"], 144)  # 12-year horizon
    summary = res.to_summary()
    assert list(summary["survival"]) == ["5", "10"]
    assert list(summary["survival_ci"]) == ["5", "10"]
    assert summary["median_lifetime_years"] == 2.5
    short = stability_curves([30, 60], ["merger", "censored"], 60).to_summary()
    assert list(short["survival"]) == ["5"]
    assert short["incidence_10y"] == {"dissolution": None, "merger": None}
    json.dumps(short, allow_nan=False)


@pytest.mark.parametrize(
    ("months", "outcomes", "horizon", "match"),
    [
        ([10, 20], ["dissolution", "mergr"], H, "'mergr'"),
        ([10, -3], ["dissolution", "merger"], H, "-3"),
        ([10, 20, 30], ["dissolution", "merger"], H, "3 != 2"),
        ([], [], H, "empty"),
        ([10, 250], ["dissolution", "censored"], H, "250"),
        ([10.5, 20], ["dissolution", "merger"], H, "10.5"),
        ([10, 20], ["dissolution", "merger"], 0, "0"),
        ([10, 20], ["dissolution", "merger"], 240.0, "240.0"),
    ],
    ids=[
        "unknown-label",
        "negative-month",
        "lengths",
        "empty",
        "beyond-horizon",
        "fractional-month",
        "zero-horizon",
        "float-horizon",
    ],
)
def test_bad_input_raises_value_error_naming_the_value(months, outcomes, horizon, match):
    with pytest.raises(ValueError, match=match):
        stability_curves(months, outcomes, horizon)


def test_whole_months_stored_as_floats_are_accepted():
    res = stability_curves(np.array([12.0, 240.0]), ["dissolution", "censored"], H)
    assert res.survival_at(1) == 0.5


def test_reading_beyond_the_horizon_or_an_unknown_cause_raises():
    res = stability_curves([30, 60], ["merger", "censored"], 60)
    with pytest.raises(ValueError, match="years=10"):
        res.survival_at(10)
    with pytest.raises(ValueError, match="-1"):
        res.survival_ci_at(-1)
    with pytest.raises(ValueError, match="'exit'"):
        res.incidence_at("exit", 1)


def test_arrays_of_result_are_read_only():
    res = stability_curves(HAND_MONTHS, HAND_OUTCOMES, HAND_H)
    with pytest.raises(ValueError, match="read-only"):
        res.survival[0] = 0.3


def test_logrank_of_identical_samples_has_p_close_to_one():
    rng = np.random.default_rng(15)
    sample = _synthetic(rng, 200, 150, 0.5)
    cmp = compare({"a": sample, "b": sample}, H)
    chi2, p = cmp.logrank["b"]
    assert chi2 == pytest.approx(0, abs=1e-12)
    assert p > 0.99


def test_logrank_of_clearly_different_samples_has_small_p():
    rng = np.random.default_rng(16)
    # Mean lifetimes of 5 and 20 years with n = 200 each: the hazard ratio of 4 gives a
    # log-rank z far beyond 3.3 (p = 0.001) for any seed.
    cmp = compare(
        {"short": _synthetic(rng, 200, 60, 0.5), "long": _synthetic(rng, 200, 240, 0.5)}, H
    )
    chi2, p = cmp.logrank["long"]
    assert p < 0.001
    assert chi2 > 10.83  # the chi-squared(1) critical value at 0.001


def test_comparison_keeps_order_and_tests_every_scenario_but_the_first():
    rng = np.random.default_rng(17)
    named = {name: _synthetic(rng, 50, 150, 0.5) for name in ("base", "x", "y")}
    cmp = compare(named, H)
    assert cmp.names == ("base", "x", "y")
    assert set(cmp.curves) == {"base", "x", "y"}
    assert set(cmp.logrank) == {"x", "y"}


def test_logrank_without_any_endings_is_nan_not_an_error():
    none_ended = ([H] * 5, ["censored"] * 5)
    cmp = compare({"a": none_ended, "b": none_ended}, H)
    chi2, p = cmp.logrank["b"]
    assert math.isnan(chi2) and math.isnan(p)
    assert "n/a" in format_comparison_table(cmp)


def test_compare_names_the_scenario_with_bad_input():
    with pytest.raises(ValueError, match=r"'broken'.*'gone'"):
        compare({"ok": ([10], ["merger"]), "broken": ([10], ["gone"])}, H)
    with pytest.raises(ValueError, match="at least one"):
        compare({}, H)


def test_summary_table_shows_survival_median_and_shares():
    res = stability_curves(HAND_MONTHS, HAND_OUTCOMES, 240)
    text = format_summary_table(res, "baseline")
    assert text.splitlines()[0].startswith("baseline")
    for fragment in ("0.389", "1.0 y", "37.5 %", "12.5 %", "50.0 %", "dissolution", "merger"):
        assert fragment in text
    never = stability_curves([H] * 3, ["censored"] * 3, H)
    assert "> horizon" in format_summary_table(never, "stable")


def test_comparison_table_has_one_row_per_scenario():
    rng = np.random.default_rng(18)
    named = {name: _synthetic(rng, 80, 150, 0.5) for name in ("base", "committees", "centrum")}
    text = format_comparison_table(compare(named, H))
    lines = text.splitlines()
    for name in named:
        assert sum(line.startswith(name) for line in lines) == 1
    assert "chi2" in lines[0] and "(ref)" in text
