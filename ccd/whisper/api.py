"""HTTP API for supervision: start a session (ccd rings the supervisor's phone, then joins),
change its mode, stop it, list the live ones.

    GET    /api/supervision                     live sessions (within the caller's teams)
    POST   /api/supervision                     {"agent_id", "mode", "supervisor_id"?} -> 201
    POST   /api/supervision/{session_id}/mode   {"mode"}
    DELETE /api/supervision/{session_id}

Supervisor-role tokens act for their own supervisor and only on agents of their teams (403,
audited as supervision.denied); an admin names the supervisor who will listen. A session
belongs to its supervisor: another supervisor's token may not switch or stop it (403
``supervision.not_owner``, audited); admins may. Every audited event names the actor: the token
(``token:NAME``) or the console's signed-in user (``console:NAME``). A refusal (403, or 409 for
a busy supervisor or an agent on no call) is committed to the audit before the reply, and so is
a mode change (also one made while the phone still rings or waits for a call).
"""

from __future__ import annotations

import asyncio
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from ccd.api.app import Api, json_response, parse_body
from ccd.api.auth import Principal
from ccd.api.keys import actor_of
from ccd.config import Ident
from ccd.errors import BadRequest, Forbidden, NotFound
from ccd.whisper.core.session import Session
from ccd.whisper.service import SupervisionService

ModeName = Literal["listen", "whisper", "barge"]


class NotOwner(Forbidden):
    error_id = "supervision.not_owner"


class StartBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent_id: Ident
    mode: ModeName = "listen"
    supervisor_id: Ident | None = Field(None, description="required for admin tokens")


class ModeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: ModeName


class SupervisionRoutes:
    def __init__(self, api: Api, service: SupervisionService) -> None:
        self.api, self.service = api, service

    async def _session(self, request: web.Request, who: Principal, action: str,
                       mode: ModeName | None = None) -> Session:
        sid = request.match_info["session_id"]
        s = self.service.sessions.get(sid)
        if s is None or s.state == "ended":
            raise NotFound(f"no live supervision session {sid!r}")
        if not who.covers(self.service.directory.teams_of_agent(s.agent)):
            raise Forbidden(f"agent {s.agent!r} is not in your teams")
        if who.role != "admin" and s.supervisor != who.supervisor_id:
            await self.service.deny(s.supervisor, s.agent, "not_owner", "api", mode, actor_of(request, who), s.id)
            raise NotOwner(f"session {sid!r} belongs to supervisor {s.supervisor!r}; only they or an admin may "
                           f"{action} it")
        return s

    async def list(self, request: web.Request) -> web.Response:
        who = self.api.principal(request, "supervisor")
        now = self.service.clock()
        return json_response([s.view(now) for s in self.service.live()
                              if who.covers(self.service.directory.teams_of_agent(s.agent))])

    async def start(self, request: web.Request) -> web.Response:
        who = self.api.principal(request, "supervisor")
        body = await parse_body(request, StartBody)
        directory = self.service.directory
        supervisor = body.supervisor_id or who.supervisor_id
        if who.role == "supervisor" and body.supervisor_id not in (None, who.supervisor_id):
            raise Forbidden("a supervisor token starts sessions for its own supervisor only")
        if supervisor is None:
            raise BadRequest("supervisor_id: required (the supervisor whose phone ccd rings)")
        if supervisor not in directory.supervisors:
            raise BadRequest(f"supervisor_id: unknown supervisor {supervisor!r}")
        if body.agent_id not in directory.agents:
            raise NotFound(f"no agent {body.agent_id!r}")
        if not who.covers(directory.teams_of_agent(body.agent_id)):
            await self.service.deny(supervisor, body.agent_id, "not_in_teams", "api", body.mode, actor_of(request, who))
            raise Forbidden(f"agent {body.agent_id!r} is not in your teams")
        # Refused is a CcdError (supervision.<reason>, 403 or 409, with details): it reaches
        # the client as it is.
        s = await self.service.start(supervisor, body.agent_id, body.mode, actor=actor_of(request, who))
        return json_response(s.view(self.service.clock()), 201)

    async def mode(self, request: web.Request) -> web.Response:
        who = self.api.principal(request, "supervisor")
        body = await parse_body(request, ModeBody)
        s = await self._session(request, who, "switch", body.mode)
        done = self.service.change_mode(s.id, body.mode, actor_of(request, who))  # SessionError: 409
        if done is not None:  # answer once the change is on record and performed (a failed
            await asyncio.wait([done])  # switch ends the session: the view says so)
        return json_response(s.view(self.service.clock()))

    async def stop(self, request: web.Request) -> web.Response:
        who = self.api.principal(request, "supervisor")
        s = await self._session(request, who, "stop")
        self.service.stop(s.id, actor_of(request, who))  # SessionError: 409
        return json_response(s.view(self.service.clock()))


def add_routes(app: web.Application, api: Api, service: SupervisionService) -> None:
    routes = SupervisionRoutes(api, service)
    app.router.add_get("/api/supervision", routes.list)
    app.router.add_post("/api/supervision", routes.start)
    app.router.add_post("/api/supervision/{session_id}/mode", routes.mode)
    app.router.add_delete("/api/supervision/{session_id}", routes.stop)
