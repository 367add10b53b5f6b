"""Shift plans and rosters from the staffing need (pure models apart from the shells)."""
