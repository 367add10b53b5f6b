"""Migrations: applied once, in order, tracked, and never by two instances at once."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from ccd.store.migrate import MIGRATION_LOCK_KEY, Migration, MigrationError, load_migrations, migrate

pytestmark = pytest.mark.postgres


async def test_applies_all_then_nothing(pg_dsn: str) -> None:
    names = [m.name for m in load_migrations()]
    assert names == sorted(names) and names[0].startswith("001_")
    assert await migrate(pg_dsn) == names
    assert await migrate(pg_dsn) == []
    conn = await asyncpg.connect(pg_dsn)
    try:
        tracked = [r["name"] for r in await conn.fetch(
            "SELECT name FROM ccd_schema_migrations ORDER BY name")]
        assert tracked == names
        tables = {r["table_name"] for r in await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
        assert {"events", "dead_letters", "call_records", "agent_presence_intervals",
                "agent_state_intervals", "supervision_sessions", "ratings"} <= tables
    finally:
        await conn.close()


async def test_concurrent_instances_apply_each_migration_once(pg_dsn: str) -> None:
    results = await asyncio.gather(*(migrate(pg_dsn) for _ in range(4)))
    applied = [name for r in results for name in r]
    assert sorted(applied) == [m.name for m in load_migrations()]  # each exactly once


async def test_waits_for_the_lock_holder(pg_dsn: str) -> None:
    holder = await asyncpg.connect(pg_dsn)
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        task = asyncio.create_task(migrate(pg_dsn))
        await asyncio.sleep(0.5)
        assert not task.done()  # blocked behind the other "instance"
        await holder.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
        assert len(await asyncio.wait_for(task, 30)) == len(load_migrations())
    finally:
        await holder.close()


async def test_lock_wait_is_bounded(pg_dsn: str) -> None:
    holder = await asyncpg.connect(pg_dsn)
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        with pytest.raises(asyncpg.exceptions.LockNotAvailableError):
            await migrate(pg_dsn, lock_timeout=0.3)
    finally:
        await holder.close()


async def test_changed_migration_is_refused_and_failed_one_rolls_back(pg_dsn: str) -> None:
    await migrate(pg_dsn)
    changed = [Migration(m.name, m.sql + "\n-- edited") for m in load_migrations()]
    with pytest.raises(MigrationError):
        await migrate(pg_dsn, migrations=changed)
    broken = [*load_migrations(), Migration("999_broken", "CREATE TABLE zz (a int); SELECT 1/0;")]
    with pytest.raises(asyncpg.exceptions.DivisionByZeroError):
        await migrate(pg_dsn, migrations=broken)
    conn = await asyncpg.connect(pg_dsn)
    try:
        assert await conn.fetchval("SELECT to_regclass('zz')") is None
        assert await conn.fetchval(
            "SELECT count(*) FROM ccd_schema_migrations WHERE name = '999_broken'") == 0
    finally:
        await conn.close()
