"""Backtest errors against hand computation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ccd.schedule.core.backtest import Actual, backtest


def test_mape_and_bias_by_weekday_and_interval() -> None:
    monday = date(2024, 10, 28)
    acts = []
    # two past Mondays at 09:00 with 8 and 12 calls (forecast 10), the tested Monday has 8
    for d, calls in ((monday - timedelta(days=14), 8), (monday - timedelta(days=7), 12), (monday, 8)):
        acts.append(Actual(d, 18, calls, calls - 2, 180.0 * (calls - 2), calls - 4, 2))
    got = backtest(acts, monday, monday + timedelta(days=1), 2, 30, 48)
    calls = got["errors"]["calls"]
    assert calls["all"] == {"n": 1, "mape": 0.25, "bias": 2.0}
    assert calls["by_weekday"]["Mon"] == calls["all"]
    assert calls["by_interval"]["09:00"] == calls["all"]
    # SL forecast: (4 + 8) / 20 = 0.6, actual 4 / 8 = 0.5; abandon: 4/20 = 0.2 vs 2/8 = 0.25
    assert got["errors"]["service_level"]["all"]["bias"] == pytest.approx(0.1)
    assert got["errors"]["abandon_rate"]["all"]["bias"] == pytest.approx(-0.05)
    assert got["errors"]["aht_s"]["all"]["mape"] == 0.0
    nine = next(r for r in got["intervals"] if r["time"] == "09:00")
    assert (nine["calls_forecast"], nine["calls_actual"]) == (10.0, 8.0)
    # quiet intervals (no calls forecast or seen) do not count
    assert len(got["intervals"]) == 48 and calls["all"]["n"] == 1
