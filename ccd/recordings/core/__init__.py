"""The pure core of ``ccd.recordings``: synchronous, no I/O, no clock reads (time is an argument)."""
