"""People sign in to the console: name + password -> an HttpOnly, SameSite=Strict session cookie.

The middleware turns a valid session cookie into the same ``Principal`` a bearer token gives,
so the console's actions go through the API's own routes, roles and team ACL. Every
state-changing request made with the cookie must carry the session's CSRF token in the
``X-CSRF-Token`` header; bearer tokens (machines) are unaffected.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from ccd.api.app import json_response, parse_body
from ccd.api.auth import Principal
from ccd.api.keys import SIGNED_IN, VIA
from ccd.config import CcdConfig, ConsoleUser
from ccd.console.sessions import Session, SessionStore, utcnow
from ccd.errors import Forbidden, Unauthorized

COOKIE = "ccd_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION = web.RequestKey("console_session", Session)  # the signed-in browser's session
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class ConsoleAuth:
    def __init__(self, cfg: CcdConfig, sessions: SessionStore) -> None:
        self.cfg, self.sessions = cfg, sessions
        self.users = {u.name: u for u in cfg.console.users}
        self.sup_teams = {s.id: frozenset(s.teams) for s in cfg.supervisors}

    def principal_of(self, user: ConsoleUser) -> Principal:
        teams = self.sup_teams.get(user.supervisor or "", frozenset()) if user.role == "supervisor" else None
        return Principal(user.name, user.role, teams, user.supervisor)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        token = request.cookies.get(COOKIE)
        if token and "Authorization" not in request.headers:
            session = await self.sessions.find(token, utcnow())
            user = self.users.get(session.user) if session else None
            if session is not None and user is not None:
                if request.method not in SAFE_METHODS and not self._csrf_ok(request, session):
                    raise Forbidden("missing or wrong CSRF token (header X-CSRF-Token)")
                request[SIGNED_IN] = self.principal_of(user)
                request[SESSION] = session
                request[VIA] = "console"
        return await handler(request)

    @staticmethod
    def _csrf_ok(request: web.Request, session: Session) -> bool:
        given = request.headers.get(CSRF_HEADER, "")
        return bool(given) and hmac.compare_digest(given.encode(), session.csrf.encode())

    def me(self, request: web.Request) -> tuple[ConsoleUser, Principal, Session]:
        session = request.get(SESSION)
        principal = request.get(SIGNED_IN)
        if session is None or principal is None:
            raise Unauthorized("not signed in (or the session expired)")
        return self.users[session.user], principal, session

    # -- routes -----------------------------------------------------------------------------
    async def login(self, request: web.Request) -> web.Response:
        if request.content_type != "application/json":  # a cross-site form cannot send JSON
            raise Forbidden("sign-in takes a JSON body")
        body = await parse_body(request, LoginBody)
        user = self.users.get(body.name)
        ok = await self.sessions.check_password(body.name, body.password)
        if user is None or not ok:
            raise Unauthorized("wrong name or password")
        token, session = await self.sessions.open(user.name, utcnow())
        resp = json_response(self._describe(user, self.principal_of(user), session))
        resp.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/", secure=request.secure,
                        max_age=int(self.cfg.console.session_minutes * 60))
        return resp

    async def logout(self, request: web.Request) -> web.Response:
        self.me(request)
        await self.sessions.close_session(request.cookies[COOKIE])
        resp = json_response({"signed_out": True})
        resp.del_cookie(COOKIE, path="/")
        return resp

    async def whoami(self, request: web.Request) -> web.Response:
        user, principal, session = self.me(request)
        return json_response(self._describe(user, principal, session))

    def _describe(self, user: ConsoleUser, who: Principal, session: Session) -> dict[str, Any]:
        return {"user": user.name, "role": user.role, "supervisor": user.supervisor,
                "teams": sorted(who.teams) if who.teams is not None else None,
                "language": user.language, "timezone": self.cfg.timezone, "csrf": session.csrf,
                "expires_at": session.expires_at.isoformat()}
