"""Coverage vs need: table rows, a terminal heat map, SVG and PNG (pure apart from PNG).

The heat map has one row per day of the plan and one column per hour; a cell shows the
thinnest interval of that hour: scheduled minus needed agents (red short, green spare).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from html import escape
from pathlib import Path
from typing import Any

from ccd.schedule.core.model import DAY_MIN
from ccd.staffing.core.slots import WEEKDAYS, slot_label

SHORT, EVEN, SPARE = (215, 48, 39), (255, 255, 191), (26, 152, 80)
CLOSED = (238, 238, 238)


def coverage_rows(
    need: Sequence[int], coverage: Sequence[float], interval_min: int, first_day: date
) -> list[dict[str, Any]]:
    per_day = DAY_MIN // interval_min
    out = []
    for i, (n, c) in enumerate(zip(need, coverage, strict=True)):
        day = first_day + timedelta(days=i // per_day)
        out.append({"date": day.isoformat(), "day": WEEKDAYS[day.weekday()],
                    "time": slot_label(i % per_day, interval_min), "need": n,
                    "scheduled": round(c, 2), "gap": round(c - n, 2),
                    "short": round(max(0.0, n - c), 2)})
    return out


def hour_grid(rows: Sequence[dict[str, Any]], interval_min: int) -> tuple[list[str], list[list[float | None]]]:
    """(row labels, grid[day][hour] = least gap in the hour, None = nothing needed or staffed)."""
    labels: list[str] = []
    grid: list[list[float | None]] = []
    for r in rows:
        label = f"{r['day']} {r['date'][5:]}"
        if not labels or labels[-1] != label:
            labels.append(label)
            grid.append([None] * 24)
        hour = int(r["time"][:2])
        if r["need"] == 0 and r["scheduled"] == 0:
            continue
        cur = grid[-1][hour]
        grid[-1][hour] = r["gap"] if cur is None else min(cur, r["gap"])
    return labels, grid


def colour(gap: float | None) -> tuple[int, int, int]:
    if gap is None:
        return CLOSED
    lo, hi, f = (EVEN, SHORT, min(1.0, -gap / 3)) if gap < 0 else (EVEN, SPARE, min(1.0, gap / 5))
    r, g, b = (round(a + (z - a) * f) for a, z in zip(lo, hi, strict=True))
    return (r, g, b)


def _cell(gap: float | None) -> str:
    return "" if gap is None else f"{gap:+.0f}" if abs(gap) >= 0.5 else "0"


def terminal_map(labels: Sequence[str], grid: Sequence[Sequence[float | None]]) -> str:
    """ANSI 24-bit colour cells; the numbers stay readable without colour too."""
    head = " " * 11 + "".join(f"{h:>4}" for h in range(24))
    lines = [head]
    for label, line in zip(labels, grid, strict=True):
        cells = []
        for gap in line:
            r, g, b = colour(gap)
            cells.append(f"\x1b[48;2;{r};{g};{b}m\x1b[30m{_cell(gap):>4}\x1b[0m")
        lines.append(f"{label:<11}" + "".join(cells))
    lines.append("scheduled - needed agents, thinnest interval of each hour (red: short)")
    return "\n".join(lines)


def coverage_svg(labels: Sequence[str], grid: Sequence[Sequence[float | None]], title: str) -> str:
    cw, ch, left, top = 34, 22, 90, 48
    w, h = left + 24 * cw + 10, top + len(grid) * ch + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
           f'font-family="sans-serif" font-size="11">',
           f'<text x="{left}" y="18" font-size="14">{escape(title)}</text>']
    out += [f'<text x="{left + hr * cw + cw // 2}" y="{top - 6}" text-anchor="middle">{hr:02d}</text>'
            for hr in range(24)]
    for row, (label, line) in enumerate(zip(labels, grid, strict=True)):
        y = top + row * ch
        out.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>')
        for hr, gap in enumerate(line):
            r, g, b = colour(gap)
            x = left + hr * cw
            out.append(f'<rect x="{x}" y="{y}" width="{cw - 1}" height="{ch - 1}" '
                       f'fill="rgb({r},{g},{b})"><title>{escape(label)} {hr:02d}h: '
                       f'{escape(_cell(gap) or "closed")}</title></rect>')
            if gap is not None:
                out.append(f'<text x="{x + cw // 2}" y="{y + 15}" text-anchor="middle">{_cell(gap)}</text>')
    out.append(f'<text x="{left}" y="{h - 8}" fill="dimgray">scheduled - needed agents, '
               'thinnest interval of the hour</text></svg>')
    return "\n".join(out) + "\n"


def coverage_png(labels: Sequence[str], grid: Sequence[Sequence[float | None]], path: str | Path,
                 title: str) -> Path:
    from ccd.staffing.core.heatmap import render_grid

    nan = float("nan")
    values = [[nan if g is None else g for g in line] for line in grid]
    return render_grid(
        values, labels, path, title=title,
        note="scheduled - needed agents, thinnest interval of the hour (red: short)",
        colour=lambda v: colour(None if v != v else v),
        label=lambda v: "" if v != v else _cell(v), dark=lambda v: v == v and v <= -2,
    )
