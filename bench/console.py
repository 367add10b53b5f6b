"""Console benchmark: how fast a domain event reaches the DOM of a live console, and what 20
connected consoles cost ccd.

    python bench/console.py [--quick]

ccd's real engine, bus, console hub and HTTP app run in this process (no Asterisk needed:
agent pauses and unpauses are engine inputs that make real domain events), with a temporary
PostgreSQL database for the console's sessions. One console is a real headless Chromium
(Debian's chromium + chromium-driver) that records, with a MutationObserver, when each
marked pause reason appears in its agent grid; the other consoles are SSE readers in a
separate process, so ccd's CPU figure (this process) is the server's cost alone.
Figures: event_to_dom_p95_ms (goal 500 ms), ccd_cpu_pct.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client import CollectorRegistry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ccd.acd.inputs import AgentLoggedIn, AgentPaused, AgentUnpaused, Input
from ccd.api.app import Api
from ccd.bus import Bus
from ccd.config import CcdConfig
from ccd.console.sessions import SessionStore
from ccd.console.wire import ConsoleFeature
from ccd.core_loop import CoreLoop
from ccd.events import EventIds
from ccd.queues.core.engine import AcdEngine
from ccd.queues.from_config import agent_specs, queue_specs
from ccd.sandbox.asterisk import free_port
from ccd.sandbox.bench_support import percentile, run_and_emit, temp_database
from ccd.snapshot import EngineSnapshot
from ccd.store.migrate import migrate

AGENTS, QUEUES, RATE, CONSOLES = 60, 10, 10, 20  # RATE: domain events per second on the bus
PASSWORD = "bench-password"

OBSERVER = """
window.seen = {};
const body = document.querySelector('#agents tbody');
new MutationObserver(() => {
  const now = Date.now();
  for (const m of body.textContent.matchAll(/\\(m(\\d+)/g)) if (!(m[1] in window.seen)) window.seen[m[1]] = now;
}).observe(body, {childList: true, subtree: true, characterData: true});
"""


def config() -> dict[str, Any]:
    return {
        "agents": [{"id": f"a{i}", "endpoint": f"Local/a{i}@x", "teams": [f"t{i % QUEUES}"]} for i in range(AGENTS)],
        "queues": [{"name": f"q{j}", "teams": [f"t{j}"]} for j in range(QUEUES)],
        "console": {"users": [{"name": "bench", "role": "admin"}]},
    }


class Backend:
    def __init__(self, cfg: CcdConfig, core: CoreLoop) -> None:
        self.cfg, self.core, self.registry = cfg, core, CollectorRegistry()

    def readiness(self) -> dict[str, bool]:
        return {"bench": True}

    def snapshot(self) -> EngineSnapshot:
        return self.core.snapshot()

    def submit(self, inp: Input) -> None:
        self.core.submit(inp)


async def login(base: str) -> str:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
        async with s.post(base + "/console/api/login", json={"name": "bench", "password": PASSWORD}) as r:
            r.raise_for_status()
            return r.cookies["ccd_session"].value


def start_readers(base: str, cookie: str, n: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, __file__, "--readers", str(n), "--url", base, "--cookie", cookie],
                            stdout=subprocess.DEVNULL)


async def readers(base: str, cookie: str, n: int) -> None:
    async def one() -> None:
        async with aiohttp.ClientSession(cookies={"ccd_session": cookie}, timeout=aiohttp.ClientTimeout(None)) as s:
            async with s.get(base + "/console/api/stream") as r:
                async for _ in r.content:
                    pass
    await asyncio.gather(*(one() for _ in range(n)))


def chromium(base: str) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.get(base + "/console/")
    driver.execute_script("document.getElementById('login-name').value='bench';"
                          f"document.getElementById('login-password').value='{PASSWORD}';"
                          "document.getElementById('login-submit').click();")
    deadline = time.monotonic() + 30
    while not driver.execute_script("return !!document.querySelector('#agent-a0')"):
        if time.monotonic() > deadline:
            raise TimeoutError("console did not show the floor")
        time.sleep(0.1)
    driver.execute_script(OBSERVER)
    return driver


async def run(seconds: float) -> dict[str, Any]:
    async with temp_database("ccd_bench_console") as dsn:
        await migrate(dsn)
        store = SessionStore(dsn, 3600)
        await store.set_password("bench", PASSWORD)
        await store.close()
        cfg = CcdConfig.model_validate({**config(), "database": {"dsn": dsn}})
        bus = Bus()
        core = CoreLoop(AcdEngine(agent_specs(cfg), queue_specs(cfg), ids=EventIds.fresh()), lambda cmd: None, [bus.publish])
        console = ConsoleFeature(cfg, bus, core.snapshot, dsn)
        api = Api(Backend(cfg, core))  # type: ignore[arg-type]
        app = api.build()
        console.add_to(app, api)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        base = f"http://127.0.0.1:{port}"
        tasks = [asyncio.create_task(core.run()), *bus.tasks()]
        for i in range(AGENTS):
            core.submit(AgentLoggedIn(f"a{i}"))
        cookie = await login(base)
        procs = start_readers(base, cookie, CONSOLES - 1)
        driver = await asyncio.to_thread(chromium, base)
        rng = random.Random(7)
        published: dict[int, float] = {}
        paused: set[str] = set()
        seq0, cpu0, t0 = bus.seq, time.process_time(), time.monotonic()
        k = 0
        while time.monotonic() - t0 < seconds:
            agent = f"a{rng.randrange(AGENTS)}"
            if agent in paused:
                core.submit(AgentUnpaused(agent))
                paused.discard(agent)
            else:
                k += 1
                published[k] = time.time() * 1000
                core.submit(AgentPaused(agent, f"m{k}"))
                paused.add(agent)
            await asyncio.sleep(0)  # let the core publish this input's events, then pace by them
            await asyncio.sleep(max(0.0, t0 + (bus.seq - seq0) / RATE - time.monotonic()))
        wall = time.monotonic() - t0
        cpu = time.process_time() - cpu0
        events = bus.seq - seq0
        await asyncio.sleep(2)  # the last updates reach the DOM
        seen: dict[str, float] = await asyncio.to_thread(driver.execute_script, "return window.seen")
        await asyncio.to_thread(driver.quit)
        procs.terminate()
        console.close_streams()
        for t in tasks:
            t.cancel()
        await runner.cleanup()
        await console.close()
    lat = [seen[str(i)] - published[i] for i in published if str(i) in seen]
    if len(lat) < len(published) * 0.9:
        raise RuntimeError(f"only {len(lat)} of {len(published)} marked events reached the DOM")
    return {"events_per_s": round(events / wall, 1), "event_to_dom_p95_ms": round(percentile(lat, 0.95), 1),
            "event_to_dom_p50_ms": round(percentile(lat, 0.5), 1), "ccd_cpu_pct": round(100 * cpu / wall, 1),
            "marked_events": len(published)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--readers", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--cookie", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.readers:
        asyncio.run(readers(args.url, args.cookie, args.readers))
        return
    os.environ.setdefault("CCD_LOG_LEVEL", "warning")
    given = {"agents": AGENTS, "queues": QUEUES, "consoles": CONSOLES}
    run_and_emit("console", run(15.0 if args.quick else 60.0), given,
                 ("events_per_s", "event_to_dom_p95_ms", "ccd_cpu_pct"))


if __name__ == "__main__":
    main()
