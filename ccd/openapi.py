"""The OpenAPI 3 document served at /api/openapi.json.

Operations are written here by hand; request bodies and query parameters come from the
pydantic models the handlers validate with, so the document cannot drift from validation.
The document is built per request from the app's router: a route another module adds
without an entry here still appears (with a generic description), and a unit test insists
that every shipped route has a real entry.

It describes every feature's routes, so it sits beside the composition root (ccd.daemon),
above the features, and imports their request models directly; ccd.api imports it not.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel

from ccd.api.app import Api, EmptyBody, json_response
from ccd.api.report_routes import ReportQuery
from ccd.callbacks.routes import CallbackQuery
from ccd.events.schema import event_schemas
from ccd.queues.routes import PauseBody
from ccd.rating_ivr.routes import RatingsQuery
from ccd.recordings.routes import SearchQuery
from ccd.schedule import routes as schedule
from ccd.staffing.routes import StaffingQuery
from ccd.whisper.api import ModeBody, StartBody

Json = dict[str, Any]
IDENT = {"type": "string", "pattern": r"^[A-Za-z0-9_.-]{1,64}$"}
ERROR = {"$ref": "#/components/schemas/Error"}
STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "Done (no content)",
               400: "Invalid request (the message says what is wrong)",
               401: "Missing or invalid bearer token", 403: "Role or team scope does not allow this",
               404: "No such resource",
               409: "Conflicts with the current state (e.g. supervision.supervisor_busy, with details)",
               413: "Body larger than 64 KiB", 416: "Range not satisfiable (one range only; bytes=-0 asks for nothing)",
               500: "Internal error (logged on the server; error: internal)", 503: "Not ready or unavailable",
               504: "Took longer than its time limit (e.g. a report query cancelled by the database)"}
OPEN: list[Json] = [{}, {"bearerAuth": []}]  # open by default ([http] open_health / open_metrics), token otherwise

AGENT_VIEW = {"type": "object", "required": ["agent_id", "state"], "properties": {
    "agent_id": {"type": "string"}, "name": {"type": "string"},
    "state": {"enum": ["logged_out", "available", "ringing", "on_call", "wrap_up", "paused"]},
    "reason": {"type": ["string", "null"]}, "since": {"type": ["number", "null"]},
    "current_call": {"type": ["string", "null"]}, "calls_handled": {"type": "integer"},
    "missed_total": {"type": "integer"}, "teams": {"type": "array", "items": {"type": "string"}}}}
QUEUE_VIEW = {"type": "object", "required": ["waiting", "longest_wait_s"], "properties": {
    "waiting": {"type": "integer"}, "longest_wait_s": {"type": "number"},
    "available_agents": {"type": "integer"}, "logged_in_agents": {"type": "integer"},
    "calls": {"type": "array", "items": {"type": "object", "properties": {
        "call_id": {"type": "string"}, "wait_s": {"type": "number"}, "priority": {"type": "integer"},
        "status": {"enum": ["waiting", "reserved", "ringing"]}, "offered_to": {"type": ["string", "null"]},
        "attempts": {"type": "integer"}}}}}}
ACCEPTED = {"type": "object", "required": ["agent_id", "action", "accepted"], "properties": {
    "agent_id": {"type": "string"}, "action": {"type": "string"}, "accepted": {"const": True}}}
SESSION = {"type": "object", "properties": {
    "session_id": {"type": "string"}, "supervisor": {"type": "string"}, "agent_id": {"type": "string"},
    "state": {"type": "string"}, "mode": {"enum": ["listen", "whisper", "barge"]},
    "call_id": {"type": ["string", "null"]}, "queue": {"type": ["string", "null"]},
    "duration_s": {"type": ["number", "null"]}}}
ANY_JSON: Json = {}
REPORT_CONTENT = {"application/json": {"schema": ANY_JSON}, "text/csv": {"schema": {"type": "string"}}}


def model_schema(model: type[BaseModel]) -> Json:
    """A pydantic model as an inline schema (OpenAPI 3.1 is JSON Schema 2020-12)."""
    schema = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return schema


def query_params(model: type[BaseModel]) -> list[Json]:
    schema = model_schema(model)
    required = set(schema.get("required", ()))
    return [{"name": name, "in": "query", "required": name in required, "schema": prop}
            for name, prop in schema.get("properties", {}).items()]


def op(summary: str, role: str | None, ok: int = 200, ok_schema: Json | None = None, *, errors: tuple[int, ...] = (),
       body: type[BaseModel] | None = None, body_required: bool = True, params: list[Json] | None = None,
       content: Json | None = None) -> Json:
    responses: Json = {str(ok): {"description": STATUS_TEXT[ok]}}
    if ok != 204:
        responses[str(ok)]["content"] = content or {"application/json": {"schema": ok_schema or ANY_JSON}}
    db = (504,) if role and 503 in errors else ()  # what reads the database can run out of time
    for status in (*((400, 401, 403) if role else ()), *errors, *db, *((413,) if body else ()), 500):
        responses[str(status)] = {"description": STATUS_TEXT[status],
                                  "content": {"application/json": {"schema": ERROR}}}
    out: Json = {"summary": summary, "responses": responses}
    if role:
        out["description"] = f"Needs a bearer token with role {role} or higher."
    else:
        out["security"] = OPEN
    if body is not None:
        out["requestBody"] = {"required": body_required,
                              "content": {"application/json": {"schema": model_schema(body)}}}
    if params:
        out["parameters"] = params
    return out


def operations() -> dict[tuple[str, str], Json]:
    agent = [{"name": "agent_id", "in": "path", "required": True, "schema": IDENT}]
    session = [{"name": "session_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    call = [{"name": "call_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    ops: dict[tuple[str, str], Json] = {
        ("GET", "/healthz"): op("Liveness: the process answers", None, ok_schema={"type": "object"}, errors=(401,)),
        ("GET", "/readyz"): op("Readiness: AMI, ARI, database and first resync are up", None,
                               ok_schema={"type": "object", "properties": {"ready": {"type": "boolean"}}},
                               errors=(401, 503)),
        ("GET", "/metrics"): op("Prometheus exposition", None, errors=(401,),
                                content={"text/plain": {"schema": {"type": "string"}}}),
        ("GET", "/api/openapi.json"): op("This document", "viewer", ok_schema={"type": "object"}),
        ("GET", "/api/queues"): op("Live queue state", "viewer",
                                   ok_schema={"type": "object", "additionalProperties": QUEUE_VIEW}),
        ("GET", "/api/agents"): op("Live agent state (a supervisor sees the agents of their teams)", "viewer",
                                   ok_schema={"type": "array", "items": AGENT_VIEW}),
        ("GET", "/api/reports"): op("KPI report (as `ccd report`); a viewer token gets queue and interval rows only",
                                    "viewer", params=query_params(
            ReportQuery), content=REPORT_CONTENT, errors=(503,)),
        ("GET", "/api/ratings"): op("Rating statistics (as `ccd ratings`)", "viewer", params=query_params(
            RatingsQuery), content=REPORT_CONTENT, errors=(503,)),
        ("GET", "/api/staffing"): op("Erlang C staffing forecast (as `ccd staffing`)", "viewer", params=query_params(
            StaffingQuery), ok_schema={"type": "array"}, errors=(503,)),
        **schedule_operations(),
        ("GET", "/api/supervision"): op("Live supervision sessions of your teams", "supervisor",
                                        ok_schema={"type": "array", "items": SESSION}),
        ("POST", "/api/supervision"): op("Start listen / whisper / barge: ccd rings the supervisor; a refusal is "
                                         "audited before the reply", "supervisor",
                                         201, SESSION, errors=(404, 409),
                                         body=StartBody),
        ("POST", "/api/supervision/{session_id}/mode"): op("Switch a session's mode (also while it rings or waits for "
                                                           "a call): audited before the reply", "supervisor",
                                                           ok_schema=SESSION, errors=(404, 409), params=session,
                                                           body=ModeBody),
        ("DELETE", "/api/supervision/{session_id}"): op("Stop a session", "supervisor", ok_schema=SESSION,
                                                        errors=(404, 409), params=session),
        # Call recordings (ccd.recordings): supervisors hear their teams' agents, admins all.
        ("GET", "/api/recordings"): op("Search call recordings by period, queue, agent, caller, rating",
                                       "supervisor", params=query_params(SearchQuery),
                                       ok_schema={"type": "array"}, errors=(503,)),
        ("GET", "/api/recordings/{call_id}"): op("One call recording's metadata", "supervisor", params=call,
                                                 errors=(404, 503)),
        ("GET", "/api/recordings/{call_id}/audio"): op(
            "A call recording's audio (Range requests answer 206); every fetch is audited", "supervisor",
            params=call, errors=(404, 416, 503),
            content={f"audio/{t}": {"schema": {"type": "string", "format": "binary"}}
                     for t in ("wav", "ogg", "x-gsm")}),
    }
    ops.update(callback_operations())
    ready = ops[("GET", "/readyz")]["responses"]
    ready["503"]["content"] = ready["200"]["content"]  # the same parts, with the one that is down
    for action, summary, model in (("login", "Log the agent in", EmptyBody),
                                   ("logout", "Log the agent out (after the current call)", EmptyBody),
                                   ("pause", "Pause the agent with a reason", PauseBody),
                                   ("unpause", "End the agent's pause", EmptyBody)):
        ops[("POST", f"/api/agents/{{agent_id}}/{action}")] = op(
            summary, "supervisor", 202, ACCEPTED, errors=(404,), params=agent, body=model,
            body_required=model is PauseBody)
    return ops


def callback_operations() -> dict[tuple[str, str], Json]:
    """Callbacks (ccd.callbacks.routes, docs/callbacks.md)."""
    queue = [{"name": "queue", "in": "path", "required": True, "schema": {"type": "string"}}]
    cb = [{"name": "callback_id", "in": "path", "required": True,
           "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,64}$"}}]
    return {
        ("GET", "/api/callbacks"): op("Stored callbacks, newest first, by queue and status", "viewer",
                                      params=query_params(CallbackQuery),
                                      ok_schema={"type": "array"}, errors=(503,)),
        ("GET", "/api/queues/{queue}/callbacks"): op("Open callbacks of a queue in line order, each with its wait",
                                                     "viewer", params=queue, ok_schema={"type": "array"},
                                                     errors=(404, 503)),
        ("DELETE", "/api/callbacks/{callback_id}"): op("Cancel a pending callback", "supervisor", 204, params=cb,
                                                       errors=(404, 409, 503)),
    }


def schedule_operations() -> dict[tuple[str, str], Json]:
    """Shift plans (ccd.schedule.routes, docs/schedule.md)."""
    plan = [{"name": "plan_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    base = "/api/schedule/plans"
    return {
        ("GET", base): op("Stored shift plans, newest first", "viewer", ok_schema={"type": "array"},
                          params=query_params(schedule.QueueQuery), errors=(503,)),
        ("POST", base): op("Forecast, plan and roster from history; stored as a draft version", "supervisor",
                           201, body=schedule.PlanBody, errors=(503,)),
        ("GET", f"{base}/{{plan_id}}"): op("A plan with its shifts", "viewer", params=plan, errors=(404, 503)),
        ("POST", f"{base}/{{plan_id}}/approve"): op("Approve a draft (draft -> approved)", "supervisor",
                                                    params=plan, errors=(404, 409, 503)),
        ("GET", f"{base}/{{plan_id}}/coverage"): op(
            "Coverage vs need per interval", "viewer", errors=(404, 503),
            params=plan + query_params(schedule.CoverageQuery),
            content={"application/json": {"schema": ANY_JSON}, "text/csv": {"schema": {"type": "string"}},
                     "image/svg+xml": {"schema": {"type": "string"}}}),
        ("GET", f"{base}/{{plan_id}}/roster.csv"): op("The roster as CSV", "viewer", params=plan, errors=(404, 503),
                                                      content={"text/csv": {"schema": {"type": "string"}}}),
        ("GET", f"{base}/{{plan_id}}/agents/{{agent}}.ics"): op(
            "One agent's shifts as iCalendar", "viewer", errors=(404, 503),
            params=[*plan, {"name": "agent", "in": "path", "required": True, "schema": IDENT}],
            content={"text/calendar": {"schema": {"type": "string"}}}),
        ("GET", "/api/schedule/need"): op("Agents needed per interval, Erlang C and Erlang A side by side",
                                          "viewer", params=query_params(schedule.NeedQuery), errors=(503,)),
        ("GET", "/api/schedule/backtest"): op("Forecast vs actual: MAPE and bias per weekday and interval",
                                              "viewer", params=query_params(schedule.BacktestQuery),
                                              errors=(503,)),
    }


def routes(app: web.Application) -> list[tuple[str, str]]:
    """(method, path) of every API route, with the agent action route expanded per action."""
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        if route.method == "HEAD" or not path:
            continue
        if path.startswith("/console"):
            continue  # the supervisor console's page and its own endpoints (ccd.console), not the API
        if path == "/api/agents/{agent_id}/{action}":
            found += [(route.method, f"/api/agents/{{agent_id}}/{a}") for a in ("login", "logout", "pause", "unpause")]
        else:
            found.append((route.method, path))
    return found


def document(app: web.Application) -> Json:
    known = operations()
    paths: dict[str, Json] = {}
    for method, path in routes(app):
        entry = known.get((method, path)) or op(f"{method} {path}", "viewer", errors=(404,))
        paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "ccd HTTP API", "version": "1",
                 "description": "Live queue and agent state, agent actions, supervision and reports. "
                                "Errors are JSON: {error, message}."},
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "required": ["error", "message"], "properties": {
                "error": {"type": "string", "description": "stable id: a generic one (bad_request, conflict, ...) "
                          "or area.reason (supervision.supervisor_busy, store.unavailable, ...)"},
                "message": {"type": "string"},
                "details": {"type": "object", "description": "what the refusal is about, when it says more"}}},
                        **event_schemas()},  # the domain events (the console stream, future webhooks)
        },
    }


def handler(api: Api) -> Any:
    async def openapi(request: web.Request) -> web.Response:
        api.principal(request)
        return json_response(document(request.app))

    return openapi


def add_to(app: web.Application, api: Api) -> None:
    app.router.add_get("/api/openapi.json", handler(api))
