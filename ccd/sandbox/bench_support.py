"""Shared plumbing for the benchmarks in bench/: a throw-away PostgreSQL database, a private
Asterisk, and the one-JSON-object last line every benchmark prints (DESIGN.md contract)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

ADMIN_DSN = os.environ.get("CCD_BENCH_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def emit(bench: str, **figures: Any) -> None:
    print(json.dumps({"bench": bench, **figures}))
    sys.stdout.flush()


def run_and_emit(bench: str, coro: Coroutine[Any, Any, dict[str, Any]], given: dict[str, Any],
                 measured: tuple[str, ...]) -> None:
    """Run a benchmark and print its JSON line; on failure every measured figure is null
    with an "error" saying why (the DESIGN.md contract), and the exit code is 1."""
    try:
        figures = asyncio.run(coro)
    except Exception as exc:
        emit(bench, **given, **dict.fromkeys(measured), error=repr(exc))
        sys.exit(1)
    emit(bench, **{**given, **figures})


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no samples")
    idx = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[idx]


@asynccontextmanager
async def temp_database(prefix: str) -> AsyncIterator[str]:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_DSN, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield urlunsplit(urlsplit(ADMIN_DSN)._replace(path="/" + name))
    finally:
        admin = await asyncpg.connect(ADMIN_DSN, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def scratch_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))
