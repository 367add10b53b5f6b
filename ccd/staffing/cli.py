"""``ccd staffing``: Erlang C forecast from history, what-if mode, and needed vs. present.

    ccd staffing --queue Q -c ccd.toml --target-sl 0.8 --answer-within 20 --interval 30m
    ccd staffing --calls 100 --per 30m --aht 180 --target-sl 0.8 --answer-within 20
    ccd staffing --queue Q -c ccd.toml --compare --weeks 1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ccd.config_load import ConfigError, load_config
from ccd.staffing.core import render
from ccd.staffing.core.erlang import Target, agents_for_target, evaluate, traffic_erlangs
from ccd.staffing.core.erlang_a import agents_for_target_a, evaluate_a
from ccd.staffing.core.forecast import ComparisonRow, ForecastRow
from ccd.staffing.core.slots import Window, parse_minutes
from ccd.staffing.history import comparison, forecast

DEFAULT_SHRINKAGE = 0.30  # industry rule of thumb: breaks, training, absence


def _fraction(text: str) -> float:
    """0.8, 80 or 80% all mean 80 %."""
    value = float(text.rstrip("%"))
    return value / 100 if text.endswith("%") or value > 1 else value


def add_arguments(p: argparse.ArgumentParser) -> None:
    src = p.add_argument_group("history source")
    src.add_argument("-c", "--config", help="ccd config file (database DSN and timezone)")
    src.add_argument("--dsn", help="PostgreSQL DSN (overrides the config)")
    src.add_argument("--tz", help="IANA time zone for weekdays/intervals (overrides config)")
    src.add_argument("--queue", help="queue to forecast")
    src.add_argument("--weeks", type=int, default=4, help="weeks of history (default 4)")
    src.add_argument("--until", type=date.fromisoformat,
                     help="end of the history, exclusive, local date (default today)")
    src.add_argument("--interval", default="30m", help="15m, 30m or 1h (default 30m)")
    tgt = p.add_argument_group("target")
    tgt.add_argument("--target-sl", type=_fraction, default=0.8,
                     help="service level target: 0.8 (default), 80 or 80%%; 0 = none")
    tgt.add_argument("--answer-within", type=float, default=20.0,
                     help="answer-time target in seconds (default 20)")
    tgt.add_argument("--max-asa", type=float, help="also require ASA <= this many seconds")
    tgt.add_argument("--max-occupancy", type=_fraction, help="also require occupancy <= this")
    tgt.add_argument("--shrinkage", type=_fraction, default=DEFAULT_SHRINKAGE,
                     help=f"share of paid time not on the phones (default {DEFAULT_SHRINKAGE})")
    wi = p.add_argument_group("what-if (no history needed)")
    wi.add_argument("--calls", type=float, help="expected calls per --per period")
    wi.add_argument("--per", help="period of --calls: 15m, 30m, 1h (default --interval)")
    wi.add_argument("--aht", type=float,
                    help="average handle time in seconds (what-if; in history mode the "
                         "fallback AHT when no call was answered)")
    wi.add_argument("--model", choices=("erlang_c", "erlang_a"), default="erlang_c",
                    help="erlang_c (default) or erlang_a (callers abandon; needs --patience)")
    wi.add_argument("--patience", type=float, metavar="SECONDS",
                    help="Erlang A: callers' mean patience before they hang up")
    wi.add_argument("--max-abandon", type=_fraction, metavar="F",
                    help="Erlang A: also require the abandon rate <= F (e.g. 0.05)")
    wi.add_argument("--agents", type=int, metavar="N",
                    help="evaluate this head count instead of searching the smallest one")
    out = p.add_argument_group("output")
    out.add_argument("--format", choices=("table", "csv", "json"), default="table")
    out.add_argument("--png", metavar="FILE", help="also draw a weekday × hour heat map")
    out.add_argument("--compare", action="store_true",
                     help="past intervals: agents logged in beside agents needed")
    out.add_argument("--all", action="store_true", help="table: show empty intervals too")


def register(subparsers: Any) -> None:
    """Add ``staffing`` to the ``ccd`` argparse subcommands."""
    p = subparsers.add_parser(
        "staffing",
        help="Erlang C staffing forecast (agents needed per interval)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(p)
    p.set_defaults(func=run_staffing)


def _target(args: argparse.Namespace) -> Target:
    sl = args.target_sl if args.target_sl > 0 else None
    if sl is None and args.max_asa is None and args.max_occupancy is None:
        raise ValueError("give at least one of --target-sl, --max-asa, --max-occupancy")
    return Target(sl, args.answer_within, args.max_asa, args.max_occupancy, args.shrinkage)


def run_staffing(args: argparse.Namespace) -> int:
    """Entry point; returns the exit code (0 ok, 1 failure, 2 bad usage)."""
    try:
        target = _target(args)
        interval_min = parse_minutes(args.interval)
        if args.calls is not None:
            return _whatif(args, target, interval_min)
        return _history(args, target, interval_min)
    except ValueError as exc:
        print(f"ccd staffing: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1


def _whatif(args: argparse.Namespace, target: Target, interval_min: int) -> int:
    if args.aht is None or args.aht <= 0:
        raise ValueError("what-if mode needs --aht SECONDS (> 0)")
    per_min = parse_minutes(args.per) if args.per else interval_min
    traffic = traffic_erlangs(args.calls, per_min * 60.0, args.aht)
    d = whatif_result(traffic, args, target) | {"model": args.model}
    d["given"] = args.agents is not None
    d = render.whatif_dict_from(d, calls=args.calls, per_min=per_min, aht_s=args.aht,
                                target_sl=target.service_level,
                                answer_within_s=target.answer_within_s,
                                shrinkage=target.shrinkage)
    if args.format == "json":
        print(json.dumps(d, indent=2))
    elif args.format == "csv":
        print(render.as_csv([d]), end="")
    else:
        print(render.whatif_text(d))
    return 0


def whatif_result(traffic: float, args: argparse.Namespace, target: Target) -> dict[str, Any]:
    """The chosen model's figures, for ``--agents N`` or the smallest head count."""
    if args.agents is not None and args.agents < 0:
        raise ValueError("--agents must be >= 0")
    if args.model == "erlang_a":
        if args.patience is None or args.patience <= 0:
            raise ValueError("--model erlang_a needs --patience SECONDS (> 0)")
        if args.agents is not None:
            return evaluate_a(args.agents, traffic, args.aht, target.answer_within_s,
                              args.patience, target.shrinkage).as_dict()
        return agents_for_target_a(traffic, args.aht, args.patience, target,
                                   args.max_abandon).as_dict()
    if args.patience is not None or args.max_abandon is not None:
        raise ValueError("--patience and --max-abandon apply to --model erlang_a only")
    if args.agents is not None:
        return evaluate(args.agents, traffic, args.aht, target.answer_within_s,
                        target.shrinkage).as_dict()
    return agents_for_target(traffic, args.aht, target).as_dict()


