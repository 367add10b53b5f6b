"""A roster as CSV and as one iCalendar file per agent (RFC 5545), pure text builders.

Shift rows carry aware datetimes; iCalendar times are written in UTC ("Z") so every client
shows them right without a VTIMEZONE block. UIDs are stable per plan version and shift.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class ShiftRow:
    agent_id: str | None  # None: not filled
    template: str
    start: datetime
    end: datetime
    breaks: tuple[tuple[datetime, datetime], ...]
    paid_min: int


def roster_csv(rows: Sequence[ShiftRow]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["agent", "template", "start", "end", "paid_hours", "breaks"])
    for r in rows:
        w.writerow([r.agent_id or "", r.template, r.start.isoformat(), r.end.isoformat(),
                    f"{r.paid_min / 60:g}",
                    " ".join(f"{a.strftime('%H:%M')}-{b.strftime('%H:%M')}" for a, b in r.breaks)])
    return buf.getvalue()


def _stamp(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts: list[str] = []
    chunk = b""
    for ch in line:
        b = ch.encode()
        if len(chunk) + len(b) > (75 if not parts else 74):
            parts.append(chunk.decode())
            chunk = b""
        chunk += b
    parts.append(chunk.decode())
    return "\r\n ".join(parts)


def agent_ical(
    agent_id: str, rows: Sequence[ShiftRow], *, plan_id: int, version: int, queue: str,
    stamp: datetime,
) -> str:
    """The agent's shifts as VEVENTs; ``stamp`` is the plan's approval (or creation) time."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//ccd//schedule//EN",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{_escape(f'{queue} shifts: {agent_id}')}"]
    mine = sorted((r for r in rows if r.agent_id == agent_id), key=lambda r: r.start)
    for r in mine:
        breaks = ", ".join(f"{a.strftime('%H:%M')}-{b.strftime('%H:%M')}" for a, b in r.breaks)
        desc = f"Queue {queue}, template {r.template}" + (f"; breaks {breaks}" if breaks else "")
        lines += [
            "BEGIN:VEVENT",
            f"UID:ccd-plan{plan_id}-v{version}-{agent_id}-{_stamp(r.start)}@ccd",
            f"DTSTAMP:{_stamp(stamp)}",
            f"DTSTART:{_stamp(r.start)}",
            f"DTEND:{_stamp(r.end)}",
            f"SUMMARY:{_escape(f'Shift {r.template} ({queue})')}",
            f"DESCRIPTION:{_escape(desc)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(x) for x in lines) + "\r\n"
