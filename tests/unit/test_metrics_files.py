"""The shipped Prometheus and Grafana files: promtool accepts them, and the dashboard only
queries metrics that ccd exposes, through the provisioned data source."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import generate_latest

from ccd.metrics import Metrics, QueueInfo
from ccd.recordings.retention import DiskCollector

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "config/grafana/dashboards/ccd.json"
ALERTS = ROOT / "config/prometheus/alerts.yml"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian package prometheus) not installed")
HEALTH = {"ami_connected": 1.0, "ari_connected": 1.0, "database_connected": 1.0, "ami_reconnects_total": 0.0,
          "ari_reconnects_total": 0.0, "store_backlog_events": 0.0, "store_spool_bytes": 0.0,
          "store_spool_max_bytes": 1.0, "dispatch_backlog_batches": 0.0}


def exposed_names() -> set[str]:
    m = Metrics([QueueInfo("q", rating_scale=5, members=("A",))], ["A"], lambda: None, lambda: HEALTH)
    m.registry.register(DiskCollector(ROOT))  # the daemon adds the recordings disk gauges
    text = generate_latest(m.registry).decode()
    names = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")}
    # Families whose series only appear with a snapshot (scrape-time gauges) are typed anyway.
    return names | {n + s for n in names for s in ("_bucket", "_sum", "_count", "_total")} | {"up"}


def panels(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in items:
        out.append(p)
        out += panels(p.get("panels", []))
    return out


def test_dashboard_queries_only_exposed_metrics() -> None:
    dash = json.loads(DASHBOARD.read_text())
    known = exposed_names()
    exprs = [t["expr"] for p in panels(dash["panels"]) for t in p.get("targets", [])]
    assert len(exprs) > 30
    used = {n for e in exprs for n in re.findall(r"\b(ccd_[a-z0-9_]+)", e)}
    assert used and used <= known, used - known
    assert [v["name"] for v in dash["templating"]["list"]] == ["queue"]
    for p in panels(dash["panels"]):
        if p["type"] != "row":
            assert p["datasource"] == {"type": "prometheus", "uid": "prometheus"}, p["title"]
    per_queue = [e for e in exprs if "ccd_queue_" in e]
    assert all('queue=~"$queue"' in e for e in per_queue), [e for e in per_queue if "$queue" not in e]


def test_alerts_use_exposed_metrics() -> None:
    used = set(re.findall(r"\b(ccd_[a-z0-9_]+)", ALERTS.read_text()))
    assert used and used <= exposed_names(), used - exposed_names()


@needs_promtool
def test_promtool_checks_rules_and_config() -> None:
    assert PROMTOOL is not None
    for args in (["check", "rules", str(ALERTS)],
                 ["check", "config", str(ROOT / "config/prometheus/prometheus.yml")]):
        out = subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stdout + out.stderr


def test_grafana_provider_points_at_a_dashboards_directory() -> None:
    text = (ROOT / "config/grafana/provisioning/dashboards/ccd.yml").read_text()
    assert "type: file" in text and "path: /etc/grafana/dashboards" in text
