"""The pure core of ``ccd.schedule``: synchronous, no I/O, no clock reads (time is an argument)."""
