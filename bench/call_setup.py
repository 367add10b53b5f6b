"""Call set-up latency through ccd against native Queue() on the same Asterisk.

For each path, N sequential calls from a simulated caller (with media) to agents that answer
at once (with media). Times come from Asterisk's own AMI event timestamps:
  offer  = caller enters the queue (Newexten Stasis / Queue) -> the agent leg is dialled (DialBegin)
  bridge = caller enters the queue -> caller joins the bridge with the agent (BridgeEnter)
Last line: {"bench": "call_setup", "calls", "ccd_offer_median_ms", "native_offer_median_ms",
"ccd_bridge_median_ms", "native_bridge_median_ms", "ratio_offer", "ratio_bridge"}.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ccd.asterisk_config import render_queuerules, render_queues
from ccd.config import CcdConfig
from ccd.daemon import Daemon
from ccd.log import setup_logging
from ccd.queues.inputs import AgentLoggedIn
from ccd.sandbox.ami_probe import AmiProbe
from ccd.sandbox.asterisk import AsteriskInstance
from ccd.sandbox.bench_support import run_and_emit, scratch_dir, temp_database

AGENTS = ["B1", "B2"]


def config(ast: AsteriskInstance | None, dsn: str, spool: Path) -> CcdConfig:
    data: dict[str, Any] = {
        "log_level": "warning",
        "teams": [{"name": "t"}],
        "agents": [{"id": a, "seniority": "regular", "teams": ["t"],
                    "endpoint": AsteriskInstance.agent_endpoint(a, 0, 0)} for a in AGENTS],
        "queues": [{"name": "bench", "teams": ["t"], "wrapup": 0.0, "ring_timeout": 10, "sticky": False}],
        "database": {"dsn": dsn, "spool_dir": str(spool)},
        "http": {"listen": "127.0.0.1:0"},
    }
    if ast is not None:
        data["ami"] = {"port": ast.ami_port, "secret": ast.ami_secret}
        data["ari"] = {"url": ast.ari_url, "password": ast.ari_password}
    return CcdConfig.model_validate(data)


async def one_call(ast: AsteriskInstance, probe: AmiProbe, number: str, entry_app: str) -> tuple[float, float]:
    probe.events.clear()
    ast.originate_caller_cli("bench", number, hangup_after=0.6)
    caller_prefix = f"Local/c-{number}-bench@sim-trunk"

    def caller(e: dict[str, str]) -> bool:
        return e.get("Channel", "").startswith(caller_prefix) and e.get("Channel", "").endswith(";2")

    entered = await probe.wait_for(lambda e: e.get("Event") == "Newexten" and caller(e)
                                   and e.get("Application") == entry_app)
    dialled = await probe.wait_for(lambda e: e.get("Event") == "DialBegin"
                                   and e.get("DestChannel", "").startswith("Local/ag-"))
    bridged = await probe.wait_for(lambda e: e.get("Event") == "BridgeEnter" and caller(e)
                                   and int(e.get("BridgeNumChannels", "0")) >= 2)
    await probe.wait_for(lambda e: e.get("Event") == "Hangup" and caller(e), timeout=10)
    await asyncio.sleep(0.3)  # let the agent leg finish hanging up
    t0 = float(entered["Timestamp"])
    return (float(dialled["Timestamp"]) - t0) * 1000, (float(bridged["Timestamp"]) - t0) * 1000


async def run(calls: int) -> dict[str, Any]:
    base = scratch_dir("ccd-bench-setup-")
    cfg0 = config(None, "postgresql://unused", base / "spool")
    ast = AsteriskInstance(base / "ast", queues_conf=render_queues(cfg0), queuerules_conf=render_queuerules(cfg0))
    ast.start()
    try:
        probe = await AmiProbe.connect(ast.ami_host, ast.ami_port, ast.ami_user, ast.ami_secret)
        native = [await one_call(ast, probe, f"55500{i:02d}", "Queue") for i in range(calls)]
        async with temp_database("ccd_bench_setup") as dsn:
            daemon = Daemon(config(ast, dsn, base / "spool"))
            await daemon.start()
            await daemon.acd.resynced_event.wait()
            for a in AGENTS:
                daemon.submit(AgentLoggedIn(a))
            await asyncio.sleep(0.3)
            via_ccd = [await one_call(ast, probe, f"55510{i:02d}", "Stasis") for i in range(calls)]
            await daemon.stop()
        await probe.close()
    finally:
        ast.close()
    med = statistics.median
    out = {
        "calls": calls,
        "ccd_offer_median_ms": round(med(c[0] for c in via_ccd), 2),
        "native_offer_median_ms": round(med(c[0] for c in native), 2),
        "ccd_bridge_median_ms": round(med(c[1] for c in via_ccd), 2),
        "native_bridge_median_ms": round(med(c[1] for c in native), 2),
    }
    out["ratio_offer"] = round(out["ccd_offer_median_ms"] / max(out["native_offer_median_ms"], 1e-3), 2)
    out["ratio_bridge"] = round(out["ccd_bridge_median_ms"] / max(out["native_bridge_median_ms"], 1e-3), 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 calls per path instead of 50")
    parser.add_argument("--calls", type=int)
    args = parser.parse_args()
    setup_logging("console", "warning")
    calls = args.calls or (10 if args.quick else 50)
    run_and_emit("call_setup", run(calls), {"calls": calls},
                 ("ccd_offer_median_ms", "native_offer_median_ms", "ccd_bridge_median_ms",
                  "native_bridge_median_ms", "ratio_offer", "ratio_bridge"))


if __name__ == "__main__":
    main()
