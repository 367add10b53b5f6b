"""Wrong AMI or ARI credentials against the real Asterisk: a clear error naming the
interface and the user, retried with backoff, no crash, no secret in any log line."""

from __future__ import annotations

import asyncio
import time

import pytest
import structlog
from structlog.testing import capture_logs

from ccd.ami import AmiClient
from ccd.ari import AriClient, AriEventStream
from ccd.dispatch import Dispatcher
from ccd.health import Backoff, ConnectionHealth
from tests.harness.asterisk import AsteriskInstance

pytestmark = pytest.mark.asterisk

WRONG = "wrong-secret-that-must-never-appear-in-a-log"


async def wait_failures(health: ConnectionHealth, name: str, n: int, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        await health.wait_for(lambda h: h.links[name].failures >= n)


async def test_wrong_ami_secret(asterisk: AsteriskInstance, caplog: pytest.LogCaptureFixture) -> None:
    health = ConnectionHealth(("ami",))
    dispatcher = Dispatcher()
    ami = AmiClient(asterisk.ami_host, asterisk.ami_port, asterisk.ami_user, WRONG,
                    dispatcher=dispatcher, log=structlog.get_logger("test"), on_state=health.update,
                    backoff=Backoff(initial=0.1, cap=2.0), auth_retry_cap=0.5)
    t0 = time.monotonic()
    with capture_logs() as logs:
        await ami.start()
        await wait_failures(health, "ami", 2, 15)  # Asterisk delays a refused login by ~1 s
        link = health.links["ami"]
        assert link.auth_failed and not health.ready and not ami.connected
        assert ami._task is not None and not ami._task.done()  # still trying, not crashed
        last_error = link.last_error
        await ami.close()
    elapsed = time.monotonic() - t0
    print(f"\nAMI error: {last_error}")
    assert last_error is not None
    assert f"AMI login failed for user '{asterisk.ami_user}' at 127.0.0.1:{asterisk.ami_port}" \
        in last_error
    assert "Authentication failed" in last_error
    failed = [e for e in logs if e["event"] == "ami_login_failed"]
    assert len(failed) >= 2 and elapsed >= 1.0
    assert all(e["interface"] == "ami" and e["user"] == asterisk.ami_user for e in failed)
    assert WRONG not in repr(logs) and WRONG not in caplog.text
    assert WRONG not in repr(health.snapshot())


async def test_wrong_ari_password(asterisk: AsteriskInstance,
                                  caplog: pytest.LogCaptureFixture) -> None:
    health = ConnectionHealth(("ari",))
    dispatcher = Dispatcher()
    rest = AriClient(asterisk.ari_url, asterisk.ari_user, WRONG, asterisk.ari_app,
                     log=structlog.get_logger("test"))
    stream = AriEventStream(rest, dispatcher=dispatcher, log=structlog.get_logger("test"),
                            on_state=health.update, backoff=Backoff(initial=0.05, cap=2.0),
                            auth_retry_cap=0.3)
    with capture_logs() as logs:
        await stream.start()
        await wait_failures(health, "ari", 3, 15)
        link = health.links["ari"]
        assert link.auth_failed and not stream.connected
        last_error = link.last_error
        await stream.close()
        await rest.close()
    print(f"\nARI error: {last_error}")
    assert last_error is not None
    assert f"ARI login failed for user '{asterisk.ari_user}' at {asterisk.ari_url}" in last_error
    assert "HTTP 401" in last_error
    failed = [e for e in logs if e["event"] == "ari_login_failed"]
    assert len(failed) >= 3
    assert all(e["interface"] == "ari" and e["user"] == asterisk.ari_user for e in failed)
    delays = [e["delay_s"] for e in logs if e["event"] == "ari_reconnect_scheduled"]
    assert delays[1] > delays[0] * 0.9  # backing off (jitter takes up to half off each delay)
    assert WRONG not in repr(logs) and WRONG not in caplog.text
