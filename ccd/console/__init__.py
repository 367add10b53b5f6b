"""The supervisor console: the live floor in a browser, served by the daemon under /console/.

Pure parts: ``passwords`` (scrypt hashes), ``floor`` (today's figures, tiles, rows, alerts),
``i18n`` lives in the shipped JavaScript. Shells: ``sessions`` (PostgreSQL), ``auth`` (cookie
sessions, CSRF), ``stream`` (server-sent events: snapshot at N, deltas from N+1), ``wire``.
"""
