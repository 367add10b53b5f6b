"""The per-queue ``[queues.callback]`` config section, and the book rules built from it.

Kept beside the feature (ccd/config.py only adds the field); validated by pydantic so a bad
value names its field. Opening hours are "HH:MM-HH:MM" per weekday key, holidays ISO dates.
Example::

    [queues.callback]
    enabled = true
    offer_after = 60            # seconds of waiting before the offer
    offer_when_wait_over = 120  # or: expected wait above this
    caller_id = "+4930123456"   # presented to the customer
    dial = "PJSIP/{number}@trunk"  # the customer's endpoint ({number} without "+", {e164} with)
    allow = ['\\+49[1-8][0-9]{5,12}']
    hours = { timezone = "Europe/Berlin", mon = ["09:00-17:00"], holidays = ["2026-12-25"] }
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ccd.callbacks.core.book import QueueRules
from ccd.callbacks.core.hours import Calendar
from ccd.callbacks.core.numbers import compile_allowlist

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _span(text: str) -> tuple[time, time]:
    m = _SPAN.match(text)
    if m is None:
        raise ValueError(f"not an opening interval: {text!r} (use HH:MM-HH:MM)")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    start = time(h1, m1)
    end = time(23, 59, 59, 999999) if (h2, m2) >= (24, 0) else time(h2, m2)
    if not start < end:
        raise ValueError(f"opening interval {text!r} must end after it starts")
    return start, end


class HoursConfig(_Strict):
    timezone: str = "UTC"
    mon: list[str] = []
    tue: list[str] = []
    wed: list[str] = []
    thu: list[str] = []
    fri: list[str] = []
    sat: list[str] = []
    sun: list[str] = []
    holidays: list[date] = []

    @field_validator("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    @classmethod
    def _spans(cls, v: list[str]) -> list[str]:
        for s in v:
            _span(s)
        return v

    def calendar(self) -> Calendar:
        weekly = tuple(tuple(_span(s) for s in getattr(self, k)) for k in WEEKDAY_KEYS)
        return Calendar(self.timezone, weekly, frozenset(self.holidays))


class CallbackConfig(_Strict):
    enabled: bool = False
    offer_after: float | None = Field(None, gt=0, description="seconds waited before the offer")
    offer_when_wait_over: float | None = Field(None, gt=0, description="expected wait, seconds")
    delivery: Literal["agent_first", "customer_first"] = "agent_first"
    caller_id: str | None = Field(None, pattern=r"^\+?[0-9]{2,20}$")
    # The customer's endpoint: {number} = the number without "+", {e164} = with it.
    dial: str = Field("PJSIP/{number}@trunk", pattern=r"^[^,{}]*\{(number|e164)\}[^,{}]*$")
    allow: list[str] = []  # regular expressions on the normalised number; empty allows none
    max_pending: int = Field(20, ge=1, le=10_000)
    retry_delay: float = Field(300.0, gt=0)
    max_attempts: int = Field(3, ge=1, le=20)
    dial_timeout: float = Field(30.0, gt=0)
    confirm_timeout: float = Field(8.0, gt=0)
    at_closing: Literal["carry", "expire"] = "carry"
    hours: HoursConfig | None = None  # none: always open

    @field_validator("allow")
    @classmethod
    def _patterns(cls, v: list[str]) -> list[str]:
        compile_allowlist(v)
        return v

    def rules(self) -> QueueRules:
        return QueueRules(
            max_pending=self.max_pending, max_attempts=self.max_attempts,
            retry_delay=self.retry_delay, delivery=self.delivery, at_closing=self.at_closing,
            hours=None if self.hours is None else self.hours.calendar(),
        )
