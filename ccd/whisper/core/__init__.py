"""The pure core of ``ccd.whisper``: synchronous, no I/O, no clock reads (time is an argument)."""
