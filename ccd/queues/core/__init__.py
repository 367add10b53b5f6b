"""The pure core of ``ccd.queues``: synchronous, no I/O, no clock reads (time is an argument)."""
