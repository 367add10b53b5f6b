"""Retention: which stored recordings have expired (pure), and the pass that deletes their
files and marks their rows with ``recording.deleted`` events; plus the disk-space gauges."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ccd import events as ev
from ccd.recordings.core.layout import resolve

log = structlog.get_logger("ccd.recordings")

DEFAULT_RETENTION_DAYS = 90  # a queue gone from the config keeps its files this long


@dataclass(frozen=True)
class Stored:
    call_id: str
    queue: str | None
    agent_id: str | None
    started_at: datetime
    file: str  # relative to recordings_dir


def retention_for(queue: str | None, days: Mapping[str, int], default: int = DEFAULT_RETENTION_DAYS) -> int:
    return days.get(queue or "", default)


def oldest_cutoff(now: datetime, days: Mapping[str, int], default: int = DEFAULT_RETENTION_DAYS) -> datetime:
    """Nothing started after this can have expired (bounds the database query)."""
    return now - timedelta(days=min([*days.values(), default]))


def expired(rows: Iterable[Stored], now: datetime, days: Mapping[str, int],
            default: int = DEFAULT_RETENTION_DAYS) -> list[Stored]:
    """Rows whose queue's retention has run out: kept for exactly ``days`` full days."""
    return [r for r in rows if r.started_at + timedelta(days=retention_for(r.queue, days, default)) <= now]


def delete_file(root: Path, relative: str) -> bool:
    """Remove a stored file and the date folders it leaves empty; False if it was gone."""
    path = resolve(root, relative)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    parent = path.parent
    for _ in range(3):  # DD, MM, YYYY: never above the root
        if parent == Path(root):
            break
        try:
            parent.rmdir()
        except OSError:  # not empty (or already gone): stop climbing
            break
        parent = parent.parent
    return True


def deletion_events(rows: Iterable[Stored], root: Path, now: float) -> Iterator[ev.DomainEvent]:
    """Delete each file; one ``recording.deleted`` per row (also when the file was gone)."""
    for r in rows:
        try:
            present = delete_file(root, r.file)
        except (OSError, ValueError) as exc:
            log.error("retention could not delete a recording", call_id=r.call_id, file=r.file, error=str(exc))
            continue
        yield ev.RecordingDeleted(ts=ev.utc(now), call_id=r.call_id, agent_id=r.agent_id, queue=r.queue,
                       file=r.file, reason="retention", file_present=present)


def disk_usage(path: Path) -> tuple[int, int] | None:
    """(free, total) bytes of the filesystem holding ``path`` (or its nearest existing parent)."""
    p = Path(path)
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        usage = shutil.disk_usage(p)
    except OSError:
        return None
    return usage.free, usage.total


class DiskCollector(Collector):
    """``ccd_recordings_disk_free_bytes`` / ``..._total_bytes``, read at scrape time."""

    def __init__(self, path: Path, usage: Callable[[Path], tuple[int, int] | None] = disk_usage) -> None:
        self.path, self.usage = path, usage

    def collect(self) -> Iterator[Metric]:
        found = self.usage(self.path)
        if found is None:
            return
        free, total = found
        yield GaugeMetricFamily("ccd_recordings_disk_free_bytes",
                                "Free bytes on the filesystem of the recordings directory", value=free)
        yield GaugeMetricFamily("ccd_recordings_disk_total_bytes",
                                "Size of the filesystem of the recordings directory", value=total)


def writable_dir(path: Path) -> str | None:
    """Why ``path`` cannot take new files (created if missing), or None when it can."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create {path}: {exc.strerror or exc}"
    if not os.access(path, os.W_OK | os.X_OK):
        return f"{path} is not writable"
    return None
