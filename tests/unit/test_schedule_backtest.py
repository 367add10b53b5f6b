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


def test_errors_group_by_weekday_interval_and_cell() -> None:
    """Two weekdays × two half hours, forecast from one week back, every figure by hand."""
    monday = date(2024, 10, 28)
    week = timedelta(days=7)

    def act(day: date, slot: int, calls: int) -> Actual:
        return Actual(day, slot, calls, calls, 180.0 * calls, calls, 0)  # AHT 180 s, no abandons

    tuesday = monday + timedelta(days=1)
    history = [act(monday - week, 18, 10), act(monday - week, 19, 4), act(tuesday - week, 18, 6)]
    seen = [act(monday, 18, 8), act(monday, 19, 4), act(tuesday, 18, 12), act(tuesday, 19, 2)]
    got = backtest(history + seen, monday, monday + timedelta(days=2), 1, 30, 48)
    calls = got["errors"]["calls"]
    # (forecast, actual): Mon 09:00 (10, 8), Mon 09:30 (4, 4), Tue 09:00 (6, 12), Tue 09:30 (0, 2)
    assert calls["all"] == {"n": 4, "mape": 0.4375, "bias": -1.5}
    assert calls["by_weekday"] == {"Mon": {"n": 2, "mape": 0.125, "bias": 1.0},
                                   "Tue": {"n": 2, "mape": 0.75, "bias": -4.0}}
    assert calls["by_interval"] == {"09:00": {"n": 2, "mape": 0.375, "bias": -2.0},
                                    "09:30": {"n": 2, "mape": 0.5, "bias": -1.0}}
    assert calls["by_cell"]["Tue 09:30"] == {"n": 1, "mape": 1.0, "bias": -2.0}
    # no forecast AHT where the history had no answered call; MAPE needs a non-zero actual
    assert got["errors"]["aht_s"]["all"] == {"n": 3, "mape": 0.0, "bias": 0.0}
    assert got["errors"]["abandon_rate"]["all"] == {"n": 3, "mape": None, "bias": 0.0}
    assert got["errors"]["service_level"]["by_weekday"]["Tue"] == {"n": 1, "mape": 0.0, "bias": 0.0}
