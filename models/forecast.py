"""Forecasting a community's activity: candidate methods, backtests, calibrated intervals.

Least squares: slope = Σ(x-x̄)(y-ȳ) / Σ(x-x̄)², intercept = ȳ - slope·x̄; intervals for new
observations use the t distribution with n-2 degrees of freedom. `choose_forecast` compares it
with naive, seasonal-naive, exponential-smoothing and damped-trend forecasts on the series' own
past and keeps the winner; `in_words` phrases the result for an organizer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True, slots=True)
class Fit:
    """A fitted line y = intercept + slope·x.

    `sigma` is the residual standard error (sqrt(SSE / dof)); it is NaN when dof < 1, i.e. fewer
    than 3 points (or fewer than 2 when all x are equal, which leaves only the mean to fit).
    """

    slope: float
    intercept: float
    residuals: tuple[float, ...]
    sigma: float
    dof: int
    n: int
    x_mean: float
    sxx: float

    def predict(self, x: float) -> float:
        """The fitted value at x."""
        return self.intercept + self.slope * x

    def interval(self, x: float, level: float = 0.9) -> tuple[float, float]:
        """Prediction interval for one new observation at x.

        Returns (-inf, inf) when the data cannot estimate the noise (dof < 1): an honest "unknown".
        """
        if not 0.0 < level < 1.0:
            raise ValueError("level must be between 0 and 1, e.g. 0.9.")
        y = self.predict(x)
        if self.dof < 1:
            return (-math.inf, math.inf)
        lever = (x - self.x_mean) ** 2 / self.sxx if self.sxx > 0 else 0.0
        half = _t(level, self.dof) * self.sigma * math.sqrt(1.0 + 1.0 / self.n + lever)
        return (y - half, y + half)


def _t(level: float, dof: int) -> float:
    return float(stats.t.ppf(0.5 + level / 2.0, dof))


def _clean(values: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a list of numbers.") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a flat list of numbers.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers.")
    return arr


def fit(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> Fit:
    """Least-squares line through (x, y).

    With one point, or all x equal, the slope is 0 and the line is the mean of y.

    Raises:
        ValueError: empty input, unequal lengths or non-finite values.
    """
    xs, ys = _clean(x, "x"), _clean(y, "y")
    if xs.size != ys.size:
        raise ValueError(f"x and y must have the same length (got {xs.size} and {ys.size}).")
    n = int(xs.size)
    if n == 0:
        raise ValueError("need at least one point to fit a line.")
    x_mean, y_mean = float(xs.mean()), float(ys.mean())
    dx = xs - x_mean
    sxx = float(dx @ dx)
    # Relative check: x values like 1e9 + tiny jitter count as constant.
    if sxx <= 1e-12 * max(1.0, float(xs @ xs)):
        sxx, slope, params = 0.0, 0.0, 1
    else:
        slope, params = float(dx @ (ys - y_mean)) / sxx, 2
    intercept = y_mean - slope * x_mean
    residuals = ys - (intercept + slope * xs)
    dof = n - params
    sigma = math.sqrt(float(residuals @ residuals) / dof) if dof >= 1 else math.nan
    return Fit(slope, intercept, tuple(residuals.tolist()), sigma, dof, n, x_mean, sxx)


@dataclass(frozen=True, slots=True)
class Forecast:
    """Next period's total messages: point estimate and prediction interval (None if unknown)."""

    expected: float
    low: float | None
    high: float | None
    slope_per_day: float
    level: float
    days_used: int
    period_days: int
    method: str = "least squares"
    mae: float | None = None  # the chosen method's mean absolute error on past periods
    naive_mae: float | None = None  # the same for "last period's value"
    backtests: int = 0  # past periods behind `mae` and the interval


def forecast_next_period(
    daily_counts: Sequence[int], period_days: int, level: float = 0.9
) -> Forecast:
    """Forecast the total count over the `period_days` days after `daily_counts` (oldest first).

    Fits a line to the daily counts and sums it over the next period; the interval accounts for
    both the daily noise of the new days and the uncertainty of the fitted line:
    Var = σ²·(m + m²/n + (Σ(xⱼ-x̄))²/Sxx) for m new days. Counts cannot go below zero, so the
    expected value and the low end are clipped at 0.

    Raises:
        ValueError: no counts, a negative count or period_days < 1.
    """
    if period_days < 1:
        raise ValueError("period_days must be at least 1.")
    if not 0.0 < level < 1.0:
        raise ValueError("level must be between 0 and 1, e.g. 0.9.")
    counts = _clean(daily_counts, "daily_counts")
    if counts.size and counts.min() < 0:
        raise ValueError("daily_counts cannot be negative.")
    line = fit(np.arange(counts.size, dtype=float), counts)
    new_x = np.arange(counts.size, counts.size + period_days, dtype=float)
    total = float(line.intercept * period_days + line.slope * new_x.sum())
    low = high = None
    if line.dof >= 1:
        m, n = period_days, line.n
        spread = float((new_x - line.x_mean).sum())
        lever = spread**2 / line.sxx if line.sxx > 0 else 0.0
        half = _t(level, line.dof) * line.sigma * math.sqrt(m + m * m / n + lever)
        low, high = max(0.0, total - half), max(0.0, total + half)
    return Forecast(
        expected=max(0.0, total),
        low=low,
        high=high,
        slope_per_day=line.slope,
        level=level,
        days_used=line.n,
        period_days=period_days,
    )


