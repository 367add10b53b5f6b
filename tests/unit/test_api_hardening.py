"""Bad input never makes a 500 or a traceback: every error is JSON with a stable id and a
reason, logged once as a JSON line; every response carries safe headers; /metrics and
/readyz are closed off loopback; reports refuse work no request should ask for."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from ccd.log import setup_logging
from tests.unit.api_fixtures import AUTH, FakeBackend, MakeClient, config


async def raw_request(client: TestClient[Any, Any], head: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(head)
    await writer.drain()
    data = await reader.read()
    writer.close()
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


async def test_authorization_header_that_is_not_utf8_is_401(make_client: MakeClient) -> None:
    client = await make_client()
    status, body = await raw_request(client, b"GET /api/queues HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                             b"Authorization: Bearer \xff\xfe\xc3\x28\r\n\r\n")
    assert status == 401 and json.loads(body)["error"] == "unauthorized"


@pytest.mark.parametrize(("method", "url"), [
    ("POST", "/api/agents/A%00/login"),
    ("GET", "/api/queues?queue=a%00b"),
    ("GET", "/api/ratings?from=2026-01-01&to=2026-01-02&agent=x%00"),
    ("GET", "/api/staffing?queue=support%00"),
])
async def test_nul_bytes_in_parameters_are_400(make_client: MakeClient, method: str, url: str) -> None:
    client = await make_client()
    resp = await client.request(method, url, headers=AUTH["admin"])
    body = await resp.json()
    assert resp.status == 400 and body["error"] == "bad_request" and "NUL" in body["message"]


async def test_deeply_nested_or_nul_json_body_is_400(make_client: MakeClient) -> None:
    client = await make_client()
    for data in ("[" * 20_000 + "]" * 20_000, '{"reason": ' * 5000 + '"x"' + "}" * 5000,
                 '{"reason": "a\\u0000b"}'):
        resp = await client.post("/api/agents/A/pause", data=data, headers=AUTH["admin"])
        assert resp.status == 400, data[:20]
        assert (await resp.json())["error"] == "bad_request"


@pytest.mark.parametrize("params", [
    {"from": "2026-01-02", "to": "2026-01-01"},  # to before from
    {"from": "2026-01-01", "to": "2026-01-01"},  # empty
    {"from": "0001-01-01", "to": "2026-01-01"},  # overflows zone arithmetic
    {"from": "2026-01-01", "to": "9999-12-31T23:59:59"},
    {"from": "2000-01-01", "to": "2026-01-01", "by": "day"},  # longer than the span limit
    {"from": "2016-01-01", "to": "2026-01-01", "by": "15m"},  # hundreds of thousands of buckets
    {"from": "2025-01-01", "to": "2026-01-01", "by": "interval"},  # hourly over a year
    {"from": "2025-01-01", "to": "2026-01-01", "by": "fortnight"},
])
async def test_reports_refuse_bad_or_unbounded_periods_before_any_work(
    make_client: MakeClient, params: dict[str, str]
) -> None:
    client = await make_client()
    for path in ("/api/reports", "/api/ratings") if "by" not in params else ("/api/reports",):
        resp = await client.get(path, params=params, headers=AUTH["admin"])
        body = await resp.json()
        assert resp.status == 400 and body["error"] == "bad_request", (path, params, body)


async def test_a_bounded_report_reaches_the_database(make_client: MakeClient) -> None:
    client = await make_client()  # the DSN points nowhere: 503 proves validation let it through
    resp = await client.get("/api/reports", params={"from": "2026-01-01", "to": "2026-02-01", "by": "15m"},
                            headers=AUTH["admin"])
    assert resp.status == 503 and (await resp.json())["error"] == "unavailable"


async def test_viewers_get_no_per_agent_or_team_kpis(make_client: MakeClient) -> None:
    client = await make_client()
    period = {"from": "2026-01-01", "to": "2026-02-01"}
    for path, extra in (("/api/reports", {"by": "agent"}), ("/api/reports", {"by": "team"}),
                        ("/api/ratings", {"by": "agent"}), ("/api/ratings", {"by": "queue,team"}),
                        ("/api/ratings", {"agent": "A"})):
        resp = await client.get(path, params={**period, **extra}, headers=AUTH["viewer"])
        assert resp.status == 403 and "viewer" in (await resp.json())["message"], (path, extra)
    for by in ("queue", "day"):  # queue and interval figures: allowed (503: no database here)
        assert (await client.get("/api/reports", params={**period, "by": by}, headers=AUTH["viewer"])).status == 503


async def test_every_response_has_safe_headers(make_client: MakeClient) -> None:
    client = await make_client()
    for path, headers in (("/healthz", {}), ("/api/queues", AUTH["admin"]), ("/api/queues", {}),
                          ("/nowhere", {}), ("/metrics", {})):
        resp = await client.get(path, headers=headers)
        assert resp.headers["X-Content-Type-Options"] == "nosniff", path
        assert resp.headers["Server"] == "ccd", path  # no aiohttp/Python versions


@pytest.mark.parametrize(("listen", "extra", "open_paths"), [
    ("127.0.0.1:8080", {}, {"/healthz", "/readyz", "/metrics"}),
    ("0.0.0.0:8080", {}, {"/healthz"}),
    (":8080", {}, {"/healthz"}),
    ("10.0.0.5:8080", {"open_metrics": True}, {"/healthz", "/metrics"}),
    ("10.0.0.5:8080", {"open_ready": True, "open_metrics": False}, {"/healthz", "/readyz"}),
    ("127.0.0.1:8080", {"open_metrics": False, "open_health": False}, set()),
])
async def test_metrics_and_readiness_need_a_token_off_loopback(
    make_client: MakeClient, listen: str, extra: dict[str, Any], open_paths: set[str]
) -> None:
    client = await make_client(FakeBackend(config(listen=listen, **extra)))
    for path in ("/healthz", "/readyz", "/metrics"):
        status = (await client.get(path)).status
        assert (status == 200) == (path in open_paths), (listen, path, status)
        assert (await client.get(path, headers=AUTH["viewer"])).status == 200


class Exploding(FakeBackend):
    def snapshot(self) -> Any:
        raise RuntimeError("secret-detail in a bug")


async def test_errors_are_json_lines_in_the_log_and_never_leak(make_client: MakeClient) -> None:
    out = io.StringIO()
    setup_logging("json", "info", stream=out)
    try:
        client = await make_client(Exploding())
        bad = await client.get("/api/reports", params={"from": "x", "to": "y"}, headers=AUTH["admin"])
        assert bad.status == 400
        boom = await client.get("/api/queues", headers=AUTH["admin"])
        body = await boom.json()
        assert boom.status == 500 and body == {"error": "internal", "message": "internal error (logged)"}
    finally:
        setup_logging("console", "info")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]  # nothing but JSON
    errors = {line["event"]: line for line in lines if line["event"].startswith("api.")}
    assert errors["api.error"]["status"] == 400 and errors["api.error"]["error"] == "bad_request"
    assert "secret-detail in a bug" in errors["api.internal_error"]["exception"]


@pytest.mark.parametrize(("args", "reason"), [
    (["--from", "2026-02-01", "--to", "2026-01-01"], "to must be after from"),
    (["--from", "0001-01-01", "--to", "2026-01-01"], "year 1"),
    (["--from", "2016-01-01", "--to", "2026-01-01", "--by", "15m"], "buckets"),
    (["--from", "1990-01-01", "--to", "2026-01-01", "--by", "year"], "days"),
])
def test_cli_report_refuses_the_same_requests_with_a_reason(
    args: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from ccd.cli import main

    code = main(["report", "--dsn", "postgresql://nobody@127.0.0.1:1/none", *args])  # never connects
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("ccd report: ") and reason in err and "Traceback" not in err


def test_failures_below_the_handlers_map_to_a_status_with_a_reason() -> None:
    import asyncpg

    from ccd.api.guard import classify

    cases: list[tuple[BaseException, int | None]] = [
        (TimeoutError(), 504), (asyncpg.QueryCanceledError("canceling statement"), 504),
        (asyncpg.DataError("bad value"), 400), (asyncpg.CharacterNotInRepertoireError("nul"), 400),
        (UnicodeEncodeError("utf-8", "\udc80", 0, 1, "surrogates not allowed"), 400),
        (RecursionError(), 400), (ConnectionRefusedError(), 503), (asyncpg.CannotConnectNowError("x"), 503),
        (RuntimeError("a bug"), None)]
    for exc, status in cases:
        err = classify(exc)
        assert (err.status if err else None) == status, exc
