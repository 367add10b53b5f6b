"""ccd's error hierarchy: each error has a stable ``error_id`` the API maps to a status."""

from __future__ import annotations


class CcdError(Exception):
    error_id = "ccd_error"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
