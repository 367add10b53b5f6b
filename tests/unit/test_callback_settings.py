"""The [queues.callback] section: defaults, hours, bad values named by field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from ccd.callbacks.core.settings import CallbackConfig


def test_defaults_are_off_agent_first_and_always_open() -> None:
    c = CallbackConfig()
    assert not c.enabled and c.delivery == "agent_first"
    assert c.rules().hours is None and c.rules().max_attempts == 3


def test_hours_become_a_calendar() -> None:
    c = CallbackConfig.model_validate(
        {"hours": {"timezone": "Europe/Berlin", "mon": ["09:00-12:00", "13:00-17:00"],
                   "holidays": ["2026-12-07"]}})
    cal = c.rules().hours
    assert cal is not None
    monday_10_berlin = datetime(2026, 11, 30, 9, 0, tzinfo=UTC).timestamp()
    assert cal.is_open(monday_10_berlin)
    assert cal.closes_at(monday_10_berlin) == datetime(2026, 11, 30, 11, 0, tzinfo=UTC).timestamp()
    assert not cal.is_open(datetime(2026, 12, 7, 9, 0, tzinfo=UTC).timestamp())  # holiday


@pytest.mark.parametrize(
    ("raw", "field"),
    [({"hours": {"mon": ["17:00-09:00"]}}, "mon"), ({"allow": ["+49("]}, "allow"),
     ({"max_attempts": 0}, "max_attempts"), ({"delivery": "sms"}, "delivery"),
     ({"caller_id": "abc"}, "caller_id"), ({"retry": 5}, "retry")],
)
def test_bad_values_name_their_field(raw: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        CallbackConfig.model_validate(raw)
    assert field in str(exc.value)
