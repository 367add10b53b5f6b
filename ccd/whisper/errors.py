"""Supervision's refusals, as the API returns them (``supervision.<reason>`` with details)."""

from __future__ import annotations

from ccd.errors import CcdError


class Refused(CcdError):
    """A start request that is not allowed (``denied``: 403, the ACL said no) or not possible
    now (409: the supervisor is busy, the agent is on no call). Its id names the reason,
    ``supervision.<reason>``; its details name the supervisor and the agent."""

    def __init__(self, reason: str, denied: bool, supervisor: str, agent: str) -> None:
        what = "may not supervise" if denied else "cannot supervise now"
        super().__init__(f"supervisor {supervisor!r} {what} {agent!r}: {reason}",
                         {"reason": reason, "supervisor": supervisor, "agent": agent})
        self.reason, self.denied = reason, denied
        self.error_id = f"supervision.{reason}"
        self.status = 403 if denied else 409
