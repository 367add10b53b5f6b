"""Reading the ``recordings`` table (migration 004): search, one recording, retention
candidates and the access audit. Works on an asyncpg connection or pool."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ccd.recordings.retention import Stored

MAX_ROWS = 10_000


class Conn(Protocol):
    async def fetch(self, query: str, *args: Any) -> list[Any]: ...

    async def fetchrow(self, query: str, *args: Any) -> Any: ...


@dataclass(frozen=True)
class Search:
    start: datetime
    end: datetime
    queue: str | None = None
    agent: str | None = None
    caller: str | None = None
    rating_min: int | None = None
    rating_max: int | None = None
    agents_in_scope: list[str] | None = None  # None: every agent (admins)
    include_deleted: bool = False
    limit: int = 1000
    duration_min: float | None = None  # seconds of audio
    duration_max: float | None = None


_COLUMNS = """r.call_id, r.queue, r.agent_id, r.caller, r.format, r.started_at, r.finished_at,
    r.duration_s, r.file, r.size, r.sha256, r.status, r.failure, r.deleted_at, r.deleted_reason,
    c.rating"""

_SEARCH = f"""
SELECT {_COLUMNS}
FROM recordings r LEFT JOIN call_records c ON c.call_id = r.call_id
WHERE r.started_at >= $1 AND r.started_at < $2
  AND ($3::text IS NULL OR r.queue = $3)
  AND ($4::text IS NULL OR r.agent_id = $4)
  AND ($5::text IS NULL OR r.caller = $5)
  AND ($6::int IS NULL OR c.rating >= $6)
  AND ($7::int IS NULL OR c.rating <= $7)
  AND ($8::text[] IS NULL OR r.agent_id = ANY($8))
  AND ($9::bool OR r.status <> 'deleted')
  AND ($11::float8 IS NULL OR r.duration_s >= $11)
  AND ($12::float8 IS NULL OR r.duration_s <= $12)
ORDER BY r.started_at, r.call_id
LIMIT $10
"""


async def search(conn: Conn, q: Search) -> list[dict[str, Any]]:
    rows = await conn.fetch(_SEARCH, q.start, q.end, q.queue, q.agent, q.caller, q.rating_min,
                            q.rating_max, q.agents_in_scope, q.include_deleted, min(q.limit, MAX_ROWS),
                            q.duration_min, q.duration_max)
    return [dict(r) for r in rows]


async def one(conn: Conn, call_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM recordings r LEFT JOIN call_records c ON c.call_id = r.call_id "
        "WHERE r.call_id = $1", call_id)
    return dict(row) if row is not None else None


async def retention_candidates(conn: Conn, started_before: datetime, limit: int = 5000) -> list[Stored]:
    rows = await conn.fetch(
        "SELECT call_id, queue, agent_id, started_at, file FROM recordings "
        "WHERE status = 'stored' AND started_at < $1 ORDER BY started_at LIMIT $2",
        started_before, limit)
    return [Stored(r["call_id"], r["queue"], r["agent_id"], r["started_at"], r["file"]) for r in rows]


async def accesses(conn: Conn, call_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM recording_accesses WHERE call_id = $1 ORDER BY ts", call_id)
    return [dict(r) for r in rows]


INTERNAL = ("file", "failure")  # a path under the spool; an error text that may quote one


def as_json(row: dict[str, Any], internal: bool = False) -> dict[str, Any]:
    """A row for the API: ISO times, no internal paths or failure texts (``internal``: the
    host admin's CLI, which shows them)."""
    out = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()
           if internal or k not in INTERNAL}
    out["available"] = row.get("status") == "stored"
    return out


@dataclass(frozen=True)
class Started:
    queue: str | None
    agent_id: str | None
    caller: str | None
    started_at: datetime


async def started(conn: Conn, call_id: str) -> Started | None:
    """What ccd recorded when it started a call's recording (for a file found in the spool)."""
    row = await conn.fetchrow(
        "SELECT queue, agent_id, caller, started_at FROM recordings WHERE call_id = $1 AND started_at IS NOT NULL",
        call_id)
    return None if row is None else Started(row["queue"], row["agent_id"], row["caller"], row["started_at"])
