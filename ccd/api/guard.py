"""What stands between every request and the handlers: bad input and failures become JSON
errors with a stable ``error`` id and a reason (never a traceback, never a bare 500), each
logged once through structlog, and every response carries the same safe headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiohttp import web

from ccd.errors import BadRequest, CcdError, Timeout, TooLarge, Unavailable
from ccd.log import get_logger

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Respond = Callable[[CcdError], web.Response]
MAX_JSON_DEPTH = 32
log = get_logger("ccd.api")


def check_no_nul(request: web.Request) -> None:
    """PostgreSQL text cannot hold NUL: refuse it in any path or query parameter up front."""
    for where, items in (("path", request.match_info.items()), ("query", request.query.items())):
        for name, value in items:
            if "\x00" in name or "\x00" in value:
                raise BadRequest(f"{where} parameter {name!r}: NUL byte is not allowed".replace("\x00", "\\0"))


def json_depth(text: str) -> int:
    """How deeply arrays/objects nest in JSON ``text`` (strings skipped), in one linear pass —
    checked before parsing so a deep body cannot exhaust the recursion limit."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def classify(exc: BaseException) -> CcdError | None:
    """Known failures below the handlers, as the error a client should see (None: a bug)."""
    if isinstance(exc, TimeoutError | asyncpg.QueryCanceledError):
        return Timeout("the request took longer than its time limit (a narrower report may help)")
    if isinstance(exc, asyncpg.DataError | asyncpg.UntranslatableCharacterError):
        return BadRequest(f"a value was refused by the database: {type(exc).__name__}")
    if isinstance(exc, OSError | asyncpg.PostgresConnectionError | asyncpg.InterfaceError
                  | asyncpg.TooManyConnectionsError | asyncpg.CannotConnectNowError):
        return Unavailable(f"database unavailable: {type(exc).__name__}")
    if isinstance(exc, RecursionError):
        return BadRequest("input nests too deeply")
    if isinstance(exc, UnicodeError):  # e.g. a lone surrogate from a bad percent-escape
        return BadRequest("a value is not valid UTF-8 text")
    return None


def middleware(respond: Respond) -> Any:
    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            check_no_nul(request)
            return await handler(request)
        except CcdError as err:
            return _logged(request, err, respond)
        except web.HTTPException as exc:  # aiohttp's own 404/405/413: JSON like every other error
            if exc.status < 400:
                raise
            http_err = TooLarge(exc.reason) if exc.status == 413 else CcdError(exc.reason)
            http_err.status, http_err.error_id = exc.status, exc.reason.lower().replace(" ", "_")
            resp = _logged(request, http_err, respond)
            resp.headers.update({k: v for k, v in exc.headers.items() if k.lower() == "allow"})
            return resp
        except Exception as exc:
            known = classify(exc)
            if known is not None:
                return _logged(request, known, respond, cause=exc)
            log.error("api.internal_error", method=request.method, path=request.path, exc_info=exc)
            internal = CcdError("internal error (logged)")
            internal.error_id = "internal"
            return respond(internal)

    return errors


def _logged(request: web.Request, err: CcdError, respond: Respond, cause: BaseException | None = None) -> web.Response:
    level = log.warning if err.status >= 500 else log.info
    level("api.error", method=request.method, path=request.path, status=err.status, error=err.error_id,
          reason=err.message, cause=type(cause).__name__ if cause else None)
    return respond(err)


async def safe_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: no version disclosure, no MIME sniffing (also for files and 404s)."""
    response.headers["Server"] = "ccd"
    response.headers["X-Content-Type-Options"] = "nosniff"
