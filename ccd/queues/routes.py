"""The queues' HTTP routes: live queue and agent state (``/api/queues``, ``/api/agents``) and the
agent actions a supervisor takes (``POST /api/agents/{agent_id}/{login|logout|pause|unpause}``),
handed to the core loop as engine inputs."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from ccd.acd.inputs import AgentLoggedIn, AgentLoggedOut, AgentPaused, AgentUnpaused, Input
from ccd.api.app import Api, EmptyBody, json_response, parse_body
from ccd.api.keys import actor_of
from ccd.errors import Forbidden, NotFound
from ccd.queues.core.stasis_input import PAUSE_REASON_PATTERN
from ccd.snapshot import EngineSnapshot


class PauseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=64, pattern=PAUSE_REASON_PATTERN)


class QueueRoutes:
    def __init__(self, api: Api, snapshot: Callable[[], EngineSnapshot], submit: Callable[[Input], None]) -> None:
        self.api, self.snapshot, self.submit = api, snapshot, submit

    # -- live state -----------------------------------------------------------------------
    async def queues(self, request: web.Request) -> web.Response:
        self.api.principal(request)
        snap = self.snapshot()
        return json_response({
            name: {
                "waiting": len(q.waiting),
                "longest_wait_s": round(q.longest_wait_s, 3),
                "available_agents": q.available_agents,
                "logged_in_agents": q.logged_in_agents,
                "calls": [
                    {"call_id": c.call_id, "wait_s": round(c.wait_s, 3), "priority": c.priority,
                     "status": c.status, "offered_to": c.offered_to, "attempts": c.attempts}
                    for c in q.waiting
                ],
            }
            for name, q in snap.queues.items()
        })

    async def agents(self, request: web.Request) -> web.Response:
        who = self.api.principal(request)
        snap = self.snapshot()
        return json_response([
            {"agent_id": a.agent_id, "name": a.name, "state": a.state, "reason": a.reason,
             "since": a.since, "current_call": a.current_call, "calls_handled": a.calls_handled,
             "missed_total": a.missed_total, "teams": self.api.agent_teams.get(a.agent_id, [])}
            for a in snap.agents.values()
            if who.covers(self.api.agent_teams.get(a.agent_id, []))
        ])

    async def agent_action(self, request: web.Request) -> web.Response:
        who = self.api.principal(request, "supervisor")
        agent_id, action = request.match_info["agent_id"], request.match_info["action"]
        if agent_id not in self.api.agent_teams:
            raise NotFound(f"no agent {agent_id!r}")
        if not who.covers(self.api.agent_teams[agent_id]):
            raise Forbidden(f"agent {agent_id!r} is not in your teams")
        inp: Input
        if action in ("login", "logout", "unpause"):
            await parse_body(request, EmptyBody)
        if action == "login":
            inp = AgentLoggedIn(agent_id, actor=actor_of(request, who))
        elif action == "logout":
            inp = AgentLoggedOut(agent_id, actor=actor_of(request, who))
        elif action == "pause":
            inp = AgentPaused(agent_id, (await parse_body(request, PauseBody)).reason, actor=actor_of(request, who))
        elif action == "unpause":
            inp = AgentUnpaused(agent_id, actor=actor_of(request, who))
        else:
            raise NotFound(f"unknown action {action!r} (login, logout, pause, unpause)")
        self.submit(inp)
        return json_response({"agent_id": agent_id, "action": action, "accepted": True}, 202)

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/api/queues", self.queues)
        app.router.add_get("/api/agents", self.agents)
        app.router.add_post("/api/agents/{agent_id}/{action}", self.agent_action)
