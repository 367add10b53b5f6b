"""The HTTP API: health, readiness, Prometheus metrics and the JSON API."""
