"""Who may list or hear which recordings (pure).

Decisions: admins hear everything; a supervisor hears the calls answered by agents of their
own teams; **viewers hear nothing** (read-only wallboard and dashboard tokens must not carry
call audio, which is personal data); a recording without an agent is for admins only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ccd.api.auth import Principal, agents_in_scope

__all__ = ["agents_in_scope", "may_hear", "refused_filter"]


def may_hear(who: Principal, agent_id: str | None, agent_teams: Mapping[str, Sequence[str]]) -> bool:
    if who.teams is None:
        return True
    return agent_id is not None and who.covers(list(agent_teams.get(agent_id, ())))


def refused_filter(who: Principal, agent: str | None, queue_members: Sequence[str] | None,
                   agent_teams: Mapping[str, Sequence[str]]) -> str | None:
    """Why a supervisor may not run this search at all (asks for another team), or None."""
    scope = agents_in_scope(who, agent_teams)
    if scope is None:
        return None
    if agent is not None and agent not in scope:
        return f"agent {agent!r} is not in your teams"
    if queue_members is not None and not set(queue_members) & set(scope):
        return "no agent of this queue is in your teams"
    return None
