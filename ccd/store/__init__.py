"""Event store: PostgreSQL schema and migrations, the batching writer, KPI reports."""

from ccd.store.migrate import migrate
from ccd.store.overflow import StoreUnavailable
from ccd.store.queries import last_agent
from ccd.store.reports import format_report, kpi_report
from ccd.store.writer import EventWriter

__all__ = ["EventWriter", "StoreUnavailable", "format_report", "kpi_report", "last_agent",
           "migrate"]
