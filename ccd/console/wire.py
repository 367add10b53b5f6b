"""The console's wiring: its bus subscriber, its routes and middlewares on the daemon's app.

Actions taken from the console are the API's own routes (same roles, same team ACL); the
audit middleware here writes who asked for an agent action (``agent.control``, committed
before the response) for the console's activity feed and the event store alike.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg
import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from ccd import events as ev
from ccd.api.app import Api, json_response, parse_body
from ccd.api.keys import PRINCIPAL, VIA
from ccd.bus import Bus
from ccd.config import CcdConfig
from ccd.console.auth import ConsoleAuth, Handler
from ccd.console.core.floor import FEED_TYPES, local_midnight
from ccd.console.records import RecordsPage
from ccd.console.sessions import SessionStore
from ccd.console.stream import FloorHub, View
from ccd.errors import Forbidden
from ccd.snapshot import EngineSnapshot

log = structlog.get_logger("ccd.console")
STATIC = Path(__file__).parent / "static"
AGENT_ACTION = re.compile(r"^/api/agents/([^/]+)/(login|logout|pause|unpause)$")
TODAY_TYPES = sorted(FEED_TYPES)


class AckBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    alert: str = Field(min_length=3, max_length=200, pattern=r"^[qa]:")


class ConsoleFeature:
    def __init__(self, cfg: CcdConfig, bus: Bus, snapshot: Callable[[], EngineSnapshot], dsn: str,
                 clock: Callable[[], float] = time.time,
                 callbacks: Callable[[str], int] = lambda q: 0) -> None:
        self.cfg, self.bus, self.dsn, self.clock = cfg, bus, dsn, clock
        self.sessions = SessionStore(dsn, cfg.console.session_minutes * 60)
        self.auth = ConsoleAuth(cfg, self.sessions)
        self.hub = FloorHub(cfg, bus, snapshot, clock, callbacks)
        bus.subscribe("console", self.hub.on_event)

    async def load_today(self) -> None:
        """Today's figures survive a restart: replay today's stored events into the floor."""
        since = local_midnight(self.clock(), self.cfg.tz)
        try:
            conn = await asyncpg.connect(self.dsn, timeout=5)
            try:
                rows = await conn.fetch(
                    "SELECT event_id, ts, type, call_id, agent_id, queue, payload::text AS payload "
                    "FROM events WHERE ts >= $1 AND type = ANY($2) ORDER BY ts", since, TODAY_TYPES)
            finally:
                await conn.close()
        except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
            # Routing does not need these figures: the console starts from zero and says so.
            log.warning("console: today's figures not loaded", error=repr(exc))
            return
        for r in rows:
            self.hub.remember(ev.from_dict(r))
        log.info("console: today's figures loaded", events=len(rows), since=since.isoformat())

    def add_to(self, app: web.Application, api: Api) -> None:
        if not self.cfg.console.enabled:
            return
        self.api = api
        app.middlewares.append(self.auth.middleware)
        app.middlewares.append(self.audit)
        self.records = RecordsPage(self.cfg, api, self.dsn, self.auth)  # part 2: history, recordings, ...
        self.records.add_to(app)
        app.router.add_get("/console", self.index)
        app.router.add_get("/console/", self.index)
        app.router.add_get("/console/static/{name}", self.static)
        app.router.add_post("/console/api/login", self.auth.login)
        app.router.add_post("/console/api/logout", self.auth.logout)
        app.router.add_get("/console/api/me", self.auth.whoami)
        app.router.add_get("/console/api/stream", self.stream)
        app.router.add_post("/console/api/alerts/ack", self.acknowledge)

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = STATIC / name
        if "/" in name or name.startswith(".") or not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Cache-Control": "no-cache"})

    async def stream(self, request: web.Request) -> web.StreamResponse:
        who = self.api.principal(request, "viewer")
        return await self.hub.stream(request, who)

    async def acknowledge(self, request: web.Request) -> web.Response:
        """Quiet an alert for everyone for the cooldown; stored (with the actor) and on the feed."""
        who = self.api.principal(request, "supervisor")
        body = await parse_body(request, AckBody)
        if not View(who, self.hub.layout).alert(body.alert):
            raise Forbidden(f"alert {body.alert!r} is not on your floor")
        kind, _, rest = body.alert.partition(":")
        subject = rest.partition(":")[0]
        quiet = self.cfg.console.alert_cooldown_s
        await self.bus.durable(ev.AlertAcknowledged(
            ts=ev.utc(self.clock()), queue=subject if kind == "q" else None,
            agent_id=subject if kind == "a" else None, alert=body.alert, actor=who.name, quiet_s=quiet))
        return json_response({"alert": body.alert, "quiet_s": quiet})

    @web.middleware
    async def audit(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        resp = await handler(request)
        m = AGENT_ACTION.match(request.path)
        who = request.get(PRINCIPAL)
        if request.method == "POST" and m and resp.status < 300 and who is not None:
            reason = None
            if m.group(2) == "pause":
                body = await request.json()
                reason = body.get("reason") if isinstance(body, dict) else None
            await self.bus.durable(ev.AgentControl(
                ts=ev.utc(self.clock()), agent_id=m.group(1), actor=who.name, role=who.role,
                action=m.group(2), reason=reason, via=request.get(VIA, "api")))
        return resp

    def close_streams(self) -> None:
        for q in list(self.hub.clients):
            q.put_nowait(None)
        self.hub.clients.clear()

    async def close(self) -> None:
        await self.sessions.close()
        if hasattr(self, "records"):
            await self.records.close()


