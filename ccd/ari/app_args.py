"""The arguments ccd's dialplan passes to ``Stasis(app, ...)``, as ARI lists a channel."""

from __future__ import annotations


def parse_app_args(app_data: str, app: str) -> list[str] | None:
    """`Stasis(ccd,queue,support,5)` shows as app_data "ccd,queue,support,5" in GET /channels."""
    parts = app_data.split(",")
    if not parts or parts[0] != app:
        return None
    return parts[1:]
