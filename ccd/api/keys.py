"""What one middleware or handler leaves on a request for another (aiohttp request storage,
typed keys): set by the console's sign-in or the bearer check, read by any feature's routes."""

from __future__ import annotations

from aiohttp import web

from ccd.api.auth import Principal

PRINCIPAL = web.RequestKey("principal", Principal)  # who acts, once authorised (for the audit)
SIGNED_IN = web.RequestKey("console_principal", Principal)  # a console session's person
VIA = web.RequestKey("via", str)  # "console" for a signed-in browser; absent for a bearer token
MAY_DOWNLOAD = web.RequestKey("may_download", bool)  # a console user allowed to save recordings


def actor_of(request: web.Request, who: Principal) -> str:
    """The audit's actor: ``console:NAME`` for a person signed in to the console, else
    ``token:NAME`` for the bearer token."""
    return f"{'console' if request.get(VIA) == 'console' else 'token'}:{who.name}"
