"""Schema migrations: plain SQL files applied in name order, each once, under an advisory lock.

``ccd migrate`` and the daemon's start-up both call :func:`migrate`; the session-level
advisory lock makes a second instance wait until the first has finished, after which it
finds nothing left to apply.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from importlib import resources

import asyncpg

from ccd.errors import CcdError

log = logging.getLogger(__name__)

# Arbitrary but fixed: every ccd instance must use the same key.
MIGRATION_LOCK_KEY = 0x6363645F6D696772  # "ccd_migr"

_TRACKING_TABLE = """
CREATE TABLE IF NOT EXISTS ccd_schema_migrations (
    name       text PRIMARY KEY,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationError(CcdError):
    error_id = "store.migration_failed"
    status = 500


@dataclass(frozen=True, slots=True)
class Migration:
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations() -> list[Migration]:
    """The migrations shipped in ``ccd/store/migrations``, sorted by file name."""
    folder = resources.files("ccd.store").joinpath("migrations")
    found = [
        Migration(entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    ]
    return sorted(found, key=lambda m: m.name)


async def migrate(
    dsn: str, *, lock_timeout: float = 120.0, migrations: list[Migration] | None = None
) -> list[str]:
    """Apply pending migrations; return the names applied (empty when up to date).

    Raises :class:`MigrationError` when an applied migration's file has changed since, since
    silently running against a schema that differs from the code is worse than not starting.
    """
    todo = load_migrations() if migrations is None else migrations
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        # lock_timeout bounds the wait for the advisory lock held by another instance.
        await conn.execute(f"SET lock_timeout = {int(lock_timeout * 1000)}")
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        try:
            await conn.execute("RESET lock_timeout")
            return await _apply(conn, todo)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
    finally:
        await conn.close()


async def _apply(conn: asyncpg.Connection, todo: list[Migration]) -> list[str]:
    await conn.execute(_TRACKING_TABLE)
    rows = await conn.fetch("SELECT name, checksum FROM ccd_schema_migrations")
    done = {r["name"]: r["checksum"] for r in rows}
    applied: list[str] = []
    for m in todo:
        if m.name in done:
            if done[m.name] != m.checksum:
                raise MigrationError(f"migration {m.name} changed after it was applied")
            continue
        async with conn.transaction():
            await conn.execute(m.sql)
            await conn.execute(
                "INSERT INTO ccd_schema_migrations (name, checksum) VALUES ($1, $2)",
                m.name,
                m.checksum,
            )
        log.info("applied migration %s", m.name)
        applied.append(m.name)
    return applied
