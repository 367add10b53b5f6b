"""`ccd demo`: a live call center in a sandbox — a private Asterisk on loopback ports, the
real daemon, PostgreSQL, simulated agents of three seniorities and callers arriving at
random (repeat callers, withheld numbers, a VIP, ratings), with a live terminal view.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import signal
import sys
import time
from collections import Counter
from collections.abc import Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from ccd import events as ev
from ccd.acd.inputs import AgentLoggedIn
from ccd.asterisk_config import render_queuerules, render_queues
from ccd.config import CcdConfig
from ccd.config_load import load_config
from ccd.console.sessions import SessionStore
from ccd.daemon import Daemon
from ccd.log import setup_logging
from ccd.sandbox.asterisk import AsteriskInstance
from ccd.sandbox.asterisk_build import demo_build
from ccd.sandbox.asterisk_conf import Credentials, Ports

DEMO_PASSWORD = "demo-console"  # the sandbox only; a real install sets its own with ccd console-password
STATE_MARK = {"available": "idle", "ringing": "RING", "on_call": "TALK", "wrap_up": "wrap",
              "paused": "paus", "logged_out": "----"}


async def ensure_database(dsn: str) -> None:
    parts = urlsplit(dsn)
    name = parts.path.lstrip("/") or "ccd"
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")), timeout=5)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


def sandbox(cfg: CcdConfig, base: Path) -> AsteriskInstance:
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    ari_port = int(urlsplit(cfg.ari.url).port or 8088)
    ami_secret, ari_pw = cfg.ami.resolved_secret(), cfg.ari.resolved_password()
    creds = Credentials(cfg.ami.username, ami_secret.get_secret_value() if ami_secret else "ccd",
                        cfg.ari.username, ari_pw.get_secret_value() if ari_pw else "ccd")
    build = demo_build()
    print(f"ccd demo: sandbox Asterisk {build.major} ({build.binary})", flush=True)
    return AsteriskInstance(base, ports=Ports(ami=cfg.ami.port, http=ari_port), creds=creds,
                            queues_conf=render_queues(cfg), queuerules_conf=render_queuerules(cfg),
                            build=build)


class Traffic:
    """Callers arriving as a Poisson process; a pool of regulars makes sticky routing visible."""

    def __init__(self, ast: AsteriskInstance, queues: list[str], per_minute: float, vips: list[str]) -> None:
        self.ast, self.queues, self.rate = ast, queues, per_minute / 60.0
        self.regulars = [f"0301{random.randint(100000, 999999)}" for _ in range(25)]
        self.vips = vips
        self.placed = 0

    def number(self) -> str:
        roll = random.random()
        if roll < 0.05:
            return "anon"
        if roll < 0.08 and self.vips:
            return self.vips[0].lstrip("+").replace("49", "0", 1)
        if roll < 0.55:
            return random.choice(self.regulars)
        return f"0{random.randint(2000000000, 9999999999)}"

    async def run(self) -> None:
        while True:
            await asyncio.sleep(random.expovariate(self.rate))
            queue = random.choice(self.queues)
            digit = random.choices("12345", weights=(1, 1, 3, 6, 8))[0]
            patience = random.randint(60, 240)
            chan = AsteriskInstance.caller_channel(queue, self.number())
            await asyncio.to_thread(self.ast.cli, f"channel originate {chan} extension rp-{patience}-{digit}@sim-phone")
            self.placed += 1


class View:
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.counts: Counter[tuple[str, str]] = Counter()
        self.ratings: list[int] = []
        self.started = time.time()
        daemon.bus.subscribe_events("demo", self.observe)

    def observe(self, e: ev.DomainEvent) -> None:
        self.counts[(e.queue or "", e.type)] += 1
        if isinstance(e, ev.CallAnswered) and e.sticky:
            self.counts[(e.queue or "", "sticky")] += 1
        if isinstance(e, ev.RatingResult) and e.outcome == "rated" and e.score is not None:
            self.ratings.append(e.score)

    def render(self, traffic: Traffic) -> str:
        snap = self.daemon.snapshot()
        ready = self.daemon.readiness()
        lines = [f"ccd demo — {time.strftime('%H:%M:%S')}  up {int(time.time() - self.started)} s  "
                 f"calls placed {traffic.placed}  "
                 + "  ".join(f"{k}:{'ok' if v else 'DOWN'}" for k, v in ready.items()),
                 console_line(self.daemon.cfg), ""]
        lines.append(f"{'queue':10} {'waiting':>7} {'longest':>8} {'queued':>7} {'answered':>8} "
                     f"{'abandoned':>9} {'sticky':>6}")
        for name, q in snap.queues.items():
            sticky = self.counts[(name, "sticky")]
            lines.append(f"{name:10} {len(q.waiting):>7} {q.longest_wait_s:>7.0f}s "
                         f"{self.counts[(name, ev.CALL_QUEUED)]:>7} {self.counts[(name, ev.CALL_ANSWERED)]:>8} "
                         f"{self.counts[(name, ev.CALL_ABANDONED)]:>9} {sticky:>6}")
        avg = sum(self.ratings) / len(self.ratings) if self.ratings else 0.0
        lines += ["", f"ratings: {len(self.ratings)}  average {avg:.2f}", ""]
        lines.append(f"{'agent':6} {'name':8} {'state':5} {'since':>6} {'calls':>5} {'missed':>6}  reason")
        now = snap.now
        for a in snap.agents.values():
            since = f"{now - a.since:5.0f}s" if a.since else "     -"
            lines.append(f"{a.agent_id:6} {a.name[:8]:8} {STATE_MARK.get(a.state, a.state):5} {since:>6} "
                         f"{a.calls_handled:>5} {a.missed_total:>6}  {a.reason or ''}")
        return "\n".join(lines)


def console_line(cfg: CcdConfig) -> str:
    users = [u.name for u in cfg.console.users]
    if not users:
        return ""
    return (f"supervisor console: http://{cfg.http.listen}/console/  "
            f"sign in as {users[0]!r} with password {DEMO_PASSWORD!r}")


async def demo_passwords(cfg: CcdConfig) -> None:
    store = SessionStore(cfg.database.resolved_dsn(), 60)
    try:
        for user in cfg.console.users:
            await store.set_password(user.name, DEMO_PASSWORD)
    finally:
        await store.close()


async def run_demo(cfg: CcdConfig, base: Path, duration: float | None, per_minute: float, view: bool) -> int:
    await ensure_database(cfg.database.resolved_dsn())
    ast = sandbox(cfg, base)
    daemon: Daemon | None = None
    # Boot in a thread, so a SIGTERM meanwhile is handled; the cleanup waits for the boot.
    booting = asyncio.ensure_future(asyncio.to_thread(ast.start))
    try:
        await asyncio.shield(booting)
        daemon = Daemon(cfg)
        await daemon.start()
        await demo_passwords(cfg)
        print(console_line(cfg), flush=True)
        await daemon.acd.resynced_event.wait()
        for agent in cfg.agents:
            daemon.submit(AgentLoggedIn(agent.id))
        screen = View(daemon)
        vips = [n for q in cfg.queues for n in q.vip_numbers]
        traffic = Traffic(ast, [q.name for q in cfg.queues], per_minute, vips)
        task = asyncio.create_task(traffic.run())
        screen.counts.clear()
        ends = time.monotonic() + duration if duration else None
        while ends is None or time.monotonic() < ends:
            if task.done():
                task.result()
            if view:
                sys.stdout.write("\x1b[2J\x1b[H" + screen.render(traffic) + "\n")
                sys.stdout.flush()
            await asyncio.sleep(1.0)
        task.cancel()
        print(screen.render(traffic))
        return 0
    finally:
        if daemon is not None:
            await daemon.stop()
        await asyncio.wait([booting])
        await asyncio.to_thread(ast.close)


async def until_terminated(run: Coroutine[Any, Any, int]) -> int:
    """Run ``run``; SIGTERM or SIGHUP cancels it, so its cleanup (the daemon, the sandbox's
    Asterisk) runs as on Ctrl-C, instead of the process dying and leaving Asterisk up."""
    task = asyncio.ensure_future(run)
    loop = asyncio.get_running_loop()
    signalled: list[int] = []

    def stop(sig: int) -> None:
        signalled.append(sig)
        task.cancel()

    for sig in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, stop, sig)
    try:
        return await task
    except asyncio.CancelledError:
        if not signalled:
            raise
        return 0
    finally:
        for sig in (signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(sig)


def _cmd_demo(args: argparse.Namespace) -> int:
    cfg = load_config(args.config, secrets=True)
    setup_logging("json" if args.view else "console", "warning" if args.view else "info")
    base = Path("var/demo/asterisk").resolve()
    try:
        return asyncio.run(until_terminated(run_demo(cfg, base, args.duration, args.rate, args.view)))
    except KeyboardInterrupt:
        return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="run a sandbox call center with simulated traffic")
    p.add_argument("-c", "--config", default="config/demo.toml")
    p.add_argument("--duration", type=float, help="seconds to run (default: until Ctrl-C)")
    p.add_argument("--rate", type=float, default=12.0, help="callers per minute (all queues)")
    p.add_argument("--no-view", dest="view", action="store_false", help="no live terminal view")
    p.set_defaults(func=_cmd_demo)
