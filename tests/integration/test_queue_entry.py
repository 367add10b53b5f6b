"""What a caller can put into the shipped ``ccd-queue`` dialplan, on the real Asterisk: a
malformed queue name never reaches Stasis() (no extra arguments, no crash), a priority is
parsed strictly and clamped, and a call ccd cannot take falls back to the native Queue()."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from ccd.queues.core.stasis_input import PRIORITY_LIMIT
from ccd.sandbox.asterisk import AsteriskInstance
from tests.harness.ccd import Factory, Running, agent, eventually

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]

PHONE = "cp-30-0-x-400@sim-phone"
QUEUES = [{"name": "support", "teams": ["t"]}, {"name": "support99", "teams": ["t"]}]


async def no_channels(ccd: Running, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while await ccd.daemon.rest.list_channels():
        if time.monotonic() > deadline:
            raise TimeoutError([c.name for c in await ccd.daemon.rest.list_channels()])
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("exten", ["support,99", "support,²", "support99,5", "support.1"])
async def test_malformed_queue_name_is_refused_in_the_dialplan(
    asterisk: AsteriskInstance, ccd_factory: Factory, exten: str
) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("1001")], queues=QUEUES)
    await ccd.login("1001")
    before = asterisk.log_tail(2000).count("refused a call for a malformed queue name")
    asterisk.cli(f"channel originate Local/{exten}@ccd-queue extension {PHONE}")
    await eventually(lambda: asterisk.log_tail(2000).count("refused a call for a malformed queue name") > before,
                     "the dialplan logs the refusal", timeout=15)
    await no_channels(ccd)
    assert ccd.of("call.queued") == [] and not ccd.daemon.executor.call_ids()


@pytest.mark.parametrize(("given", "expected"), [("5000", PRIORITY_LIMIT), ("7", 7), ("²", 0),
                                                 ("1x2", 12)])
async def test_priority_is_reduced_to_digits_and_clamped(
    asterisk: AsteriskInstance, ccd_factory: Factory, given: str, expected: int
) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("1001")], queues=QUEUES)  # nobody logged in: it waits
    asterisk.cli(f"channel originate Local/c-5550100-support-{given}@sim-trunk extension {PHONE}")
    queued = await ccd.wait_event("call.queued", queue="support")
    assert queued.payload["priority"] == expected
    asterisk.cli("channel request hangup all")
    await ccd.wait_event("call.abandoned", call_id=queued.call_id)


async def test_a_call_ccd_cannot_take_goes_to_the_native_queue(
    asterisk_factory: Callable[..., AsteriskInstance], ccd_factory: Factory
) -> None:
    member = agent("1001")["endpoint"]
    asterisk = asterisk_factory(queues_conf=f"[support]\nstrategy = ringall\ntimeout = 5\nmember => {member}\n")
    ccd = await ccd_factory(asterisk, agents=[agent("1001")], queues=QUEUES)

    async def broken(*args: object) -> None:
        raise RuntimeError("sticky lookup broke (injected)")

    ccd.daemon.acd.sticky.resolve = broken  # type: ignore[method-assign]
    asterisk.cli(f"channel originate Local/c-5550101-support@sim-trunk extension {PHONE}")

    async def in_native_queue() -> bool:
        return any(c.dialplan.app_name == "Queue" and c.dialplan.context == "ccd-queue-fallback"
                   for c in await ccd.daemon.rest.list_channels())

    await eventually(in_native_queue, "the caller is in the fallback Queue()", timeout=15)
    assert ccd.of("call.queued") == [] and not ccd.daemon.executor.call_ids()
    await eventually(lambda: any("Local/ag-1001" in c for c in asterisk.channels()), "the member rings", 15)
    asterisk.cli("channel request hangup all")
    await no_channels(ccd)
