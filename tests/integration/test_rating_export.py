"""`ccd ratings` on a seeded period: counts, response rates, averages, distributions and the
ranking match a hand computation."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ccd import events as ev
from ccd.sandbox.toml_out import dumps
from ccd.store.migrate import migrate
from ccd.store.writer import EventWriter

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC).timestamp()
# (call, agent, queue, outcome, score)
SEED = [
    ("c1", "A", "support", "rated", 5),
    ("c2", "A", "support", "rated", 4),
    ("c3", "A", "support", "no_response", None),
    ("c4", "B", "support", "rated", 2),
    ("c5", "B", "support", "abandoned", None),
    ("c6", "A", "sales", "rated", 3),
    ("c7", "B", "sales", "not_offered", None),
]


async def seed(dsn: str, tmp_path: Path) -> None:
    await migrate(dsn)
    writer = EventWriter(dsn, tmp_path / "spool")
    await writer.start()
    for i, (call, agent, queue, outcome, score) in enumerate(SEED):
        t = T0 + i * 60
        writer.submit(ev.event(ev.CALL_QUEUED, t, call_id=call, queue=queue, caller=f"555{i}", priority=0,
                               sticky_agent=None))
        writer.submit(ev.event(ev.CALL_ANSWERED, t + 5, call_id=call, agent_id=agent, queue=queue, wait_s=5.0,
                               sticky=False))
        writer.submit(ev.event(ev.CALL_ENDED, t + 35, call_id=call, agent_id=agent, queue=queue, talk_s=30.0,
                               ended_by="agent"))
        writer.submit(ev.event(ev.RATING_RESULT, t + 40, call_id=call, agent_id=agent, queue=queue,
                               outcome=outcome, score=score, caller=f"555{i}", attempts=0 if outcome == "not_offered" else 1))
    # Outside the period: must not count.
    writer.submit(ev.event(ev.RATING_RESULT, T0 + 86400 * 40, call_id="late", agent_id="A", queue="support",
                           outcome="rated", score=1, caller="5559", attempts=1))
    await writer.stop()


def ratings(config: Path, *extra: str) -> str:
    res = subprocess.run([sys.executable, "-m", "ccd", "ratings", "-c", str(config), "--from", "2026-11-01",
                          "--to", "2026-12-01", *extra], capture_output=True, text=True, check=True)
    return res.stdout


async def test_export_matches_hand_computed_statistics(pg_dsn: str, tmp_path: Path) -> None:
    await seed(pg_dsn, tmp_path)
    config = tmp_path / "ccd.toml"
    config.write_text(dumps({
        "timezone": "Europe/Berlin", "database": {"dsn": pg_dsn},
        "teams": [{"name": "blue"}, {"name": "red"}],
        "agents": [{"id": "A", "endpoint": "PJSIP/a", "teams": ["blue"]},
                   {"id": "B", "endpoint": "PJSIP/b", "teams": ["red"]}],
        "queues": [{"name": "support", "teams": ["blue", "red"]}, {"name": "sales", "teams": ["blue", "red"]}],
    }))
    by_agent = list(csv.DictReader(io.StringIO(ratings(config, "--by", "agent", "--format", "csv",
                                                       "--no-ranking"))))
    a, b = by_agent
    assert (a["agent"], a["offered"], a["rated"], a["no_response"], a["response_rate"], a["average"]) == \
        ("A", "4", "3", "1", "0.75", "4.0")
    assert [a[f"s{i}"] for i in range(1, 6)] == ["0", "0", "1", "1", "1"]
    assert (b["agent"], b["offered"], b["rated"], b["abandoned"], b["not_offered"], b["response_rate"],
            b["average"]) == ("B", "2", "1", "1", "1", "0.5", "2.0")
    doc = json.loads(ratings(config, "--by", "queue", "--format", "json"))
    support = next(g for g in doc["groups"] if g["queue"] == "support")
    assert support["offered"] == 5 and support["rated"] == 3 and support["average"] == pytest.approx(11 / 3, abs=1e-3)
    assert support["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert [(r["rank"], r["agent"]) for r in doc["ranking"]] == [(1, "A"), (2, "B")]
    teams = json.loads(ratings(config, "--by", "team", "--format", "json", "--no-ranking"))
    assert {g["team"]: g["rated"] for g in teams["groups"]} == {"blue": 3, "red": 1}
    table = ratings(config, "--by", "agent")
    assert "ranking" in table and "A" in table
