"""A callback's place in the ACD's line: the ACD engine routes it like a caller, this shell
turns the engine's decisions about it into attempts and reports the attempts back.

A due agent_first callback is in the engine as the call ``callback:<id>`` with the live call's
priority and enqueue time, so it is served after the callers who arrived before it and before
those who arrived after it, by the queue's own policy (tiers, VIP, RONA). The engine's
``Offer`` of that call gives it an agent (set aside: ringing, then on a call for the engine):
the attempt rings that agent, and its answer, failure and end go back as ``OfferAnswered``,
``OfferFailed`` and ``CallEnded``. A confirmed customer_first customer enters the line the
same way, then the offered agent is rung and bridged with them.

The engine's timers and this shell's tick keep the places right: a callback waiting for its
retry delay, outside hours or cancelled has no place; one that is due again gets it back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from ccd.acd.commands import CancelOffer, Command, Connect, Offer
from ccd.acd.inputs import CallAbandoned, CallArrived, CallEnded, Input, OfferAnswered, OfferFailed
from ccd.acd.places import CALLBACK_PREFIX, is_callback
from ccd.callbacks.ari_attempt import APP_ARG, AttemptRunner, Seen
from ccd.callbacks.core.attempt import Result
from ccd.callbacks.core.book import Callback
from ccd.callbacks.service import CallbackService
from ccd.ports import AriPort, AsteriskFailed, ChannelGone

log = structlog.get_logger("ccd.callbacks")


def place_id(cb_id: str) -> str:
    return f"{CALLBACK_PREFIX}{cb_id}"


@dataclass(slots=True)
class Talk:
    """Customer and agent bridged: when either hangs up, the other is hung up too."""

    place: str
    agent_chan: str
    customer_chan: str
    bridge_id: str


@dataclass(slots=True)
class Waiting:
    """A confirmed customer_first customer on the line, waiting for the offered agent."""

    cb: Callback
    customer_chan: str
    offer: Offer | None = None
    agent_chan: str | None = None
    rings: int = 0


@dataclass(slots=True)
class Held:
    """The agent the engine gave an agent_first callback, and whether they answered."""

    offer: Offer
    answered: bool = False
    cancelled: bool = False  # the engine gave up on the ring (RONA) and re-routes the place
    next: Offer | None = None  # its next offer, made while this attempt was winding down


class CallbackLine:
    def __init__(self, service: CallbackService, ari: AriPort, submit: Callable[[Input], None],
                 agent_first: Iterable[str], runners: Mapping[str, AttemptRunner]) -> None:
        self.service, self.ari, self.submit, self.runners = service, ari, submit, runners
        self.agent_first = frozenset(agent_first)
        self.places: set[str] = set()  # callback ids with a place in the engine
        self.held: dict[str, Held] = {}  # callback id -> its agent (agent_first)
        self.waiting: dict[str, Waiting] = {}  # callback id -> confirmed customer (customer_first)
        self.talks: dict[str, Talk] = {}  # callback id -> its bridged call
        self.tasks: set[asyncio.Task[None]] = set()

    # -- places in line ---------------------------------------------------------------
    def sync(self) -> None:
        """Give every due agent_first callback its place; take it from those not due."""
        book, now = self.service.book, self.service.clock()
        want = {c.id: c for q in self.agent_first for c in book.due(q, now)}
        for cb_id, c in want.items():
            if cb_id not in self.places:
                self._enter(c)
        for cb_id in list(self.places):
            found = book.get(cb_id)
            busy = cb_id in self.held or cb_id in self.waiting or cb_id in self.talks
            if cb_id not in want and not busy and (found is None or found.status == "pending"):
                self._leave(cb_id)

    def _enter(self, c: Callback) -> None:
        self.places.add(c.id)
        self.submit(CallArrived(place_id(c.id), c.queue, None, c.priority, enqueued_at=c.enqueued_at))

    def _leave(self, cb_id: str, ended: bool = False) -> None:
        """The place goes: an abandon to the engine (frees a ringing agent, not a miss), or
        the end of the call when the agent took it."""
        self.places.discard(cb_id)
        self.submit(CallEnded(place_id(cb_id), "system") if ended else CallAbandoned(place_id(cb_id)))

    # -- the engine's commands about places --------------------------------------------
    def perform(self, cmd: Command) -> bool:
        """True when the command was about a callback's place (and is handled here)."""
        if not isinstance(cmd, Offer | CancelOffer | Connect) or not is_callback(cmd.call_id):
            return False
        cb_id = cmd.call_id.removeprefix(CALLBACK_PREFIX)
        held, w = self.held.get(cb_id), self.waiting.get(cb_id)
        if isinstance(cmd, Offer):
            if held is not None:  # the last attempt is still winding down: this one follows
                held.next = cmd
            else:
                self._spawn(self._offered(cb_id, cmd))
        elif isinstance(cmd, CancelOffer) and held is not None and not held.answered:
            held.cancelled = True
            runner = self.runners.get(cb_id)
            if runner is not None:
                self._spawn(self._hangup(runner.attempt.agent_chan))
        elif isinstance(cmd, CancelOffer) and w is not None and w.agent_chan is not None:
            chan, w.offer, w.agent_chan = w.agent_chan, None, None
            self._spawn(self._hangup(chan))
        return True  # Connect: the attempt bridges by itself

    async def _offered(self, cb_id: str, offer: Offer) -> None:
        w = self.waiting.get(cb_id)
        if w is not None:  # customer_first: the customer is on the line, ring the agent
            w.offer, w.rings = offer, w.rings + 1
            w.agent_chan = f"cb-{cb_id}-ring{w.rings}-agent"
            try:
                await self.ari.originate(offer.endpoint, w.agent_chan, f"{APP_ARG},{w.agent_chan}",
                                         w.cb.number, max(1, int(offer.timeout)))
            except (ChannelGone, AsteriskFailed) as exc:
                log.warning("callback agent not rung", callback_id=cb_id, error=str(exc))
                self._agent_failed(cb_id, w)
            return
        self.held[cb_id] = Held(offer)
        if not await self.service.start(cb_id):  # no longer due (cancelled meanwhile)
            self.held.pop(cb_id, None)
            self._leave(cb_id)

    # -- Delivery hooks (agent_first) ---------------------------------------------------
    def pick_agent(self, cb: Callback) -> str | None:
        held = self.held.get(cb.id)
        return held.offer.endpoint if held is not None else None

    def ring_timeout(self, cb: Callback) -> float | None:
        """How long the engine's offer rings the agent: the queue's ring_timeout."""
        held = self.held.get(cb.id)
        return held.offer.timeout if held is not None else None

    def settle(self, cb: Callback, runner: AttemptRunner, result: Result | None) -> None:
        held = self.held.pop(cb.id, None)
        if held is None:
            return
        attempt = runner.attempt
        if result is not None and result.kind == "connected":
            self.talks[cb.id] = Talk(place_id(cb.id), attempt.agent_chan, attempt.customer_chan,
                                     f"ccd-{attempt.customer_chan}")
            self._spawn(self._still_talking(cb.id))
        elif held.answered:
            self._leave(cb.id, ended=True)  # the agent worked on it: wrap-up as after a call
        elif held.cancelled:
            pass  # the engine already counted the miss and offers the place again
        elif attempt.agent_chan in runner.refused:
            self._leave(cb.id)  # Asterisk would not ring the agent: no miss; back at the next tick
        elif result is not None and result.kind == "aborted":
            # Ring-no-answer: the engine offers the place to the next agent (as for a caller).
            self.submit(OfferFailed(place_id(cb.id), held.offer.agent_id, "no_answer"))
        else:
            self._leave(cb.id)
        if held.next is not None:  # runs after the book has heard of this attempt's end
            self._spawn(self._offered(cb.id, held.next))

    # -- customer_first ----------------------------------------------------------------
    async def confirmed(self, cb: Callback, customer_chan: str) -> None:
        """The customer pressed 1: they take the callback's place in line."""
        self.waiting[cb.id] = Waiting(cb, customer_chan)
        self._enter(cb)

    def _agent_failed(self, cb_id: str, w: Waiting) -> None:
        if w.offer is not None:
            self.submit(OfferFailed(place_id(cb_id), w.offer.agent_id, "no_answer"))
        w.offer, w.agent_chan = None, None

    async def _bridge(self, cb_id: str, w: Waiting) -> None:
        assert w.agent_chan is not None and w.offer is not None
        self.waiting.pop(cb_id, None)
        talk = Talk(place_id(cb_id), w.agent_chan, w.customer_chan, f"ccd-{w.customer_chan}")
        self.talks[cb_id] = talk
        self.submit(OfferAnswered(place_id(cb_id), w.offer.agent_id))
        try:
            await self.ari.create_bridge(talk.bridge_id, "mixing")
            await self.ari.add_to_bridge(talk.bridge_id, talk.agent_chan, talk.customer_chan)
        except (ChannelGone, AsteriskFailed) as exc:
            log.warning("callback not bridged", callback_id=cb_id, error=str(exc))
        await self.service.connected(cb_id)

    # -- what Asterisk reports ---------------------------------------------------------
    def feed(self, seen: Seen) -> None:
        if seen.kind == "answered":
            for cb_id, held in self.held.items():
                runner = self.runners.get(cb_id)
                if runner is not None and seen.channel_id == runner.attempt.agent_chan and \
                        not held.answered and not held.cancelled:
                    held.answered = True
                    self.submit(OfferAnswered(place_id(cb_id), held.offer.agent_id))
            for cb_id, w in list(self.waiting.items()):
                if seen.channel_id == w.agent_chan:
                    self._spawn(self._bridge(cb_id, w))
        elif seen.kind == "hangup":
            for cb_id, w in list(self.waiting.items()):
                if seen.channel_id == w.customer_chan:  # gave up waiting for an agent
                    self.waiting.pop(cb_id)
                    if w.agent_chan is not None:
                        self._spawn(self._hangup(w.agent_chan))
                    self._leave(cb_id)
                    self._spawn(self.service.attempt_failed(cb_id, "hung_up"))
                elif seen.channel_id == w.agent_chan:
                    self._agent_failed(cb_id, w)
            for cb_id, talk in list(self.talks.items()):
                if seen.channel_id in (talk.agent_chan, talk.customer_chan):
                    self.talks.pop(cb_id)
                    self.places.discard(cb_id)
                    by_agent = seen.channel_id == talk.agent_chan
                    self.submit(CallEnded(talk.place, "agent" if by_agent else "caller"))
                    other = talk.customer_chan if by_agent else talk.agent_chan
                    self._spawn(self._end_talk(talk, other))

    def channels(self) -> set[str]:
        """Channels this shell looks after (a resync hangs up the others of a past run)."""
        out: set[str] = set()
        for w in self.waiting.values():
            out.update(c for c in (w.customer_chan, w.agent_chan) if c)
        for t in self.talks.values():
            out.update((t.agent_chan, t.customer_chan))
        return out

    async def _still_talking(self, cb_id: str) -> None:
        """A hang-up between the bridge and this talk's start reached nobody: look once."""
        talk = self.talks.get(cb_id)
        if talk is None:
            return
        try:
            up = {c.id for c in await self.ari.list_channels()}
        except AsteriskFailed:
            return
        for chan in (talk.agent_chan, talk.customer_chan):
            if chan not in up:
                self.feed(Seen("hangup", chan))

    async def _end_talk(self, talk: Talk, other: str) -> None:
        await self._hangup(other)
        try:
            await self.ari.delete_bridge(talk.bridge_id)
        except (ChannelGone, AsteriskFailed):
            pass

    async def _hangup(self, chan: str) -> None:
        try:
            await self.ari.hangup(chan)
        except (ChannelGone, AsteriskFailed):
            pass

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("callback step failed", error=repr(exc))
