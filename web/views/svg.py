"""Small server-side SVG charts: a heat map and a line chart, labels escaped, no script or style.

Only presentation attributes are used (``fill``, ``stroke``…), which the Content-Security-Policy
allows; every label is text from the store, so it goes through :func:`markupsafe.escape`.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f")
_FONT = 'font-family="sans-serif"'


def _e(text: object) -> str:
    return str(escape(str(text)))


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _heat(value: int, top: int) -> str:
    """White to deep blue by share of the largest value."""
    if value <= 0 or top <= 0:
        return "#f7f7f7"
    share = value / top
    red = round(235 - 200 * share)
    green = round(243 - 140 * share)
    return f"rgb({red},{green},250)"


def heatmap(
    chart_id: str,
    title: str,
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[int]],
) -> Markup:
    """A grid: one row per ``rows`` label, one column per ``columns`` label, the count in each cell."""
    cell_w, cell_h, left, top_margin = 64, 24, 190, 70
    width = left + cell_w * max(1, len(columns)) + 100  # room for the last slanted column label
    height = top_margin + cell_h * max(1, len(rows)) + 10
    top = max((v for row in values for v in row), default=0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{_e(chart_id)}" role="img" '
        f'aria-labelledby="{_e(chart_id)}-title" viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f'<title id="{_e(chart_id)}-title">{_e(title)}</title>',
    ]
    for j, column in enumerate(columns):
        x = left + j * cell_w + cell_w / 2
        parts.append(
            f'<text x="{x:.1f}" y="{top_margin - 8}" {_FONT} font-size="11" text-anchor="start" '
            f'transform="rotate(-35 {x:.1f} {top_margin - 8})">{_e(_clip(column, 18))}</text>'
        )
    for i, row in enumerate(rows):
        y = top_margin + i * cell_h
        parts.append(
            f'<text x="{left - 6}" y="{y + cell_h / 2 + 4:.1f}" {_FONT} font-size="12" '
            f'text-anchor="end">{_e(_clip(row, 28))}</text>'
        )
        for j, _column in enumerate(columns):
            value = values[i][j]
            x = left + j * cell_w
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{_heat(value, top)}">'
                f"<title>{_e(row)} · {_e(columns[j])}: {value}</title></rect>"
            )
            if value:
                ink = "#ffffff" if value > top * 0.6 else "#222222"
                parts.append(
                    f'<text x="{x + (cell_w - 2) / 2:.1f}" y="{y + cell_h / 2 + 3:.1f}" {_FONT} font-size="11" '
                    f'text-anchor="middle" fill="{ink}">{value}</text>'
                )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label is escaped above


def line_chart(
    chart_id: str,
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
) -> Markup:
    """One line per series over ``x_labels`` (months), a y axis from 0, and a legend."""
    left, right, top_margin, bottom = 50, 180, 20, 50
    plot_w = max(200, 28 * max(1, len(x_labels)))
    plot_h = 240
    width, height = left + plot_w + right, top_margin + plot_h + bottom
    top = max((v for _, values in series for v in values), default=0)
    scale_top = _nice(top)
    step_x = plot_w / max(1, len(x_labels) - 1)

    def px(i: int) -> float:
        return left + i * step_x

    def py(v: float) -> float:
        return top_margin + plot_h - (v / scale_top * plot_h if scale_top else 0)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{_e(chart_id)}" role="img" '
        f'aria-labelledby="{_e(chart_id)}-title" viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f'<title id="{_e(chart_id)}-title">{_e(title)}</title>',
    ]
    for k in range(5):
        value = scale_top * k / 4
        y = py(value)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#dddddd" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" {_FONT} font-size="11" text-anchor="end">{round(value)}</text>'
        )
    every = max(1, len(x_labels) // 12)
    for i, label in enumerate(x_labels):
        if i % every == 0 or i == len(x_labels) - 1:
            x = px(i)
            parts.append(
                f'<text x="{x:.1f}" y="{top_margin + plot_h + 16}" {_FONT} font-size="11" text-anchor="end" '
                f'transform="rotate(-40 {x:.1f} {top_margin + plot_h + 16})">{_e(label)}</text>'
            )
    for n, (name, values) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        points = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2">')
        parts.append(f"<title>{_e(name)}</title></polyline>")
        for i, v in enumerate(values):
            parts.append(
                f'<circle cx="{px(i):.1f}" cy="{py(v):.1f}" r="2.5" fill="{colour}">'
                f"<title>{_e(name)} · {_e(x_labels[i])}: {v}</title></circle>"
            )
        ly = top_margin + 14 + n * 18
        lx = left + plot_w + 16
        parts.append(f'<rect x="{lx}" y="{ly - 9}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 18}" y="{ly + 1}" {_FONT} font-size="12">{_e(_clip(name, 20))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label is escaped above


def _nice(value: int) -> int:
    """The smallest 1/2/5×10^k at or above ``value`` (at least 4, so the grid has whole steps)."""
    if value <= 4:
        return 4
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= value:
            return factor * magnitude
    return 10 * magnitude