@dataclass(frozen=True, slots=True)
class _Source:
    dsn: str
    tz: str
    members: list[str] | None  # the queue's agents from the config, if it is configured


def _source(args: argparse.Namespace) -> _Source:
    """DSN, zone and queue members: the flags win over the config file."""
    dsn, tz, members = args.dsn, args.tz, None
    if args.config:
        cfg = load_config(args.config)
        dsn = dsn or cfg.database.resolved_dsn()
        tz = tz or cfg.timezone
        for q in cfg.queues:
            if q.name == args.queue:
                members = [a.id for a in cfg.queue_members(q)]
    if not dsn:
        raise ValueError("history mode needs -c CONFIG or --dsn (or what-if: --calls/--aht)")
    return _Source(dsn, tz or "UTC", members)


def _history(args: argparse.Namespace, target: Target, interval_min: int) -> int:
    if not args.queue:
        raise ValueError("give --queue (or --calls/--aht for what-if mode)")
    if args.agents is not None or args.model != "erlang_c" or args.patience is not None:
        raise ValueError("--agents, --model and --patience are what-if options (with --calls); "
                         "from history, `ccd schedule need` shows Erlang C and Erlang A side by side")
    if args.compare and args.png:
        raise ValueError("--png draws the forecast; leave it out with --compare")
    src = _source(args)
    try:
        tz = ZoneInfo(src.tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {src.tz!r}") from exc
    import asyncpg  # only history mode needs the driver

    meta: dict[str, Any] = {
        "queue": args.queue, "timezone": tz.key, "interval_min": interval_min,
        "target": _describe(target), "shrinkage": _p(target.shrinkage),
    }
    until: date = args.until or datetime.now(tz).date()
    try:
        if args.compare:
            first = until - timedelta(days=7 * args.weeks)
            crows = asyncio.run(_load_comparison(args, src, tz, target, interval_min, first, until))
            meta |= {"from": first.isoformat(), "until": until.isoformat()}
            _print(args, meta, [r.as_dict() for r in crows],
                   lambda: render.comparison_table(meta, crows, args.all))
            return 0
        window, frows = asyncio.run(_load_forecast(args, src, tz, target, interval_min, until))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"ccd staffing: database: {exc}", file=sys.stderr)
        return 1
    meta |= {
        "from": window.first_day.isoformat(), "until": window.end_day.isoformat(),
        "weeks_requested": args.weeks,
        "weeks_used": max(window.weeks_per_weekday().values(), default=0),
    }
    _print(args, meta, [r.as_dict() for r in frows],
           lambda: render.forecast_table(meta, frows, args.all))
    if args.png:
        from ccd.staffing.core.heatmap import render_heatmap

        title = f"{args.queue}: agents needed, {meta['target']} ({tz.key})"
        try:
            render_heatmap(frows, args.png, title=title)
        except RuntimeError as exc:  # Pillow missing
            print(f"ccd staffing: {exc}", file=sys.stderr)
            return 1
    return 0


