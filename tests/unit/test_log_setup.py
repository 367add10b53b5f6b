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
