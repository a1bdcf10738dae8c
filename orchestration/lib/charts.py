"""Inline SVG charts for the run report: no scripts, no network, readable without colour.

Only drawing lives here; every number comes from SQL over the warehouse (orchestration.lib.report)."""

from __future__ import annotations

from html import escape
from typing import Any

# Okabe-Ito: distinguishable with the common colour-vision deficiencies
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
FONT = 'font-family="sans-serif" font-size="12"'


def _colour(series: list[str], name: str) -> str:
    return PALETTE[series.index(name) % len(PALETTE)]


def _legend(series: list[str], x: float, y: float) -> str:
    parts = []
    for i, name in enumerate(series):
        yy = y + i * 16
        parts.append(f'<rect x="{x}" y="{yy}" width="10" height="10" fill="{_colour(series, name)}"/>'
                     f'<text x="{x + 14}" y="{yy + 9}" {FONT}>{escape(name)}</text>')
    return "".join(parts)


def _ticks(top: int) -> list[int]:
    """Round axis steps (1, 2 or 5 times a power of ten) so a reader can read values off the chart."""
    if top <= 0:
        return [0]
    step = 1
    while top / step > 5:
        for factor in (2, 5, 10):
            if top / (step * factor) <= 5:
                step *= factor
                break
        else:
            step *= 10
    return list(range(0, top + step, step))


def bars(name: str, title: str, rows: list[tuple[str, str, int]], stacked: bool = True) -> str:
    """Horizontal bars, one per category, split by series (stacked, or side by side).

    rows: (category, series, value)."""
    if not any(r[2] for r in rows):
        return f'<p class="empty" data-chart="{escape(name)}">{escape(title)}: nothing to show.</p>'
    # a zero keeps its series in the legend (e.g. 0 lifted) and its category on the axis
    categories = list(dict.fromkeys(r[0] for r in rows))
    series = list(dict.fromkeys(r[1] for r in rows))
    values = {(c, s): v for c, s, v in rows}
    per_row = 1 if stacked else len(series)
    bar_h, gap = 16, 8
    label_w = 20 + 7 * max(len(str(c)) for c in categories)
    plot_w, legend_w = 420, 20 + 7 * max(len(str(s)) for s in series)
    top_value = max((sum(values.get((c, s), 0) for s in series) if stacked
                     else max(values.get((c, s), 0) for s in series)) for c in categories)
    ticks = _ticks(int(top_value))
    scale = plot_w / ticks[-1]
    height = 30 + len(categories) * (per_row * bar_h + gap) + 24
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" data-chart="{escape(name)}" '
             f'width="{label_w + plot_w + legend_w + 60}" height="{max(height, 40 + 16 * len(series))}" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    axis_y = height - 24
    for t in ticks:
        x = label_w + t * scale
        parts.append(f'<line x1="{x:.1f}" y1="24" x2="{x:.1f}" y2="{axis_y}" stroke="#ddd"/>'
                     f'<text x="{x:.1f}" y="{axis_y + 14}" text-anchor="middle" {FONT}>{t:,}</text>')
    y = 30
    for c in categories:
        parts.append(f'<text x="{label_w - 6}" y="{y + per_row * bar_h / 2 + 4}" text-anchor="end" '
                     f'{FONT}>{escape(c)}</text>')
        x = label_w
        for i, s in enumerate(series):
            v = values.get((c, s), 0)
            w = v * scale
            yy = y if stacked else y + i * bar_h
            xx = x if stacked else label_w
            if not v:
                if not stacked:
                    parts.append(f'<text x="{xx + 4:.1f}" y="{yy + bar_h - 5}" {FONT}>0</text>')
                continue
            parts.append(f'<rect class="bar" x="{xx:.1f}" y="{yy}" width="{max(w, 1):.1f}" height="{bar_h - 2}" '
                         f'fill="{_colour(series, s)}" data-category="{escape(c)}" data-series="{escape(s)}" '
                         f'data-value="{v}"><title>{escape(c)}, {escape(s)}: {v:,}</title></rect>')
            if not stacked or len(series) == 1:
                parts.append(f'<text x="{xx + w + 4:.1f}" y="{yy + bar_h - 5}" {FONT}>{v:,}</text>')
            if stacked:
                x += w
        if stacked and len(series) > 1:
            total = sum(values.get((c, s), 0) for s in series)
            parts.append(f'<text x="{x + 4:.1f}" y="{y + bar_h - 5}" {FONT}>{total:,}</text>')
        y += per_row * bar_h + gap
    parts.append(f'<line x1="{label_w}" y1="24" x2="{label_w}" y2="{axis_y}" stroke="#333"/>')
    parts.append(_legend(series, label_w + plot_w + 40, 24))
    parts.append("</svg>")
    return "".join(parts)


