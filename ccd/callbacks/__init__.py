"""Callbacks that keep the caller's place in line (issue 16; docs/callbacks.md).

Pure cores in ``core/`` (no clock reads, no I/O; time is an argument): ``hours`` (business-hours
calendar), ``numbers`` (validate a number to call back), ``book`` (the open callbacks of
every queue: order, limits, retries, expiry), ``offer`` (the caller's DTMF dialogue),
``attempt`` (one delivery attempt) and ``settings`` (the config section). Shells: ``store``
(PostgreSQL), ``service`` (the book made durable, events on the bus), ``ari_offer`` /
``ari_attempt`` (Asterisk), ``delivery`` (attempts back into the book), ``offers`` (when a
waiting caller hears the offer), ``line`` (a callback's place in the ACD engine's line),
``metrics`` (/metrics), ``routes`` (HTTP) and ``wire`` (the one wiring function the daemon calls).
"""
