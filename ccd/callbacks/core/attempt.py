"""One delivery attempt of a callback: a pure state machine over the attempt's channels.

agent_first (the default)::

    start ─► OriginateAgent (the agent the ACD picked) ─ answered ─► Play to the agent
      "callback for <digits>, waited N minutes" ─ finished ─► OriginateCustomer (presenting the
      queue's caller id) ─ answered ─► Bridge(agent, customer) ─► Result(connected)
    the customer does not answer in dial_timeout / hangs up first ─► Hangup(agent),
      Result(failed, no_answer)           (a failed attempt: retried later by the book)
    the agent does not answer / hangs up before the customer answers ─► Hangup(customer),
      Result(aborted, agent_…)            (not the customer's fault: no attempt used)

customer_first::

    start ─► OriginateCustomer ─ answered ─► Play "this is your callback, press 1" ─ 1 ─►
      Result(confirmed): the shell queues the customer's channel with the callback's place
    no answer / no 1 within confirm_timeout (e.g. a voicemail) ─► Hangup, Result(failed, …)

Every input takes ``now``; the shell arms one timer at :meth:`next_deadline`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ccd import prompts as P
from ccd.callbacks.core.offer import Play, digit_sounds

Delivery = Literal["agent_first", "customer_first"]
ResultKind = Literal["connected", "confirmed", "failed", "aborted"]


@dataclass(frozen=True, slots=True)
class Originate:
    channel_id: str
    endpoint: str  # the agent's endpoint, or the customer's number (the shell adds the trunk)
    caller_id: str | None
    timeout: float


@dataclass(frozen=True, slots=True)
class PlayTo:
    channel_id: str
    play: Play


@dataclass(frozen=True, slots=True)
class Bridge:
    channels: tuple[str, str]


@dataclass(frozen=True, slots=True)
class HangupChannel:
    channel_id: str


@dataclass(frozen=True, slots=True)
class Result:
    kind: ResultKind
    reason: str | None = None


Action = Originate | PlayTo | Bridge | HangupChannel | Result


def waited_sound(minutes: int) -> str:
    if minutes > max(P.MINUTES_SAID):
        return P.CB_AGENT_WAITED_LONG
    return P.callback_waited_name(max(1, minutes))


class Attempt:
    def __init__(self, cb_id: str, attempt: int, number: str, delivery: Delivery,
                 agent_endpoint: str | None, caller_id: str | None, waited_s: float,
                 dial_timeout: float = 30.0, confirm_timeout: float = 8.0,
                 agent_ring_timeout: float | None = None) -> None:
        if delivery == "agent_first" and agent_endpoint is None:
            raise ValueError("agent_first needs the agent's endpoint")
        self.number, self.delivery = number, delivery
        self.agent_endpoint, self.caller_id, self.waited_s = agent_endpoint, caller_id, waited_s
        self.dial_timeout, self.confirm_timeout = dial_timeout, confirm_timeout
        # the agent rings as long as the queue's offers do (its ring_timeout), not the customer's
        self.agent_ring_timeout = dial_timeout if agent_ring_timeout is None else agent_ring_timeout
        self.agent_chan = f"cb-{cb_id}-{attempt}-agent"
        self.customer_chan = f"cb-{cb_id}-{attempt}-customer"
        self.state = "new"
        self.result: Result | None = None
        self._deadline: float | None = None
        self._tag = f"cb-{cb_id}-{attempt}-announce"

    def next_deadline(self) -> float | None:
        return self._deadline

    def start(self, now: float) -> list[Action]:
        if self.state != "new":
            return []
        if self.delivery == "agent_first":
            assert self.agent_endpoint is not None
            self.state = "agent_ringing"
            return [Originate(self.agent_chan, self.agent_endpoint, self.number, self.agent_ring_timeout)]
        return self._dial_customer(now)

    def on_answered(self, channel_id: str, now: float) -> list[Action]:
        if channel_id == self.agent_chan and self.state == "agent_ringing":
            self.state = "announcing"
            sounds = (P.CB_AGENT_FOR, *digit_sounds(self.number), waited_sound(int(self.waited_s // 60)))
            return [PlayTo(self.agent_chan, Play(sounds, self._tag))]
        if channel_id == self.customer_chan and self.state == "customer_ringing":
            self._deadline = None
            if self.delivery == "agent_first":
                return self._end("connected", None, [Bridge((self.agent_chan, self.customer_chan))])
            self.state = "confirming"
            self._deadline = now + self.confirm_timeout
            return [PlayTo(self.customer_chan, Play((P.CB_CUSTOMER_PRESS_1,), self._tag))]
        return []

    def on_playback_finished(self, tag: str, now: float) -> list[Action]:
        if tag == self._tag and self.state == "announcing":
            return self._dial_customer(now)
        return []

    def on_dtmf(self, channel_id: str, digit: str, now: float) -> list[Action]:
        if channel_id == self.customer_chan and self.state == "confirming" and digit == "1":
            return self._end("confirmed", None, [])
        return []

    def on_hangup(self, channel_id: str, now: float) -> list[Action]:
        if self.state == "done":
            return []
        if channel_id == self.agent_chan and self.delivery == "agent_first":
            others = [HangupChannel(self.customer_chan)] if self.state == "customer_ringing" else []
            return self._end("aborted", "agent_gone", others)
        if channel_id == self.customer_chan:
            others = [HangupChannel(self.agent_chan)] if self.delivery == "agent_first" else []
            why = "not_confirmed" if self.state == "confirming" else "no_answer"
            return self._end("failed", why, others)
        return []

    def on_timer(self, now: float) -> list[Action]:
        if self._deadline is None or now < self._deadline or self.state == "done":
            return []
        why = "not_confirmed" if self.state == "confirming" else "no_answer"
        others: list[Action] = [HangupChannel(self.customer_chan)]
        if self.delivery == "agent_first":
            others.append(HangupChannel(self.agent_chan))
        return self._end("failed", why, others)

    def _dial_customer(self, now: float) -> list[Action]:
        self.state = "customer_ringing"
        self._deadline = now + self.dial_timeout
        return [Originate(self.customer_chan, self.number, self.caller_id, self.dial_timeout)]

    def _end(self, kind: ResultKind, reason: str | None, actions: Sequence[Action]) -> list[Action]:
        self.state, self._deadline = "done", None
        self.result = Result(kind, reason)
        return [*actions, self.result]
