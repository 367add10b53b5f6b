"""AMI errors: typed, with the action and the reason, never the secret."""

from __future__ import annotations

from typing import Any

from ccd.errors import CcdError


class AmiError(CcdError):
    error_id = "ami.error"
    status = 503


class AmiNotConnected(AmiError):
    """No logged-in AMI session right now; the action was not sent."""

    error_id = "ami.not_connected"


class AmiConnectionLost(AmiError):
    """The session ended while the action waited for its response."""

    error_id = "ami.connection_lost"


class AmiTimeout(AmiError):
    error_id = "ami.timeout"

    def __init__(self, action: str, timeout: float) -> None:
        super().__init__(f"AMI action {action} got no response within {timeout:g}s")
        self.action, self.timeout = action, timeout


class AmiActionError(AmiError):
    """Asterisk answered ``Response: Error`` (e.g. no such queue, no such channel)."""

    error_id = "ami.action_failed"
    status = 502

    def __init__(self, action: str, message: str, response: Any = None) -> None:
        super().__init__(f"AMI action {action} failed: {message}")
        self.action, self.reason, self.response = action, message, response


class AmiAuthError(AmiError):
    """Login refused: names the interface, user and server so the admin knows what to fix."""

    error_id = "ami.auth_failed"

    def __init__(self, user: str, host: str, port: int, reason: str) -> None:
        super().__init__(
            f"AMI login failed for user {user!r} at {host}:{port}: {reason} "
            "(check the AMI user and secret in ccd's config and manager.conf)"
        )
        self.user, self.host, self.port, self.reason = user, host, port, reason
