"""The ACD's public language: what other parts may say to the routing engine (``inputs``), what
it answers (``commands``), how a callback's place in its line is named (``places``) and the
hold-time estimate (``hold_time``). Pure and shared: the engine (``ccd/queues/core``) speaks
it, and so do the features that take part in its line (callbacks) without importing the ACD."""
