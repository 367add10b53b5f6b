"""The ``ccd run`` process around the daemon: SIGTERM/SIGINT stop it gracefully; a service
that dies stops it with exit code 1, so the service manager restarts the process."""

from __future__ import annotations

import asyncio
import signal

import structlog

from ccd.config import CcdConfig
from ccd.daemon import Daemon

log = structlog.get_logger("ccd.daemon")


async def run_daemon(cfg: CcdConfig) -> int:
    daemon = Daemon(cfg)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await daemon.start()
    stopper = loop.create_task(stop.wait())
    failed = loop.create_task(daemon.wait_failed())
    await asyncio.wait({stopper, failed}, return_when=asyncio.FIRST_COMPLETED)
    code = 0
    if failed.done():
        log.error("a ccd task died; stopping", error=repr(failed.result()))
        code = 1
    stopper.cancel()
    failed.cancel()
    await daemon.stop()
    return code
