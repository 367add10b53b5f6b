"""Calls the native Queue() fallback handled while ccd was away, read from Asterisk's
queue_log, turned into ccd's own call events (pure: lines in, events out).

queue_log lines are ``epoch|uniqueid|queue|agent|EVENT|data1|data2|...`` in Asterisk 16 and
22 alike. A call is complete once a line ends it (COMPLETE*, ABANDON, EXIT*, TRANSFER...);
until then it stays open and is finished by a later read. Every event id is derived from the
call's uniqueid and the event's role, so importing the same call twice stores it once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from ccd import events as ev

SOURCE: Final = "queue_log"  # payload "via" of every imported event: handled by the fallback
# ends of an answered call and who ended it
_ANSWERED_ENDS: Final = {"COMPLETECALLER": "caller", "COMPLETEAGENT": "agent", "TRANSFER": "system",
                         "BLINDTRANSFER": "system", "ATTENDEDTRANSFER": "system"}
# ends of an unanswered call: the index of its wait among data fields, and the outcome
_UNANSWERED_ENDS: Final = {"ABANDON": (2, "abandoned"), "EXITWITHTIMEOUT": (2, "timeout"),
                           "EXITEMPTY": (2, "timeout"), "EXITWITHKEY": (3, "overflow")}


@dataclass
class FallbackCall:
    call_id: str  # the caller channel's uniqueid
    queue: str
    entered: float
    caller: str | None = None
    agent: str | None = None
    answered: float | None = None
    wait_s: float | None = None
    ended: float | None = None
    talk_s: float | None = None
    ended_by: str | None = None
    outcome: str | None = None  # answered|abandoned|timeout|overflow once the call is over
    extra: dict[str, str] = field(default_factory=dict)


def _num(fields: list[str], i: int) -> float | None:
    try:
        return float(fields[i]) if i < len(fields) and fields[i] else None
    except ValueError:
        return None


class QueueLogReader:
    """Feeds queue_log lines; returns the calls each batch of lines completed.

    ``queues`` limits the import to ccd's queues; ``agent_of`` maps the log's agent field
    (a member name, which ccd renders as the agent id, or an interface) to an agent id.
    """

    def __init__(self, queues: Iterable[str], agent_of: Callable[[str], str | None],
                 caller_of: Callable[[str], str | None]) -> None:
        self.queues = set(queues)
        self.agent_of = agent_of
        self.caller_of = caller_of
        self.open: dict[str, FallbackCall] = {}

    def feed(self, lines: Iterable[str], since: float = 0.0) -> list[FallbackCall]:
        done: list[FallbackCall] = []
        for line in lines:
            call = self._line(line.rstrip("\r\n"), since)
            if call is not None:
                done.append(call)
        return done

    def _line(self, line: str, since: float) -> FallbackCall | None:
        parts = line.split("|")
        if len(parts) < 5 or parts[2] not in self.queues or parts[1] in ("", "NONE"):
            return None
        try:
            ts = float(parts[0])
        except ValueError:
            return None
        uid, queue, agent, kind, data = parts[1], parts[2], parts[3], parts[4], parts[5:]
        if kind == "ENTERQUEUE":
            if ts >= since:
                self.open[uid] = FallbackCall(uid, queue, ts, caller=self.caller_of(data[1] if len(data) > 1 else ""))
            return None
        call = self.open.get(uid)
        if call is None:
            return None  # entered before the import window (or before the log was rotated)
        if kind == "CONNECT":
            call.agent = self.agent_of(agent) or agent
            call.answered, call.wait_s = ts, _num(data, 0)
        elif kind in _ANSWERED_ENDS and call.answered is not None:
            # COMPLETE*: holdtime|calltime|origposition; the transfers carry two fields first
            # (exten|context, or BRIDGE|bridge for an attended one), then holdtime|calltime
            talk = _num(data, 1 if kind.startswith("COMPLETE") else 3)
            call.ended, call.talk_s, call.ended_by = ts, talk, _ANSWERED_ENDS[kind]
            call.outcome = "answered"
        elif kind in _UNANSWERED_ENDS and call.answered is None:
            at, outcome = _UNANSWERED_ENDS[kind]
            call.ended, call.wait_s, call.outcome = ts, _num(data, at), outcome
            call.extra["reason"] = kind.lower()
        else:
            return None
        if call.outcome is None:
            return None
        del self.open[uid]
        return call


def call_events(call: FallbackCall) -> list[ev.DomainEvent]:
    """ccd's events for one finished fallback call, with ids that make a re-import a no-op
    (numbered so that events of the same whole second sort in the order they happened)."""
    def env(role: str, at: float, agent_id: str | None = None) -> dict[str, Any]:
        return {"ts": ev.utc(at), "call_id": call.call_id, "agent_id": agent_id, "queue": call.queue,
                "event_id": f"{SOURCE}:{call.call_id}:{role}", "via": SOURCE}

    end = call.ended if call.ended is not None else call.entered
    out: list[ev.DomainEvent] = [
        ev.CallQueued(**env("1-queued", call.entered), caller=call.caller, priority=0, sticky_agent=None)]
    if call.outcome == "answered" and call.answered is not None:
        wait = call.wait_s if call.wait_s is not None else call.answered - call.entered
        out.append(ev.CallAnswered(**env("2-answered", call.answered, call.agent), wait_s=wait, sticky=False))
        talk = call.talk_s if call.talk_s is not None else end - call.answered
        out.append(ev.CallEnded(**env("3-ended", end, call.agent), talk_s=talk, ended_by=call.ended_by))
    elif call.outcome == "abandoned":
        wait = call.wait_s if call.wait_s is not None else end - call.entered
        out.append(ev.CallAbandoned(**env("2-abandoned", end), wait_s=wait, position=None))
    else:
        wait = call.wait_s if call.wait_s is not None else end - call.entered
        target = call.extra.get("reason", "") if call.outcome == "overflow" else None
        out.append(ev.CallOverflow(**env("2-overflow", end), wait_s=wait, target=target,
                                   reason=call.extra.get("reason", "max_wait")))
    out.append(ev.CallFallback(**env("4-fallback", end, call.agent), outcome=call.outcome))
    return out


def agent_resolver(agents: Iterable[tuple[str, str, str]]) -> Callable[[str], str | None]:
    """(id, name, endpoint) of each agent -> a resolver of the log's agent field: the member
    name (``ccd asterisk-config`` renders the agent's name, else its id) or the interface."""
    known = list(agents)
    names: dict[str, str | None] = {}
    for agent_id, name, _ in known:
        if name:
            names[name] = None if name in names else agent_id  # an ambiguous name names nobody
    by_field = {**{n: a for n, a in names.items() if a is not None},
                **{endpoint: agent_id for agent_id, _, endpoint in known},
                **{agent_id: agent_id for agent_id, _, _ in known}}
    return by_field.get
