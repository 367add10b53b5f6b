"""The one task that applies inputs to the ACD engine in order and hands out its commands.

Inputs come from the ARI/AMI adapters and the API through ``submit`` (never blocking); the
loop owns the engine's single timer. Commands go to the executor, domain events to the
sinks (event store, metrics, sticky cache). No locks: only this task touches the engine.
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
        self._inbox: asyncio.Queue[Input] = asyncio.Queue()

    def submit(self, inp: Input) -> None:
        self._inbox.put_nowait(inp)

    def snapshot(self) -> EngineSnapshot:
        return self.engine.snapshot(self.clock())

    async def run(self) -> None:
        while True:
            deadline = self.engine.next_deadline()
            wait = None if deadline is None else max(0.0, deadline - self.clock())
            try:
                # asyncio.timeout, not wait_for: no extra task per input (a hop on every call).
                async with asyncio.timeout(wait):
                    inp = await self._inbox.get()
            except TimeoutError:
                self._apply(self.engine.on_timer(self.clock()), None)
                continue
            self.step(inp)
            # Drain what is already queued without yielding per item: bursts stay cheap.
            while not self._inbox.empty():
                inp = self._inbox.get_nowait()
                self.step(inp)

    def step(self, inp: Input) -> None:
        """Apply one input synchronously."""
        started = time.perf_counter()
        commands = self.engine.handle(inp, self.clock())
        if self.on_decision is not None:
            self.on_decision(time.perf_counter() - started)
        self._apply(commands, inp)

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
