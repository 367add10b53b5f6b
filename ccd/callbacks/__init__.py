"""Callbacks that keep the caller's place in line (issue 16).

Pure cores (no clock reads, no I/O; time is an argument): ``hours`` (business-hours
calendar), ``numbers`` (validate a number to call back), ``book`` (the pending callbacks of
every queue, their order, limits, retries and expiry) and ``offer`` (the caller's DTMF
dialogue). ``store`` keeps the book durable in PostgreSQL.
"""