def lines(name: str, title: str, rows: list[tuple[str, str, int]], panel: str = "") -> str:
    """A line per series over days. rows: (day as yyyy-mm-dd, series, value)."""
    if not rows:
        return f'<p class="empty" data-chart="{escape(name)}">{escape(title)}: nothing to show.</p>'
    days = sorted({r[0] for r in rows})
    series = sorted({r[1] for r in rows})
    values = {(d, s): v for d, s, v in rows}
    left, plot_w, plot_h, top, legend_w = 50, 360, 150, 28, 150
    ticks = _ticks(max(int(r[2]) for r in rows))
    y_scale = plot_h / ticks[-1]
    step = plot_w / max(len(days) - 1, 1)

    def px(i: int) -> float:
        return left + i * step

    def py(v: int) -> float:
        return top + plot_h - v * y_scale

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" data-chart="{escape(name)}" '
             f'data-panel="{escape(panel)}" width="{left + plot_w + legend_w + 20}" height="{top + plot_h + 40}" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
             f'<text x="{left}" y="16" font-family="sans-serif" font-size="13" font-weight="bold">'
             f'{escape(panel or title)}</text>']
    for t in ticks:
        parts.append(f'<line x1="{left}" y1="{py(t):.1f}" x2="{left + plot_w}" y2="{py(t):.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{py(t) + 4:.1f}" text-anchor="end" {FONT}>{t:,}</text>')
    label_every = max(1, len(days) // 6)
    for i, d in enumerate(days):
        if i % label_every == 0 or i == len(days) - 1:
            parts.append(f'<text x="{px(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" {FONT}>'
                         f'{escape(d[5:])}</text>')
    for s in series:
        colour = _colour(series, s)
        points = [(i, values.get((d, s), 0)) for i, d in enumerate(days)]
        path = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in points)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}" '
                     f'data-series="{escape(s)}"/>')
        for i, v in points:
            parts.append(f'<circle class="point" cx="{px(i):.1f}" cy="{py(v):.1f}" r="2.5" fill="{colour}" '
                         f'data-series="{escape(s)}" data-day="{days[i]}" data-value="{v}">'
                         f'<title>{days[i]}, {escape(s)}: {v:,}</title></circle>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#333"/>')
    parts.append(_legend(series, left + plot_w + 16, top))
    parts.append("</svg>")
    return "".join(parts)


def panels(name: str, title: str, rows: list[tuple[str, str, str, int]]) -> str:
    """Small multiples: one line chart per panel (rows: panel, day, series, value), same days."""
    by_panel: dict[str, list[tuple[str, str, int]]] = {}
    for panel, day, series, value in rows:
        by_panel.setdefault(panel, []).append((day, series, value))
    if not by_panel:
        return f'<p class="empty" data-chart="{escape(name)}">{escape(title)}: nothing to show.</p>'
    return "".join(f'<figure class="panel">{lines(name, f"{title}: {p}", r, panel=p)}</figure>'
                   for p, r in by_panel.items())


def as_rows(data: list[dict[str, Any]], *keys: str) -> list[tuple[Any, ...]]:
    """Query rows (dicts, as kept in run_report.json) as tuples in the order a chart takes."""
    return [tuple(row[k] for k in keys) for row in data]
