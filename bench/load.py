"""Load held: simulated callers arrive at a fixed rate into one queue served by simulated
agents, through a real Asterisk and a `ccd run` process; afterwards every call must have
an outcome (answered, abandoned, overflow): lost = offered - those, and must be 0.

``--sip``: callers come in over a PJSIP trunk and agents are PJSIP phones, all played by SIPp
with RTP (ccd.sandbox.sip); callers hang up 8 s after entering. CCD_BENCH_PROFILE=<file> runs ccd under cProfile
(CPU time, the measured window only, from SIGUSR1 to SIGUSR2: bench/profiled_ccd.py). ``--no-eventfilter`` runs
with ccd's AMI user unfiltered (every event of its classes), for the before/after figure.
``--app floor`` runs, instead of ccd, the least any ARI-based ACD can do (ccd/sandbox/ari_floor.py)
as the Stasis application in its own process, measured the same way: its figures are floor_*
instead of ccd_* (floor_cpu_ms_per_call: the floor under ccd_cpu_ms_per_call). ``--app floor-lean``:
the same with ccd's lean HTTP client (ccd/ari/lean_http.py) for REST instead of aiohttp's.

Last line: {"bench": "load", "app", "mode", "asterisk", "eventfilter", "rate_per_s", "seconds",
"agents", "offered", "answered", "abandoned", "lost", "ccd_cpu_pct", "ccd_idle_cpu_pct",
"ccd_cpu_ms_per_call", "ccd_rss_mb"}. ccd_cpu_ms_per_call = ccd's CPU (user + system) from the first call until every
call has an outcome, less its idle rate measured for 5 s before (ccd_idle_cpu_pct), divided by
the calls answered: the marginal cost of one routed call, which says how far one ccd scales.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg

from ccd.sandbox.ami_probe import AmiProbe
from ccd.sandbox.asterisk import AsteriskInstance, free_port
from ccd.sandbox.bench_support import run_and_emit, scratch_dir, temp_database
from ccd.sandbox.sip import Sipp, check_started, render_pjsip, tone_file, uac_scenario, uas_scenario
from ccd.sandbox.toml_out import dumps

CLK = os.sysconf("SC_CLK_TCK")
IDLE_S = 5.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK  # utime + stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def endpoint(i: int, sip: bool) -> str:
    return f"PJSIP/A{i:03d}" if sip else AsteriskInstance.agent_endpoint(f"A{i:03d}", 0.5, 2 + i % 4)


def config(ast: AsteriskInstance, dsn: str, base: Path, agents: int, port: int, sip: bool) -> dict[str, Any]:
    return {
        "log_format": "json", "log_level": "warning",
        "ami": {"port": ast.ami_port, "secret": ast.ami_secret},
        "ari": {"url": ast.ari_url, "password": ast.ari_password},
        "database": {"dsn": dsn, "spool_dir": str(base / "spool")},
        "http": {"listen": f"127.0.0.1:{port}", "tokens": [{"name": "bench", "role": "admin", "token": "bench"}]},
        "teams": [{"name": "t"}],
        "agents": [{"id": f"A{i:03d}", "seniority": ("senior", "regular", "trainee")[i % 3], "teams": ["t"],
                    "endpoint": endpoint(i, sip)}
                   for i in range(agents)],
        "queues": [{"name": "load", "teams": ["t"], "wrapup": 0.5, "ring_timeout": 10, "widen_after": 2}],
    }


async def http_post(port: int, path: str) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer bench\r\nContent-Length: 0\r\n"
                 "Connection: close\r\n\r\n".encode())
    await writer.drain()
    await reader.read()
    writer.close()


async def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Wait on the fact (ccd's HTTP port accepts), not a fixed delay: this machine may be busy."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"ccd exited with {proc.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def start_floor(ast: AsteriskInstance, endpoints: list[str], lean: bool, log: Path) -> subprocess.Popen[bytes]:
    """The ARI floor as ccd's Stasis application, in its own process; back once it is connected."""
    proc = subprocess.Popen([sys.executable, "-m", "ccd.sandbox.ari_floor", "--url", ast.ari_url, "--user", ast.ari_user,
                             "--password", ast.ari_password, "--app", AsteriskInstance.ari_app,
                             "--endpoints", *endpoints, *(["--lean"] if lean else [])],
                            stdout=subprocess.PIPE, stderr=open(log, "wb"))
    if await floor_line(proc) != "ready":
        raise RuntimeError("the ARI floor did not start")
    return proc


