"""The pending callbacks of every queue: place in line, limits, retries, hours. Pure.

A callback keeps the key of the live call it came from, ``(-priority, enqueued_at, seq)``,
the same key the ACD engine orders live calls by. :meth:`CallbackBook.dispatch` is told the
keys of the queue's live waiting calls and how many of its agents are free; each free agent
serves the next entry in key order, live or callback, so a callback is served after the live
callers who arrived earlier and before those who arrived later (VIP priority as for live
calls, since the priority is part of the key).

Limits: one attempt in flight per callback (only ``pending`` ones are dialled); never more
callback attempts waiting for an agent than free agents; a second request from the same
number to the same queue merges into the pending one; ``max_pending`` per queue. Every
method takes ``now`` and returns commands: :class:`Dial` (start an attempt), :class:`Save`
(persist this callback's row) and ``Record`` (a domain event).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from ccd import events as ev
from ccd.callbacks.core.hours import Calendar
from ccd.record import Record

Status = Literal["pending", "dialling", "connected", "failed", "expired", "cancelled"]
Delivery = Literal["agent_first", "customer_first"]
LiveKey = tuple[int, float, int]  # (-priority, enqueued_at, seq) of a live waiting call
OPEN: frozenset[str] = frozenset({"pending", "dialling"})


@dataclass(frozen=True, slots=True)
class QueueRules:
    max_pending: int = 20
    max_attempts: int = 3
    retry_delay: float = 300.0
    delivery: Delivery = "agent_first"
    at_closing: Literal["carry", "expire"] = "carry"
    hours: Calendar | None = None  # None: always open


@dataclass(slots=True)
class Callback:
    id: str
    queue: str
    number: str
    priority: int
    enqueued_at: float  # of the live call it replaces: its place in line
    seq: int  # arrival order of that call (ties on enqueued_at)
    requested_at: float
    status: Status = "pending"
    attempts: int = 0
    next_try_at: float = 0.0  # not dialled before this instant
    holds_agent: bool = False  # the in-flight attempt already has its agent
    reason: str | None = None
    ended_at: float | None = None

    @property
    def key(self) -> LiveKey:
        return (-self.priority, self.enqueued_at, self.seq)


@dataclass(frozen=True, slots=True)
class Dial:
    callback: Callback  # a snapshot
    attempt: int
    delivery: Delivery


@dataclass(frozen=True, slots=True)
class Save:
    callback: Callback  # a snapshot


Command = Dial | Save | Record
RequestResult = Literal["requested", "merged", "full", "closed", "too_late", "unknown_queue"]


class CallbackBook:
    def __init__(self, rules: dict[str, QueueRules]) -> None:
        self.rules = rules
        self._cbs: dict[str, Callback] = {}
        self._out: list[Command] = []
        self._recorded = 0  # events recorded so far: a part of each event's id

    # -- views ---------------------------------------------------------------------------
    def get(self, cb_id: str) -> Callback | None:
        return self._cbs.get(cb_id)

    def open_in(self, queue: str) -> list[Callback]:
        """Pending and in-flight callbacks of a queue, in service order."""
        return sorted((c for c in self._cbs.values() if c.queue == queue and c.status in OPEN),
                      key=lambda c: c.key)

    def due(self, queue: str, now: float) -> list[Callback]:
        """Pending callbacks of a queue that may be dialled now, in service order."""
        r = self.rules.get(queue)
        if r is None or (r.hours is not None and not r.hours.is_open(now)):
            return []
        return [c for c in self.open_in(queue) if c.status == "pending" and c.next_try_at <= now]

    def in_flight(self, queue: str) -> int:
        return sum(1 for c in self._cbs.values() if c.queue == queue and c.status == "dialling")

    def next_deadline(self, now: float) -> float | None:
        """When :meth:`tick` / :meth:`dispatch` next have something new to do."""
        times = [c.next_try_at for c in self._cbs.values()
                 if c.status == "pending" and c.next_try_at > now]
        for name, r in self.rules.items():
            if r.hours is not None and any(c.queue == name and c.status == "pending"
                                           for c in self._cbs.values()):
                edge = r.hours.closes_at(now) or r.hours.next_opening(now)
                if edge is not None:
                    times.append(edge)
        return min(times, default=None)

    # -- offer -----------------------------------------------------------------------------
    def refusal(self, queue: str, now: float, expected_wait: float = 0.0) -> RequestResult | None:
        """Why no callback may be offered now (None: it may). ``expected_wait``: seconds
        until the callback would be made; an offer that cannot be kept before closing is none."""
        r = self.rules.get(queue)
        if r is None:
            return "unknown_queue"
        if sum(1 for c in self.open_in(queue)) >= r.max_pending:
            return "full"
        if r.hours is not None:
            closes = r.hours.closes_at(now)
            if closes is None:
                return "closed"
            if now + expected_wait >= closes:
                return "too_late"
        return None

    def request(self, cb_id: str, queue: str, number: str, priority: int, enqueued_at: float,
                seq: int, now: float, expected_wait: float = 0.0) -> tuple[RequestResult, list[Command]]:
        """A caller asked for a callback. A pending one for the same number and queue absorbs
        it (keeping the better place); otherwise the offer rules apply once more."""
        for c in self.open_in(queue):
            if c.number == number:
                if (-priority, enqueued_at, seq) < c.key:
                    c.priority, c.enqueued_at, c.seq = priority, enqueued_at, seq
                self._rec(ev.CALLBACK_MERGED, c, now, request=cb_id)
                self._save(c)
                return "merged", self._flush()
        why = self.refusal(queue, now, expected_wait)
        if why is not None:
            return why, []
        c = Callback(cb_id, queue, number, priority, enqueued_at, seq, now, next_try_at=now)
        self._cbs[cb_id] = c
        self._rec(ev.CALLBACK_REQUESTED, c, now, priority=priority, enqueued_at=enqueued_at,
                  wait_s=round(now - enqueued_at, 3))
        self._save(c)
        return "requested", self._flush()

    # -- delivery --------------------------------------------------------------------------
    def dispatch(self, queue: str, now: float, live: Iterable[LiveKey], free_agents: int) -> list[Command]:
        """Start the attempts the queue's free agents reach in line order."""
        r = self.rules.get(queue)
        if r is None or free_agents <= 0 or (r.hours is not None and not r.hours.is_open(now)):
            return []
        waiting_for_agent = sum(1 for c in self._cbs.values()
                                if c.queue == queue and c.status == "dialling" and not c.holds_agent)
        budget = free_agents - waiting_for_agent
        due = [c for c in self.open_in(queue) if c.status == "pending" and c.next_try_at <= now]
        lives = sorted(k for _, k in zip(range(free_agents), sorted(live), strict=False))
        li = di = 0
        for _ in range(free_agents):  # each free agent takes the next entry in line
            if budget <= 0 or di >= len(due):
                break
            if li < len(lives) and lives[li] < due[di].key:
                li += 1
                continue
            self._start(due[di], r, now)
            di += 1
            budget -= 1
        return self._flush()

    def start(self, cb_id: str, now: float) -> list[Command]:
        """The ACD gave this callback's place in line an agent: dial it now, if it is still
        due (otherwise nothing: the place is stale, the agent goes back)."""
        c = self._cbs.get(cb_id)
        if c is None or not any(d is c for d in self.due(c.queue, now)):
            return []
        self._start(c, self.rules[c.queue], now)
        return self._flush()

    def _start(self, c: Callback, r: QueueRules, now: float) -> None:
        c.status = "dialling"
        c.attempts += 1
        c.holds_agent = r.delivery == "agent_first"  # the shell offers it to a free agent first
        self._out.append(Dial(replace(c), c.attempts, r.delivery))
        self._rec(ev.CALLBACK_ATTEMPTED, c, now, delivery=r.delivery)
        self._save(c)

    def agent_held(self, cb_id: str) -> list[Command]:
        """customer_first: the confirmed customer now has an agent ringing."""
        c = self._cbs.get(cb_id)
        if c is not None and c.status == "dialling":
            c.holds_agent = True
        return []

    def connected(self, cb_id: str, now: float) -> list[Command]:
        """Customer and agent are bridged: the callback is done."""
        c = self._cbs.get(cb_id)
        if c is None or c.status != "dialling":
            return []
        self._end(c, "connected", now, None)
        self._rec(ev.CALLBACK_CONNECTED, c, now, wait_s=round(now - c.enqueued_at, 3),
                  time_to_callback_s=round(now - c.requested_at, 3))
        return self._flush()

    def attempt_failed(self, cb_id: str, reason: str, now: float) -> list[Command]:
        """No answer, no confirmation, busy, no agent...: retry later or give up."""
        c = self._cbs.get(cb_id)
        if c is None or c.status != "dialling":
            return []
        r = self.rules.get(c.queue, QueueRules())
        if c.attempts >= r.max_attempts:
            self._end(c, "failed", now, reason)
            self._rec(ev.CALLBACK_FAILED, c, now, reason=reason)
        else:
            c.status, c.holds_agent, c.reason = "pending", False, reason
            c.next_try_at = now + r.retry_delay
            self._rec(ev.CALLBACK_RETRY, c, now, reason=reason, next_try_at=c.next_try_at)
            self._save(c)
        return self._flush()

    def attempt_aborted(self, cb_id: str, reason: str, now: float) -> list[Command]:
        """The attempt never reached the customer through no fault of theirs (the agent did
        not answer): back in line at once, the attempt not counted."""
        c = self._cbs.get(cb_id)
        if c is None or c.status != "dialling":
            return []
        c.status, c.holds_agent, c.reason = "pending", False, reason
        c.attempts -= 1
        self._save(c)
        return self._flush()

    def cancel(self, cb_id: str, now: float, actor: str) -> tuple[bool, list[Command]]:
        c = self._cbs.get(cb_id)
        if c is None or c.status != "pending":
            return False, []
        self._end(c, "cancelled", now, "cancelled")
        self._rec(ev.CALLBACK_CANCELLED, c, now, actor=actor)
        return True, self._flush()

    # -- time ------------------------------------------------------------------------------
    def tick(self, now: float) -> list[Command]:
        """Closing time: carry pending callbacks to the next opening, or expire them."""
        for c in list(self._cbs.values()):
            r = self.rules.get(c.queue)
            if c.status != "pending" or r is None or r.hours is None or r.hours.is_open(now):
                continue
            nxt = r.hours.next_opening(now)
            if r.at_closing == "carry" and nxt is not None:
                if c.next_try_at < nxt:
                    c.next_try_at = nxt
                    self._save(c)
            else:
                self._end(c, "expired", now, "closing")
                self._rec(ev.CALLBACK_EXPIRED, c, now, reason="closing")
        return self._flush()

    def restore(self, rows: Sequence[Callback]) -> None:
        """Load the open callbacks after a restart. An attempt in flight when ccd died is
        lost with its channels: it is undone, so the callback is dialled again."""
        for row in rows:
            c = replace(row)
            if c.status == "dialling":
                c.status, c.holds_agent = "pending", False
                c.attempts = max(0, c.attempts - 1)
            if c.status in OPEN:
                self._cbs[c.id] = c

    # -- internals -------------------------------------------------------------------------
    def _end(self, c: Callback, status: Status, now: float, reason: str | None) -> None:
        c.status, c.reason, c.ended_at, c.holds_agent = status, reason, now, False
        self._save(c)
        del self._cbs[c.id]  # ended callbacks live on in the store, not in memory

    def _save(self, c: Callback) -> None:
        self._out.append(Save(replace(c)))

    def _rec(self, type_: str, c: Callback, now: float, **payload: Any) -> None:
        self._recorded += 1
        self._out.append(Record(ev.build(type_, ev.utc(now), event_id=ev.derived_id(type_, c.id, now, self._recorded),
                                         call_id=c.id, queue=c.queue,
                                         number=c.number, attempt=c.attempts, **payload)))

    def _flush(self) -> list[Command]:
        out, self._out = self._out, []
        return out
