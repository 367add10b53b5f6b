"""Supervision set-up latency: from the supervisor answering their phone to the audio path
being established (audit row durable, snoop created and bridged with the supervisor, or the
supervisor in the call's bridge for barge).

A private Asterisk, an in-process ccd against a throw-away PostgreSQL database, one agent
on a long call, and N sequential sessions started as the API does (ccd rings the
supervisor's simulated phone, which answers at once with media), modes in rotation.
"answer" is the StasisStart timestamp Asterisk puts on the supervisor's channel (so the
websocket delivery counts); "established" is when the last ARI request of the attach returned.
Last line: {"bench": "supervision", "sessions", "answer_to_audio_p50_ms", "answer_to_audio_p95_ms"}.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ccd.acd.inputs import AgentLoggedIn
from ccd.config import CcdConfig
from ccd.daemon import Daemon
from ccd.log import setup_logging
from ccd.sandbox.asterisk import AsteriskInstance
from ccd.sandbox.bench_support import percentile, run_and_emit, scratch_dir, temp_database
from ccd.whisper.core.session import MODES

SUP_PHONE = "Local/sp-3600-0-x-1600@sim-supervisor"  # answers at once, plays a tone, no keys


def config(ast: AsteriskInstance, dsn: str, spool: Path) -> CcdConfig:
    data: dict[str, Any] = {
        "log_level": "warning",
        "teams": [{"name": "t"}],
        "agents": [{"id": "A", "teams": ["t"], "endpoint": AsteriskInstance.agent_endpoint("A", 0, 0)}],
        "supervisors": [{"id": "S", "teams": ["t"], "endpoint": SUP_PHONE}],
        "queues": [{"name": "bench", "teams": ["t"], "wrapup": 0.0, "ring_timeout": 10, "sticky": False}],
        "database": {"dsn": dsn, "spool_dir": str(spool)},
        "http": {"listen": "127.0.0.1:0"},
        "ami": {"port": ast.ami_port, "secret": ast.ami_secret},
        "ari": {"url": ast.ari_url, "password": ast.ari_password},
    }
    return CcdConfig.model_validate(data)


async def until(cond: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.005)


async def run(sessions: int) -> dict[str, Any]:
    base = scratch_dir("ccd-bench-sup-")
    ast = AsteriskInstance(base / "ast")
    ast.start()
    try:
        async with temp_database("ccd_bench_sup") as dsn:
            daemon = Daemon(config(ast, dsn, base / "spool"))
            await daemon.start()
            try:
                await daemon.acd.resynced_event.wait()
                daemon.submit(AgentLoggedIn("A"))
                await asyncio.sleep(0.3)
                ast.originate_caller_cli("bench", "5550100", hangup_after=3600)
                service = daemon.supervision
                await until(lambda: service.locate("A") is not None, 10, "the agent never answered")
                await asyncio.sleep(0.5)  # caller bridged with the agent
                for i in range(sessions):
                    s = await service.start("S", "A", MODES[i % len(MODES)])
                    await until(lambda n=i: len(service.answer_to_audio_ms) > n, 10, "session never attached")
                    await asyncio.sleep(0.1)
                    service.stop(s.id)
                    await until(lambda sid=s.id: sid not in service.sessions, 10, "session never ended")
                    await asyncio.sleep(0.1)  # the supervisor's channel finishes hanging up
            finally:
                await daemon.stop()
    finally:
        ast.close()
    samples = list(service.answer_to_audio_ms)
    return {"sessions": len(samples),
            "answer_to_audio_p50_ms": round(statistics.median(samples), 2),
            "answer_to_audio_p95_ms": round(percentile(samples, 0.95), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="12 sessions instead of 60")
    parser.add_argument("--sessions", type=int)
    args = parser.parse_args()
    setup_logging("console", "warning")
    sessions = args.sessions or (12 if args.quick else 60)
    run_and_emit("supervision", run(sessions), {"sessions": sessions},
                 ("answer_to_audio_p50_ms", "answer_to_audio_p95_ms"))


if __name__ == "__main__":
    main()
