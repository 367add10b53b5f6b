"""Recordings after the call: search and playback over HTTP with team scoping, Range requests
and an audit row per fetch; retention; the `ccd recordings` command line. One real recorded
call on the real Asterisk, plus an old recording seeded through the daemon's event path."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from ccd import events as ev
from ccd.cli import main as ccd_main
from ccd.sandbox.asterisk import AsteriskInstance, free_port
from ccd.sandbox.toml_out import dumps
from tests.harness.ccd import Factory, Running, agent, config_data
from tests.integration.test_recordings_calls import call_in, recorded_queue, settings

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]
TOKENS = {"admin": "adm-tok", "sup": "sup-tok", "other": "other-tok", "viewer": "view-tok"}


def auth(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[who]}"}


def extra(ast: AsteriskInstance, rec: Path) -> dict[str, Any]:
    return {**settings(ast, rec),
            "teams": [{"name": "t"}, {"name": "other"}],
            "supervisors": [{"id": "st", "endpoint": "PJSIP/st", "teams": ["t"]},
                            {"id": "so", "endpoint": "PJSIP/so", "teams": ["other"]}],
            "http": {"listen": f"127.0.0.1:{free_port()}", "tokens": [
                {"name": "adm", "role": "admin", "token": TOKENS["admin"]},
                {"name": "sup", "role": "supervisor", "supervisor": "st", "token": TOKENS["sup"]},
                {"name": "other", "role": "supervisor", "supervisor": "so", "token": TOKENS["other"]},
                {"name": "viewer", "role": "viewer", "token": TOKENS["viewer"]}]}}


async def row_status(dsn: str, call_id: str, want: str, timeout: float = 10) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + timeout
        while True:
            row = await conn.fetchrow("SELECT * FROM recordings WHERE call_id = $1", call_id)
            if row is not None and row["status"] == want:
                return dict(row)
            if time.monotonic() > deadline:
                raise TimeoutError(f"recording {call_id} not {want}: {row}")
            await asyncio.sleep(0.1)
    finally:
        await conn.close()


async def audits(dsn: str, call_id: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(dsn)
    try:
        return [dict(r) for r in await conn.fetch(
            "SELECT * FROM recording_accesses WHERE call_id = $1 ORDER BY ts", call_id)]
    finally:
        await conn.close()


async def recorded_call(ccd: Running, ast: AsteriskInstance) -> ev.DomainEvent:
    await ccd.login("k1")
    call_in(ast, hangup_after=4)
    answered = await ccd.wait_event("call.answered", agent_id="k1")
    return await ccd.wait_event("recording.finished", timeout=20, call_id=answered.call_id)


async def test_search_playback_scoping_and_audit(
    asterisk: AsteriskInstance, ccd_factory: Factory, tmp_path: Path, pg_dsn: str
) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("k1")], queues=[recorded_queue()],
                            **extra(asterisk, tmp_path / "rec"))
    done = await recorded_call(ccd, asterisk)
    call_id = done.call_id or ""
    row = await row_status(pg_dsn, call_id, "stored")
    assert row["agent_id"] == "k1" and row["queue"] == "support" and row["sha256"] == done.payload["sha256"]
    data = (tmp_path / "rec" / done.payload["file"]).read_bytes()
    base = f"http://{ccd.daemon.cfg.http.listen}"
    day = {"from": (done.ts - timedelta(hours=1)).isoformat(), "to": (done.ts + timedelta(hours=1)).isoformat()}
    async with aiohttp.ClientSession() as http:
        async def get(path: str, who: str, **kw: Any) -> tuple[int, bytes, Any]:
            async with http.get(base + path, headers={**auth(who), **kw.pop("headers", {})}, **kw) as r:
                return r.status, await r.read(), r.headers

        status, body, _ = await get("/api/recordings", "admin", params=day)
        assert status == 200 and call_id in body.decode()
        status, body, _ = await get("/api/recordings", "sup", params={**day, "queue": "support", "agent": "k1"})
        assert status == 200 and call_id in body.decode()
        status, body, _ = await get("/api/recordings", "admin", params={**day, "caller": done.payload["caller"]})
        assert status == 200 and call_id in body.decode()
        status, body, _ = await get("/api/recordings", "admin", params={**day, "agent": "nobody"})
        assert status == 200 and body == b"[]"
        for who, params in (("other", {**day, "queue": "support"}), ("other", {**day, "agent": "k1"}),
                            ("viewer", day)):
            assert (await get("/api/recordings", who, params=params))[0] == 403
        status, body, _ = await get("/api/recordings", "other", params=day)  # unfiltered: only their teams
        assert status == 200 and body == b"[]"
        audio = f"/api/recordings/{call_id}/audio"
        assert (await get(audio, "other"))[0] == 403
        assert (await get(audio, "viewer"))[0] == 403
        status, body, headers = await get(audio, "admin")
        assert status == 200 and body == data and headers["Content-Type"] == "audio/wav"
        status, body, headers = await get(audio, "sup", headers={"Range": "bytes=0100-01099"})  # audited as 100-1099
        assert status == 206 and body == data[100:1100]
        assert headers["Content-Range"] == f"bytes 100-1099/{len(data)}"
        status, body, _ = await get(audio, "sup", headers={"Range": f"bytes=-{len(data) // 2}"})
        assert status == 206 and body == data[-(len(data) // 2):]
        # bytes=-0 asks for nothing; several ranges are not served: 416, no audit, no audio
        for bad in ("bytes=-0", "bytes=0-1,5-9", "bytes=9-2", "bytes=" + "1" * 40 + "-"):
            status, body, _ = await get(audio, "sup", headers={"Range": bad})
            assert status == 416 and b"range_not_satisfiable" in body, bad
        status, body, _ = await get(f"/api/recordings/{call_id}", "sup")
        meta = json.loads(body)
        assert status == 200 and meta["call_id"] == call_id and meta["available"] is True
        assert "file" not in meta and "failure" not in meta  # no internal paths or error texts
        status, body, _ = await get("/api/recordings", "admin", params=day)
        assert all("file" not in r and "failure" not in r for r in json.loads(body))
        assert (await get("/api/recordings/nope/audio", "admin"))[0] == 404
    deadline = time.monotonic() + 10
    while True:  # granted fetches are durable before the audio; the denied one follows shortly
        rows = await audits(pg_dsn, call_id)
        if len(rows) >= 9 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    # One row per audio fetch and metadata read; the viewer is refused by role before any
    # recording is looked up; the range is stored normalised.
    assert sorted((r["user"], r["role"], r["outcome"], r["range"]) for r in rows if r["outcome"] != "listed") == [
        ("adm", "admin", "granted", None),
        ("other", "supervisor", "denied", None),
        ("sup", "supervisor", "granted", f"bytes=-{len(data) // 2}"),
        ("sup", "supervisor", "granted", "bytes=100-1099"),
        ("sup", "supervisor", "metadata", None),
    ]
    assert all(r["via"] == "api" and r["agent_id"] == "k1" for r in rows)
    # every search is audited too, per recording it showed
    assert sorted(r["user"] for r in await audits(pg_dsn, call_id) if r["outcome"] == "listed") == [
        "adm", "adm", "adm", "sup"]


async def test_retention_and_cli_export(
    asterisk: AsteriskInstance, ccd_factory: Factory, tmp_path: Path, pg_dsn: str
) -> None:
    rec = tmp_path / "rec"
    ccd = await ccd_factory(asterisk, agents=[agent("k1")], queues=[recorded_queue()], **extra(asterisk, rec))
    done = await recorded_call(ccd, asterisk)
    fresh_file = rec / done.payload["file"]
    # An old recording (40 days, retention 30), filed as the service would have done.
    old_at = time.time() - 40 * 86400
    old_file = rec / "2020/01/01/old-1.wav"
    old_file.parent.mkdir(parents=True)
    old_file.write_bytes(fresh_file.read_bytes())
    feature = ccd.daemon.recordings
    await feature.durable(ev.event(ev.RECORDING_STARTED, old_at, call_id="old-1", agent_id="k1",
                                   queue="support", caller="+15550001", format="wav"))
    await feature.durable(ev.event(ev.RECORDING_FINISHED, old_at + 60, call_id="old-1", agent_id="k1",
                                   queue="support", file="2020/01/01/old-1.wav", format="wav", duration_s=60.0,
                                   size=old_file.stat().st_size, sha256="x", started_epoch=old_at))
    await row_status(pg_dsn, "old-1", "stored")
    await row_status(pg_dsn, done.call_id or "", "stored")

    assert await feature.retention_pass() == ["old-1"]
    assert not old_file.exists() and not (rec / "2020").exists() and fresh_file.is_file()
    gone = await row_status(pg_dsn, "old-1", "deleted")
    assert gone["deleted_reason"] == "retention" and gone["file"] == "2020/01/01/old-1.wav"
    assert (await row_status(pg_dsn, done.call_id or "", "stored"))["deleted_at"] is None
    assert await feature.retention_pass() == []  # nothing twice
    async with aiohttp.ClientSession() as http, http.get(f"http://{ccd.daemon.cfg.http.listen}/metrics") as r:
        text = await r.text()
    assert "ccd_recordings_disk_free_bytes" in text

    cfg_file = tmp_path / "ccd.toml"
    data = config_data(asterisk, pg_dsn, tmp_path / "cli-spool", agents=[agent("k1")], queues=[recorded_queue()],
                       **extra(asterisk, rec))
    cfg_file.write_text(dumps(data))
    out = tmp_path / "export"
    start = (done.ts - timedelta(days=60)).isoformat()
    end = (done.ts + timedelta(hours=1)).isoformat()
    code = await asyncio.to_thread(ccd_main, ["recordings", "export", "-c", str(cfg_file), "--from", start,
                                               "--to", end, "--agent", "k1", "-o", str(out)])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([fresh_file.name, "manifest.json"])
    assert (out / fresh_file.name).read_bytes() == fresh_file.read_bytes()
    cli_audit = [r for r in await audits(pg_dsn, done.call_id or "") if r["via"] == "cli"]
    assert len(cli_audit) == 1 and cli_audit[0]["outcome"] == "granted"
    code = await asyncio.to_thread(ccd_main, ["recordings", "list", "-c", str(cfg_file), "--from", start,
                                               "--to", end, "--include-deleted", "--format", "csv"])
    assert code == 0
