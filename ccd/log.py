"""structlog set-up: JSON lines in production, readable console output on a terminal.

Call id, agent id and queue are bound with ``bind_call`` (contextvars), so every line logged
while handling a call carries them without passing them around.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal, TextIO

import structlog

LogFormat = Literal["auto", "json", "console"]


def setup_logging(fmt: LogFormat = "auto", level: str = "info", stream: TextIO | None = None) -> None:
    """Configure structlog, and route the standard library's loggers (aiohttp, asyncpg, ...)
    through the same processors, so JSON mode prints nothing but JSON lines."""
    out = stream or sys.stderr
    use_console = fmt == "console" or (fmt == "auto" and out.isatty())
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: structlog.types.Processor
    if use_console:
        # plain tracebacks: rich's (structlog's default when installed) prints every frame's
        # locals, secrets among them
        renderer = structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
    else:
        shared.append(structlog.processors.format_exc_info)
        renderer = structlog.processors.JSONRenderer()
    threshold = logging.getLevelNamesMapping()[level.upper()]
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer]))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(threshold)
    # warnings.warn (deprecations from a library, ...) goes to the "py.warnings" logger: one
    # line like any other instead of raw text on stderr.
    logging.captureWarnings(False)  # (re)install over whatever replaced it since a last call
    logging.captureWarnings(True)
    if not use_console:
        # A crash outside any handler (start-up, the event loop itself) is a JSON line too,
        # its traceback a field.
        crash = logging.getLogger("ccd.crash")
        sys.excepthook = lambda kind, exc, tb: crash.critical("unhandled exception", exc_info=(kind, exc, tb))


@contextmanager
def bind_call(
    call_id: str | None = None, agent_id: str | None = None, queue: str | None = None
) -> Iterator[None]:
    """Bind call context to every log line emitted inside the block."""
    values = {k: v for k, v in (("call_id", call_id), ("agent_id", agent_id), ("queue", queue)) if v}
    with structlog.contextvars.bound_contextvars(**values):
        yield


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
