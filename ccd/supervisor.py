"""The one owner of the daemon's tasks: nothing runs fire-and-forget.

Two kinds of task go through it:

- **services** (``service`` / ``adopt``): the long-running loops the daemon needs (AMI and
  ARI links, the store writer, the dispatcher, the core, bus pumps, the timer, ...). Such a
  task never ends on its own: if it does, or dies with an error, the death is logged with the
  task's name, counted in ``ccd_task_failures_total{task}``, readiness turns false and
  ``wait_failed`` returns, so the daemon stops and the service manager restarts it.
- **jobs** (``spawn``): short tasks (a call's serial Asterisk commands, an announcement, a
  retention pass). A failed job is logged with its name and counted under its ``kind``; the
  daemon runs on.

``close`` cancels everything still running; a task that ends because it was cancelled, or a
service that returns once ``close`` began, is not a failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Protocol

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge

from ccd.tasks import cancel_and_wait

log = structlog.get_logger("ccd.supervisor")


class Spawn(Protocol):
    """How an owner starts a short task: ``spawn(name, coro, kind=...)``."""

    def __call__(self, name: str, coro: Coroutine[Any, Any, Any], kind: str | None = None) -> asyncio.Task[Any]: ...


def plain_spawn(name: str, coro: Coroutine[Any, Any, Any], kind: str | None = None) -> asyncio.Task[Any]:
    """The stand-in for a component used without a daemon (unit tests, tools): the task is
    kept by its owner and a failure is still logged, never "exception was never retrieved"."""
    task = asyncio.get_running_loop().create_task(coro, name=name)
    task.add_done_callback(_log_failure)
    return task


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("task failed", task=task.get_name(), error=repr(exc), exc_info=exc)


class Supervisor:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self._services: dict[asyncio.Task[Any], str] = {}  # task -> kind
        self._jobs: dict[asyncio.Task[Any], str] = {}
        self.failed: dict[str, str] = {}  # service name -> why it ended
        self._first: tuple[str, BaseException | None] | None = None
        self._failure: asyncio.Future[tuple[str, BaseException | None]] | None = None
        self.closing = False
        self.failures = Counter("ccd_task_failures_total",
                                "Owned tasks that died unexpectedly (services ending, jobs raising), by task",
                                ["task"], registry=registry)
        self.running = Gauge("ccd_tasks_running", "Owned tasks running now, by kind", ["kind"], registry=registry)
        self.running.labels("service").set_function(lambda: len(self._services))
        self.running.labels("job").set_function(lambda: len(self._jobs))

    # -- starting ---------------------------------------------------------------------------
    def service(self, name: str, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Start a long-running task the daemon cannot do without."""
        return self.adopt(asyncio.get_running_loop().create_task(coro, name=name))

    def adopt(self, task: asyncio.Task[Any], kind: str | None = None) -> asyncio.Task[Any]:
        """Watch a service task a component started itself (a link's, the writer's): its
        owner still cancels it; an unexpected end is ours to report."""
        self._services[task] = kind or task.get_name()
        task.add_done_callback(self._service_done)
        return task

    def spawn(self, name: str, coro: Coroutine[Any, Any, Any], kind: str | None = None) -> asyncio.Task[Any]:
        """Start a short job; ``kind`` (bounded: "acd-serial", "announcement", ...) labels
        its failures in /metrics, ``name`` (may hold a call id) names it in the log."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._jobs[task] = kind or name
        task.add_done_callback(self._job_done)
        return task

    # -- noticing deaths --------------------------------------------------------------------
    def _service_done(self, task: asyncio.Task[Any]) -> None:
        kind = self._services.pop(task, task.get_name())
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None and self.closing:
            return  # a loop that finishes its work on close (the writer's)
        why = repr(exc) if exc is not None else "ended on its own"
        self.failed[task.get_name()] = why
        self.failures.labels(kind).inc()
        log.error("owned task died", task=task.get_name(), error=why, exc_info=exc)
        self._first = self._first or (task.get_name(), exc)
        if self._failure is not None and not self._failure.done():
            self._failure.set_result(self._first)

    def _job_done(self, task: asyncio.Task[Any]) -> None:
        kind = self._jobs.pop(task, task.get_name())
        if task.cancelled() or (exc := task.exception()) is None:
            return
        self.failures.labels(kind).inc()
        log.error("task failed", task=task.get_name(), kind=kind, error=repr(exc), exc_info=exc)

    @property
    def healthy(self) -> bool:
        """No service has died (readiness)."""
        return not self.failed

    async def wait_failed(self) -> tuple[str, BaseException | None]:
        """Return (name, error) when a service dies; never while all is well."""
        if self._failure is None:
            self._failure = asyncio.get_running_loop().create_future()
            if self._first is not None:  # died before anyone waited
                self._failure.set_result(self._first)
        return await asyncio.shield(self._failure)

    # -- stopping ---------------------------------------------------------------------------
    @property
    def services(self) -> list[asyncio.Task[Any]]:
        return list(self._services)

    @property
    def tasks(self) -> list[asyncio.Task[Any]]:
        return [*self._services, *self._jobs]

    async def close(self) -> None:
        """Cancel every task still running and wait for each (bounded per task)."""
        self.closing = True
        tasks = self.tasks
        ended = await asyncio.gather(*(cancel_and_wait(t) for t in tasks))
        stuck = [t for t, ok in zip(tasks, ended, strict=True) if not ok]
        for task in stuck:
            log.error("owned task ignores cancellation", task=task.get_name())
