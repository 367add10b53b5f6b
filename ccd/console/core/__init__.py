"""The pure core of ``ccd.console``: synchronous, no I/O, no clock reads (time is an argument)."""
