"""Callbacks in PostgreSQL (asyncpg shell): the book's Save commands become upserts, and the
open callbacks are read back on start-up (ccd or Asterisk restart loses none)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from ccd.callbacks.core.book import OPEN, Callback


class Db(Protocol):
    async def fetch(self, query: str, *args: Any) -> list[Any]: ...

    async def execute(self, query: str, *args: Any) -> str: ...

    async def executemany(self, query: str, args: Any) -> None: ...


_COLUMNS = ("id, queue, number, priority, enqueued_at, seq, requested_at, status, attempts, "
            "next_try_at, reason, ended_at")

_UPSERT = f"""
INSERT INTO callbacks ({_COLUMNS}, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now())
ON CONFLICT (id) DO UPDATE SET
    number = EXCLUDED.number, priority = EXCLUDED.priority, enqueued_at = EXCLUDED.enqueued_at,
    seq = EXCLUDED.seq, status = EXCLUDED.status, attempts = EXCLUDED.attempts,
    next_try_at = EXCLUDED.next_try_at, reason = EXCLUDED.reason, ended_at = EXCLUDED.ended_at,
    updated_at = now()
"""


def _ts(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def _row(c: Callback) -> tuple[Any, ...]:
    return (c.id, c.queue, c.number, c.priority, _ts(c.enqueued_at), c.seq, _ts(c.requested_at),
            c.status, c.attempts, _ts(c.next_try_at), c.reason,
            None if c.ended_at is None else _ts(c.ended_at))


def _callback(r: Any) -> Callback:
    return Callback(
        id=r["id"], queue=r["queue"], number=r["number"], priority=r["priority"],
        enqueued_at=r["enqueued_at"].timestamp(), seq=r["seq"],
        requested_at=r["requested_at"].timestamp(), status=r["status"], attempts=r["attempts"],
        next_try_at=r["next_try_at"].timestamp(), reason=r["reason"],
        ended_at=None if r["ended_at"] is None else r["ended_at"].timestamp(),
    )


async def save(db: Db, callbacks: list[Callback]) -> None:
    """Write snapshots in order (the last one of a callback wins)."""
    if callbacks:
        await db.executemany(_UPSERT, [_row(c) for c in callbacks])


async def load_open(db: Db) -> list[Callback]:
    """Every open callback, in service order per queue."""
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM callbacks WHERE status = ANY($1::text[]) "
        "ORDER BY queue, priority DESC, enqueued_at, seq", sorted(OPEN))
    return [_callback(r) for r in rows]


async def list_callbacks(db: Db, queue: str | None, status: str | None, limit: int) -> list[Callback]:
    """For the API: newest first, optionally one queue and one status."""
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM callbacks WHERE ($1::text IS NULL OR queue = $1) "
        "AND ($2::text IS NULL OR status = $2) ORDER BY requested_at DESC, id LIMIT $3",
        queue, status, limit)
    return [_callback(r) for r in rows]
