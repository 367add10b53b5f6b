"""ccd's one error hierarchy.

Every error ccd raises on purpose is a ``CcdError``: it carries a stable ``error_id`` in the
``area.reason`` style (``supervision.supervisor_busy``, ``store.unavailable``, ``ari.not_found``),
an HTTP ``status`` hint the API maps it to, and optional ``details`` (a JSON-able mapping the
API returns beside the message). The generic API refusals below keep their historical,
documented ids (``bad_request``, ``not_found``, ...): clients script against them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class CcdError(Exception):
    error_id = "ccd.error"
    status = 500

    def __init__(self, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})


class BadRequest(CcdError):
    error_id = "bad_request"
    status = 400


class Unauthorized(CcdError):
    error_id = "unauthorized"
    status = 401


class Forbidden(CcdError):
    error_id = "forbidden"
    status = 403


class NotFound(CcdError):
    error_id = "not_found"
    status = 404


class Conflict(CcdError):
    error_id = "conflict"
    status = 409


class Unavailable(CcdError):
    error_id = "unavailable"
    status = 503


class TooLarge(CcdError):
    error_id = "too_large"
    status = 413


class RangeNotSatisfiable(CcdError):
    error_id = "range_not_satisfiable"
    status = 416


class Timeout(CcdError):
    error_id = "timeout"
    status = 504
