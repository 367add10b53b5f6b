"""Customer history for the console: every call of one caller, newest first.

The number is normalised as sticky routing normalises it (``normalise_number``), so any
written form of it finds the same calls. Scoping follows the recordings: admins see every
call; a supervisor sees the calls answered by agents of their teams and the unanswered calls
of queues that have a member in their teams; viewers (wallboards) see none (caller numbers
are personal data).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from ccd.api.app import Api, json_response
from ccd.api.auth import Principal, agents_in_scope
from ccd.api.params import Text, query
from ccd.config import CcdConfig, normalise_number
from ccd.errors import BadRequest, Unavailable

MAX_CALLS = 500
TIMEOUT_S = 10.0

HISTORY_SQL = """
SELECT c.call_id, c.queue, c.caller, c.agent_id, c.enqueued_at, c.answered_at, c.ended_at,
       c.wait_s, c.talk_s, c.outcome, c.fallback, c.sticky_hit, c.rating, c.rating_outcome,
       c.overflow_target, r.status AS recording, r.duration_s AS recording_s
FROM call_records c LEFT JOIN recordings r ON r.call_id = c.call_id
WHERE c.caller = $1
  AND ($2::text[] IS NULL OR c.agent_id = ANY($2) OR (c.agent_id IS NULL AND c.queue = ANY($3)))
ORDER BY c.enqueued_at DESC, c.call_id
LIMIT $4
"""


@dataclass(frozen=True)
class Scope:
    agents: list[str] | None  # None: every call (admins)
    queues: list[str]  # unanswered calls of these queues


def scope_of(who: Principal, agent_teams: Mapping[str, Sequence[str]],
             queue_members: Mapping[str, Sequence[str]]) -> Scope:
    """What part of a caller's history ``who`` may see (pure)."""
    agents = agents_in_scope(who, agent_teams)
    if agents is None:
        return Scope(None, [])
    mine = set(agents)
    return Scope(agents, sorted(q for q, members in queue_members.items() if mine & set(members)))


def outcome_of(row: Mapping[str, Any]) -> str:
    """One word for the outcome column: fallback (answered by Asterisk's own queue while ccd
    was away) wins; a call still running has none yet."""
    if row.get("fallback"):
        return "fallback"
    if row.get("ended_at") is None or not row.get("outcome"):
        return "in_progress"  # answered calls carry their outcome from the answer on
    return str(row["outcome"])


def as_json(row: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}
    out["outcome"] = outcome_of(row)
    out["recorded"] = row.get("recording") == "stored"
    return out


class HistoryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    caller: Text
    limit: int = Field(200, ge=1, le=MAX_CALLS)


async def history(conn: asyncpg.Connection | asyncpg.Pool, caller: str, scope: Scope,
                  limit: int = 200) -> list[dict[str, Any]]:
    rows = await conn.fetch(HISTORY_SQL, caller, scope.agents, scope.queues, min(limit, MAX_CALLS))
    return [as_json(dict(r)) for r in rows]


class HistoryRoutes:
    def __init__(self, cfg: CcdConfig, api: Api, dsn: str) -> None:
        self.cfg, self.api, self.dsn = cfg, api, dsn
        self._pool: asyncpg.Pool | None = None
        self.members = {q.name: [a.id for a in cfg.queue_members(q)] for q in cfg.queues}

    async def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            try:
                self._pool = await asyncpg.create_pool(
                    self.dsn, min_size=0, max_size=2, timeout=5, command_timeout=TIMEOUT_S,
                    server_settings={"application_name": "ccd-console-history"})
            except (OSError, asyncpg.PostgresError) as exc:
                raise Unavailable(f"database unavailable ({type(exc).__name__})") from exc
        return self._pool

    async def search(self, request: web.Request) -> web.Response:
        who = self.api.principal(request, "supervisor")
        q = query(request, HistoryQuery)
        caller = normalise_number(q.caller, self.cfg)
        if caller is None:
            raise BadRequest(f"caller: {q.caller!r} is not a phone number (anonymous callers have no history)")
        scope = scope_of(who, self.api.agent_teams, self.members)
        try:
            calls = await history(await self.pool(), caller, scope, q.limit)
        except (OSError, asyncpg.PostgresError) as exc:
            raise Unavailable(f"database unavailable ({type(exc).__name__})") from exc
        return json_response({"caller": caller, "calls": calls})

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/console/api/history", self.search)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
