"""What the console shows, as plain data: today's figures from the domain events, queue tiles
and agent rows from the engine's snapshot. Pure: time comes in as an argument.

"Today" is the calendar day in the configured time zone; the figures reset when an event of
a later day arrives. They follow docs/kpis.md as ``ccd report`` does for the same calls: an
abandon shorter than the queue's ``short_abandon_seconds`` is a short abandon (not abandoned),
and the service level is answered within T over the calls whose wait ended (answered,
abandoned, overflowed or timed out), which is the report's figure once no call waits (the
report also counts the calls still waiting). "Required now" is Erlang C for the queue's service-level target with the
arrival rate of the last half hour and today's AHT (the current interval's forecast).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ccd import events as ev
from ccd.snapshot import AgentView, EngineSnapshot, QueueView
from ccd.staffing.core.erlang import Target, agents_for_target

INTERVAL_S = 1800.0
FEED_TYPES = frozenset({
    ev.CALL_QUEUED, ev.CALL_ANSWERED, ev.CALL_ABANDONED, ev.CALL_OVERFLOW, ev.CALL_ENDED,
    ev.AGENT_LOGIN, ev.AGENT_LOGOUT, ev.AGENT_PAUSED, ev.AGENT_UNPAUSED, ev.AGENT_MISSED,
    ev.SUPERVISION_STARTED, ev.SUPERVISION_MODE, ev.SUPERVISION_ENDED, ev.SUPERVISION_DENIED,
    ev.RATING_RESULT, ev.AGENT_CONTROL, ev.ALERT_ACKED,
})


@dataclass(slots=True)
class QueueDay:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0  # short abandons and booked callbacks left out, as in the KPI report
    short_abandons: int = 0
    callbacks: int = 0  # callers who left the line with a booked callback
    overflowed: int = 0  # to another target, or timed out
    within_sl: int = 0
    wait_sum: float = 0.0
    talk_sum: float = 0.0
    ended: int = 0
    arrivals: deque[float] = field(default_factory=deque)  # queued times of the last interval


@dataclass(slots=True)
class AgentDay:
    calls: int = 0
    missed: int = 0
    talk_sum: float = 0.0
    ended: int = 0
    rating_sum: int = 0
    ratings: int = 0


@dataclass(frozen=True, slots=True)
class CallInfo:
    caller: str | None
    queue: str


class Today:
    """Today's per-queue and per-agent figures, fed one domain event at a time."""

    def __init__(self, tz: ZoneInfo, sl_seconds: Mapping[str, float],
                 short_abandon_seconds: Mapping[str, float] | None = None) -> None:
        self.tz, self.sl_seconds = tz, sl_seconds
        self.short_abandon_seconds = short_abandon_seconds or {}
        self.day: date | None = None
        self.queues: dict[str, QueueDay] = {}
        self.agents: dict[str, AgentDay] = {}
        self.calls: dict[str, CallInfo] = {}  # live calls: who is calling, in which queue

    def apply(self, e: ev.DomainEvent) -> None:
        day = e.ts.astimezone(self.tz).date()
        if self.day is None or day > self.day:
            self.day, self.queues, self.agents = day, {}, {}
        elif day < self.day:
            return  # a late event of yesterday: not today's figure
        q = self.queues.setdefault(e.queue, QueueDay()) if e.queue else None
        a = self.agents.setdefault(e.agent_id, AgentDay()) if e.agent_id else None
        ts = e.ts.timestamp()
        if isinstance(e, ev.CallQueued) and q is not None and e.queue:
            q.offered += 1
            q.arrivals.append(ts)
            while q.arrivals and q.arrivals[0] < ts - INTERVAL_S:
                q.arrivals.popleft()
            if e.call_id:
                self.calls[e.call_id] = CallInfo(e.caller, e.queue)
        elif isinstance(e, ev.CallAnswered) and q is not None:
            wait = e.wait_s
            q.answered += 1
            q.wait_sum += wait
            q.within_sl += wait <= self.sl_seconds.get(e.queue or "", 20.0)
            if a is not None:
                a.calls += 1
        elif isinstance(e, ev.CallAbandoned) and q is not None:
            if e.callback:
                q.callbacks += 1  # a booked callback is not an abandon
            elif e.wait_s < self.short_abandon_seconds.get(e.queue or "", 5.0):
                q.short_abandons += 1
            else:
                q.abandoned += 1
            self.calls.pop(e.call_id or "", None)
        elif isinstance(e, ev.CallEnded):
            self.calls.pop(e.call_id or "", None)
            if a is not None and q is not None:
                talk = e.talk_s
                q.talk_sum, q.ended = q.talk_sum + talk, q.ended + 1
                a.talk_sum, a.ended = a.talk_sum + talk, a.ended + 1
        elif e.type == ev.CALL_OVERFLOW:
            self.calls.pop(e.call_id or "", None)
            if q is not None:
                q.overflowed += 1
        elif e.type == ev.AGENT_MISSED and a is not None:
            a.missed += 1
        elif isinstance(e, ev.RatingResult) and a is not None and e.outcome == "rated":
            a.rating_sum += e.score or 0
            a.ratings += 1


