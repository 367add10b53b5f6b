"""The pure core of ``ccd.rating_ivr``: synchronous, no I/O, no clock reads (time is an argument)."""