# -- choosing a method on past data ------------------------------------------------------------
#
# Each candidate forecasts the total of the next `period_days` days from the daily counts before
# it. `choose_forecast` backtests every candidate on the community's own history (one-step-ahead
# forecasts of the last periods, each from the data before it), keeps the one with the lowest
# mean absolute error, and takes the interval from that method's own backtest errors (empirical
# quantiles of log((actual + 1) / (forecast + 1))), so "likely 2,300–3,600" holds about as often
# as it says on this community's past.

BACKTEST_PERIODS = 40  # most past periods each method is tried on
MIN_BACKTESTS = 6  # fewer backtests than this: the plain least-squares forecast and interval
_ALPHAS = np.array([0.2, 0.35, 0.5, 0.7, 0.9])
_BETAS = np.array([0.05, 0.15, 0.3])
_PHIS = np.array([0.8, 0.9, 0.98])


def _totals(daily: np.ndarray, days: int) -> np.ndarray:
    """Totals of the complete periods of `days` days, the last one ending with the series."""
    k = daily.size // days
    return daily[daily.size - k * days :].reshape(k, days).sum(axis=1) if k else np.zeros(0)


def _naive(daily: np.ndarray, days: int) -> float:
    """Last period's total."""
    return float(daily[-days:].sum()) * days / max(1, min(days, daily.size))


def _seasonal(daily: np.ndarray, days: int) -> float:
    """Seasonal naive by day of week: each coming day counts as the mean of the same weekday
    over the last four weeks."""
    n = daily.size
    total = 0.0
    for h in range(days):
        same = [daily[t] for t in range(n + h - 7, max(-1, n + h - 7 * 5), -7) if 0 <= t < n]
        total += float(np.mean(same[:4])) if same else float(daily.mean())
    return total


def _ols(daily: np.ndarray, days: int) -> float:
    history = daily[-max(14, 4 * days) :]
    return forecast_next_period(history, days).expected


def _smooth(series: np.ndarray, damped: bool) -> np.ndarray:
    """One-step-ahead forecasts of a (damped-trend) exponential smoother over a grid of
    parameters at once: shape (grid, len(series) + 1); column t forecasts series[t]."""
    if damped:
        a, b, p = (g.ravel() for g in np.meshgrid(_ALPHAS, _BETAS, _PHIS, indexing="ij"))
    else:
        a, b, p = _ALPHAS, np.zeros_like(_ALPHAS), np.ones_like(_ALPHAS)
    level = np.full(a.size, series[0], dtype=float)
    trend = np.zeros(a.size)
    out = np.empty((a.size, series.size + 1))
    out[:, 0] = series[0]
    for t, y in enumerate(series):
        new_level = a * y + (1 - a) * (level + p * trend)
        trend = b * (new_level - level) + (1 - b) * p * trend
        level = new_level
        out[:, t + 1] = level + p * trend
    return out


def _exp_smoothing(damped: bool) -> Callable[[np.ndarray, int], float]:
    def method(daily: np.ndarray, days: int) -> float:
        totals = _totals(daily, days)
        if totals.size < 3:
            return _naive(daily, days)
        paths = _smooth(totals, damped)
        errors = np.abs(paths[:, 1:-1] - totals[1:]).mean(axis=1)
        return float(paths[int(np.argmin(errors)), -1])

    return method


METHODS: dict[str, Callable[[np.ndarray, int], float]] = {
    "naive": _naive,
    "seasonal naive": _seasonal,
    "exponential smoothing": _exp_smoothing(damped=False),
    "damped trend": _exp_smoothing(damped=True),
    "least squares": _ols,
}


@dataclass(frozen=True, slots=True)
class Backtest:
    """One method's one-step-ahead forecasts of past periods and what really happened."""

    method: str
    forecasts: tuple[float, ...]
    actuals: tuple[float, ...]

    @property
    def mae(self) -> float:
        return float(np.mean(np.abs(np.subtract(self.forecasts, self.actuals))))


