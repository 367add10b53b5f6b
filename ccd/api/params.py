"""Query parameters: one validation helper and the period every report and search takes.

Each limit a handler enforces is a constraint on the pydantic model, so /api/openapi.json
documents it (the document is generated from these models) and a bad value is a 400.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ccd.errors import BadRequest
from ccd.store.buckets import YEARS, check_period

M = TypeVar("M", bound=BaseModel)
# Free text that reaches SQL: bounded, printable (PostgreSQL refuses NUL in text).
Text = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")]
ISO_HINT = f"ISO 8601 date or date-time (year {YEARS[0]}..{YEARS[1]}); without an offset: the configured zone"


def reasons(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())


def query(request: web.Request, model: type[M]) -> M:
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise BadRequest(reasons(exc)) from exc


class Period(BaseModel):
    """[from, to): the window of a report or search."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    start: datetime = Field(alias="from", description=ISO_HINT)
    end: datetime = Field(alias="to", description=f"exclusive, after from; {ISO_HINT}")

    @model_validator(mode="after")
    def _sane(self) -> Any:
        check_period(self.start, self.end)  # ValueError -> 400 with the reason
        return self
