"""Rating statistics against a small hand-computed data set."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ccd.rating_ivr import Survey, SurveySettings
from ccd.rating_ivr.core.stats import (
    RatingRow,
    agent_ranking,
    group_stats,
    period_key,
    render_csv,
    render_json,
    render_ranking_csv,
)


def ts(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 5, day, hour, minute, tzinfo=UTC)


# call, agent, queue, teams, outcome, score, time (UTC)
ROWS = [
    RatingRow("c1", "a1", "sales", ("t1",), "rated", 5, ts(1, 9)),
    RatingRow("c2", "a1", "sales", ("t1",), "rated", 4, ts(1, 10)),
    RatingRow("c3", "a2", "sales", ("t1", "t2"), "rated", 5, ts(1, 11)),
    RatingRow("c4", "a2", "support", ("t1", "t2"), "no_response", None, ts(2, 9)),
    RatingRow("c5", "a3", "support", (), "abandoned", None, ts(2, 10)),
    RatingRow("c6", "a3", "support", (), "rated", 3, ts(2, 23, 30)),
    RatingRow("c7", "a4", "sales", ("t2",), "not_offered", None, ts(1, 12)),
    RatingRow("c8", "a4", "sales", ("t2",), "rated", 1, ts(3, 8)),
    RatingRow("c9", "a2", "support", ("t1", "t2"), "rated", 4, ts(3, 9)),
    RatingRow("c10", "a5", "support", ("t3",), "rated", 3, ts(3, 10)),
    RatingRow("c11", "a5", "support", ("t3",), "rated", 3, ts(3, 11)),
]


def summary(by: tuple[str, ...], **kw: object) -> dict[tuple[str, ...], tuple[object, ...]]:
    return {
        g.key: (g.offered, g.rated, g.no_response, g.abandoned, g.not_offered,
                None if g.response_rate is None else round(g.response_rate, 4),
                None if g.average is None else round(g.average, 4), g.distribution)
        for g in group_stats(ROWS, by, **kw)  # type: ignore[arg-type]
    }


def test_overall() -> None:
    assert summary(()) == {(): (10, 8, 1, 1, 1, 0.8, 3.5, (1, 0, 3, 2, 2))}


def test_per_queue() -> None:
    assert summary(("queue",)) == {
        ("sales",): (4, 4, 0, 0, 1, 1.0, 3.75, (1, 0, 0, 1, 2)),
        ("support",): (6, 4, 1, 1, 0, 0.6667, 3.25, (0, 0, 3, 1, 0)),
    }


def test_per_team_counts_a_row_in_each_of_its_teams() -> None:
    assert summary(("team",)) == {
        ("",): (2, 1, 0, 1, 0, 0.5, 3.0, (0, 0, 1, 0, 0)),
        ("t1",): (5, 4, 1, 0, 0, 0.8, 4.5, (0, 0, 0, 2, 2)),
        ("t2",): (4, 3, 1, 0, 1, 0.75, 3.3333, (1, 0, 0, 1, 1)),
        ("t3",): (2, 2, 0, 0, 0, 1.0, 3.0, (0, 0, 2, 0, 0)),
    }


def test_per_day_in_utc_and_in_a_local_zone() -> None:
    assert summary(("period",)) == {
        ("2024-05-01",): (3, 3, 0, 0, 1, 1.0, 4.6667, (0, 0, 0, 1, 2)),
        ("2024-05-02",): (3, 1, 1, 1, 0, 0.3333, 3.0, (0, 0, 1, 0, 0)),
        ("2024-05-03",): (4, 4, 0, 0, 0, 1.0, 2.75, (1, 0, 2, 1, 0)),
    }
    msk = timezone(timedelta(hours=3))  # c6 at 23:30 UTC is 02:30 the next day
    local = summary(("period",), tz=msk)
    assert local[("2024-05-02",)] == (2, 0, 1, 1, 0, 0.0, None, (0, 0, 0, 0, 0))
    assert local[("2024-05-03",)] == (5, 5, 0, 0, 0, 1.0, 2.8, (1, 0, 3, 1, 0))


def test_combined_dimensions_and_periods() -> None:
    week = summary(("queue", "period"), period="week")
    assert set(week) == {("sales", "2024-W18"), ("support", "2024-W18")}
    assert period_key(ts(1, 13), "hour") == "2024-05-01T13"
    assert period_key(ts(1, 13), "month") == "2024-05"
    assert period_key(datetime(2021, 1, 3, tzinfo=UTC), "week") == "2020-W53"
    per_agent_queue = summary(("agent", "queue"))
    assert per_agent_queue[("a2", "support")] == (2, 1, 1, 0, 0, 0.5, 4.0, (0, 0, 0, 1, 0))


def test_ranking_by_average_then_count_with_shared_ranks() -> None:
    ranking = agent_ranking(ROWS)
    assert [(r.rank, r.agent_id, r.average, r.rated, r.offered) for r in ranking] == [
        (1, "a1", 4.5, 2, 2),
        (1, "a2", 4.5, 2, 3),  # same average and count as a1: shared rank
        (3, "a5", 3.0, 2, 2),  # same average as a3, more ratings: ahead
        (4, "a3", 3.0, 1, 2),
        (5, "a4", 1.0, 1, 1),
    ]
    assert [r.agent_id for r in agent_ranking(ROWS, min_rated=2)] == ["a1", "a2", "a5"]
    assert agent_ranking([]) == []


def test_scores_above_the_scale_are_kept() -> None:
    rows = [*ROWS, RatingRow("c12", "a1", "vip", (), "rated", 7, ts(4, 9))]
    (g,) = group_stats(rows)
    assert g.distribution == (1, 0, 3, 2, 2, 0, 1)
    assert group_stats(ROWS, scale_max=9)[0].distribution == (1, 0, 3, 2, 2, 0, 0, 0, 0)


def test_csv_and_json() -> None:
    groups = group_stats(ROWS, ("queue",))
    assert render_csv(groups, ("queue",)) == (
        "queue,offered,rated,no_response,abandoned,not_offered,response_rate,average,s1,s2,s3,s4,s5\n"
        "sales,4,4,0,0,1,1.0,3.75,1,0,0,1,2\n"
        "support,6,4,1,1,0,0.6667,3.25,0,0,3,1,0\n"
    )
    empty_avg = group_stats([ROWS[4]], ("agent",))
    assert render_csv(empty_avg, ("agent",)).splitlines()[1] == "a3,1,0,0,1,0,0.0,,0,0,0,0,0"
    doc = json.loads(render_json(groups, ("queue",), agent_ranking(ROWS)))
    assert doc["group_by"] == ["queue"]
    assert doc["groups"][1] == {
        "queue": "support", "offered": 6, "rated": 4, "no_response": 1, "abandoned": 1,
        "not_offered": 0, "response_rate": 0.6667, "average": 3.25,
        "distribution": {"1": 0, "2": 0, "3": 3, "4": 1, "5": 0},
    }
    assert doc["ranking"][1] == {
        "rank": 1, "agent": "a2", "average": 4.5, "rated": 2, "offered": 3, "response_rate": 0.6667,
    }
    assert render_ranking_csv(agent_ranking(ROWS)).splitlines()[:3] == [
        "rank,agent,average,rated,offered,response_rate", "1,a1,4.5,2,2,1.0", "1,a2,4.5,2,3,0.6667",
    ]


def test_rows_are_validated_and_built_from_events() -> None:
    with pytest.raises(ValueError):
        RatingRow("x", None, None, (), "rated", None, ts(1, 1))
    with pytest.raises(ValueError):
        RatingRow("x", None, None, (), "no_response", 3, ts(1, 1))
    with pytest.raises(ValueError):
        RatingRow("x", None, None, (), "maybe", None, ts(1, 1))
    with pytest.raises(ValueError):
        RatingRow("x", None, None, (), "rated", 3, datetime(2024, 5, 1))
    s = Survey("c1", "a1", "sales", "+1555", SurveySettings())
    s.start(1_714_554_000.0)
    s.on_dtmf("4", 1_714_554_003.0)
    assert s.result is not None
    row = RatingRow.from_event(s.result.to_event(), teams=["t1"])
    assert row == RatingRow("c1", "a1", "sales", ("t1",), "rated", 4, datetime.fromtimestamp(1_714_554_003.0, UTC))
