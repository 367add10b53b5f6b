"""Retention selection, file deletion, metadata events, access rules, the disk gauges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest

from ccd import events as ev
from ccd.api.auth import Principal
from ccd.recordings import access
from ccd.recordings.retention import (
    DEFAULT_RETENTION_DAYS,
    DiskCollector,
    Stored,
    deletion_events,
    expired,
    oldest_cutoff,
    writable_dir,
)
from ccd.store.validate import check_envelope, check_payload

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
DAYS = {"support": 30, "sales": 7}


def row(call_id: str, queue: str | None, age: timedelta, file: str = "") -> Stored:
    return Stored(call_id, queue, "a1", NOW - age, file or f"2026/01/01/{call_id}.wav")


def test_expired_by_queue_retention() -> None:
    rows = [row("old", "support", timedelta(days=30)), row("fresh", "support", timedelta(days=29, hours=23)),
            row("sales", "sales", timedelta(days=8)), row("gone-queue", "legacy", timedelta(days=89)),
            row("gone-queue-old", None, timedelta(days=DEFAULT_RETENTION_DAYS))]
    assert [r.call_id for r in expired(rows, NOW, DAYS)] == ["old", "sales", "gone-queue-old"]


@given(st.lists(st.tuples(st.sampled_from(["support", "sales", "other"]),
                          st.floats(min_value=0, max_value=400, allow_nan=False)), max_size=30))
def test_expired_is_exactly_the_rows_past_their_days(spec: list[tuple[str, float]]) -> None:
    rows = [row(str(i), q, timedelta(days=age)) for i, (q, age) in enumerate(spec)]
    out = {r.call_id for r in expired(rows, NOW, DAYS)}
    for r, (q, age) in zip(rows, spec, strict=True):
        keep_days = DAYS.get(q, DEFAULT_RETENTION_DAYS)
        assert (r.call_id in out) == (age >= keep_days)
        if r.call_id in out:  # the database query's bound never hides an expired row
            assert r.started_at < oldest_cutoff(NOW, DAYS) or r.started_at == oldest_cutoff(NOW, DAYS)


def test_deletion_removes_file_and_empty_date_dirs(tmp_path: Path) -> None:
    f1 = tmp_path / "2026/01/01/a.wav"
    f2 = tmp_path / "2026/01/02/b.wav"
    for f in (f1, f2):
        f.parent.mkdir(parents=True)
        f.write_bytes(b"x")
    rows = [row("a", "support", timedelta(days=40), "2026/01/01/a.wav"),
            row("c", "support", timedelta(days=40), "2026/01/03/c.wav")]  # file already gone
    events = list(deletion_events(rows, tmp_path, NOW.timestamp()))
    assert [(e.call_id, e.payload["file_present"]) for e in events] == [("a", True), ("c", False)]
    assert not f1.exists() and not f1.parent.exists() and f2.exists() and tmp_path.is_dir()
    for e in events:
        assert e.type == ev.RECORDING_DELETED and e.payload["reason"] == "retention"
        assert check_envelope(e) is None and check_payload(e.type, e.payload) is None


def test_escaping_paths_are_not_deleted(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep")
    root = tmp_path / "root"
    root.mkdir()
    assert list(deletion_events([row("x", "support", timedelta(days=99), "../victim")], root, 0.0)) == []
    assert victim.exists()


def test_writable_dir(tmp_path: Path) -> None:
    assert writable_dir(tmp_path / "a" / "b") is None
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert "cannot create" in (writable_dir(blocker / "sub") or "")


def test_disk_gauges() -> None:
    reg = CollectorRegistry()
    reg.register(DiskCollector(Path("/nonexistent/dir/below"), lambda p: (5, 10)))
    text = generate_latest(reg).decode()
    assert "ccd_recordings_disk_free_bytes 5.0" in text and "ccd_recordings_disk_total_bytes 10.0" in text


AGENT_TEAMS = {"a1": ["red"], "a2": ["blue"], "a3": ["red", "blue"]}
ADMIN = Principal("root", "admin", None)
RED = Principal("sv-red", "supervisor", frozenset({"red"}), "sred")


def test_access_scope() -> None:
    assert access.agents_in_scope(ADMIN, AGENT_TEAMS) is None
    assert access.agents_in_scope(RED, AGENT_TEAMS) == ["a1", "a3"]
    assert access.may_hear(RED, "a3", AGENT_TEAMS) and not access.may_hear(RED, "a2", AGENT_TEAMS)
    assert not access.may_hear(RED, None, AGENT_TEAMS) and access.may_hear(ADMIN, None, AGENT_TEAMS)
    assert access.refused_filter(RED, "a2", None, AGENT_TEAMS)
    assert access.refused_filter(RED, None, ["a2"], AGENT_TEAMS)
    assert access.refused_filter(RED, None, ["a2", "a3"], AGENT_TEAMS) is None
    assert access.refused_filter(ADMIN, "a2", [], AGENT_TEAMS) is None