def _print(
    args: argparse.Namespace, meta: dict[str, Any], dicts: list[dict[str, Any]],
    table: Callable[[], str],
) -> None:
    if args.format == "json":
        print(render.as_json(meta, dicts))
    elif args.format == "csv":
        print(render.as_csv(dicts), end="")
    else:
        print(table())


async def _load_forecast(
    args: argparse.Namespace, src: _Source, tz: ZoneInfo, target: Target, interval_min: int,
    until: date,
) -> tuple[Window, list[ForecastRow]]:
    import asyncpg

    conn = await asyncpg.connect(src.dsn)
    try:
        return await forecast(
            conn, args.queue, tz, interval_min=interval_min, weeks=args.weeks, until=until,
            target=target, aht_fallback_s=args.aht,
        )
    finally:
        await conn.close()


async def _load_comparison(
    args: argparse.Namespace, src: _Source, tz: ZoneInfo, target: Target, interval_min: int,
    first: date, until: date,
) -> list[ComparisonRow]:
    import asyncpg

    conn = await asyncpg.connect(src.dsn)
    try:
        return await comparison(
            conn, args.queue, tz, interval_min=interval_min, first_day=first, end_day=until,
            target=target, now=datetime.now(tz), aht_fallback_s=args.aht, members=src.members,
        )
    finally:
        await conn.close()


def _p(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:g}%"


def _describe(t: Target) -> str:
    parts = [] if t.service_level is None else [f"{_p(t.service_level)} in {t.answer_within_s:g}s"]
    if t.max_asa_s is not None:
        parts.append(f"ASA<={t.max_asa_s:g}s")
    if t.max_occupancy is not None:
        parts.append(f"occupancy<={_p(t.max_occupancy)}")
    return ", ".join(parts)
