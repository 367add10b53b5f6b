"""A private Asterisk for tests, benchmarks and the demo (not used in production)."""
