"""Shared fixtures: the real Asterisk and PostgreSQL harness plugins."""

pytest_plugins = [
    "tests.harness.ci_rules",
    "tests.harness.asterisk",
    "tests.harness.postgres",
    "tests.harness.ccd",
    "tests.harness.ari_link",
    "tests.harness.browser",
]
