"""The pure core of ``ccd.staffing``: synchronous, no I/O, no clock reads (time is an argument)."""
