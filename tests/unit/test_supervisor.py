"""The supervisor owns every task: a service that dies is logged with its name, counted,
makes readiness false and wakes ``wait_failed``; a failed job is counted and logged but the
daemon runs on; close cancels everything; a cancelled task or a service ending on close is
no failure."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from ccd.serial import KeyedSerial
from ccd.supervisor import Supervisor


def failures(registry: CollectorRegistry, task: str) -> float:
    return registry.get_sample_value("ccd_task_failures_total", {"task": task}) or 0.0


async def forever() -> None:
    await asyncio.Event().wait()


async def test_a_service_that_dies_is_logged_counted_and_ends_readiness() -> None:
    registry = CollectorRegistry()
    sup = Supervisor(registry)
    gate = asyncio.Event()

    async def link() -> None:
        await gate.wait()
        raise ConnectionError("bug in the loop")

    sup.service("ccd-ami", link())
    sup.service("ccd-core", forever())
    waiting = asyncio.create_task(sup.wait_failed())
    await asyncio.sleep(0)
    assert sup.healthy and not waiting.done()
    with capture_logs() as logs:
        gate.set()
        name, exc = await asyncio.wait_for(waiting, 5)
    assert name == "ccd-ami" and isinstance(exc, ConnectionError)
    assert not sup.healthy and "ConnectionError" in sup.failed["ccd-ami"]
    assert failures(registry, "ccd-ami") == 1
    assert [(x["event"], x["task"]) for x in logs] == [("owned task died", "ccd-ami")]
    await sup.close()
    assert sup.tasks == []


async def test_a_service_returning_is_a_death_but_not_once_closing() -> None:
    sup = Supervisor(CollectorRegistry())

    async def quits() -> None:
        return None

    sup.service("ccd-timer", quits())
    name, exc = await asyncio.wait_for(sup.wait_failed(), 5)  # it died before anyone waited
    assert name == "ccd-timer" and exc is None

    calm = Supervisor(CollectorRegistry())
    calm.closing = True
    await calm.service("ccd-writer", quits())
    assert calm.healthy


async def test_adopted_tasks_cancelled_by_their_owner_are_no_failure() -> None:
    registry = CollectorRegistry()
    sup = Supervisor(registry)
    task = sup.adopt(asyncio.create_task(forever(), name="ccd-store-writer"))
    task.cancel()
    await asyncio.wait([task])
    assert sup.healthy and failures(registry, "ccd-store-writer") == 0 and sup.tasks == []


async def test_failed_jobs_are_counted_by_kind_and_the_daemon_runs_on() -> None:
    registry = CollectorRegistry()
    sup = Supervisor(registry)
    serial = KeyedSerial(sup.spawn, "acd")
    done: list[str] = []

    async def fails() -> None:
        raise RuntimeError("asterisk said no")

    async def works() -> None:
        done.append("second")

    with capture_logs() as logs:
        serial.submit("call-1", fails, "dial")
        serial.submit("call-1", works, "bridge")  # still runs, after the failed one
        await serial.drain(5)
    assert done == ["second"] and sup.healthy
    assert failures(registry, "acd-serial") == 1
    [line] = [x for x in logs if x["event"] == "task failed"]
    assert line["task"] == "ccd:call-1:dial" and "asterisk said no" in line["error"]


async def test_close_cancels_services_and_jobs() -> None:
    sup = Supervisor(CollectorRegistry())
    service = sup.service("ccd-dispatch", forever())
    job = sup.spawn("ccd:announce:c1", forever(), kind="announcement")
    await asyncio.sleep(0)
    assert len(sup.tasks) == 2
    await sup.close()
    assert service.cancelled() and job.cancelled() and sup.healthy and sup.tasks == []
