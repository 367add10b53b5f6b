"""Run a real ccd daemon in-process against the harness's Asterisk and PostgreSQL.

``ccd_factory(ast, agents=[...], queues=[...])`` builds a config (agents are simulated
phones: Local/ag-<id>-<answer_delay>-<talk>-<tone>@sim-agent), starts the daemon, waits until
AMI, ARI and the first resync are done, and records every domain event it emits.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from ccd.acd.inputs import AgentLoggedIn
from ccd.config import CcdConfig
from ccd.daemon import Daemon
from ccd.events import DomainEvent
from ccd.sandbox.asterisk import AsteriskInstance


class Running:
    def __init__(self, daemon: Daemon, ast: AsteriskInstance) -> None:
        self.daemon = daemon
        self.ast = ast
        self.events: list[DomainEvent] = []
        daemon.bus.subscribe_events("harness", self.events.append)

    def of(self, type_: str, **match: Any) -> list[DomainEvent]:
        return [e for e in self.events if e.type == type_
                and all(getattr(e, k, None) == v or e.payload.get(k) == v for k, v in match.items())]

    async def wait_event(self, type_: str, timeout: float = 15.0, **match: Any) -> DomainEvent:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of(type_, **match)
            if found:
                return found[0]
            await asyncio.sleep(0.02)
        raise TimeoutError(f"no {type_} {match} within {timeout}s; saw {[e.type for e in self.events]}")

    async def wait_count(self, type_: str, n: int, timeout: float = 15.0, **match: Any) -> list[DomainEvent]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of(type_, **match)
            if len(found) >= n:
                return found
            await asyncio.sleep(0.02)
        raise TimeoutError(f"fewer than {n} {type_} {match} within {timeout}s: {len(self.of(type_, **match))}")

    async def login(self, *agent_ids: str) -> None:
        for agent_id in agent_ids:
            self.daemon.submit(AgentLoggedIn(agent_id))
        for agent_id in agent_ids:
            await self.wait_event("agent.login", agent_id=agent_id)


async def eventually(check: Callable[[], object], what: str, timeout: float = 15.0) -> None:
    """Poll ``check`` (plain or async; any truthy answer) until it holds: Asterisk reports state
    changes a moment after the fact, and a busy machine stretches that moment."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        await asyncio.sleep(0.05)


def agent(agent_id: str, seniority: str = "regular", answer_delay: float | str = 0.2, talk: float = 0,
          tone: int = 800, teams: list[str] | None = None) -> dict[str, Any]:
    return {"id": agent_id, "name": f"Agent {agent_id}", "seniority": seniority, "teams": teams or ["t"],
            "endpoint": AsteriskInstance.agent_endpoint(agent_id, answer_delay, talk, tone)}


def config_data(ast: AsteriskInstance, dsn: str, spool: Path, *, agents: list[dict[str, Any]],
                queues: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    teams = sorted({t for a in agents for t in a.get("teams", [])} | {"t"})
    data: dict[str, Any] = {
        "log_format": "console",
        "ami": {"host": ast.ami_host, "port": ast.ami_port, "username": ast.ami_user,
                "secret": ast.ami_secret, "ping_interval": 2.0},
        "ari": {"url": ast.ari_url, "username": ast.ari_user, "password": ast.ari_password},
        "database": {"dsn": dsn, "spool_dir": str(spool)},
        "asterisk_queue_log": str(ast.base / "log" / "queue_log"),  # the fallback calls' record
        "http": {"listen": "127.0.0.1:0"},
        "teams": [{"name": t} for t in teams],
        "agents": agents,
        "queues": queues,
    }
    data.update(extra)
    return data


def config_for(ast: AsteriskInstance, dsn: str, spool: Path, **kw: Any) -> CcdConfig:
    return CcdConfig.model_validate(config_data(ast, dsn, spool, **kw))


async def wait_ready(daemon: Daemon, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if daemon.health.is_up("ami") and daemon.health.is_up("ari") and daemon.acd.resynced:
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"ccd not ready within {timeout}s: {daemon.health.snapshot()}")


def reset_asterisk(ast: AsteriskInstance) -> None:
    """Leave no call, bridge or stored agent state from an earlier test."""
    ast.cli("channel request hangup all")
    ast.cli("database deltree ccd_agent")


Factory = Callable[..., Awaitable[Running]]


@pytest.fixture
async def ccd_factory(pg_dsn: str, tmp_path: Path) -> AsyncIterator[Factory]:
    made: list[Running] = []

    async def make(ast: AsteriskInstance, *, agents: list[dict[str, Any]], queues: list[dict[str, Any]],
                   reset: bool = True, **extra: Any) -> Running:
        if reset:
            reset_asterisk(ast)
        cfg = config_for(ast, pg_dsn, tmp_path / f"spool{len(made)}", agents=agents, queues=queues, **extra)
        daemon = Daemon(cfg)
        running = Running(daemon, ast)
        await daemon.start()
        made.append(running)
        await wait_ready(daemon)
        return running

    yield make
    stuck: dict[str, str] = {}
    for running in made:
        await running.daemon.stop()
        stuck.update(running.daemon.shutdown_overruns)
    # A shutdown step that hangs is a bug (in production it would delay every restart).
    assert not stuck, "daemon shutdown overran:\n" + "\n".join(f"== {k}\n{v}" for k, v in stuck.items())
