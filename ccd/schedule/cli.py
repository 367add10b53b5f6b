"""``ccd schedule``: shift plans and rosters from the forecast, approval, exports, backtest.

    ccd schedule need     -c ccd.toml --queue sales              both models side by side
    ccd schedule plan     -c ccd.toml --queue sales --from 2025-01-06 --days 28
    ccd schedule list     -c ccd.toml [--queue sales]
    ccd schedule coverage -c ccd.toml --plan 3 [--map] [--svg F] [--png F]
    ccd schedule roster   -c ccd.toml --plan 3 [--agent a01] [--format csv]
    ccd schedule approve  -c ccd.toml --plan 3 --by alice
    ccd schedule export   -c ccd.toml --plan 3 --ics DIR | --csv FILE
    ccd schedule backtest -c ccd.toml --queue sales --weeks 4
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from ccd.config import CcdConfig
from ccd.config_load import ConfigError, load_config
from ccd.errors import CcdError

Action = Callable[[argparse.Namespace, CcdConfig, Any], Awaitable[int]]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("schedule", help="shift plans and rosters from the forecast",
                              description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="schedule_command", required=True, metavar="ACTION")

    def cmd(name: str, text: str) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=text)
        c.add_argument("-c", "--config", required=True, help="ccd config file")
        c.add_argument("--dsn", help="PostgreSQL DSN (overrides the config)")
        c.set_defaults(func=lambda args: _run(args, name))
        parser: argparse.ArgumentParser = c
        return parser

    c = cmd("need", "agents needed per interval, Erlang C and Erlang A side by side")
    c.add_argument("--queue", required=True)
    c.add_argument("--until", type=date.fromisoformat, help="history ends here (default today)")
    c.add_argument("--format", choices=("table", "json", "csv"), default="table")
    c = cmd("plan", "plan shifts and roster agents; stored as a draft")
    c.add_argument("--queue", required=True)
    c.add_argument("--from", dest="first_day", type=date.fromisoformat, required=True)
    c.add_argument("--days", type=int, default=28)
    c.add_argument("--model", choices=("erlang_c", "erlang_a"))
    c.add_argument("--by", help="who asks for the plan (stored with it)")
    c.add_argument("--format", choices=("table", "json"), default="table")
    c = cmd("list", "stored plans")
    c.add_argument("--queue")
    c = cmd("coverage", "coverage vs need of a plan: table, heat map, SVG/PNG")
    c.add_argument("--plan", type=int, required=True)
    c.add_argument("--format", choices=("table", "json", "csv"), default="table")
    c.add_argument("--all", action="store_true", help="table: every interval, not only gaps")
    c.add_argument("--map", action="store_true", help="print a coloured heat map instead")
    c.add_argument("--svg", metavar="FILE")
    c.add_argument("--png", metavar="FILE")
    c = cmd("roster", "the shifts of a plan per agent")
    c.add_argument("--plan", type=int, required=True)
    c.add_argument("--agent")
    c.add_argument("--format", choices=("table", "json", "csv"), default="table")
    c = cmd("approve", "approve a draft plan (draft -> approved)")
    c.add_argument("--plan", type=int, required=True)
    c.add_argument("--by", required=True)
    c = cmd("export", "write the roster as CSV and/or one iCalendar file per agent")
    c.add_argument("--plan", type=int, required=True)
    c.add_argument("--csv", metavar="FILE")
    c.add_argument("--ics", metavar="DIR")
    c = cmd("backtest", "forecast vs actual: MAPE and bias per weekday and interval")
    c.add_argument("--queue", required=True)
    c.add_argument("--weeks", type=int, default=4)
    c.add_argument("--until", type=date.fromisoformat, help="exclusive end (default today)")
    c.add_argument("--format", choices=("table", "json"), default="table")


def _run(args: argparse.Namespace, action: str) -> int:
    # the solver (OR-Tools) loads only when a schedule command runs, not with every ``ccd``
    func: Action = getattr(importlib.import_module("ccd.schedule.commands"), f"{action}_cmd")
    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    import asyncpg

    async def main() -> int:
        conn = await asyncpg.connect(args.dsn or cfg.database.resolved_dsn())
        try:
            return await func(args, cfg, conn)
        finally:
            await conn.close()

    try:
        return asyncio.run(main())
    except (ValueError, CcdError) as exc:
        print(f"ccd schedule: {exc}", file=sys.stderr)
        return 2
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"ccd schedule: database: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:  # the solver found no plan within its time limit
        print(f"ccd schedule: {exc}", file=sys.stderr)
        return 1
