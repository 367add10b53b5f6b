"""``ccd staffing`` argument handling, what-if output, tables and the heat map."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from ccd.staffing.cli import register, run_staffing
from ccd.staffing.core import render
from ccd.staffing.core.erlang import Target
from ccd.staffing.core.forecast import ForecastRow, SlotStats, build_forecast
from ccd.staffing.core.heatmap import hourly_grid, render_heatmap

WHATIF_KEYS = {"agents", "service_level", "asa_s", "p_wait", "occupancy", "scheduled"}


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ccd")
    register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["staffing", *argv])


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    args = _args(*argv)
    assert args.func is run_staffing
    code = run_staffing(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_whatif_json_is_the_callcentrehelper_answer(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--calls", "100", "--per", "30m", "--aht", "180",
                        "--target-sl", "0.8", "--answer-within", "20", "--shrinkage", "0.3",
                        "--format", "json")
    assert code == 0
    d = json.loads(out)
    assert WHATIF_KEYS <= d.keys()
    assert (d["agents"], d["scheduled"]) == (14, 20)
    assert d["service_level"] == pytest.approx(0.888, abs=0.001)
    assert d["asa_s"] == pytest.approx(7.8, abs=0.05)
    assert d["p_wait"] == pytest.approx(0.174, abs=0.001)
    assert d["occupancy"] == pytest.approx(0.714, abs=0.001)


def test_whatif_per_hour_and_percent_target(capsys: pytest.CaptureFixture[str]) -> None:
    # 200 calls per hour is the same load as 100 per half hour
    code, out, _ = _run(capsys, "--calls", "200", "--per", "1h", "--aht", "180",
                        "--target-sl", "80%", "--format", "json")
    assert code == 0 and json.loads(out)["agents"] == 14


def test_whatif_table_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--calls", "360", "--per", "30m", "--aht", "240",
                        "--answer-within", "15")
    assert code == 0
    assert "agents needed      55" in out and "84.6%" in out
    code, out, _ = _run(capsys, "--calls", "360", "--aht", "240", "--format", "csv")
    header, line = out.strip().splitlines()
    assert "agents" in header.split(",") and line.split(",")[header.split(",").index(
        "per_min")] == "30"


def test_whatif_asa_only_target(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--calls", "100", "--aht", "180", "--target-sl", "0",
                        "--max-asa", "10", "--format", "json")
    assert code == 0 and json.loads(out)["agents"] == 14


@pytest.mark.parametrize(
    "argv",
    [
        ("--calls", "100"),  # no --aht
        ("--calls", "100", "--aht", "180", "--per", "soon"),
        ("--calls", "100", "--aht", "180", "--shrinkage", "1"),
        ("--calls", "100", "--aht", "180", "--target-sl", "0"),  # no criterion left
        ("--queue", "sales"),  # history mode without a database
        (),  # neither mode
        ("--queue", "sales", "--dsn", "postgresql://x@127.0.0.1/x", "--tz", "Mars/Base"),
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]) -> None:
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert out == "" and err.startswith("ccd staffing: ")


def test_bad_config_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cfg = tmp_path / "ccd.toml"
    cfg.write_text('timezone = "Nowhere/Atlantis"\n')
    code, out, err = _run(capsys, "-c", str(cfg), "--queue", "sales")
    assert code == 1 and out == "" and "timezone" in err


def _rows() -> list[ForecastRow]:
    stats = [SlotStats(0, 18, 400, 400, 400 * 180.0), SlotStats(0, 19, 200, 200, 200 * 180.0),
             SlotStats(4, 33, 40, 40, 40 * 300.0)]
    exp = {(wd, s): 4 for wd in range(7) for s in range(48)}
    return build_forecast(stats, exp, dict.fromkeys(range(7), 4), 30, Target(0.8, 20))


def test_forecast_table_omits_empty_intervals() -> None:
    rows = _rows()
    text = render.forecast_table({"queue": "sales"}, rows, show_all=False)
    lines = text.splitlines()
    assert lines[0] == "queue: sales"
    assert len(lines) == 1 + 2 + 3 + 1
    assert "Mon  09:00" in text and "Fri  16:30" in text
    assert "333 intervals without calls omitted" in text
    full = render.forecast_table({}, rows, show_all=True)
    assert len(full.splitlines()) == 1 + 2 + 336


def test_hourly_grid_takes_the_peak_half_hour() -> None:
    grid = hourly_grid(_rows())
    assert grid[0][9] == 14  # max(14 at 09:00, 8 at 09:30)
    assert grid[4][16] > 0 and grid[6][12] == 0
    assert hourly_grid(_rows(), scheduled=True)[0][9] == 14  # no shrinkage in this target


def test_heatmap_png(tmp_path: Path) -> None:
    pytest.importorskip("PIL")
    out = render_heatmap(_rows(), tmp_path / "h.png", title="sales")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    with Image.open(out) as img:
        assert img.size[0] > 24 * 30 and img.size[1] > 7 * 20


def test_whatif_erlang_a_json(capsys: pytest.CaptureFixture[str]) -> None:
    from ccd.staffing.core.erlang_a import agents_for_target_a

    code, out, _ = _run(capsys, "--calls", "100", "--per", "30m", "--aht", "180",
                        "--model", "erlang_a", "--patience", "120", "--format", "json")
    assert code == 0
    d = json.loads(out)
    assert {"agents", "service_level", "asa_s", "p_wait", "abandon_rate"} <= d.keys()
    expect = agents_for_target_a(10.0, 180.0, 120.0, Target(0.8, 20))
    assert d["model"] == "erlang_a" and d["agents"] == expect.agents
    assert d["abandon_rate"] == pytest.approx(expect.abandon_rate, abs=1e-6)
    # the same load under Erlang C needs more agents (14): callers who hang up shorten the queue
    assert d["agents"] < 14
    code, out, _ = _run(capsys, "--calls", "100", "--per", "30m", "--aht", "180", "--model", "erlang_a",
                        "--patience", "120", "--max-abandon", "0.01", "--format", "json")
    capped = json.loads(out)
    assert code == 0 and capped["abandon_rate"] <= 0.01 and capped["agents"] > d["agents"]


def test_whatif_given_agents(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--calls", "100", "--per", "30m", "--aht", "180", "--agents", "13",
                        "--format", "json")
    d = json.loads(out)
    assert code == 0 and d["agents"] == 13 and d["service_level"] == pytest.approx(0.796, abs=1e-3)
    code, out, _ = _run(capsys, "--calls", "100", "--per", "30m", "--aht", "180", "--agents", "8",
                        "--model", "erlang_a", "--patience", "60", "--format", "json")
    d = json.loads(out)
    assert code == 0 and d["agents"] == 8 and 0 < d["abandon_rate"] < 1
    code, out, _ = _run(capsys, "--calls", "100", "--per", "30m", "--aht", "180", "--agents", "8",
                        "--model", "erlang_a", "--patience", "60")
    assert code == 0 and "abandon rate" in out and "agents             8" in out


@pytest.mark.parametrize(("extra", "message"), [
    (["--model", "erlang_a"], "needs --patience"),
    (["--patience", "60"], "erlang_a only"),
    (["--max-abandon", "0.05"], "erlang_a only"),
    (["--agents", "-1"], "--agents must be >= 0"),
])
def test_whatif_model_errors(capsys: pytest.CaptureFixture[str], extra: list[str], message: str) -> None:
    code, _, err = _run(capsys, "--calls", "100", "--aht", "180", *extra)
    assert code == 2 and message in err


def test_model_options_are_what_if_only(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "--queue", "sales", "--dsn", "postgresql://nowhere/x", "--agents", "3")
    assert code == 2 and "what-if options" in err
