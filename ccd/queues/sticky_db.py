"""The sticky lookup against PostgreSQL through a small pool made on first use.

If the database is down at start-up or later, lookups fail fast (the pool is retried at
most every few seconds) and the resolver answers from its cache instead.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import asyncpg

from ccd.store.queries import last_agent

RETRY_AFTER_S = 5.0


class StickyDb:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.pool: asyncpg.Pool | None = None
        self._failed_at = 0.0

    async def _pool(self) -> asyncpg.Pool:
        if self.pool is None:
            if time.monotonic() - self._failed_at < RETRY_AFTER_S:
                raise ConnectionError("database recently unreachable")
            try:
                self.pool = await asyncpg.create_pool(
                    self.dsn, min_size=1, max_size=4, timeout=2.0, command_timeout=1.0
                )
            except Exception:
                self._failed_at = time.monotonic()
                raise
        return self.pool

    async def lookup(self, caller: str, queue: str, since: float) -> tuple[str, int | None] | None:
        pool = await self._pool()
        return await last_agent(pool, caller, queue, datetime.fromtimestamp(since, UTC))

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
            self.pool = None