def backtest(
    daily: Sequence[int] | np.ndarray, period_days: int, *, periods: int = BACKTEST_PERIODS
) -> dict[str, Backtest]:
    """Every method's forecasts of the last `periods` complete periods, each made from the days
    before it (at least two periods and 14 days of history)."""
    counts = _clean(daily, "daily_counts")
    n, m = counts.size, period_days
    first = max(14, 2 * m)
    cuts = [n - j * m for j in range(1, periods + 1) if n - j * m >= first][::-1]
    out = {}
    for name, method in METHODS.items():
        fc = tuple(max(0.0, method(counts[:c], m)) for c in cuts)
        out[name] = Backtest(name, fc, tuple(float(counts[c : c + m].sum()) for c in cuts))
    return out


def _interval(test: Backtest, expected: float, level: float) -> tuple[float, float]:
    """The range past errors say a new period falls in `level` of the time: log ratios of
    actual to forecast, treated as a normal sample (a t prediction interval, so a short
    history widens it)."""
    ratios = np.log1p(np.asarray(test.actuals)) - np.log1p(np.asarray(test.forecasts))
    k = ratios.size
    half = _t(level, k - 1) * float(ratios.std(ddof=1)) * math.sqrt(1.0 + 1.0 / k)
    centre = math.log1p(expected) + float(ratios.mean())
    return max(0.0, math.expm1(centre - half)), max(0.0, math.expm1(centre + half))


def choose_forecast(
    daily_counts: Sequence[int] | np.ndarray, period_days: int, level: float = 0.8
) -> Forecast:
    """Forecast the next period with the method that did best on this series' own past.

    `level` is the share of past periods the interval would have held (the "likely" range).
    With too little history for a backtest it falls back to `forecast_next_period`.

    Raises:
        ValueError: as `forecast_next_period`.
    """
    plain = forecast_next_period(
        _clean(daily_counts, "daily_counts")[-max(14, 4 * period_days) :], period_days, level
    )
    counts = _clean(daily_counts, "daily_counts")
    tests = backtest(counts, period_days)
    if len(next(iter(tests.values())).actuals) < MIN_BACKTESTS:
        return plain
    name = min(tests, key=lambda k: (round(tests[k].mae, 6), list(METHODS).index(k)))
    expected = max(0.0, METHODS[name](counts, period_days))
    low, high = _interval(tests[name], expected, level)
    return Forecast(
        expected=expected,
        low=low,
        high=high,
        slope_per_day=plain.slope_per_day,
        level=level,
        days_used=int(counts.size),
        period_days=period_days,
        method=name,
        mae=tests[name].mae,
        naive_mae=tests["naive"].mae,
        backtests=len(tests[name].actuals),
    )


def _round(x: float) -> int:
    """Round to two significant figures (3 from 1,000 up), as people say numbers."""
    if x < 100:
        return round(x)
    digits = 2 if x < 1000 else 3
    return int(round(x, digits - 1 - math.floor(math.log10(x))))


def in_words(f: Forecast, unit: str) -> str:
    """'next week: about 2,900 messages, likely 2,300–3,600; a quiet week would be under
    2,300' (`unit`: week, day, month or "7 days")."""
    text = f"next {unit}: about {_round(f.expected):,} messages"
    if f.low is None or f.high is None or not math.isfinite(f.high):
        return text + " (too little history for a range yet)"
    low, high = _round(f.low), _round(f.high)
    text += f", likely {low:,}–{high:,}"
    quiet = unit if not unit[0].isdigit() else "period"
    return text + f"; a quiet {quiet} would be under {low:,}"


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Walk-forward check of `choose_forecast`: at each past period, forecast it from the days
    before it only (method choice and interval included) and compare with what happened."""

    period_days: int
    origins: int
    mae: float
    naive_mae: float
    coverage: float  # share of periods inside the "likely" interval
    level: float
    chosen: dict[str, int]  # how often each method was picked


def evaluate(
    daily_counts: Sequence[int] | np.ndarray,
    period_days: int,
    level: float = 0.8,
    *,
    periods: int = 80,
) -> Evaluation | None:
    """Walk-forward evaluation over the last `periods` periods (None if there is too little
    history for any honest forecast)."""
    counts = _clean(daily_counts, "daily_counts")
    m = period_days
    first = max(14, 2 * m) + MIN_BACKTESTS * m
    cuts = [counts.size - j * m for j in range(1, periods + 1) if counts.size - j * m >= first]
    if not cuts:
        return None
    errors, naive, inside, chosen = [], [], [], {}
    for cut in cuts[::-1]:
        f = choose_forecast(counts[:cut], m, level)
        actual = float(counts[cut : cut + m].sum())
        errors.append(abs(f.expected - actual))
        naive.append(abs(float(counts[cut - m : cut].sum()) - actual))
        inside.append(f.low is not None and f.high is not None and f.low <= actual <= f.high)
        chosen[f.method] = chosen.get(f.method, 0) + 1
    return Evaluation(
        m, len(cuts), float(np.mean(errors)), float(np.mean(naive)), float(np.mean(inside)),
        level, chosen,
    )  # fmt: skip
