"""ARI errors: HTTP outcomes mapped to exceptions ccd can act on."""

from __future__ import annotations

from ccd.errors import CcdError


class AriError(CcdError):
    """Any ARI failure; ``status`` is the HTTP status (0 when there was no response)."""

    error_id = "ari.error"

    def __init__(self, message: str, status: int = 0, method: str = "", path: str = "") -> None:
        super().__init__(message)
        self.http_status, self.method, self.path = status, method, path

    def __str__(self) -> str:
        where = f" ({self.method} {self.path} -> {self.http_status})" if self.method else ""
        return f"{self.message}{where}"


class AriNotFound(AriError):
    error_id = "ari.not_found"
    status = 404


class ChannelNotFound(AriNotFound):
    """The channel is gone (it hung up meanwhile): usually not an error for ccd."""

    error_id = "ari.channel_not_found"


class BridgeNotFound(AriNotFound):
    error_id = "ari.bridge_not_found"


class AriConflict(AriError):
    """409: e.g. the channel is not in Stasis, or not in that bridge."""

    error_id = "ari.conflict"
    status = 409


class AriUnavailable(AriError):
    """No usable answer: connection refused or reset, timeout, or a 5xx/503."""

    error_id = "ari.unavailable"
    status = 503


class AriAuthError(AriError):
    """401/403: names the interface, user and server, never the password."""

    error_id = "ari.auth_failed"
    status = 503

    def __init__(self, user: str, url: str, status: int) -> None:
        super().__init__(
            f"ARI login failed for user {user!r} at {url} (HTTP {status}); "
            "check the ARI user and password in ccd's config and ari.conf",
            status,
        )
        self.user, self.url = user, url
