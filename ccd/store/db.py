"""The writer's database side: connect, stage a batch with COPY, ingest it idempotently."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import asyncpg

from ccd.store.validate import ROW_COLUMNS, DeadLetter, Row, dead_letter

# Per-connection staging table: COPY lands here, ccd_ingest() moves it into events with
# ON CONFLICT DO NOTHING, and ON COMMIT DELETE ROWS empties it for the next batch.
STAGE_DDL = """
CREATE TEMP TABLE IF NOT EXISTS ccd_stage (
    event_id text, ts timestamptz, type text, call_id text, agent_id text, queue text,
    payload jsonb
) ON COMMIT DELETE ROWS
"""
DEAD_SQL = """
INSERT INTO dead_letters (dedupe_key, event_id, type, reason, raw) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (dedupe_key) DO NOTHING
"""

# Errors about the data itself: retrying the same rows can never succeed.
DATA_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.DataError,
    asyncpg.exceptions.IntegrityConstraintViolationError,
    asyncpg.exceptions.CharacterNotInRepertoireError,
    asyncpg.DataError,  # client-side encoding refused a value
    UnicodeEncodeError,
)


async def connect(dsn: str, *, timeout: float, command_timeout: float) -> asyncpg.Connection:
    conn = await asyncpg.connect(
        dsn,
        timeout=timeout,
        command_timeout=command_timeout,
        server_settings={"application_name": "ccd-store-writer", "jit": "off"},
    )
    try:
        await conn.execute(STAGE_DDL)
    except BaseException:
        conn.terminate()
        raise
    return conn


async def write(
    conn: asyncpg.Connection,
    rows: Sequence[Row],
    dead: Sequence[DeadLetter],
    on_copied: Callable[[], None] | None = None,
) -> int:
    """One transaction: COPY rows, ingest them, record dead letters. Returns new events.

    ``on_copied`` runs once the rows are sent, while the server ingests them.
    """
    new = 0
    async with conn.transaction():
        if rows:
            await conn.copy_records_to_table("ccd_stage", records=rows, columns=ROW_COLUMNS)
            if on_copied is not None:
                on_copied()
            new = int(await conn.fetchval("SELECT ccd_ingest()"))
        if dead:
            await conn.executemany(
                DEAD_SQL, [(d.dedupe_key, d.event_id, d.type, d.reason, d.raw) for d in dead]
            )
    return new


def _row_raw(row: Row) -> str:
    eid, ts, typ, call_id, agent_id, queue, payload = row
    head = {"event_id": eid, "ts": ts.isoformat(), "type": typ, "call_id": call_id,
            "agent_id": agent_id, "queue": queue}
    return json.dumps(head, ensure_ascii=False)[:-1] + ',"payload":' + payload + "}"


async def write_resilient(
    conn: asyncpg.Connection,
    rows: Sequence[Row],
    dead: Sequence[DeadLetter],
    on_copied: Callable[[], None] | None = None,
) -> tuple[int, list[DeadLetter]]:
    """Like :func:`write`, but when PostgreSQL rejects the data, bisect the batch so only the
    offending events become dead letters. Returns (new events, extra dead letters)."""
    try:
        return await write(conn, rows, dead, on_copied), []
    except DATA_ERRORS as exc:
        if len(rows) <= 1:
            extra = [
                dead_letter(f"rejected by database: {exc}"[:500], _row_raw(r), r[0], r[2])
                for r in rows
            ]
            await write(conn, [], [*dead, *extra])
            return 0, extra
        mid = len(rows) // 2
        n1, d1 = await write_resilient(conn, rows[:mid], dead)
        n2, d2 = await write_resilient(conn, rows[mid:], [])
        return n1 + n2, d1 + d2


def split(items: Sequence[Row | DeadLetter]) -> tuple[list[Row], list[DeadLetter]]:
    rows: list[Row] = []
    dead: list[DeadLetter] = []
    for it in items:
        (dead if isinstance(it, DeadLetter) else rows).append(it)  # type: ignore[arg-type]
    return rows, dead
