"""``ccd migrate`` and ``ccd report``.

    ccd migrate -c ccd.toml
    ccd report -c ccd.toml --from 2026-03-01 --to 2026-04-01 --by queue --format table
    ccd report --dsn postgresql://... --tz Europe/Berlin --from 2026-03-29 --to 2026-03-30 --by 1h

``--from``/``--to`` are ISO dates or date-times; without an offset they are local times in
the configured zone. ``--to`` is exclusive.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg

from ccd.store.buckets import GROUPS, UNITS, check_bounds
from ccd.store.migrate import migrate
from ccd.store.reports import DEFAULT_REPEAT_WINDOW_S, format_report, kpi_report


@dataclass
class Settings:
    dsn: str
    tz: str = "UTC"
    teams: dict[str, list[str]] = field(default_factory=dict)
    sl_seconds: dict[str, float] = field(default_factory=dict)
    short_abandon_s: dict[str, float] = field(default_factory=dict)


def settings(args: argparse.Namespace) -> Settings:
    """DSN, zone, teams and per-queue thresholds from ``-c`` config, overridden by flags."""
    s = Settings(dsn="")
    if args.config:
        from ccd.config_load import load_config

        cfg = load_config(args.config)
        s = Settings(
            dsn=cfg.database.resolved_dsn(),
            tz=cfg.timezone,
            teams=cfg.agent_teams(),
            sl_seconds={q.name: q.service_level_seconds for q in cfg.queues},
            short_abandon_s={q.name: q.short_abandon_seconds for q in cfg.queues},
        )
    if args.dsn:
        s.dsn = args.dsn
    if getattr(args, "tz", None):
        s.tz = args.tz
    if not s.dsn:
        raise SystemExit("ccd: give -c CONFIG or --dsn DSN")
    return s


def _moment(text: str, tz: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=ZoneInfo(tz))


def cmd_migrate(args: argparse.Namespace) -> int:
    applied = asyncio.run(migrate(settings(args).dsn))
    print("\n".join(f"applied {name}" for name in applied) or "database is up to date")
    return 0


async def _report(s: Settings, args: argparse.Namespace) -> str:
    conn = await asyncpg.connect(s.dsn, timeout=10)
    try:
        rows = await kpi_report(
            conn, start=_moment(args.start, s.tz), end=_moment(args.end, s.tz), by=args.by,
            tz=s.tz, teams=s.teams, sl_seconds=s.sl_seconds,
            short_abandon_s=s.short_abandon_s, repeat_window_s=args.repeat_window,
        )
    finally:
        await conn.close()
    return format_report(rows, args.format)


def cmd_report(args: argparse.Namespace) -> int:
    s = settings(args)
    try:
        # the same bounds as the API, before connecting: a report over decades by 15 minutes
        # would hold PostgreSQL and this process for minutes and print hundreds of megabytes
        check_bounds(_moment(args.start, s.tz), _moment(args.end, s.tz), args.by)
        out = asyncio.run(_report(s, args))
    except (ValueError, ZoneInfoNotFoundError) as exc:
        print(f"ccd report: {exc}", file=sys.stderr)
        return 2
    print(out, end="" if out.endswith("\n") else "\n")  # CSV ends its last row itself: no blank line after it
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("-c", "--config", help="ccd config file (database DSN, timezone, queues)")
    p.add_argument("--dsn", help="PostgreSQL DSN (overrides the config)")


def register(subparsers: Any) -> None:
    """Add ``migrate`` and ``report`` to the ``ccd`` argparse subcommands."""
    p = subparsers.add_parser("migrate", help="apply pending database migrations")
    _common(p)
    p.set_defaults(func=cmd_migrate)

    p = subparsers.add_parser(
        "report", help="KPI report (SL, ASA, AHT, abandons, occupancy, ratings ...)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(p)
    p.add_argument("--tz", help="IANA time zone (overrides the config)")
    p.add_argument("--from", dest="start", required=True, help="start, inclusive")
    p.add_argument("--to", dest="end", required=True, help="end, exclusive")
    p.add_argument("--by", default="queue",
                   help=f"{'|'.join(GROUPS)} or an interval: {'|'.join(UNITS)} "
                        "(also interval:15m); default queue")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--repeat-window", type=float, default=DEFAULT_REPEAT_WINDOW_S,
                   help="seconds within which a call back counts as a repeat (default 86400)")
    p.set_defaults(func=cmd_report)
