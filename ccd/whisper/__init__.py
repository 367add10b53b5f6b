"""Supervision: listen, whisper and barge on an agent's live call (ARI snoop + bridges),
with an ACL, DTMF mode switches, training-mode mentors and an audit trail.

``core/`` is pure (the session state machine, the ACL). Beside it the shell: ``service`` (ARI
events in, session commands performed; it finds an agent's call through
``ccd.ports.CallQuery``), ``media`` (snoop channels and bridges), ``api`` (HTTP routes) and
``wire`` (its wiring function)."""
