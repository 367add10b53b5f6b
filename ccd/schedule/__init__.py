"""Shift plans and rosters from the staffing need (pure models apart from the shells).

``core/`` is pure (models, planner, roster, coverage, exports); beside it ``service`` (the
solver run on history), ``store`` (PostgreSQL), ``routes`` (``/api/schedule/...``), ``cli``."""
