"""Callbacks that keep the caller's place in line (issue 16; docs/callbacks.md).

Pure cores (no clock reads, no I/O; time is an argument): ``hours`` (business-hours
calendar), ``numbers`` (validate a number to call back), ``book`` (the open callbacks of
every queue: order, limits, retries, expiry), ``offer`` (the caller's DTMF dialogue) and
``attempt`` (one delivery attempt). Shells: ``store`` (PostgreSQL), ``service`` (the book
made durable, events on the bus), ``ari_offer`` / ``ari_attempt`` (Asterisk), ``delivery``
(attempts back into the book), ``metrics`` (/metrics), ``routes`` (HTTP), ``settings``
(config section).
"""
