"""Agent login / pause state kept in Asterisk's AstDB (over AMI DBPut/DBGet), so a
restarted ccd — or a restarted Asterisk — knows who was logged in. Asterisk is the source
of truth (DESIGN.md); ARI cannot write AstDB without a channel, AMI can."""

from __future__ import annotations

from typing import Protocol

import structlog

from ccd import events as ev
from ccd.acd.inputs import AgentLoggedIn, AgentPaused, Input
from ccd.ami.errors import AmiActionError, AmiError

FAMILY = "ccd_agent"
log = structlog.get_logger("ccd.agents")


class AmiActions(Protocol):
    async def action(self, name: str, fields: dict[str, str] | None = None, *,
                     timeout: float | None = None) -> object: ...

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


class AgentStateStore:
    def __init__(self, ami: AmiActions) -> None:
        self.ami = ami

    async def save(self, agent_id: str, value: str) -> None:
        await self.ami.action("DBPut", {"Family": FAMILY, "Key": agent_id, "Val": value})

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
