"""Hot-path reads the routing engine makes while a call waits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

# Served by call_records_sticky_idx (caller, queue, answered_at DESC).
_LAST_AGENT = """
SELECT agent_id, rating FROM call_records
WHERE caller = $1 AND queue = $2 AND answered_at >= $3
  AND agent_id IS NOT NULL AND answered_at IS NOT NULL
ORDER BY answered_at DESC
LIMIT 1
"""


async def last_agent(
    pool: Any, caller: str | None, queue: str, since: datetime
) -> tuple[str, int | None] | None:
    """The agent who last answered ``caller`` in ``queue`` at or after ``since``, with the
    rating the caller gave that call; None for anonymous callers or when there is none.

    ``pool`` is an asyncpg pool or connection.
    """
    if not caller:
        return None  # anonymous callers are never sticky
    row = await pool.fetchrow(_LAST_AGENT, caller, queue, since)
    if row is None:
        return None
    return str(row["agent_id"]), row["rating"]
