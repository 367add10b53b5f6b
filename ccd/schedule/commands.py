"""The ``ccd schedule`` actions (async, one database connection each)."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ccd.config import CcdConfig
from ccd.schedule import service, store
from ccd.schedule.core import render
from ccd.schedule.core.coverage import coverage_png, coverage_rows, coverage_svg, hour_grid, terminal_map
from ccd.schedule.core.export import agent_ical, roster_csv


def today(cfg: CcdConfig) -> date:
    return datetime.now(cfg.tz).date()


async def need_cmd(args: argparse.Namespace, cfg: CcdConfig, db: Any) -> int:
    rows, meta = await service.need_for(db, cfg, args.queue, args.until or today(cfg))
    dicts = [r.as_dict() for r in rows]
    render.emit(args.format, meta, dicts, lambda: render.need_table(meta, rows))
    return 0


async def plan_cmd(args: argparse.Namespace, cfg: CcdConfig, db: Any) -> int:
    plan_id, version, info = await service.build_plan(
        db, cfg, args.queue, args.first_day, args.days, model=args.model, created_by=args.by)
    if args.format == "json":
        print(json.dumps({"id": plan_id, "version": version, "status": "draft", **info}))
    else:
        print(render.plan_text(plan_id, version, info))
    return 0


async def load(db: Any, plan_id: int) -> store.StoredPlan:
    plan = await store.load_plan(db, plan_id)
    if plan is None:
        raise ValueError(f"no plan {plan_id}")
    return plan


async def list_cmd(args: argparse.Namespace, cfg: CcdConfig, db: Any) -> int:
    print(render.plans_table(await store.list_plans(db, args.queue)))
    return 0


async def coverage_cmd(args: argparse.Namespace, cfg: CcdConfig, db: Any) -> int:
    plan = await load(db, args.plan)
    rows = coverage_rows(plan.need, plan.coverage, plan.interval_min, plan.first_day)
    labels, grid = hour_grid(rows, plan.interval_min)
    title = f"{plan.queue} plan {plan.id} v{plan.version} ({plan.status}): coverage vs need"
    if args.svg:
        await asyncio.to_thread(_write, Path(args.svg), coverage_svg(labels, grid, title))
    if args.png:
        await asyncio.to_thread(coverage_png, labels, grid, args.png, title)
    if args.map:
        print(terminal_map(labels, grid))
    else:
        render.emit(args.format, plan.header(), rows,
                    lambda: render.coverage_table(plan.header(), rows, args.all))
    return 0


async def roster_cmd(args: argparse.Namespace, cfg: CcdConfig, db: Any) -> int:
    await load(db, args.plan)
    rows = await store.load_shifts(db, args.plan, args.agent)
    if args.format == "csv":
        print(roster_csv(rows), end="")
    elif args.format == "json":
        print(json.dumps([render.shift_dict(r) for r in rows]))
    else:
        print(render.roster_table(rows, cfg.tz))
    return 0


async def approve_cmd(args: argparse.Namespace, cfg: CcdConfig, db: Any) -> int:
    plan = await store.approve(db, args.plan, args.by)
    print(f"plan {plan.id} ({plan.queue} from {plan.first_day}, version {plan.version}) "
          f"approved by {plan.approved_by}")
    return 0


async def export_cmd(args: argparse.Namespace, cfg: CcdConfig, db: Any) -> int:
    if not args.csv and not args.ics:
        raise ValueError("give --csv FILE and/or --ics DIR")
    plan = await load(db, args.plan)
    rows = await store.load_shifts(db, args.plan)
    files: list[tuple[Path, str]] = []
    if args.csv:
        files.append((Path(args.csv), roster_csv(rows)))
    if args.ics:
        for agent in sorted({r.agent_id for r in rows if r.agent_id}):
            files.append((Path(args.ics) / f"{agent}.ics", agent_ical(
                agent, rows, plan_id=plan.id, version=plan.version, queue=plan.queue,
                stamp=plan.approved_at or plan.created_at)))
    for path, text in files:
        await asyncio.to_thread(_write, path, text)
        print(path)
    return 0


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, newline="")  # iCalendar lines end in CRLF already


async def backtest_cmd(args: argparse.Namespace, cfg: CcdConfig, db: Any) -> int:
    if not 1 <= args.weeks <= 52:
        raise ValueError("--weeks must be between 1 and 52")
    report = await service.backtest_report(db, cfg, args.queue, args.weeks,
                                           args.until or today(cfg))
    if args.format == "json":
        print(json.dumps(report))
    else:
        print(render.backtest_text(report))
    return 0
