"""Agent login / pause state kept in Asterisk's AstDB, so a restarted ccd (or one that
lost its database) knows who was logged in. Asterisk is the source of truth (DESIGN.md)."""

from __future__ import annotations

from ccd import events as ev
from ccd.queues.inputs import AgentLoggedIn, AgentPaused, Input
from ccd.queues.ports import AriPort

FAMILY = "ccd_agent"


def db_key(agent_id: str) -> str:
    return f"DB({FAMILY}/{agent_id})"


def stored_value(event: ev.DomainEvent) -> str | None:
    """What to store for an agent-state event (None: the event does not change login state)."""
    if event.type in (ev.AGENT_LOGIN, ev.AGENT_UNPAUSED):
        return "available"
    if event.type == ev.AGENT_PAUSED:
        return f"paused:{event.payload.get('reason', '')}"
    if event.type == ev.AGENT_LOGOUT:
        return "logged_out"
    return None


def restore_inputs(agent_id: str, value: str | None) -> list[Input]:
    if value == "available":
        return [AgentLoggedIn(agent_id)]
    if value and value.startswith("paused:"):
        return [AgentLoggedIn(agent_id), AgentPaused(agent_id, value.removeprefix("paused:") or "paused")]
    return []


async def load_all(ari: AriPort, agent_ids: list[str]) -> list[Input]:
    out: list[Input] = []
    for agent_id in agent_ids:
        out += restore_inputs(agent_id, await ari.get_global(db_key(agent_id)))
    return out
