"""The HTTP kit every feature's routes use: the aiohttp application with /healthz, /readyz and
/metrics, authentication (``Api.principal``), JSON bodies and responses, the guard.

Handlers are thin: they authenticate, validate the body with pydantic, and hand an input to
their feature. Each feature adds its own routes (``ccd/<feature>/routes.py``); this package
imports no feature. Errors map to status codes by their ``error_id`` so clients get a reason,
never a stack trace.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel, ConfigDict, ValidationError

from ccd.api import guard
from ccd.api.auth import Principal, TokenAuth
from ccd.api.guard import MAX_JSON_DEPTH, json_depth
from ccd.api.keys import PRINCIPAL, SIGNED_IN
from ccd.api.params import reasons
from ccd.config import CcdConfig
from ccd.errors import BadRequest, CcdError, Forbidden, Unauthorized

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
M = TypeVar("M", bound=BaseModel)


class Backend(Protocol):
    cfg: CcdConfig
    registry: CollectorRegistry

    def readiness(self) -> dict[str, bool]: ...


class EmptyBody(BaseModel):
    """Actions without parameters: no body, or ``{}``; anything else is a client mistake."""

    model_config = ConfigDict(extra="forbid")


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(data, default=str), status=status,
                        content_type="application/json")


def error_response(err: CcdError) -> web.Response:
    body: dict[str, Any] = {"error": err.error_id, "message": err.message}
    if err.details:
        body["details"] = err.details
    resp = json_response(body, err.status)
    if err.status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="ccd"'
    return resp


async def parse_body(request: web.Request, model: type[M]) -> M:
    data = await request.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("body is not UTF-8 text") from exc
    if json_depth(text) > MAX_JSON_DEPTH:
        raise BadRequest(f"body nests deeper than {MAX_JSON_DEPTH} levels")
    if "\x00" in text or "\\u0000" in text:
        raise BadRequest("body: NUL characters are not allowed")
    try:
        raw = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise BadRequest(f"body is not valid JSON: {exc.msg}") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise BadRequest(reasons(exc)) from exc


class Api:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.auth = TokenAuth(backend.cfg)
        self.agent_teams = {a.id: a.teams for a in backend.cfg.agents}

    def principal(self, request: web.Request, role: str = "viewer") -> Principal:
        # A person signed in to the console (ccd.console.auth) or a machine's bearer token.
        who: Principal | None = request.get(SIGNED_IN) or self.auth.identify(request)
        if who is None:
            raise Unauthorized("missing or invalid bearer token (or console session)")
        if not who.may(role):
            raise Forbidden(f"role {who.role!r} may not do this (needs {role})")
        request[PRINCIPAL] = who  # the actor, for the audit of what the request does
        return who

    def open_or_auth(self, request: web.Request, is_open: bool) -> None:
        if not is_open:
            self.principal(request)

    # -- health and metrics ---------------------------------------------------------------
    async def healthz(self, request: web.Request) -> web.Response:
        self.open_or_auth(request, self.backend.cfg.http.open_health)
        return json_response({"status": "alive"})

    async def readyz(self, request: web.Request) -> web.Response:
        self.open_or_auth(request, self.backend.cfg.http.ready_is_open())
        parts = self.backend.readiness()
        ready = all(parts.values())
        return json_response({"ready": ready, **parts}, 200 if ready else 503)

    async def metrics(self, request: web.Request) -> web.Response:
        self.open_or_auth(request, self.backend.cfg.http.metrics_is_open())
        body = generate_latest(self.backend.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    def build(self) -> web.Application:
        app = web.Application(middlewares=[guard.middleware(error_response)], client_max_size=64 * 1024)
        app.on_response_prepare.append(guard.safe_headers)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.metrics)
        return app
