"""When a waiting caller hears the callback offer, and what a booking does to their call.

Once a second (the engine snapshot), every caller waiting in a queue with callbacks gets the
offer once: after ``offer_after`` seconds of waiting, or when the expected wait (the queue's
hold time, as Asterisk's Queue() weighs it, minus the wait so far) is over
``offer_when_wait_over`` — and only when the book would accept it now (hours, the per-queue
cap). The dialogue runs on the caller's channel while they keep waiting in the holding
bridge (``ari_offer``). A booking takes the call out of the line with the callback's id on
its abandon (not counted as one) and the callback takes its place; then the caller hears
the confirmation and ccd hangs up. An agent offered the call ends the dialogue first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter

from ccd import events as ev
from ccd.acd.hold_time import HoldTime
from ccd.acd.inputs import CallAbandoned, Input
from ccd.callbacks.ari_attempt import Seen
from ccd.callbacks.ari_offer import OfferRunner
from ccd.callbacks.core.numbers import Normaliser, check_number, compile_allowlist
from ccd.callbacks.core.offer import DialogueSettings, Done, OfferDialogue
from ccd.callbacks.core.settings import CallbackConfig
from ccd.callbacks.service import CallbackService
from ccd.ports import AriPort
from ccd.snapshot import CallView, EngineSnapshot

log = structlog.get_logger("ccd.callbacks")
TICK_S = 1.0
BOOKED = ("requested", "merged")
GONE = (ev.CALL_ANSWERED, ev.CALL_ABANDONED, ev.CALL_OVERFLOW, ev.CALL_ENDED)


@dataclass(frozen=True, slots=True)
class OfferRules:
    config: CallbackConfig
    language: str

    def due(self, call: CallView, hold_time: float | None) -> tuple[bool, float]:
        """(offer now?, expected wait) for a waiting caller."""
        expected = max(0.0, hold_time - call.wait_s) if hold_time is not None else 0.0
        c = self.config
        by_wait = c.offer_after is not None and call.wait_s >= c.offer_after
        by_expected = c.offer_when_wait_over is not None and expected > c.offer_when_wait_over
        return by_wait or by_expected, expected


class CallbackOffers:
    def __init__(self, ari: AriPort, service: CallbackService, rules: Mapping[str, OfferRules],
                 normalise: Normaliser, snapshot: Callable[[], EngineSnapshot],
                 submit: Callable[[Input], None], booked: Callable[[], None],
                 registry: CollectorRegistry, dialogue: DialogueSettings | None = None) -> None:
        self.ari, self.service, self.rules, self.snapshot = ari, service, rules, snapshot
        self.submit, self.booked = submit, booked
        self.dialogue = dialogue or DialogueSettings()
        self.checks = {q: partial(check_number, normalise=normalise, allow=compile_allowlist(r.config.allow))
                       for q, r in rules.items()}
        self.hold = {q: HoldTime() for q in rules}
        self.offered: set[str] = set()  # calls that had their offer (once per call)
        self.runners: dict[str, OfferRunner] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.outcomes = Counter("ccd_callback_offers_total", "Callback offers made to waiting callers, "
                                "by how the dialogue ended", ["queue", "outcome"], registry=registry)

    # -- inputs ---------------------------------------------------------------------------
    def on_event(self, e: ev.DomainEvent) -> None:
        if isinstance(e, ev.CallAnswered) and e.queue in self.hold:
            self.hold[e.queue].answered(e.wait_s)
        if e.type in GONE and e.call_id and e.call_id not in self.runners:
            self.offered.discard(e.call_id)

    def feed(self, seen: Seen) -> None:
        for runner in list(self.runners.values()):
            runner.feed(seen)

    def preempt(self, call_id: str) -> None:
        """An agent is being offered the call: the dialogue ends (unless it is booking)."""
        runner = self.runners.get(call_id)
        if runner is not None:
            runner.feed(Seen("cancel", call_id))

    # -- the loop -------------------------------------------------------------------------
    async def run(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            try:
                self.tick()
            except Exception:  # one bad tick must not end the offers
                log.exception("callback offer tick failed")

    def tick(self) -> None:
        snap = self.snapshot()
        for queue, rules in self.rules.items():
            view = snap.queues.get(queue)
            for call in view.waiting if view is not None else ():
                if call.status != "waiting" or call.call_id in self.offered:
                    continue
                now_due, expected = rules.due(call, self.hold[queue].value)
                if now_due and self.service.book.refusal(queue, self.service.clock(), expected) is None:
                    self._start(queue, rules, call, snap.now, expected)

    def _start(self, queue: str, rules: OfferRules, call: CallView, now: float, expected: float) -> None:
        self.offered.add(call.call_id)
        enqueued_at = now - call.wait_s

        async def request(number: str) -> str:
            try:
                result = await self.service.request(call.call_id, queue, number, call.priority,
                                                    enqueued_at, 0, expected)
            except Exception:
                log.exception("callback not booked", call_id=call.call_id)
                return "unavailable"
            if result in BOOKED:
                into = next((c.id for c in self.service.pending(queue) if c.number == number), call.call_id)
                self.submit(CallAbandoned(call.call_id, callback=into))
                self.booked()
            return result

        dialogue = OfferDialogue(call.caller, self.checks[queue], self.dialogue)
        runner = OfferRunner(self.ari, call.call_id, dialogue, rules.language, request, self.service.clock)
        self.runners[call.call_id] = runner
        self._spawn(self._run(queue, runner))

    async def _run(self, queue: str, runner: OfferRunner) -> None:
        try:
            done: Done = await runner.run()
        finally:
            self.runners.pop(runner.channel_id, None)
        self.outcomes.labels(queue, done.outcome).inc()
        log.info("callback offer ended", call_id=runner.channel_id, queue=queue, outcome=done.outcome)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

