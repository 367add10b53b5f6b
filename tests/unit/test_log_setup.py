"""Logging: the console renderer never prints a frame's locals (rich would), and stdlib
loggers (aiohttp.access, asyncpg, ...) come out as JSON lines in JSON mode."""

from __future__ import annotations

import io
import json
import logging

import pytest

from ccd.log import get_logger, setup_logging


@pytest.fixture(autouse=True)
def restore() -> object:
    yield None
    setup_logging("console", "info")


def test_console_tracebacks_show_no_locals_even_with_rich() -> None:
    pytest.importorskip("rich")  # the case that leaked: structlog then defaults to rich's formatter
    out = io.StringIO()
    setup_logging("console", "info", stream=out)

    def connect() -> None:
        password = "s3cr3t-from-config"  # noqa: F841 - a local that must not be printed
        raise ConnectionError("refused")

    try:
        connect()
    except ConnectionError:
        get_logger("ccd.test").exception("link failed")
    text = out.getvalue()
    assert "link failed" in text and "ConnectionError: refused" in text
    assert "s3cr3t-from-config" not in text


def test_json_mode_prints_only_json_lines_also_for_stdlib_loggers() -> None:
    out = io.StringIO()
    setup_logging("json", "info", stream=out)
    logging.getLogger("aiohttp.access").info('127.0.0.1 "GET /healthz" %s', 200)
    try:
        raise ValueError("bad")
    except ValueError:
        logging.getLogger("asyncpg.pool").exception("connection lost")
    get_logger("ccd.api").info("api.error", status=400)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(x["logger"] if "logger" in x else None, x["event"]) for x in lines] == [
        ("aiohttp.access", '127.0.0.1 "GET /healthz" 200'), ("asyncpg.pool", "connection lost"), (None, "api.error")]
    assert "ValueError: bad" in lines[1]["exception"]


def test_daemon_json_logging_prints_nothing_but_json_objects() -> None:
    """Every way a line reaches the log while the daemon runs: structlog (with an
    exception), ccd's stdlib loggers (the store), aiohttp's server and access loggers,
    asyncpg, asyncio's "exception never retrieved", warnings, and a crash outside any handler."""
    import asyncio
    import sys
    import warnings

    out = io.StringIO()
    hook = sys.excepthook
    try:
        setup_logging("json", "debug", stream=out)
        try:
            raise ConnectionResetError("peer went away")
        except ConnectionResetError:
            get_logger("ccd.ari").exception("ari_session_crashed", error="reset")
            logging.getLogger("ccd.store.writer").exception("event writer step failed")
            logging.getLogger("aiohttp.server").error("Error handling request", exc_info=True)
        logging.getLogger("ccd.store.link").warning("event store unavailable, spooling: %s",
                                                    "multi\nline\nreason")
        logging.getLogger("aiohttp.access").info('127.0.0.1 "GET /readyz" %s', 503)
        logging.getLogger("asyncpg.pool").debug("pool closed")
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.warn("old api", DeprecationWarning, stacklevel=1)

        async def boom() -> None:
            raise RuntimeError("task died unseen")

        loop = asyncio.new_event_loop()
        try:
            task = loop.create_task(boom())
            loop.run_until_complete(asyncio.wait([task]))
            loop.call_exception_handler({"message": "Task exception was never retrieved",
                                         "exception": task.exception(), "future": task})
        finally:
            loop.close()
        try:
            raise SystemError("crash at start-up")
        except SystemError:
            sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
    finally:
        sys.excepthook = hook
        logging.captureWarnings(False)
    text = out.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]  # raises on any non-JSON line
    assert all(isinstance(x, dict) and "event" in x and "level" in x for x in lines), lines
    events = [x["event"] for x in lines]
    assert events[:3] == ["ari_session_crashed", "event writer step failed", "Error handling request"]
    assert all("ConnectionResetError: peer went away" in x["exception"] for x in lines[:3])
    assert "multi\nline\nreason" in events[3]
    assert any("old api" in e for e in events)
    assert any("RuntimeError: task died unseen" in x.get("exception", "") for x in lines)
    assert lines[-1]["event"] == "unhandled exception" and "SystemError: crash at start-up" in lines[-1]["exception"]
