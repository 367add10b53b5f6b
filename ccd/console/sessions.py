"""Console users' passwords and sessions in PostgreSQL (sessions survive a daemon restart)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from ccd.console.core.passwords import hash_password, verify_password
from ccd.errors import Unavailable

# A stand-in hash checked when the user is unknown, so timing does not reveal who exists.
_DUMMY = hash_password("not-a-real-password", salt=b"0" * 16)


@dataclass(frozen=True, slots=True)
class Session:
    user: str
    csrf: str
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    def __init__(self, dsn: str, ttl_s: float) -> None:
        self.dsn, self.ttl_s = dsn, ttl_s
        self._pool: asyncpg.Pool | None = None

    async def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            try:
                self._pool = await asyncpg.create_pool(self.dsn, min_size=0, max_size=3, timeout=5,
                                                       command_timeout=10)
            except (OSError, asyncpg.PostgresError) as exc:
                raise Unavailable(f"database unavailable: {exc}") from exc
        return self._pool

    async def set_password(self, user: str, password: str) -> None:
        hashed = hash_password(password, os.urandom(16))
        pool = await self.pool()
        await pool.execute(
            "INSERT INTO console_users (name, password_hash) VALUES ($1, $2) "
            "ON CONFLICT (name) DO UPDATE SET password_hash = $2, updated_at = now()", user, hashed)
        # A new password ends every open session of that user.
        await pool.execute("DELETE FROM console_sessions WHERE user_name = $1", user)

    async def check_password(self, user: str, password: str) -> bool:
        pool = await self.pool()
        stored = await pool.fetchval("SELECT password_hash FROM console_users WHERE name = $1", user)
        ok = await asyncio.to_thread(verify_password, password, stored or _DUMMY)
        return ok and stored is not None

    async def open(self, user: str, now: datetime) -> tuple[str, Session]:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        expires = now + timedelta(seconds=self.ttl_s)
        pool = await self.pool()
        await pool.execute("INSERT INTO console_sessions (token_hash, user_name, csrf, expires_at) "
                           "VALUES ($1, $2, $3, $4)", token_hash(token), user, csrf, expires)
        await pool.execute("DELETE FROM console_sessions WHERE expires_at < $1", now)
        return token, Session(user, csrf, expires)

    async def find(self, token: str, now: datetime) -> Session | None:
        pool = await self.pool()
        row = await pool.fetchrow("SELECT user_name, csrf, expires_at FROM console_sessions "
                                  "WHERE token_hash = $1", token_hash(token))
        if row is None or row["expires_at"] <= now:
            return None
        return Session(row["user_name"], row["csrf"], row["expires_at"])

    async def close_session(self, token: str) -> None:
        pool = await self.pool()
        await pool.execute("DELETE FROM console_sessions WHERE token_hash = $1", token_hash(token))

    async def expire_now(self, user: str) -> None:
        """Tests and admins: every session of ``user`` ends at once."""
        pool = await self.pool()
        await pool.execute("UPDATE console_sessions SET expires_at = now() - interval '1 second' "
                           "WHERE user_name = $1", user)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


def utcnow() -> datetime:
    return datetime.now(UTC)
