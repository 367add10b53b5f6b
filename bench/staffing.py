"""Benchmark: Erlang C staffing at scale (300 Erlangs) and a full week's forecast table.

Prints one JSON object as its last line:
  {"bench": "staffing", "erlangs_300_ms": ..., "erlangs_300_agents": ...,
   "erlangs_3000_ms": ..., "week_table_30m_ms": ...}
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ccd.staffing.core.erlang import Target, agents_for_target
from ccd.staffing.core.forecast import SlotStats, build_forecast


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    repeat = 20 if ap.parse_args().quick else 200
    target = Target(0.8, 20, shrinkage=0.3)

    r300 = agents_for_target(300.0, 180.0, target)
    ms300 = _median_ms(lambda: agents_for_target(300.0, 180.0, target), repeat)
    ms3000 = _median_ms(lambda: agents_for_target(3000.0, 180.0, target), max(3, repeat // 10))

    # a busy queue: every half hour of the week carries 20..600 calls
    stats = [SlotStats(wd, s, 4 * (20 + (wd * 48 + s) % 580), 4 * 20, 4 * 20 * 240.0)
             for wd in range(7) for s in range(48)]
    exposure = {(wd, s): 4 for wd in range(7) for s in range(48)}
    weeks = dict.fromkeys(range(7), 4)
    ms_week = _median_ms(lambda: build_forecast(stats, exposure, weeks, 30, target),
                         max(3, repeat // 20))

    print(f"300 E: {r300.agents} agents ({r300.scheduled} scheduled), "
          f"SL {r300.service_level:.4f}", file=sys.stderr)
    print(json.dumps({
        "bench": "staffing",
        "erlangs_300_ms": round(ms300, 4),
        "erlangs_300_agents": r300.agents,
        "erlangs_3000_ms": round(ms3000, 3),
        "week_table_30m_ms": round(ms_week, 2),
    }))


if __name__ == "__main__":
    main()
