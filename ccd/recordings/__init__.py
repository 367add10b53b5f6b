"""Call recording: per-queue bridge recordings, their files by date, retention, search and
supervised playback (see DESIGN.md and the "Recording" facts in ASTERISK.md)."""
