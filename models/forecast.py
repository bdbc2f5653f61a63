"""Ordinary least squares on activity series, with prediction intervals.

slope = Σ(x-x̄)(y-ȳ) / Σ(x-x̄)², intercept = ȳ - slope·x̄; intervals for new observations use the
t distribution with n-2 degrees of freedom. Used by the digest to forecast next period's activity.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
