"""`ccd recordings`: search recordings and export their files from the command line.

    ccd recordings list -c ccd.toml --from 2026-11-01 --to 2026-11-02 --queue support
    ccd recordings export -c ccd.toml --from 2026-11-01 --to 2026-11-02 --agent a1 -o /tmp/out

The command line acts as an admin (it reads the config and the database directly); every
exported file is audited as a ``recording.accessed`` event (via "cli", the OS user).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import getpass
import io
import json
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from ccd import events as ev
from ccd.config import CcdConfig, normalise_number
from ccd.config_load import load_config
from ccd.recordings import queries
from ccd.recordings.core import layout

COLUMNS = ("call_id", "started_at", "queue", "agent_id", "caller", "duration_s", "rating", "status", "file")


def moment(text: str, tz: ZoneInfo) -> datetime:
    """A time given on the command line; without an offset, in the configured zone."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=tz)


def _search(args: argparse.Namespace, cfg: CcdConfig) -> queries.Search:
    caller = normalise_number(args.caller, cfg) if args.caller else None
    return queries.Search(moment(args.start, cfg.tz), moment(args.end, cfg.tz), args.queue, args.agent,
                          caller or args.caller, args.rating_min, args.rating_max,
                          include_deleted=getattr(args, "include_deleted", False), limit=args.limit)


def render(rows: list[dict[str, Any]], fmt: str) -> str:
    data = [queries.as_json(r, internal=True) for r in rows]
    if fmt == "json":
        return json.dumps(data, indent=1, default=str) + "\n"
    out = io.StringIO()
    if fmt == "csv":
        w = csv.writer(out)
        w.writerow(COLUMNS)
        w.writerows([[r.get(c) for c in COLUMNS] for r in data])
        return out.getvalue()
    for r in data:
        out.write("  ".join(str(r.get(c) if r.get(c) is not None else "-") for c in COLUMNS) + "\n")
    return out.getvalue() or "(no recordings)\n"


async def export(conn: Any, cfg: CcdConfig, rows: list[dict[str, Any]], dest: Path) -> list[Path]:
    """Copy each stored file to ``dest`` (flat, by call id) with a manifest; audit each copy."""
    await asyncio.to_thread(dest.mkdir, parents=True, exist_ok=True)
    copied: list[Path] = []
    user = getpass.getuser()
    for row in rows:
        if row.get("status") != "stored" or not row.get("file"):
            continue
        src = layout.resolve(Path(cfg.recordings_dir), str(row["file"]))
        if not src.is_file():
            print(f"missing file for call {row['call_id']}: {src}", file=sys.stderr)
            continue
        e = ev.RecordingAccessed(ts=ev.utc(time.time()), call_id=row["call_id"], agent_id=row.get("agent_id"),
                                 queue=row.get("queue"), user=user, role="admin", outcome="granted", via="cli",
                                 target=str(dest))
        await conn.execute(  # the audit row first: no copy without it
            "INSERT INTO events (event_id, ts, type, call_id, agent_id, queue, payload) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)",
            e.event_id, e.ts, e.type, e.call_id, e.agent_id, e.queue, json.dumps(dict(e.payload)))
        target = dest / src.name
        await asyncio.to_thread(shutil.copyfile, src, target)
        copied.append(target)
    names = {p.name for p in copied}
    manifest = [queries.as_json(r, internal=True) for r in rows if Path(str(r.get("file") or "")).name in names]
    text = json.dumps(manifest, indent=1, default=str) + "\n"
    await asyncio.to_thread((dest / "manifest.json").write_text, text)
    return copied


async def _run(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    conn = await asyncpg.connect(cfg.database.resolved_dsn(), timeout=10)
    try:
        rows = await queries.search(conn, _search(args, cfg))
        if args.action == "list":
            sys.stdout.write(render(rows, args.format))
            return 0
        copied = await export(conn, cfg, rows, Path(args.output))
    finally:
        await conn.close()
    print(f"exported {len(copied)} recording(s) to {args.output}")
    return 0


def _cmd(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("recordings", help="search and export call recordings")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, help_ in (("list", "list recordings"), ("export", "copy recordings' files to a directory")):
        a = actions.add_parser(name, help=help_)
        a.add_argument("-c", "--config", required=True)
        a.add_argument("--from", dest="start", required=True, help="ISO date/time (local time if no offset)")
        a.add_argument("--to", dest="end", required=True, help="ISO date/time, exclusive")
        a.add_argument("--queue")
        a.add_argument("--agent")
        a.add_argument("--caller", help="caller number (normalised like sticky routing)")
        a.add_argument("--rating-min", type=int)
        a.add_argument("--rating-max", type=int)
        a.add_argument("--limit", type=int, default=queries.MAX_ROWS)
        if name == "list":
            a.add_argument("--format", choices=["table", "csv", "json"], default="table")
            a.add_argument("--include-deleted", action="store_true")
        else:
            a.add_argument("-o", "--output", required=True, help="directory to copy the files into")
        a.set_defaults(func=_cmd)
