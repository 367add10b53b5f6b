"""Supervision: listen, whisper and barge on an agent's live call (ARI snoop + bridges),
with an ACL, DTMF mode switches, training-mode mentors and an audit trail."""
