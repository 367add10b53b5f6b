"""PostgreSQL for the integration tests: a server per session, a fresh database per test.

Use it with ``pytest_plugins = ["tests.harness.postgres"]``. ``pg_server`` prefers
``CCD_TEST_PG_DSN``, then a server already on 127.0.0.1:5432, else (or with
``CCD_TEST_PG_PRIVATE=1``) it starts a private cluster (initdb/pg_ctl, as the ``postgres``
user when we are root) on a free loopback port, stopped at the end of the session.
``TcpProxy`` sits between a client and the server so a test can cut the link on purpose.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

T = TypeVar("T")
DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["v"] = asyncio.run(coro)
        except BaseException as exc:
            box["e"] = exc

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "e" in box:
        raise box["e"]
    return box["v"]  # type: ignore[no-any-return]


def with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + name))


def _accepts(dsn: str) -> bool:
    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(dsn, timeout=3)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
        await conn.close()
        return True

    return run_sync(probe())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _unavailable(why: str) -> None:
    # tests.harness.ci_rules turns this skip into a failure under CI=true
    pytest.skip(f"PostgreSQL unavailable: {why}")


@contextlib.contextmanager
def private_cluster() -> Iterator[str]:
    """initdb + pg_ctl start in a temp dir; stopped and removed on exit."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if not bins:
        _unavailable("no server on 127.0.0.1:5432 and no /usr/lib/postgresql/*/bin")
    bindir = Path(bins[-1])
    root = Path(tempfile.mkdtemp(prefix="ccd-pg-"))
    data, port = root / "data", _free_port()
    as_root = os.geteuid() == 0
    if as_root:  # PostgreSQL refuses to run as root
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)

    def run(*cmd: str) -> None:
        full = ["runuser", "-u", "postgres", "--", *cmd] if as_root else list(cmd)
        subprocess.run(full, check=True, capture_output=True, timeout=120)

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--no-sync")
        opts = (f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c max_connections=200")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"),
            "-w", "-t", "60", "start")
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            with contextlib.suppress(Exception):
                run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """DSN (database ``postgres``) of a running server for the whole session."""
    env = os.environ.get("CCD_TEST_PG_DSN")
    if env:
        yield env
        return
    if os.environ.get("CCD_TEST_PG_PRIVATE") != "1" and _accepts(DEFAULT_DSN):
        yield DEFAULT_DSN
        return
    with private_cluster() as dsn:
        yield dsn


async def create_database(server_dsn: str, prefix: str = "ccd_test") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(server_dsn, timeout=10)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(server_dsn, name)


async def drop_database(server_dsn: str, dsn: str) -> None:
    name = urlsplit(dsn).path.lstrip("/")
    conn = await asyncpg.connect(server_dsn, timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
def pg_dsn(pg_server: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    dsn = run_sync(create_database(pg_server))
    try:
        yield dsn
    finally:
        run_sync(drop_database(pg_server, dsn))


class TcpProxy:
    """Loopback TCP proxy to a PostgreSQL server that a test can cut and restore.

    ``cut()`` resets every open connection and refuses new ones until ``restore()``;
    ``blackhole=True`` instead accepts and silently stalls traffic (a dead network path).
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._conns: set[asyncio.StreamWriter] = set()
        self.cut_mode: str | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def dsn_for(self, dsn: str) -> str:
        parts = urlsplit(dsn)
        netloc = parts.netloc.rsplit("@", 1)
        user = netloc[0] + "@" if len(netloc) == 2 else ""
        return urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{self.port}"))

    def cut(self, *, blackhole: bool = False) -> None:
        self.cut_mode = "blackhole" if blackhole else "reset"
        self._flowing.clear()
        if not blackhole:
            for w in list(self._conns):
                w.transport.abort()
            self._conns.clear()

    def restore(self) -> None:
        self.cut_mode = None
        self._flowing.set()
        for w in list(self._conns):  # stalled connections are dead for the client anyway
            w.transport.abort()
        self._conns.clear()

    async def close(self) -> None:
        self.restore()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, cr: asyncio.StreamReader, cw: asyncio.StreamWriter) -> None:
        if self.cut_mode == "reset":
            cw.transport.abort()
            return
        self._conns.add(cw)
        try:
            sr, sw = await asyncio.open_connection(*self.target)
        except OSError:
            cw.transport.abort()
            return
        self._conns.add(sw)
        await asyncio.gather(self._pipe(cr, sw), self._pipe(sr, cw), return_exceptions=True)
        for w in (cw, sw):
            w.transport.abort()
            self._conns.discard(w)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            data = await reader.read(65536)
            if not data:
                writer.transport.abort()
                return
            if self.cut_mode == "blackhole":
                await self._flowing.wait()  # hold the bytes: the path is dead
                return  # restore() aborts stalled connections: the client saw them die
            if writer.transport.is_closing():
                return
            writer.write(data)
            await writer.drain()