def _ratio(num: float, den: float) -> float | None:
    return None if den <= 0 else num / den


def required_now(day: QueueDay, now: float, sl_target: float, sl_seconds: float) -> int | None:
    """Agents needed for the target at the last half hour's arrival rate; None without data."""
    aht = _ratio(day.talk_sum, day.ended)
    recent = sum(1 for t in day.arrivals if t >= now - INTERVAL_S)
    if aht is None or aht <= 0:
        return 0 if recent == 0 else None
    traffic = recent * aht / INTERVAL_S
    target = Target(service_level=min(sl_target, 0.999), answer_within_s=sl_seconds)
    return agents_for_target(traffic, aht, target).agents


@dataclass(frozen=True, slots=True)
class Layout:
    """Who belongs where (from the config)."""

    queue_members: Mapping[str, tuple[str, ...]]
    agent_teams: Mapping[str, tuple[str, ...]]
    sl_target: Mapping[str, float]
    sl_seconds: Mapping[str, float]

    def queues_of(self, agent_id: str) -> list[str]:
        return [q for q, members in self.queue_members.items() if agent_id in members]

    def visible_queues(self, teams: frozenset[str] | None) -> set[str]:
        if teams is None:
            return set(self.queue_members)
        return {q for q, members in self.queue_members.items()
                if any(teams.intersection(self.agent_teams.get(m, ())) for m in members)}


def queue_tile(name: str, view: QueueView | None, agents: Mapping[str, AgentView], today: Today,
               layout: Layout, now: float, callbacks: int = 0) -> dict[str, Any]:
    """One queue's tile; ``callbacks``: its open callbacks (booked, not yet connected)."""
    day = today.queues.get(name, QueueDay())
    states = [agents[m].state for m in layout.queue_members.get(name, ()) if m in agents]
    sl_target, sl_s = layout.sl_target.get(name, 0.8), layout.sl_seconds.get(name, 20.0)
    return {
        "name": name,
        "waiting": len(view.waiting) if view else 0,
        "longest_wait_s": round(view.longest_wait_s, 1) if view else 0.0,
        "callbacks": callbacks,
        "sl": _ratio(day.within_sl, day.answered + day.abandoned + day.overflowed),
        "sl_target": sl_target,
        "offered": day.offered, "answered": day.answered, "abandoned": day.abandoned,
        "asa_s": _ratio(day.wait_sum, day.answered), "aht_s": _ratio(day.talk_sum, day.ended),
        "available": states.count("available"),
        "busy": sum(s in ("ringing", "on_call", "wrap_up") for s in states),
        "paused": states.count("paused"),
        "logged_in": sum(s != "logged_out" for s in states),
        "required": required_now(day, now, sl_target, sl_s),
        "at": now,
    }


def agent_row(view: AgentView, today: Today, layout: Layout, allowance_s: float | None,
              now: float) -> dict[str, Any]:
    day = today.agents.get(view.agent_id, AgentDay())
    call = today.calls.get(view.current_call or "") if view.current_call else None
    return {
        "id": view.agent_id, "name": view.name or view.agent_id,
        "state": view.state, "since": view.since, "reason": view.reason,
        "allowance_s": allowance_s if view.state == "paused" else None,
        "caller": call.caller if call else None, "call_queue": call.queue if call else None,
        "teams": list(layout.agent_teams.get(view.agent_id, ())),
        "queues": layout.queues_of(view.agent_id),
        "calls": day.calls, "missed": day.missed, "aht_s": _ratio(day.talk_sum, day.ended),
        "rating": _ratio(day.rating_sum, day.ratings), "pending": view.pending,
        "at": now,
    }


def feed_item(seq: int, e: ev.DomainEvent) -> dict[str, Any] | None:
    if e.type not in FEED_TYPES:
        return None
    keep = ("supervisor", "mode", "reason", "score", "actor", "action", "wait_s", "caller", "alert")
    return {"seq": seq, "ts": e.ts.timestamp(), "type": e.type, "agent": e.agent_id, "queue": e.queue,
            **{k: v for k, v in e.payload.items() if k in keep}}


def local_midnight(now: float, tz: ZoneInfo) -> datetime:
    local = datetime.fromtimestamp(now, tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def snapshot_parts(snap: EngineSnapshot, today: Today, layout: Layout, allowance: Mapping[str, float],
                   default_allowance: float, names: Iterable[str],
                   callbacks: Callable[[str], int] = lambda q: 0) -> tuple[dict[str, Any], dict[str, Any]]:
    tiles = {n: queue_tile(n, snap.queues.get(n), snap.agents, today, layout, snap.now, callbacks(n))
             for n in names}
    rows = {a.agent_id: agent_row(a, today, layout, allowance.get(a.reason or "", default_allowance), snap.now)
            for a in snap.agents.values()}
    return tiles, rows
