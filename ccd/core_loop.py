"""The one task that applies inputs to the ACD engine in order and hands out its commands.

Inputs come from the ARI/AMI adapters and the API through ``submit`` (never blocking); the
loop owns the engine's single timer. Commands go to the executor, domain events to the
sinks (event store, metrics, sticky cache). No locks: the engine is only touched
synchronously, one input at a time.

An input submitted while the loop is idle is applied at once, in the submitter's turn of the
event loop: the offer for a caller who just entered goes out without waiting for this task
to be scheduled (a hop that, behind a burst of AMI events, cost more than the decision). An
input submitted while another is being applied (a sink or the executor submitting) is queued
and applied right after, in order. The loop task still owns the timer; an engine failure
applied at once is re-raised there, so it ends the loop as it always did.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import structlog

from ccd.acd.commands import Command, Record
from ccd.acd.inputs import Input
from ccd.events import DomainEvent
from ccd.queues.core.engine import AcdEngine
from ccd.snapshot import EngineSnapshot

log = structlog.get_logger("ccd.core")

Sink = Callable[[DomainEvent], None]
Performer = Callable[[Command], None]


class CoreLoop:
    def __init__(
        self,
        engine: AcdEngine,
        perform: Performer,
        sinks: list[Sink],
        clock: Callable[[], float] = time.time,
        on_decision: Callable[[float], None] | None = None,
    ) -> None:
        self.engine = engine
        self.perform = perform
        self.sinks = sinks
        self.clock = clock
        self.on_decision = on_decision
        self._inbox: asyncio.Queue[Input | None] = asyncio.Queue()  # None: re-read the deadline
        self._running = False  # run() started: inputs may be applied at once
        self._applying = False
        self._waiting_until: float | None = None  # the deadline run() sleeps towards
        self._failure: BaseException | None = None

    def submit(self, inp: Input) -> None:
        if not self._running or self._applying or not self._inbox.empty():
            self._inbox.put_nowait(inp)
            return
        try:
            self._apply_now(inp)
        except Exception as exc:  # an engine bug: the loop task dies of it, as before
            self._failure = exc
            self._inbox.put_nowait(None)
            return
        if self.engine.next_deadline() != self._waiting_until:
            self._inbox.put_nowait(None)  # the loop sleeps towards another deadline: wake it

    def _apply_now(self, inp: Input) -> None:
        self.step(inp)
        while not self._inbox.empty():  # inputs the step itself submitted, in order
            queued = self._inbox.get_nowait()
            if queued is not None:
                self.step(queued)

    def snapshot(self) -> EngineSnapshot:
        return self.engine.snapshot(self.clock())

    async def run(self) -> None:
        self._running = True
        try:
            await self._run()
        finally:
            self._running = False

    async def _run(self) -> None:
        while True:
            deadline = self.engine.next_deadline()
            self._waiting_until = deadline
            wait = None if deadline is None else max(0.0, deadline - self.clock())
            try:
                # asyncio.timeout, not wait_for: no extra task per input (a hop on every call).
                async with asyncio.timeout(wait):
                    inp = await self._inbox.get()
            except TimeoutError:
                self._applying = True
                try:
                    self._apply(self.engine.on_timer(self.clock()), None)
                finally:
                    self._applying = False
                self._drain()
                continue
            if self._failure is not None:
                raise self._failure
            if inp is not None:
                self.step(inp)
            self._drain()

    def _drain(self) -> None:
        # What is already queued is applied without yielding per item: bursts stay cheap.
        while not self._inbox.empty():
            inp = self._inbox.get_nowait()
            if inp is not None:
                self.step(inp)

    def step(self, inp: Input) -> None:
        """Apply one input synchronously."""
        self._applying = True
        try:
            started = time.perf_counter()
            commands = self.engine.handle(inp, self.clock())
            if self.on_decision is not None:
                self.on_decision(time.perf_counter() - started)
            self._apply(commands, inp)
        finally:
            self._applying = False

    def _apply(self, commands: list[Command], inp: Input | None) -> None:
        for cmd in commands:
            if isinstance(cmd, Record):
                for sink in self.sinks:
                    try:
                        sink(cmd.event)
                    except Exception:
                        log.exception("event sink failed", event_type=cmd.event.type)
            else:
                try:
                    self.perform(cmd)
                except Exception:
                    log.exception("command dispatch failed", command=repr(cmd), input=repr(inp))
