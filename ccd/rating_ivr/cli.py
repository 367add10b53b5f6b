"""`ccd ratings`: rating statistics and export by period, queue, agent and team.

    ccd ratings -c ccd.toml --from 2026-11-01 --to 2026-12-01 --by agent --format table
    ccd ratings -c ccd.toml --from 2026-11-01 --to 2026-12-01 --by queue,period --period week --format csv
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

import asyncpg

from ccd.config_load import load_config
from ccd.rating_ivr.core.stats import DIMENSIONS, Dimension, Period
from ccd.rating_ivr.report import Format, load_rows, render


def moment(text: str, tz: ZoneInfo) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=tz)


def dimensions(text: str) -> tuple[Dimension, ...]:
    dims = tuple(d for d in text.split(",") if d)
    bad = [d for d in dims if d not in DIMENSIONS]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown grouping {bad} (choose from {', '.join(DIMENSIONS)})")
    return cast(tuple[Dimension, ...], dims)


async def _run(args: argparse.Namespace) -> str:
    cfg = load_config(args.config)
    tz = cfg.tz
    scale = max((q.rating.scale for q in cfg.queues if q.rating.enabled), default=5)
    conn = await asyncpg.connect(cfg.database.resolved_dsn(), timeout=10)
    try:
        rows = await load_rows(conn, moment(args.start, tz), moment(args.end, tz), cfg.agent_teams(),
                               queue=args.queue, agent=args.agent)
    finally:
        await conn.close()
    return render(rows, args.by, cast(Format, args.format), period=cast(Period, args.period), tz=tz,
                  scale_max=scale, ranking=not args.no_ranking, team=args.team)


def _cmd(args: argparse.Namespace) -> int:
    out = asyncio.run(_run(args))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(out)
    else:
        sys.stdout.write(out)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("ratings", help="post-call rating statistics and export")
    p.add_argument("-c", "--config", required=True)
    p.add_argument("--from", dest="start", required=True, help="ISO date/time (local time if no offset)")
    p.add_argument("--to", dest="end", required=True, help="ISO date/time, exclusive")
    p.add_argument("--by", type=dimensions, default=("queue",), help="comma list of queue,agent,team,period")
    p.add_argument("--period", choices=["hour", "day", "week", "month"], default="day")
    p.add_argument("--queue")
    p.add_argument("--agent")
    p.add_argument("--team")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--no-ranking", action="store_true", help="leave out the per-agent ranking")
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.set_defaults(func=_cmd)
