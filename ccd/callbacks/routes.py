"""Callbacks over HTTP (issue 16): the open ones per queue, the stored history, cancel.

    GET    /api/callbacks?queue=Q&status=S&limit=N   stored callbacks, newest first (any status)
    GET    /api/queues/{queue}/callbacks             open callbacks of a queue in line order,
                                                    each with its wait (console: pending count)
    DELETE /api/callbacks/{callback_id}              cancel a pending one (supervisor)

With callbacks enabled in no queue (no service) there is no open callback: the list is
empty and a cancel finds nothing; the stored history is still read.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from ccd.api.app import Api, json_response
from ccd.api.params import Text, query
from ccd.callbacks import store
from ccd.callbacks.core.book import Callback
from ccd.callbacks.service import CallbackService
from ccd.errors import BadRequest, Conflict, NotFound

StatusName = Literal["pending", "dialling", "connected", "failed", "expired", "cancelled"]
CALLBACK_ID = r"^[A-Za-z0-9._:-]{1,64}$"


class CallbackQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queue: Text | None = None
    status: StatusName | None = None
    limit: int = Field(100, ge=1, le=1000)


def callback_dict(c: Callback, now: float) -> dict[str, Any]:
    return {**asdict(c), "wait_s": round(now - c.enqueued_at, 3)}


class CallbackRoutes:
    def __init__(self, api: Api, service: Callable[[], CallbackService | None],
                 db: Callable[[], Awaitable[store.Db]]) -> None:
        self.api, self.service, self.db = api, service, db
        self.queues = {q.name for q in api.backend.cfg.queues}

    def _queue(self, name: str | None) -> None:
        if name is not None and name not in self.queues:
            raise NotFound(f"unknown queue {name!r}")

    async def history(self, request: web.Request) -> web.Response:
        self.api.principal(request)
        q = query(request, CallbackQuery)
        if q.queue is not None and q.queue not in self.queues:
            raise BadRequest(f"queue: unknown queue {q.queue!r}")
        rows = await store.list_callbacks(await self.db(), q.queue, q.status, q.limit)
        svc = self.service()
        now = svc.clock() if svc is not None else time.time()
        return json_response([callback_dict(c, now) for c in rows])

    async def open_in_queue(self, request: web.Request) -> web.Response:
        self.api.principal(request)
        name = request.match_info["queue"]
        self._queue(name)
        svc = self.service()
        if svc is None:
            return json_response([])
        now = svc.clock()
        return json_response([callback_dict(c, now) for c in svc.pending(name)])

    async def cancel(self, request: web.Request) -> web.Response:
        who = self.api.principal(request, "supervisor")
        cb_id = request.match_info["callback_id"]
        if not re.fullmatch(CALLBACK_ID, cb_id):
            raise BadRequest(f"callback id: not a callback id {cb_id[:70]!r}")
        svc = self.service()
        current = svc.book.get(cb_id) if svc is not None else None
        if svc is None or current is None:
            raise NotFound(f"no open callback {cb_id!r}")
        if not await svc.cancel(cb_id, who.name):
            raise Conflict(f"callback {cb_id!r} is being dialled ({current.status}); it cannot be cancelled now")
        return web.Response(status=204)

    def add_to(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/api/callbacks", self.history)
        r.add_get("/api/queues/{queue}/callbacks", self.open_in_queue)
        r.add_delete("/api/callbacks/{callback_id}", self.cancel)
