"""Turns the book's Dial commands into attempts on Asterisk and their results back into the
book: connected, failed (retried or ended by the book), aborted (not counted), confirmed.

Which agent takes an agent_first callback is the ACD's decision: ``pick_agent(callback)``
returns the endpoint of the agent it gave the callback's place (None: nobody free after all,
the attempt is aborted and the callback stays in line), ``release_agent(queue)`` hands them
back, and ``settle(callback, runner, result)`` (optional) tells the ACD side how the attempt
ended before the book hears of it. A confirmed customer_first customer is handed to
``on_confirmed`` with their channel, to be queued with the callback's place.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from ccd.callbacks.ari_attempt import AttemptRunner, Seen
from ccd.callbacks.core.attempt import Attempt, Result
from ccd.callbacks.core.book import Callback, Dial
from ccd.callbacks.service import CallbackService
from ccd.ports import AriPort

log = structlog.get_logger("ccd.callbacks")


@dataclass(frozen=True, slots=True)
class QueueDialing:
    language: str = "en"
    caller_id: str | None = None
    dial_template: str = "PJSIP/{number}@trunk"
    dial_timeout: float = 30.0
    confirm_timeout: float = 8.0


class Delivery:
    def __init__(
        self,
        ari: AriPort,
        dialing: dict[str, QueueDialing],
        pick_agent: Callable[[Callback], str | None],
        release_agent: Callable[[str], None],
        on_confirmed: Callable[[Callback, str], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.time,
        settle: Callable[[Callback, AttemptRunner, Result | None], None] | None = None,
        ring_timeout: Callable[[Callback], float | None] = lambda cb: None,
    ) -> None:
        self.settle, self.ring_timeout = settle, ring_timeout
        self.ari, self.dialing, self.clock = ari, dialing, clock
        self.pick_agent, self.release_agent, self.on_confirmed = pick_agent, release_agent, on_confirmed
        self.service: CallbackService | None = None
        self.runners: dict[str, AttemptRunner] = {}  # callback id -> its running attempt
        self.tasks: set[asyncio.Task[None]] = set()

    def feed(self, seen: Seen) -> None:
        for runner in list(self.runners.values()):
            runner.feed(seen)

    def dial(self, cmd: Dial) -> None:
        """The service's dial hook: never blocks, the attempt runs as its own task."""
        task = asyncio.create_task(self._attempt(cmd))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _attempt(self, cmd: Dial) -> None:
        assert self.service is not None, "Delivery.service must be set before dialling"
        cb = cmd.callback
        q = self.dialing.get(cb.queue, QueueDialing())
        agent = self.pick_agent(cb) if cmd.delivery == "agent_first" else None
        if cmd.delivery == "agent_first" and agent is None:
            await self.service.attempt_aborted(cb.id, "no_agent")
            return
        attempt = Attempt(cb.id, cmd.attempt, cb.number, cmd.delivery, agent, q.caller_id,
                          self.clock() - cb.enqueued_at, q.dial_timeout, q.confirm_timeout,
                          self.ring_timeout(cb) if agent is not None else None)
        runner = AttemptRunner(self.ari, attempt, q.language, q.dial_template, self.clock)
        self.runners[cb.id] = runner
        result: Result | None = None
        try:
            result = await runner.run()
        except Exception:  # an attempt must never take the callback with it
            log.exception("callback attempt crashed", callback_id=cb.id)
            await self.service.attempt_aborted(cb.id, "error")
            return
        finally:
            self.runners.pop(cb.id, None)
            if agent is not None:
                self.release_agent(cb.queue)
            if self.settle is not None:
                self.settle(cb, runner, result)
        if result.kind == "connected":
            await self.service.connected(cb.id)
        elif result.kind == "aborted":
            await self.service.attempt_aborted(cb.id, result.reason or "aborted")
        elif result.kind == "failed":
            await self.service.attempt_failed(cb.id, result.reason or "failed")
        elif self.on_confirmed is None:  # confirmed, but nowhere to route: try again later
            await self.ari.hangup(attempt.customer_chan)
            await self.service.attempt_aborted(cb.id, "no_route")
        else:
            await self.service.agent_held(cb.id)
            await self.on_confirmed(cb, attempt.customer_chan)
