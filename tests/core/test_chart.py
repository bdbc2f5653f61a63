"""The digest chart draws the digest's own forecast (the chosen method), not a second one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.chart import ChartData, render_chart
from models.forecast import choose_forecast

DAYS = [date(2026, 11, 1) + timedelta(days=i) for i in range(28)]
COUNTS = [300 + (i % 7) * 20 for i in range(28)]


def test_the_chart_shows_the_chosen_forecast_band() -> None:
    forecast = choose_forecast(COUNTS, 7)
    plain = render_chart(ChartData("t", list(zip(DAYS, COUNTS, strict=True))))
    with_band = render_chart(ChartData("t", list(zip(DAYS, COUNTS, strict=True)), forecast))
    assert plain.startswith(b"\x89PNG")
    assert with_band.startswith(b"\x89PNG")
    assert plain != with_band  # the forecast and its range are drawn


def test_no_days_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no days"):
        render_chart(ChartData("t", []))
