"""The pure core of ``ccd.callbacks``: synchronous, no I/O, no clock reads (time is an argument)."""
