"""Call set-up latency through ccd against native Queue() on the same Asterisk.

For each path, N sequential calls from a simulated caller (with media) to agents that answer
at once (with media). Times come from Asterisk's own AMI event timestamps:
  offer  = caller enters the queue (Newexten Stasis / Queue) -> the agent leg is dialled (DialBegin)
  bridge = caller enters the queue -> caller and agent leg are in one bridge (the later BridgeEnter)
Last line: {"bench": "call_setup", "calls", "ccd_offer_median_ms", "native_offer_median_ms",
"ccd_bridge_median_ms", "native_bridge_median_ms", "ratio_offer", "ratio_bridge",
"ccd_breakdown_ms", "native_breakdown_ms", "ratio_offer_16", "ratio_bridge_16",
"ratio_offer_22", "ratio_bridge_22", "by_version", "floor_offer_median_ms",
"floor_bridge_median_ms", "floor_ratio_offer", "floor_ratio_bridge", "floor_breakdown_ms"}
(the breakdowns: median ms after the caller entered the queue at which the agent leg was
created, dialled, answered, and each side first entered a bridge; the floor: the least any
ARI client can do, ccd/sandbox/ari_floor.py, the bound on ccd's figures). It runs on each Asterisk version (16 and 22, one after the other, each its
own instance); the unsuffixed keys are those of the Asterisk under test (CCD_TEST_ASTERISK,
default 16) and ``by_version`` holds every version's full set.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ccd.acd.inputs import AgentLoggedIn
from ccd.asterisk_config import render_queuerules, render_queues
from ccd.config import CcdConfig
from ccd.daemon import Daemon
from ccd.log import setup_logging
from ccd.sandbox.ami_probe import AmiProbe
from ccd.sandbox.ari_floor import AriFloor
from ccd.sandbox.asterisk import AsteriskInstance
from ccd.sandbox.asterisk_build import SUPPORTED, AsteriskBuild, build_for, selected
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


Timeline = dict[str, float]  # milestone -> ms after the caller entered the queue


async def one_call(ast: AsteriskInstance, probe: AmiProbe, number: str, entry_app: str) -> Timeline:
    probe.events.clear()
    ast.originate_caller_cli("bench", number, hangup_after=0.6)
    caller_prefix = f"Local/c-{number}-bench@sim-trunk"

    def caller(e: dict[str, str]) -> bool:
        return e.get("Channel", "").startswith(caller_prefix) and e.get("Channel", "").endswith(";2")

    def agent_leg(e: dict[str, str]) -> bool:
        return e.get("Channel", "").startswith("Local/ag-") and e.get("Channel", "").endswith(";1")

    entered = await probe.wait_for(lambda e: e.get("Event") == "Newexten" and caller(e)
                                   and e.get("Application") == entry_app)
    created = await probe.wait_for(lambda e: e.get("Event") == "Newchannel" and agent_leg(e))
    dialled = await probe.wait_for(lambda e: e.get("Event") == "DialBegin"
                                   and e.get("DestChannel", "").startswith("Local/ag-"))
    answered = await probe.wait_for(lambda e: e.get("Event") == "Newstate" and agent_leg(e)
                                    and e.get("ChannelStateDesc") == "Up")
    # Bridged = the later of the caller's and the agent leg's entry into one bridge (a holding
    # bridge with music also counts two channels, so the count alone proves nothing).
    entries: dict[str, dict[str, str]] = {}

    def both_in_one_bridge(e: dict[str, str]) -> bool:
        if e.get("Event") != "BridgeEnter":
            return False
        who = "caller" if caller(e) else "agent" if agent_leg(e) else None
        if who is None:
            return False
        other = entries.get("agent" if who == "caller" else "caller")
        entries.setdefault(f"first_{who}", e)
        entries[who] = e
        return other is not None and other.get("BridgeUniqueid") == e.get("BridgeUniqueid")

    bridged = await probe.wait_for(both_in_one_bridge)
    await probe.wait_for(lambda e: e.get("Event") == "Hangup" and caller(e), timeout=10)
    await asyncio.sleep(0.3)  # let the agent leg finish hanging up
    t0 = float(entered["Timestamp"])

    def ms(e: dict[str, str]) -> float:
        return (float(e["Timestamp"]) - t0) * 1000

    return {"offer": ms(dialled), "bridge": ms(bridged), "agent_channel": ms(created),
            "agent_answered": ms(answered), "caller_first_bridge": ms(entries["first_caller"]),
            "agent_first_bridge": ms(entries["first_agent"])}


async def run(calls: int, versions: list[str]) -> dict[str, Any]:
    by_version = {}
    for v in versions:
        by_version[v] = await run_on(build_for(v), calls)
        gc.collect()  # any ResourceWarning is printed now, never after the JSON line
    under_test = str(selected().major)
    out: dict[str, Any] = dict(by_version.get(under_test) or by_version[versions[0]])
    for v in SUPPORTED:
        for key in ("ratio_offer", "ratio_bridge"):
            out[f"{key}_{v}"] = by_version[v][key] if v in by_version else None
    out["by_version"] = by_version
    return out


async def run_on(build: AsteriskBuild, calls: int) -> dict[str, Any]:
    if not build.installed:
        raise RuntimeError(f"Asterisk {build.major} is not installed (scripts/install-deps builds 22)")
    base = scratch_dir(f"ccd-bench-setup-{build.major}-")
    cfg0 = config(None, "postgresql://unused", base / "spool")
    ast = AsteriskInstance(base / "ast", queues_conf=render_queues(cfg0), queuerules_conf=render_queuerules(cfg0),
                           build=build)
    ast.start()
    try:
        probe = await AmiProbe.connect(ast.ami_host, ast.ami_port, ast.sim_ami_user, ast.sim_ami_secret)
        native = [await one_call(ast, probe, f"55500{i:02d}", "Queue") for i in range(calls)]
        floor_client = AriFloor(ast.ari_url, ast.ari_user, ast.ari_password, AsteriskInstance.ari_app,
                                [AsteriskInstance.agent_endpoint(a, 0, 0) for a in AGENTS])
        await floor_client.start()
        floor = [await one_call(ast, probe, f"55520{i:02d}", "Stasis") for i in range(calls)]
        await floor_client.stop()
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
    def med(path: list[Timeline], milestone: str) -> float:
        return round(statistics.median(t[milestone] for t in path), 2)

    out: dict[str, Any] = {"calls": calls, "asterisk": build.major}
    for milestone in ("offer", "bridge"):
        out[f"ccd_{milestone}_median_ms"] = med(via_ccd, milestone)
        out[f"native_{milestone}_median_ms"] = med(native, milestone)
    out["ratio_offer"] = round(out["ccd_offer_median_ms"] / max(out["native_offer_median_ms"], 1e-3), 2)
    out["ratio_bridge"] = round(out["ccd_bridge_median_ms"] / max(out["native_bridge_median_ms"], 1e-3), 2)
    # Where ccd's time goes (medians, ms after the caller entered Stasis): the agent leg
    # exists once ccd's originate reached Asterisk; a channel outside any bridge joins one only
    # on its next media frame on Asterisk 16 (res_stasis's poll), whatever ccd does.
    out["ccd_breakdown_ms"] = {m: med(via_ccd, m) for m in
                               ("agent_channel", "offer", "agent_answered", "caller_first_bridge",
                                "agent_first_bridge", "bridge")}
    out["native_breakdown_ms"] = {m: med(native, m) for m in ("agent_channel", "offer", "agent_answered", "bridge")}
    # The floor: the least any ARI client can do (ccd/sandbox/ari_floor.py), the bound on ccd.
    for milestone in ("offer", "bridge"):
        out[f"floor_{milestone}_median_ms"] = med(floor, milestone)
    out["floor_ratio_offer"] = round(out["floor_offer_median_ms"] / max(out["native_offer_median_ms"], 1e-3), 2)
    out["floor_ratio_bridge"] = round(out["floor_bridge_median_ms"] / max(out["native_bridge_median_ms"], 1e-3), 2)
    out["floor_breakdown_ms"] = {m: med(floor, m) for m in out["ccd_breakdown_ms"]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 calls per path instead of 50")
    parser.add_argument("--calls", type=int)
    parser.add_argument("--versions", default=" ".join(SUPPORTED), help="Asterisk versions, e.g. '16 22'")
    args = parser.parse_args()
    setup_logging("console", "warning")
    calls = args.calls or (10 if args.quick else 50)
    run_and_emit("call_setup", run(calls, args.versions.split()), {"calls": calls},
                 ("ccd_offer_median_ms", "native_offer_median_ms", "ccd_bridge_median_ms",
                  "native_bridge_median_ms", "ratio_offer", "ratio_bridge", "ratio_offer_16",
                  "ratio_bridge_16", "ratio_offer_22", "ratio_bridge_22"))


if __name__ == "__main__":
    main()
