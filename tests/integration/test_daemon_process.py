"""``ccd run`` as a real process: readiness, SIGTERM within 5 s, and kill -9 with callers
waiting — after a restart they are served in their original order, and while ccd is down
new calls reach an agent through the dialplan's native Queue() fallback."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from ccd.asterisk_config import render_queuerules, render_queues
from ccd.config import CcdConfig
from ccd.sandbox.ami_probe import AmiProbe
from ccd.sandbox.toml_out import dumps
from tests.harness.asterisk import AsteriskInstance, free_port
from tests.harness.ccd import agent, config_data

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]
TOKEN = "integration-admin-token"


class CcdProcess:
    def __init__(self, config: Path, port: int, log: Path) -> None:
        self.config, self.port, self.log = config, port, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        out = open(self.log, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "ccd", "run", "-c", str(self.config)],
                                     stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        out.close()

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {TOKEN}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None and self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                status, body = self.api("GET", "/readyz")
                if status == 200 and body["ready"]:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"ccd not ready: {self.log.read_text()[-3000:]}")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(5)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def ccd_process(tmp_path: Path, pg_dsn: str) -> Iterator[Callable[..., tuple[CcdProcess, CcdConfig]]]:
    made: list[CcdProcess] = []

    def make(ast: AsteriskInstance, agents: list[dict[str, Any]], queues: list[dict[str, Any]]
             ) -> tuple[CcdProcess, CcdConfig]:
        port = free_port()
        data = config_data(ast, pg_dsn, tmp_path / "spool", agents=agents, queues=queues,
                           http={"listen": f"127.0.0.1:{port}",
                                 "tokens": [{"name": "it", "role": "admin", "token": TOKEN}]})
        data["log_format"] = "json"
        path = tmp_path / "ccd.toml"
        path.write_text(dumps(data))
        proc = CcdProcess(path, port, tmp_path / "ccd.log")
        made.append(proc)
        return proc, CcdConfig.model_validate(data)

    yield make
    for proc in made:
        proc.stop()


async def test_run_connects_and_sigterm_stops_within_5s(
    asterisk: AsteriskInstance, ccd_process: Callable[..., tuple[CcdProcess, CcdConfig]]
) -> None:
    asterisk.cli("channel request hangup all")
    proc, _ = ccd_process(asterisk, [agent("A")], [{"name": "support", "agents": ["A"]}])
    proc.start()
    proc.wait_ready()
    status, body = proc.api("GET", "/readyz")
    assert status == 200 and body == {"ready": True, "ami": True, "ari": True, "database": True, "resynced": True,
                                     "tasks": True}
    assert proc.proc is not None
    started = time.monotonic()
    proc.proc.send_signal(signal.SIGTERM)
    code = proc.proc.wait(10)
    elapsed = time.monotonic() - started
    print(f"ccd stopped {elapsed:.3f}s after SIGTERM")
    assert code == 0
    assert elapsed < 5.0
    assert "ccd stopped" in proc.log.read_text()


async def test_kill9_restart_serves_waiting_callers_in_order_and_fallback_when_down(
    asterisk_factory: Callable[..., AsteriskInstance],
    ccd_process: Callable[..., tuple[CcdProcess, CcdConfig]],
    pg_dsn: str,
) -> None:
    agents = [agent("A", talk=1)]
    queues = [{"name": "support", "agents": ["A"], "wrapup": 0.3, "ring_timeout": 5}]
    cfg = CcdConfig.model_validate({"teams": [{"name": "t"}], "agents": agents, "queues": queues})
    ast = asterisk_factory(queues_conf=render_queues(cfg), queuerules_conf=render_queuerules(cfg))
    proc, _ = ccd_process(ast, agents, queues)
    proc.start()
    proc.wait_ready()
    assert proc.api("POST", "/api/agents/A/login")[0] == 202
    assert proc.api("POST", "/api/agents/A/pause", {"reason": "meeting"})[0] == 202
    callers = ["5551101", "5551102", "5551103"]
    for number in callers:
        ast.originate_caller_cli("support", number, hangup_after=60)
        await asyncio.sleep(1.0)
    status, state = proc.api("GET", "/api/queues")
    assert status == 200 and state["support"]["waiting"] == 3
    longest_before = state["support"]["longest_wait_s"]

    proc.kill9()
    await asyncio.sleep(1.0)
    assert len([c for c in ast.channels() if c.startswith("Local/c-")]) == 6  # all still there

    proc.start()
    proc.wait_ready()
    status, state = proc.api("GET", "/api/queues")
    assert state["support"]["waiting"] == 3
    assert state["support"]["longest_wait_s"] >= longest_before + 1.0  # original wait kept
    status, agents_state = proc.api("GET", "/api/agents")
    assert agents_state[0]["state"] == "paused" and agents_state[0]["reason"] == "meeting"
    assert proc.api("POST", "/api/agents/A/unpause")[0] == 202

    conn = await asyncpg.connect(pg_dsn)
    try:
        deadline = time.monotonic() + 20
        rows: list[Any] = []
        while time.monotonic() < deadline:
            rows = await conn.fetch("SELECT caller, agent_id FROM call_records WHERE outcome = 'answered' "
                                    "ORDER BY answered_at")
            if len(rows) == 3:
                break
            await asyncio.sleep(0.2)
        assert [r["caller"] for r in rows] == callers
        assert {r["agent_id"] for r in rows} == {"A"}
    finally:
        await conn.close()

    # ccd down: a new call takes the native Queue() fallback and still reaches the agent.
    proc.kill9()
    await asyncio.sleep(2.0)  # the agent's wrap-up in the native queue
    probe = await AmiProbe.connect(ast.ami_host, ast.ami_port, ast.sim_ami_user, ast.sim_ami_secret)
    ast.originate_caller_cli("support", "5551199", hangup_after=20)
    connect = await probe.wait_for(lambda e: e.get("Event") == "AgentConnect", timeout=15)
    assert connect["Queue"] == "support" and connect["CallerIDNum"] == "5551199"
    assert "ag-A-" in connect["Interface"]
    await probe.close()