async def floor_line(proc: subprocess.Popen[bytes], timeout: float = 60.0) -> str:
    assert proc.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), timeout)
    if not line:
        raise RuntimeError(f"the ARI floor exited with {proc.wait(10)}")
    return line.decode().strip()


async def floor_outcomes(proc: subprocess.Popen[bytes]) -> dict[str, int]:
    """The floor's answered and abandoned calls: it prints them on SIGUSR1."""
    proc.send_signal(signal.SIGUSR1)
    status = json.loads(await floor_line(proc))
    return {"answered": status["answered"], "abandoned": status["abandoned"]}


async def drain_forever(probe: AmiProbe) -> None:
    while True:
        await probe.read_message()


def start_sip(base: Path, agents: int) -> tuple[str, int, list[Sipp]]:
    """pjsip.conf for the trunk and the agent phones, and the SIPp UAS that answers for them."""
    sip_port, agents_port = free_port(), free_port()
    conf = render_pjsip(sip_port, [f"A{i:03d}" for i in range(agents)], agents_port)
    uas = Sipp.start(base, "agents", uas_scenario(tone_file(base, 800), answer_ms=500), agents_port,
                     rtp_base=30000)
    check_started(uas)
    return conf, sip_port, [uas]


async def run(rate: float, seconds: float, agents: int, sip: bool, eventfilter: bool, app: str = "ccd") -> dict[str, Any]:
    base = scratch_dir("ccd-bench-load-")
    pjsip_conf, sip_port, sipps = start_sip(base, agents) if sip else ("", 0, [])
    ast = AsteriskInstance(base / "ast", pjsip_conf=pjsip_conf, ami_eventfilter=eventfilter)
    ast.start()
    proc: subprocess.Popen[bytes] | None = None
    try:
        async with temp_database("ccd_bench_load") as dsn:
            port = free_port()
            (base / "ccd.toml").write_text(dumps(config(ast, dsn, base, agents, port, sip)))
            profile_out = os.environ.get("CCD_BENCH_PROFILE") if app == "ccd" else None
            ccd = [str(Path(__file__).with_name("profiled_ccd.py")), profile_out] if profile_out else ["-m", "ccd"]
            if app != "ccd":
                proc = await start_floor(ast, [endpoint(i, sip) for i in range(agents)], app == "floor-lean",
                                         base / "floor.log")
            else:
                proc = subprocess.Popen([sys.executable, *ccd, "run", "-c", str(base / "ccd.toml")],
                                        stdout=open(base / "ccd.log", "wb"), stderr=subprocess.STDOUT)
                await wait_listening(port, proc)
                for i in range(agents):
                    await http_post(port, f"/api/agents/A{i:03d}/login")
            probe = await AmiProbe.connect(ast.ami_host, ast.ami_port, ast.sim_ami_user, ast.sim_ami_secret)
            # Only action responses on this connection, and read them all: Asterisk drops a
            # manager session whose socket stops draining.
            await probe.send({"Action": "Events", "EventMask": "off"})
            drain = asyncio.create_task(drain_forever(probe))
            await asyncio.sleep(1.0)
            # ccd's own background cost with no call (pings, projections, metrics): measured
            # first so the per-call figure is the marginal cost of a call.
            idle0, i0 = cpu_seconds(proc.pid), time.monotonic()
            await asyncio.sleep(IDLE_S)
            idle_rate = (cpu_seconds(proc.pid) - idle0) / (time.monotonic() - i0)
            if profile_out:
                proc.send_signal(signal.SIGUSR1)  # the profile covers the measured window only
            cpu0, t0, peak_rss = cpu_seconds(proc.pid), time.monotonic(), 0.0
            placed = 0
            if sip:
                placed = int(rate * seconds)
                callers = uac_scenario("trunk", "55[call_number]", tone_file(base, 400), 8000)
                sipps.append(Sipp.start(base, "callers", callers, free_port(), target=f"127.0.0.1:{sip_port}",
                                        service="load", calls=placed, rate=rate, rtp_base=40000))
            while (elapsed := time.monotonic() - t0) < seconds:
                due = int(elapsed * rate) + 1
                while not sip and placed < due:
                    placed += 1
                    await probe.send({
                        "Action": "Originate", "Channel": AsteriskInstance.caller_channel("load", f"55{placed:06d}"),
                        "Context": "sim-phone", "Exten": AsteriskInstance.phone_exten(hangup_after=60),
                        "Priority": "1", "Async": "true", "ActionID": f"o{placed}",
                    })
                peak_rss = max(peak_rss, rss_mb(proc.pid))
                await asyncio.sleep(0.02)
            cpu_pct = (cpu_seconds(proc.pid) - cpu0) / (time.monotonic() - t0) * 100
            # Drain: wait until every call has an outcome (bounded).
            conn = await asyncpg.connect(dsn)
            counts: dict[str, int] = {}
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                peak_rss = max(peak_rss, rss_mb(proc.pid))
                if app != "ccd":
                    counts = await floor_outcomes(proc)
                else:
                    rows = await conn.fetch("SELECT coalesce(outcome, 'open') AS o, count(*) AS n FROM call_records GROUP BY 1")
                    counts = {r["o"]: r["n"] for r in rows}
                if sum(counts.values()) >= placed and counts.get("open", 0) == 0 and \
                        counts.get("answered", 0) + counts.get("abandoned", 0) + counts.get("overflow", 0) >= placed:
                    break
                await asyncio.sleep(1.0)
            cpu_call_s = cpu_seconds(proc.pid) - cpu0 - idle_rate * (time.monotonic() - t0)
            if profile_out:
                proc.send_signal(signal.SIGUSR2)
            await conn.close()
            drain.cancel()
            await probe.close()
            offered = placed
            answered, abandoned = counts.get("answered", 0), counts.get("abandoned", 0)
            done = answered + abandoned + counts.get("overflow", 0) + counts.get("timeout", 0)
            figs = {"app": app, "mode": "sip" if sip else "local", "asterisk": ast.build.major, "eventfilter": eventfilter,
                    "rate_per_s": rate, "seconds": seconds, "agents": agents, "offered": offered,
                    "answered": answered, "abandoned": abandoned, "lost": offered - done,
                    "ccd_cpu_pct": round(cpu_pct, 1), "ccd_idle_cpu_pct": round(idle_rate * 100, 2),
                    "ccd_cpu_ms_per_call": round(cpu_call_s * 1000 / max(answered, 1), 2),
                    "ccd_rss_mb": round(peak_rss, 1)}
            # The floor's figures are the floor process's, named for it.
            return figs if app == "ccd" else {k.replace("ccd_", "floor_", 1): v for k, v in figs.items()}
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
        for sipp in sipps:
            sipp.stop()
        ast.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5 calls/s for 10 s with 20 agents")
    parser.add_argument("--rate", type=float)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--agents", type=int)
    parser.add_argument("--sip", action="store_true", help="SIPp trunk callers and PJSIP agent phones")
    parser.add_argument("--no-eventfilter", action="store_true", help="ccd's AMI user sees every event")
    parser.add_argument("--app", choices=("ccd", "floor", "floor-lean"), default="ccd",
                        help="the Stasis application measured: ccd, or the ARI floor instead (floor_* figures)")
    args = parser.parse_args()
    rate = args.rate or (5.0 if args.quick else 10.0)
    seconds = args.seconds or (10.0 if args.quick else 60.0)
    agents = args.agents or (20 if args.quick else 60)
    who = "ccd" if args.app == "ccd" else "floor"
    run_and_emit("load", run(rate, seconds, agents, args.sip, not args.no_eventfilter, args.app),
                 {"app": args.app, "rate_per_s": rate, "seconds": seconds, "agents": agents},
                 ("offered", "answered", "abandoned", "lost", f"{who}_cpu_pct", f"{who}_idle_cpu_pct",
                  f"{who}_cpu_ms_per_call", f"{who}_rss_mb"))


if __name__ == "__main__":
    main()
