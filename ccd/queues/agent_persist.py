"""Agent login / pause state kept in Asterisk's AstDB, so a restarted ccd — or a restarted
Asterisk — knows who was logged in. Asterisk is the source of truth (DESIGN.md).

Least privilege toward Asterisk: the dialplan writes it (ARI originates a Local channel into
``[ccd-agent-state]``, dialplan/extensions_ccd.conf) and AMI reads it back (``DBGet``, class
``reporting``). AMI's ``DBPut`` would need ``write = system``, which also reloads and unloads
modules and reads every config file (GetConfig); Asterisk refuses ``DB()`` written straight
from AMI or ARI. A save waits until AstDB holds the value, so one agent's saves land in order
(each Local channel runs its dialplan in its own thread)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Protocol

import structlog

from ccd import events as ev
from ccd.acd.inputs import AgentLoggedIn, AgentPaused, Input
from ccd.ami.errors import AmiActionError, AmiError

FAMILY = "ccd_agent"
log = structlog.get_logger("ccd.agents")


STATE_ENDPOINT = "Local/s@ccd-agent-state/n"
STATE_CONTEXT = "ccd-agent-state"
LANDED_WITHIN_S = 3.0


class AgentStateNotSaved(AmiError):
    """The dialplan did not store the value in time (is dialplan/extensions_ccd.conf current?)."""


class AmiReads(Protocol):
    async def action_list(self, name: str, fields: dict[str, str] | None = None, *,
                          timeout: float | None = None) -> list[object]: ...


def stored_value(event: ev.DomainEvent) -> str | None:
    """What to store for an agent-state event (None: the event does not change login state)."""
    if event.type in (ev.AGENT_LOGIN, ev.AGENT_UNPAUSED):
        return "available"
    if isinstance(event, ev.AgentPaused):
        return f"paused:{event.reason or ''}"
    if event.type == ev.AGENT_LOGOUT:
        return "logged_out"
    return None


def restore_inputs(agent_id: str, value: str | None, login_on_start: bool = False) -> list[Input]:
    if value == "available" or (value is None and login_on_start):
        return [AgentLoggedIn(agent_id)]
    if value and value.startswith("paused:"):
        return [AgentLoggedIn(agent_id), AgentPaused(agent_id, value.removeprefix("paused:") or "paused")]
    return []


class DialplanRuns(Protocol):
    async def run_dialplan(self, endpoint: str, context: str, extension: str,
                           variables: Mapping[str, str]) -> None: ...


class AgentStateStore:
    def __init__(self, ami: AmiReads, ari: DialplanRuns) -> None:
        self.ami, self.ari = ami, ari

    async def save(self, agent_id: str, value: str) -> None:
        await self.ari.run_dialplan(STATE_ENDPOINT, STATE_CONTEXT, "done",
                                    {"CCD_STATE_AGENT": agent_id, "CCD_STATE": value})
        # The originate returns before the Local channel's dialplan ran: read back until the
        # value is there (a few ms), backing off.
        loop = asyncio.get_running_loop()
        deadline, pause = loop.time() + LANDED_WITHIN_S, 0.002
        while await self.load(agent_id) != value:
            if loop.time() >= deadline:
                raise AgentStateNotSaved(f"agent {agent_id}: AstDB does not hold {value!r} after "
                                         f"{LANDED_WITHIN_S:g}s; is [ccd-agent-state] in the dialplan?")
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.25)

    async def load(self, agent_id: str) -> str | None:
        try:
            events = await self.ami.action_list("DBGet", {"Family": FAMILY, "Key": agent_id})
        except AmiActionError:
            return None  # "Database entry not found"
        for e in events:
            val = e.get("Val") if hasattr(e, "get") else None
            if val is not None:
                return str(val)
        return None

    async def restore(self, agent_ids: list[str], login_on_start: frozenset[str] = frozenset()) -> list[Input]:
        """Inputs that bring the agents back to their saved state; an agent with none saved
        logs in if ``login_on_start`` names them, else stays logged out."""
        out: list[Input] = []
        for agent_id in agent_ids:
            try:
                out += restore_inputs(agent_id, await self.load(agent_id), agent_id in login_on_start)
            except AmiError as exc:
                log.warning("agent state not restored", agent_id=agent_id, error=str(exc))
        return out
