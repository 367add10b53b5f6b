"""Recordings over HTTP: search, metadata, and the audio itself with Range support (a browser
seeks with range requests; aiohttp's FileResponse answers 206). Every fetch of the audio is
audited as a durable ``recording.accessed`` event *before* a byte is sent (with the range
normalised, never the raw header); a denied attempt, a metadata read and a search are audited
too (not durably: no audio leaves). Answers never show internal paths or failure texts."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

import asyncpg
from aiohttp import web
from pydantic import Field

from ccd import events as ev
from ccd.api.app import Api, json_response
from ccd.api.auth import Principal
from ccd.api.keys import MAY_DOWNLOAD, VIA
from ccd.api.params import Period, Text, query
from ccd.config import normalise_number
from ccd.errors import Forbidden, NotFound, RangeNotSatisfiable, Unavailable
from ccd.recordings import access, queries
from ccd.recordings.core import layout

AUDIT_TIMEOUT_S = 5.0
API_MAX_ROWS = 1000  # each listed recording is audited: a search stays a small amount of work
Sink = Callable[[ev.DomainEvent], None]
Durable = Callable[[ev.DomainEvent], Awaitable[None]]
Pool = Callable[[], Awaitable[asyncpg.Pool]]


def _opt(value: object) -> str | None:
    return str(value) if value else None


_RANGE = re.compile(r"bytes=(\d{0,15})-(\d{0,15})")


def byte_range(header: str) -> str | None:
    """One satisfiable-looking byte range, normalised (at most 37 characters), or None.

    ``bytes=-0`` asks for nothing (RFC 9110: unsatisfiable); several ranges are not served.
    """
    m = _RANGE.fullmatch(header.strip().replace(" ", ""))
    if m is None or not (m[1] or m[2]):
        return None
    first, last = (int(m[1]) if m[1] else None), (int(m[2]) if m[2] else None)
    if first is None:
        return f"bytes=-{last}" if last else None
    if last is not None and last < first:
        return None
    return f"bytes={first}-{'' if last is None else last}"


class SearchQuery(Period):
    queue: Text | None = None
    agent: Text | None = None
    caller: Text | None = None
    rating_min: int | None = Field(None, ge=1, le=9)
    rating_max: int | None = Field(None, ge=1, le=9)
    include_deleted: bool = False
    limit: int = Field(500, ge=1, le=API_MAX_ROWS)
    duration_min: float | None = Field(None, ge=0, le=86400, description="seconds of audio, at least")
    duration_max: float | None = Field(None, ge=0, le=86400, description="seconds of audio, at most")


class RecordingRoutes:
    def __init__(self, api: Api, pool: Pool, durable: Durable, record: Sink,
                 clock: Callable[[], float] = time.time) -> None:
        self.api, self.pool, self.durable, self.record, self.clock = api, pool, durable, record, clock
        self.cfg = api.backend.cfg
        self.root = Path(self.cfg.recordings_dir)

    def _local(self, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=self.cfg.tz)

    async def list(self, request: web.Request) -> web.Response:
        who = self.api.principal(request, "supervisor")
        q = query(request, SearchQuery)
        members = None
        if q.queue is not None:
            qc = next((x for x in self.cfg.queues if x.name == q.queue), None)
            members = [a.id for a in self.cfg.queue_members(qc)] if qc is not None else []
        refused = access.refused_filter(who, q.agent, members, self.api.agent_teams)
        if refused is not None:
            raise Forbidden(refused)
        caller = normalise_number(q.caller, self.cfg) if q.caller else None
        rows = await queries.search(await self.pool(), queries.Search(
            self._local(q.start), self._local(q.end), q.queue, q.agent, caller or q.caller, q.rating_min,
            q.rating_max, access.agents_in_scope(who, self.api.agent_teams), q.include_deleted, q.limit,
            q.duration_min, q.duration_max))
        for r in rows:  # who saw which call's metadata (caller numbers are personal data)
            self._audit(who, r, "listed", request)
        return json_response([queries.as_json(r) for r in rows])

    async def _reachable(self, request: web.Request) -> tuple[Principal, dict[str, object]]:
        who = self.api.principal(request, "supervisor")
        call_id = request.match_info["call_id"]
        row = await queries.one(await self.pool(), call_id)
        if row is None:
            raise NotFound(f"no recording of call {call_id!r}")
        if not access.may_hear(who, _opt(row.get("agent_id")), self.api.agent_teams):
            self._audit(who, row, "denied", request)
            raise Forbidden(f"the recording of call {call_id!r} is not for your teams")
        return who, row

    async def meta(self, request: web.Request) -> web.Response:
        who, row = await self._reachable(request)
        self._audit(who, row, "metadata", request)
        return json_response(queries.as_json(row))

    async def audio(self, request: web.Request) -> web.StreamResponse:
        who, row = await self._reachable(request)
        download = request.query.get("download") in ("1", "true")
        if download and not (who.role == "admin" or request.get(MAY_DOWNLOAD)):
            raise Forbidden("saving recordings as files is for admins and console users allowed to download")
        if request.headers.get("Range") is not None and byte_range(request.headers["Range"]) is None:
            raise RangeNotSatisfiable("Range must be one byte range: bytes=FIRST-[LAST] or bytes=-N with N > 0")
        if row.get("status") != "stored" or not row.get("file"):
            raise NotFound(f"recording of call {row['call_id']!r} is {row.get('status')}")
        try:
            path = layout.resolve(self.root, str(row["file"]))
        except ValueError as exc:
            raise NotFound(str(exc)) from exc
        if not path.is_file():
            raise NotFound(f"recording file of call {row['call_id']!r} is missing")
        try:  # no audit, no audio
            await self._audit_durable(who, row, request)
        except Exception as exc:
            raise Unavailable(f"the access could not be audited ({type(exc).__name__})") from exc  # fail closed
        fmt = layout.format_of(path)
        disposition = "attachment" if download else "inline"
        return web.FileResponse(path, headers={
            "Content-Type": fmt.content_type if fmt else "application/octet-stream",
            "Content-Disposition": f'{disposition}; filename="{path.name}"',
            "Cache-Control": "private, no-store"})

    def _event(self, who: Principal, row: dict[str, object], outcome: str, request: web.Request) -> ev.DomainEvent:
        return ev.RecordingAccessed(ts=ev.utc(self.clock()), call_id=str(row["call_id"]),
                        agent_id=_opt(row.get("agent_id")), queue=_opt(row.get("queue")),
                        user=who.name, role=who.role, outcome=outcome,
                        via=request.get(VIA, "api"),
                        range=byte_range(request.headers.get("Range") or ""), remote=request.remote)

    def _audit(self, who: Principal, row: dict[str, object], outcome: str, request: web.Request) -> None:
        self.record(self._event(who, row, outcome, request))

    async def _audit_durable(self, who: Principal, row: dict[str, object], request: web.Request) -> None:
        await asyncio.wait_for(self.durable(self._event(who, row, "granted", request)), AUDIT_TIMEOUT_S)

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/api/recordings", self.list)
        app.router.add_get("/api/recordings/{call_id}", self.meta)
        app.router.add_get("/api/recordings/{call_id}/audio", self.audio)
