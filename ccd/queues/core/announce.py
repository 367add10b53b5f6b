"""Periodic announcements to waiting callers (pure): who is due, and what they hear.

Like ``announce-frequency`` in Asterisk's queues.conf: every ``frequency`` seconds of waiting
a caller hears their position in line and/or the expected wait, then a thank-you. A caller
whose agent is already ringing is skipped (the announcement would be cut at once). The
expected wait is the queue's hold time, averaged as ``Queue()`` does (each answered call's
wait weighs a quarter), minus what this caller has waited already.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ccd.prompts import (
    MINUTES_SAID,
    POSITIONS_SAID,
    QUEUE_NEXT,
    QUEUE_POSITION_MANY,
    QUEUE_THANKS,
    QUEUE_WAIT_LONG,
    QUEUE_WAIT_UNDER_MINUTE,
    queue_position_name,
    queue_wait_name,
)
from ccd.snapshot import QueueView


@dataclass(frozen=True, slots=True)
class AnnounceSettings:
    frequency_s: float
    position: bool
    hold_time: bool


@dataclass(frozen=True, slots=True)
class Announcement:
    call_id: str
    queue: str
    position: int
    expected_wait_s: float | None  # None: not said (off, or no call answered yet)
    prompts: tuple[str, ...]  # ccd prompt names, in order
    period: int  # how many announcement periods the caller has waited


def position_prompt(position: int) -> str:
    if position <= 1:
        return QUEUE_NEXT
    return queue_position_name(position) if position in POSITIONS_SAID else QUEUE_POSITION_MANY


def wait_prompt(expected_s: float) -> str:
    if expected_s < 60:
        return QUEUE_WAIT_UNDER_MINUTE
    minutes = math.ceil(expected_s / 60 - 0.25)  # 1:10 is "about 1 minute", 1:20 "about 2"
    return queue_wait_name(minutes) if minutes in MINUTES_SAID else QUEUE_WAIT_LONG


def prompt_names(settings: AnnounceSettings) -> list[str]:
    """Every prompt an announcement with these settings can play (for check-config)."""
    names: list[str] = []
    if settings.position:
        names += [QUEUE_NEXT, QUEUE_POSITION_MANY, *(queue_position_name(p) for p in POSITIONS_SAID)]
    if settings.hold_time:
        names += [QUEUE_WAIT_UNDER_MINUTE, QUEUE_WAIT_LONG, *(queue_wait_name(m) for m in MINUTES_SAID)]
    return [*names, QUEUE_THANKS]


def due(view: QueueView, settings: AnnounceSettings, periods_done: Mapping[str, int],
        hold_time_s: float | None) -> list[Announcement]:
    """The announcements due now in one queue. ``periods_done`` says, per call, up to which
    period it was announced; a caller who missed several periods (a late tick) hears one."""
    if settings.frequency_s <= 0:
        return []
    out: list[Announcement] = []
    for index, call in enumerate(view.waiting):
        period = int(call.wait_s // settings.frequency_s)
        if call.status == "ringing" or period < 1 or period <= periods_done.get(call.call_id, 0):
            continue
        position = index + 1
        expected = None
        if settings.hold_time and hold_time_s is not None:
            expected = max(0.0, hold_time_s - call.wait_s)
        prompts: list[str] = []
        if settings.position:
            prompts.append(position_prompt(position))
        if expected is not None:
            prompts.append(wait_prompt(expected))
        prompts.append(QUEUE_THANKS)
        out.append(Announcement(call.call_id, view.name, position, expected, tuple(prompts), period))
    return out


def next_due_in(view: QueueView, settings: AnnounceSettings) -> float | None:
    """Seconds from the view's moment until the next announcement period of any caller in it
    begins (always > 0: what is due now is ``due``'s), or None if no one waits."""
    if settings.frequency_s <= 0 or not view.waiting:
        return None
    f = settings.frequency_s
    return min((call.wait_s // f + 1) * f - call.wait_s for call in view.waiting)
