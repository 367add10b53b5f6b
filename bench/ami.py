"""Benchmark: AMI event parse + dispatch throughput on one core, ccd's layer vs panoramisk's.

Both replay the same recorded AMI traffic (``bench/data/ami_traffic.bin.gz``: raw bytes from
a real Asterisk 16 with ccd's eventmask ``system,call,agent`` plus ``user``, while 24 queue
calls, ring-no-answer calls, hint changes and queue member add/pause/remove went through)
in 4 KiB chunks, as a socket would deliver them:

- bare: panoramisk 1.4's ``AMIProtocol.data_received`` -> ``Manager.dispatch`` with one
  ``'*'`` callback, panoramisk's own loop;
- ccd: ``FrameParser.feed`` -> typed events -> ``Dispatcher.publish``, delivered by the
  dispatcher's task to a consumer subscribed to every AMI event type (one ``sleep(0)`` per
  chunk lets that task run, as a socket read would).

events/s = Event frames in the traffic / seconds (best of several runs); ratio = bare / ccd
(> 1: ccd is slower; goal <= 1.3). ccd parses only the event types it has models for and
skips the rest on their name, so the full-traffic figure flatters it; ``ratio_known_only``
replays only frames of modelled types, where ccd pays the whole typed-model cost.

Prints one JSON object as its last line:
  {"bench": "ami", "ccd_events_per_s": ..., "bare_events_per_s": ..., "ratio": ..., ...}
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from panoramisk.ami_protocol import AMIProtocol
from panoramisk.manager import Manager

from ccd.ami.events import EVENT_TYPES, AmiEvent
from ccd.ami.protocol import FrameParser, PendingActions
from ccd.dispatch import Dispatcher

DATA = Path(__file__).with_name("data") / "ami_traffic.bin.gz"
CHUNK = 4096


class _NullTransport:
    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


class _QuietLog:
    def __getattr__(self, name: str) -> Any:
        return lambda *a, **k: None


def load(known_only: bool) -> tuple[list[bytes], int]:
    frames = [f for f in gzip.decompress(DATA.read_bytes()).split(b"\r\n\r\n") if f]
    events = [f for f in frames if f.startswith(b"Event: ")]
    if known_only:
        events = [f for f in events if f[7:f.find(b"\r\n")].decode() in EVENT_TYPES]
    stream = b"".join(f + b"\r\n\r\n" for f in events)
    return [stream[i:i + CHUNK] for i in range(0, len(stream), CHUNK)], len(events)


async def bare(chunks: list[bytes], rounds: int) -> tuple[float, int]:
    manager = Manager(loop=asyncio.get_running_loop())
    seen = [0]

    def count(_manager: Any, _event: Any) -> None:
        seen[0] += 1

    manager.register_event("*", count)
    proto = AMIProtocol()
    proto.connection_made(_NullTransport())
    proto.factory, proto.encoding = manager, "utf8"
    proto.log.setLevel(logging.WARNING)
    t0 = time.perf_counter()
    for _ in range(rounds):
        for chunk in chunks:
            proto.data_received(chunk)
    return time.perf_counter() - t0, seen[0]


async def ccd(chunks: list[bytes], rounds: int) -> tuple[float, int]:
    dispatcher = Dispatcher(_QuietLog())
    seen = [0]

    def count(_event: AmiEvent) -> None:
        seen[0] += 1

    dispatcher.subscribe(AmiEvent, count)
    dispatcher.start()
    parser = FrameParser(dispatcher, PendingActions())
    t0 = time.perf_counter()
    for _ in range(rounds):
        for chunk in chunks:
            events = parser.feed(chunk)
            if events:
                dispatcher.publish(events)
            await asyncio.sleep(0)
    await dispatcher.drain()
    elapsed = time.perf_counter() - t0
    await dispatcher.close()
    return elapsed, seen[0]


async def measure(known_only: bool, rounds: int, runs: int) -> dict[str, Any]:
    chunks, n_events = load(known_only)
    best_bare = best_ccd = 0.0
    typed = 0
    for _ in range(runs):
        dt, seen = await bare(chunks, rounds)
        assert seen == n_events * rounds, (seen, n_events)
        best_bare = max(best_bare, n_events * rounds / dt)
        dt, typed = await ccd(chunks, rounds)
        best_ccd = max(best_ccd, n_events * rounds / dt)
    return {"events": n_events, "typed": typed // rounds, "bare": best_bare, "ccd": best_ccd}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="a short run")
    quick = ap.parse_args().quick
    rounds, runs = (3, 3) if quick else (20, 7)
    try:
        full = asyncio.run(measure(False, rounds, runs))
        known = asyncio.run(measure(True, rounds * 3, runs))
    except Exception as exc:  # a figure that could not be measured is null, with the reason
        print(json.dumps({"bench": "ami", "ccd_events_per_s": None, "bare_events_per_s": None,
                          "ratio": None, "error": repr(exc)}))
        return
    print(f"traffic: {full['events']} events, {full['typed']} of ccd's types; "
          f"known-only replay: {known['events']} events", file=sys.stderr)
    print(json.dumps({
        "bench": "ami",
        "ccd_events_per_s": round(full["ccd"]),
        "bare_events_per_s": round(full["bare"]),
        "ratio": round(full["bare"] / full["ccd"], 3),
        "ccd_known_only_events_per_s": round(known["ccd"]),
        "bare_known_only_events_per_s": round(known["bare"]),
        "ratio_known_only": round(known["bare"] / known["ccd"], 3),
    }))


if __name__ == "__main__":
    main()
