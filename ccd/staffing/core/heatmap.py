"""Heat map (PNG) of agents needed by weekday and hour of day.

Sub-hour intervals are folded into their hour by taking the peak, since the schedule must
cover the busiest half hour. Pillow is imported only when a picture is drawn, so the rest
of ccd works without it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ccd.staffing.core.forecast import ForecastRow
from ccd.staffing.core.slots import WEEKDAYS

CELL_W, CELL_H = 34, 26
LEFT, TOP, BOTTOM = 80, 52, 30


def hourly_grid(rows: Iterable[ForecastRow], *, scheduled: bool = False) -> list[list[int]]:
    """grid[weekday][hour] = peak agents needed (or scheduled) within that hour."""
    grid = [[0] * 24 for _ in range(7)]
    for r in rows:
        hour = r.slot * r.interval_min // 60
        value = r.erlang.scheduled if scheduled else r.erlang.agents
        grid[r.weekday][hour] = max(grid[r.weekday][hour], value)
    return grid


def _colour(value: int, top: int) -> tuple[int, int, int]:
    """Pale yellow (few agents) to dark red (the week's peak); grey for nobody."""
    if value <= 0 or top <= 0:
        return (238, 238, 238)
    f = value / top
    lo, hi = (255, 237, 160), (177, 0, 38)
    r, g, b = (round(a + (z - a) * f) for a, z in zip(lo, hi, strict=True))
    return (r, g, b)


def render_heatmap(
    rows: Iterable[ForecastRow], path: str | Path, *, title: str, scheduled: bool = False
) -> Path:
    """Draw the weekday × hour grid to ``path`` (PNG) and return the path."""
    grid = hourly_grid(rows, scheduled=scheduled)
    top = max(max(line) for line in grid)
    what = "scheduled" if scheduled else "needed"
    return render_grid(
        [[float(v) for v in line] for line in grid], list(WEEKDAYS), path, title=title,
        note=f"agents {what} (peak of the hour), max {top}",
        colour=lambda v: _colour(int(v), top), label=lambda v: str(int(v)) if v else "",
        dark=lambda v: top > 0 and v / top > 0.55,
    )


def render_grid(
    grid: Sequence[Sequence[float]], row_labels: Sequence[str], path: str | Path, *,
    title: str, note: str, colour: Callable[[float], tuple[int, int, int]],
    label: Callable[[float], str], dark: Callable[[float], bool],
) -> Path:
    """Any row × 24-hour grid as a PNG (the staffing and the schedule coverage maps)."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError("the heat map needs Pillow: pip install pillow") from exc

    width, height = LEFT + 24 * CELL_W + 8, TOP + len(grid) * CELL_H + BOTTOM
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=12)
    title_font = ImageFont.load_default(size=15)
    draw.text((LEFT, 8), title, fill="black", font=title_font)
    for hour in range(24):
        x = LEFT + hour * CELL_W + CELL_W // 2
        draw.text((x, TOP - 6), f"{hour:02d}", fill="black", font=font, anchor="mb")
    for row, line in enumerate(grid):
        y = TOP + row * CELL_H
        draw.text((LEFT - 8, y + CELL_H // 2), row_labels[row], fill="black", font=font,
                  anchor="rm")
        for hour in range(24):
            value = line[hour]
            x = LEFT + hour * CELL_W
            draw.rectangle((x, y, x + CELL_W - 1, y + CELL_H - 1), fill=colour(value),
                           outline="white")
            text = label(value)
            if text:
                draw.text((x + CELL_W // 2, y + CELL_H // 2), text,
                          fill="white" if dark(value) else "black", font=font, anchor="mm")
    draw.text((LEFT, TOP + len(grid) * CELL_H + 8), note, fill="dimgray", font=font)
    out = Path(path)
    img.save(out, format="PNG")
    return out
