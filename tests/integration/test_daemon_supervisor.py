"""The running daemon's tasks are all owned by its supervisor: the AMI and ARI links and the
store writer are watched like the rest, and a service that dies shows in /readyz (503,
``tasks: false``), in /metrics (``ccd_task_failures_total``) and ends ``wait_failed``."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.harness.asterisk import AsteriskInstance, free_port
from tests.harness.ccd import Factory, agent

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]


async def test_links_and_writer_are_watched_and_a_dead_service_ends_readiness(
    asterisk: AsteriskInstance, ccd_factory: Factory
) -> None:
    port = free_port()
    ccd = await ccd_factory(asterisk, agents=[agent("A1")], queues=[{"name": "support", "teams": ["t"]}],
                            http={"listen": f"127.0.0.1:{port}"})
    daemon = ccd.daemon
    watched = {t.get_name() for t in daemon.tasks.services}
    assert {daemon.ami.task_name, daemon.stream.task_name, "ccd-store-writer", "ccd-dispatch", "ccd-core",
            "ccd-timer"} <= watched, watched
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/readyz") as r:
            assert r.status == 200 and (await r.json())["tasks"] is True
        failed = asyncio.ensure_future(daemon.wait_failed())

        async def broken_loop() -> None:
            raise RuntimeError("a bug in a loop")

        daemon.tasks.service("ccd-injected", broken_loop())
        assert isinstance(await asyncio.wait_for(failed, 5), RuntimeError)
        async with http.get(f"{base}/readyz") as r:
            assert r.status == 503 and (await r.json())["tasks"] is False
        async with http.get(f"{base}/metrics") as r:
            assert 'ccd_task_failures_total{task="ccd-injected"} 1.0' in await r.text()
