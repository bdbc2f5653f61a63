"""Least squares and prediction intervals (models/forecast.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.forecast import backtest, choose_forecast, evaluate, fit, forecast_next_period, in_words


def test_worked_example_is_exact() -> None:
    line = fit([25, 30, 35, 40], [5000, 6000, 7000, 8000])
    assert line.slope == pytest.approx(200.0)
    assert line.intercept == pytest.approx(0.0, abs=1e-9)
    assert line.residuals == pytest.approx([0.0, 0.0, 0.0, 0.0], abs=1e-9)
    assert line.predict(50) == pytest.approx(10000.0)
    low, high = line.interval(50)
    assert low == pytest.approx(10000.0)
    assert high == pytest.approx(10000.0)


def test_noisy_fit_matches_numpy_polyfit() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 100, 60)
    y = 12.5 - 0.8 * x + rng.normal(0, 5, 60)
    line = fit(x, y)
    slope, intercept = np.polyfit(x, y, 1)
    assert line.slope == pytest.approx(slope, rel=1e-9)
    assert line.intercept == pytest.approx(intercept, rel=1e-9)
    residuals = y - (intercept + slope * x)
    assert np.allclose(line.residuals, residuals)
    assert line.sigma == pytest.approx(math.sqrt(residuals @ residuals / 58), rel=1e-9)


def test_interval_covers_about_the_level_of_new_points() -> None:
    rng = np.random.default_rng(11)
    x = np.arange(20, dtype=float)
    inside = 0
    draws = 500
    for _ in range(draws):
        line = fit(x, 3.0 + 2.0 * x + rng.normal(0, 4, x.size))
        low, high = line.interval(25.0, level=0.9)
        inside += low <= 3.0 + 2.0 * 25.0 + rng.normal(0, 4) <= high
    assert 0.85 <= inside / draws <= 0.95


def test_interval_widens_away_from_the_data_and_with_level() -> None:
    rng = np.random.default_rng(5)
    x = np.arange(30, dtype=float)
    line = fit(x, 10 + x + rng.normal(0, 2, 30))
    near = line.interval(15.0)
    far = line.interval(60.0)
    wide = line.interval(15.0, level=0.99)
    assert far[1] - far[0] > near[1] - near[0]
    assert wide[1] - wide[0] > near[1] - near[0]


def test_degenerate_inputs_are_handled() -> None:
    one = fit([3.0], [7.0])
    assert (one.slope, one.predict(10)) == (0.0, 7.0)
    assert one.interval(10) == (-math.inf, math.inf)
    two = fit([1.0, 2.0], [1.0, 3.0])
    assert two.slope == pytest.approx(2.0)
    assert two.dof == 0
    assert two.interval(3.0) == (-math.inf, math.inf)
    flat_x = fit([4.0, 4.0, 4.0], [1.0, 2.0, 3.0])  # no x variance: the mean, with its spread
    assert flat_x.slope == 0.0
    assert flat_x.predict(100) == pytest.approx(2.0)
    low, high = flat_x.interval(4.0)
    assert low < 2.0 < high


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        ([], [], "at least one point"),
        ([1, 2], [1], "same length"),
        ([1, float("nan")], [1, 2], "finite"),
        (["a", "b"], [1, 2], "list of numbers"),
    ],
)
def test_bad_input_gets_one_clear_sentence(x: list, y: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit(x, y)


def test_forecast_next_week_of_a_linear_trend() -> None:
    days = [100 + 2 * d for d in range(28)]
    forecast = forecast_next_period(days, 7)
    assert forecast.expected == pytest.approx(sum(100 + 2 * d for d in range(28, 35)))
    assert forecast.slope_per_day == pytest.approx(2.0)
    assert forecast.low == pytest.approx(forecast.expected)  # a perfect line has no spread


def test_forecast_interval_covers_simulated_next_periods() -> None:
    rng = np.random.default_rng(8)
    inside = 0
    draws = 400
    for _ in range(draws):
        series = rng.poisson(200 + 3 * np.arange(42))
        forecast = forecast_next_period(series.tolist(), 7)
        actual = rng.poisson(200 + 3 * np.arange(42, 49)).sum()
        assert forecast.low is not None
        assert forecast.high is not None
        inside += forecast.low <= actual <= forecast.high
    assert 0.84 <= inside / draws <= 0.96


def test_forecast_with_too_little_data_has_no_interval() -> None:
    forecast = forecast_next_period([40, 50], 7)
    assert forecast.low is None
    assert forecast.high is None
    assert forecast.expected == pytest.approx(sum(40 + 10 * d for d in range(2, 9)))
    assert forecast_next_period([0, 0, 0, 0], 7).expected == 0.0


def test_forecast_never_goes_negative() -> None:
    forecast = forecast_next_period([50, 40, 30, 20, 10, 5], 7)
    assert forecast.expected == 0.0
    assert forecast.low == 0.0


def test_forecast_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="period_days"):
        forecast_next_period([1, 2, 3], 0)
    with pytest.raises(ValueError, match="negative"):
        forecast_next_period([1, -2, 3], 7)
    with pytest.raises(ValueError, match="at least one point"):
        forecast_next_period([], 7)


def _weekly_series(weeks: int, seed: int, trend: float = 0.0) -> np.ndarray:
    """Daily counts with a weekday pattern, a slow trend and Poisson noise."""
    rng = np.random.default_rng(seed)
    pattern = np.array([1.3, 1.2, 1.1, 1.0, 0.9, 0.5, 0.4])
    days = np.arange(weeks * 7)
    level = 300 * (1 + trend * days / days.size)
    return rng.poisson(level * pattern[days % 7]).astype(float)


def test_chosen_forecast_beats_least_squares_on_a_noisy_flat_series() -> None:
    series = _weekly_series(60, seed=3)
    tests = backtest(series, 7)
    chosen = choose_forecast(series, 7)
    assert chosen.method != "least squares"
    assert chosen.backtests == len(tests["naive"].actuals) >= 30
    assert chosen.mae is not None
    assert chosen.mae <= tests["least squares"].mae
    assert chosen.mae <= tests["naive"].mae


def test_walk_forward_interval_holds_about_as_often_as_it_says() -> None:
    inside = total = 0.0
    for seed in range(4):
        ev = evaluate(_weekly_series(60, seed=seed, trend=0.3), 7, 0.8, periods=30)
        assert ev is not None
        inside += ev.coverage * ev.origins
        total += ev.origins
        assert ev.mae < ev.naive_mae * 1.05
    assert 0.7 <= inside / total <= 0.9


def test_forecast_in_words() -> None:
    f = choose_forecast(_weekly_series(60, seed=1), 7)
    text = in_words(f, "week")
    assert text.startswith("next week: about ")
    assert ", likely " in text
    assert "; a quiet week would be under " in text
    assert "." not in text.split("about ")[1].split(" ")[0]  # a whole, rounded number


def test_too_short_history_falls_back_to_least_squares() -> None:
    f = choose_forecast([10, 12, 11, 13, 12, 14, 15, 13, 12, 14, 15, 16, 14, 13], 7)
    assert f.method == "least squares"
    assert evaluate([10] * 30, 7) is None
