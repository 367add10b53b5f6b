"""The ``[schedule]`` config section: staffing model, shift templates, roster agents.

Kept beside the feature (ccd/config.py only adds the field); validated by pydantic so a bad
template names its field. Times of day are "HH:MM", lengths minutes.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ccd.schedule.core.model import BreakRule, ShiftTemplate

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def minutes_of_day(text: str) -> int:
    m = _HHMM.match(text)
    if m is None:
        raise ValueError(f"not a time of day: {text!r} (use HH:MM)")
    return int(m.group(1)) * 60 + int(m.group(2))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BreakConfig(_Strict):
    length: int = Field(gt=0, le=240, description="minutes")
    earliest: int = Field(ge=0, description="minutes after the shift starts")
    latest: int = Field(ge=0)
    step: int = Field(30, gt=0)
    paid: bool = False

    @model_validator(mode="after")
    def _window(self) -> BreakConfig:
        if self.latest < self.earliest:
            raise ValueError("latest must be >= earliest")
        return self


class TemplateConfig(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    length: int = Field(gt=0, le=16 * 60, description="minutes")
    start_from: str = "08:00"  # allowed starts: start_from, +step, ... up to start_to
    start_to: str = "08:00"
    start_step: int = Field(30, gt=0)
    breaks: list[BreakConfig] = []

    @field_validator("start_from", "start_to")
    @classmethod
    def _time(cls, value: str) -> str:
        minutes_of_day(value)
        return value

    @model_validator(mode="after")
    def _fits(self) -> TemplateConfig:
        if minutes_of_day(self.start_to) < minutes_of_day(self.start_from):
            raise ValueError("start_to must not be before start_from")
        for b in self.breaks:
            if b.latest + b.length > self.length:
                raise ValueError(f"a {b.length}-minute break at {b.latest} ends after the shift")
        return self

    def template(self) -> ShiftTemplate:
        lo, hi = minutes_of_day(self.start_from), minutes_of_day(self.start_to)
        return ShiftTemplate(
            self.name, self.length, tuple(range(lo, hi + 1, self.start_step)),
            tuple(BreakRule(b.length, b.earliest, b.latest, b.step, b.paid) for b in self.breaks),
        )


class TimeOff(_Strict):
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")


class PreferenceConfig(_Strict):
    weight: int = Field(ge=-10, le=10)
    template: str | None = None
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] | None = None
    start_from: str | None = None
    start_to: str | None = None


class RosterAgentConfig(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")  # an agent of [[agents]]
    min_hours: float = Field(0.0, ge=0, le=80, description="contracted hours per week, at least")
    max_hours: float = Field(40.0, gt=0, le=80)
    queues: list[str] | None = None  # skills; default: the queues the agent is a member of
    mentor: bool = False
    # weekday -> "HH:MM-HH:MM" the agent can work (local); missing day: all day; "00:00-00:00": not
    available: dict[str, str] = {}
    time_off: list[TimeOff] = []
    preferences: list[PreferenceConfig] = []

    @field_validator("available")
    @classmethod
    def _available(cls, value: dict[str, str]) -> dict[str, str]:
        return _weekday_spans(value)

    @model_validator(mode="after")
    def _hours(self) -> RosterAgentConfig:
        if self.min_hours > self.max_hours:
            raise ValueError("min_hours must not exceed max_hours")
        return self


class HeadsConfig(_Strict):
    """Heads for some hours of some days, over the section-wide ``min_heads``/``max_heads``
    (e.g. at least 3 over lunch on weekdays); a later entry wins where two overlap."""

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] | None = None  # None: all
    span: str = Field(description='"HH:MM-HH:MM" (local); intervals starting inside it')
    min: int | None = Field(None, ge=0)
    max: int | None = Field(None, ge=1)

    @field_validator("span")
    @classmethod
    def _span(cls, value: str) -> str:
        opening_span(value)
        return value

    @model_validator(mode="after")
    def _bounds(self) -> HeadsConfig:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        return self

    def covers(self, weekday: int, minute_of_day: int) -> bool:
        lo, hi = opening_span(self.span)
        return (self.days is None or WEEKDAY_KEYS[weekday] in self.days) and lo <= minute_of_day < hi


class ScheduleConfig(_Strict):
    model: Literal["erlang_c", "erlang_a"] = "erlang_c"
    patience: float | None = Field(None, gt=0, description="seconds; None = estimate it")
    interval: Literal[15, 30, 60] = 30
    weeks_of_history: int = Field(4, ge=1, le=52)
    target_sl: float = Field(0.8, gt=0, lt=1)
    answer_within: float = Field(20.0, ge=0)
    shrinkage: float = Field(0.0, ge=0, lt=1)
    max_abandon: float | None = Field(None, gt=0, lt=1, description="Erlang A: abandon rate ceiling")
    open: dict[str, str] = {}  # weekday -> "HH:MM-HH:MM"; missing day = open all day
    min_heads: int = Field(0, ge=0)
    max_heads: int | None = Field(None, ge=1)
    heads: list[HeadsConfig] = []  # min/max heads for chosen hours, over the two above
    min_rest_hours: float = Field(11.0, ge=0, le=48)
    rest_days: int = Field(2, ge=0, le=6)
    time_limit: float = Field(10.0, gt=0, le=3600, description="solver seconds per stage")
    templates: list[TemplateConfig] = []
    agents: list[RosterAgentConfig] = []

    @field_validator("open")
    @classmethod
    def _open(cls, value: dict[str, str]) -> dict[str, str]:
        return _weekday_spans(value)

    @model_validator(mode="after")
    def _names(self) -> ScheduleConfig:
        names = [t.name for t in self.templates]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"duplicate template names: {', '.join(dup)}")
        for a in self.agents:
            for p in a.preferences:
                if p.template is not None and p.template not in names:
                    raise ValueError(f"agent {a.id!r} prefers unknown template {p.template!r}")
        return self

    def heads_at(self, weekday: int, minute_of_day: int) -> tuple[int, int | None]:
        """(min, max) heads for the interval starting at that local time."""
        lo, hi = self.min_heads, self.max_heads
        for rule in self.heads:
            if rule.covers(weekday, minute_of_day):
                lo = lo if rule.min is None else rule.min
                hi = hi if rule.max is None else rule.max
        return lo, hi

    def opening(self, weekday: int) -> tuple[int, int]:
        span = self.open.get(WEEKDAY_KEYS[weekday])
        return (0, 24 * 60) if span is None else opening_span(span)


def _weekday_spans(value: dict[str, str]) -> dict[str, str]:
    for day, span in value.items():
        if day not in WEEKDAY_KEYS:
            raise ValueError(f"unknown weekday {day!r} (use {', '.join(WEEKDAY_KEYS)})")
        opening_span(span)
    return value


def opening_span(text: str) -> tuple[int, int]:
    """'07:00-22:00' -> (420, 1320); '00:00-00:00' = closed; end 00:00 = midnight."""
    parts = text.split("-")
    if len(parts) != 2:
        raise ValueError(f"not an opening span: {text!r} (use HH:MM-HH:MM)")
    lo, hi = minutes_of_day(parts[0].strip()), minutes_of_day(parts[1].strip())
    if hi == 0 and lo > 0:
        hi = 24 * 60
    if hi < lo:
        raise ValueError(f"opening span ends before it starts: {text!r}")
    return lo, hi
