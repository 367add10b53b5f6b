"""Run ``python -m ccd ...`` under a profiler for bench/load.py's CCD_BENCH_PROFILE.

Switched on by SIGUSR1 and off by SIGUSR2, which the bench sends when its measured window
opens and closes, so start-up and shutdown stay out of the figures; the result is written
when ccd exits. ``OUT.prof``: cProfile counting CPU time (``time.process_time``), not wall
time, since waits in epoll and preemption by other processes on a shared machine would
otherwise dominate. ``OUT.txt``: pyinstrument's sampled call tree (far less overhead; it is
not a dependency of ccd: ``pip install pyinstrument`` into the venv first).

Usage: profiled_ccd.py OUT.prof|OUT.txt run -c ccd.toml
"""

from __future__ import annotations

import cProfile
import runpy
import signal
import sys
import time
from collections.abc import Callable


def profiler(out: str) -> tuple[Callable[[], object], Callable[[], object], Callable[[], None]]:
    """(start, stop, save) for the profiler that ``out``'s suffix names."""
    if out.endswith(".txt"):
        from pyinstrument import Profiler  # optional, bench only: not a dependency of ccd

        sampler = Profiler(interval=0.0005, async_mode="disabled")

        def save_tree() -> None:
            if sampler.is_running:
                sampler.stop()
            if sampler.last_session is not None:
                with open(out, "w") as f:
                    f.write(sampler.output_text(unicode=False, color=False, show_all=False))

        return sampler.start, sampler.stop, save_tree
    prof = cProfile.Profile(time.process_time)

    def save_stats() -> None:
        prof.disable()
        prof.dump_stats(out)

    return prof.enable, prof.disable, save_stats


def main() -> None:
    out, args = sys.argv[1], sys.argv[2:]
    start, stop, save = profiler(out)
    signal.signal(signal.SIGUSR1, lambda _s, _f: start())
    signal.signal(signal.SIGUSR2, lambda _s, _f: stop())
    sys.argv = ["ccd", *args]
    try:
        runpy.run_module("ccd", run_name="__main__", alter_sys=True)
    finally:
        save()


if __name__ == "__main__":
    main()
