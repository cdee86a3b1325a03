"""Charts drawn on the server as SVG from a figure's rows: a line per series over the months (a
trend), or one stacked bar per row (parts of a whole). No script and no charting library: the page
works without JavaScript and prints as it shows.

A chart is a picture of the table printed beside it, so it is one image to assistive technology
(``role="img"``, named by the figure's title) and says the figures are in the table. Each series
has its own colour and its own dash pattern or hatching position in the legend, so the lines can be
told apart without colour.
"""

from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

from cms.insight.figures import Figure, show

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 16, 56
# Colours with at least 3:1 contrast against white (WCAG 1.4.11, non-text contrast).
COLOURS = ("#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#b58840", "#912b88", "#28a197", "#505a5f")
DASHES = ("", "8 4", "2 3", "10 3 2 3", "4 4", "1 2", "12 2", "6 2 2 2")
TICKS = 4


def _number(value) -> Decimal:
    return Decimal(0) if value is None else Decimal(value)


def _nice_top(peak: Decimal, kind: str) -> Decimal:
    """A round top for the axis at or above ``peak`` (100 for percentages up to 100)."""
    if kind == "percent" and peak <= 100:
        return Decimal(100)
    if peak <= 0:
        return Decimal(1)
    magnitude = Decimal(10) ** (len(str(int(peak))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = Decimal(str(step)) * magnitude
        if top >= peak:
            return top
    return peak


def _label(figure: Figure, row) -> str:
    column = figure.columns[figure.chart.label]
    value = row[figure.chart.label]
    if column.kind == "month":
        return f"{value:%b %Y}"
    return show(value, column.kind)


def _axis_text(value: Decimal, kind: str) -> str:
    if kind == "pence":
        pounds = value / 100
        return f"£{pounds:,.0f}" if pounds < 10_000 else f"£{pounds / 1000:,.0f}k"
    if kind == "percent":
        return f"{value:.0f}%"
    return f"{value:,.0f}"


def chart_svg(figure: Figure) -> SafeString:
    """The figure's chart as inline SVG ('' when it has none or no rows)."""
    chart = figure.chart
    if chart is None or not figure.rows:
        return mark_safe("")
    kind = figure.columns[chart.series[0]].kind
    if chart.kind == "stacked":
        peak = max(sum((_number(row[index]) for index in chart.series), Decimal(0)) for row in figure.rows)
    else:
        peak = max(_number(row[index]) for row in figure.rows for index in chart.series)
    if chart.target is not None:
        peak = max(peak, chart.target)
    top = _nice_top(peak, kind)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value) -> float:
        return TOP + plot_h - float(_number(value) / top) * plot_h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="insight-chart" viewBox="0 0 {WIDTH} {HEIGHT + 28 * ((len(chart.series) + 2) // 3)}" '
             f'role="img" aria-label="{escape(figure.title)}: chart. The same figures are in the table.">']
    for tick in range(TICKS + 1):
        value = top * tick / TICKS
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                     f'stroke="#b1b4b6" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 8}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="12" '
                     f'fill="#0b0c0c">{escape(_axis_text(value, kind))}</text>')
    count = len(figure.rows)
    slot = plot_w / count
    every = max(1, -(-count // 12))  # at most twelve labels under the axis
    for index, row in enumerate(figure.rows):
        if index % every == 0:
            x = LEFT + slot * (index + 0.5)
            parts.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 18}" text-anchor="middle" font-size="12" '
                         f'fill="#0b0c0c">{escape(_label(figure, row))}</text>')
    if chart.kind == "stacked":
        bar = slot * 0.6
        for index, row in enumerate(figure.rows):
            x = LEFT + slot * index + (slot - bar) / 2
            base = Decimal(0)
            for number, column in enumerate(chart.series):
                value = _number(row[column])
                if value > 0:
                    parts.append(f'<rect x="{x:.1f}" y="{y(base + value):.1f}" width="{bar:.1f}" '
                                 f'height="{y(base) - y(base + value):.1f}" fill="{COLOURS[number % len(COLOURS)]}" '
                                 f'stroke="#ffffff" stroke-width="1"/>')
                base += value
    else:
        for number, column in enumerate(chart.series):
            points = [(LEFT + slot * (index + 0.5), y(row[column])) for index, row in enumerate(figure.rows)
                      if row[column] is not None]
            colour, dash = COLOURS[number % len(COLOURS)], DASHES[number % len(DASHES)]
            if len(points) > 1:
                path = " ".join(f"{x:.1f},{y_:.1f}" for x, y_ in points)
                parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="3"'
                             f'{f" stroke-dasharray=\"{dash}\"" if dash else ""}/>')
            for x, y_ in points:
                parts.append(f'<circle cx="{x:.1f}" cy="{y_:.1f}" r="4" fill="{colour}"/>')
        if chart.target is not None:
            parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(chart.target):.1f}" '
                         f'y2="{y(chart.target):.1f}" stroke="#0b0c0c" stroke-width="2" stroke-dasharray="6 6"/>')
    parts.extend(_legend(figure, TOP + plot_h + 40))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _legend(figure: Figure, top: int) -> list[str]:
    chart = figure.chart
    entries = [(figure.columns[column].label, COLOURS[number % len(COLOURS)],
                DASHES[number % len(DASHES)] if chart.kind == "line" else None)
               for number, column in enumerate(chart.series)]
    if chart.kind == "line" and chart.target is not None:
        entries.append((chart.target_label or "Target", "#0b0c0c", "6 6"))
    parts, width = [], (WIDTH - LEFT) // 3
    for index, (label, colour, dash) in enumerate(entries):
        x, y = LEFT + (index % 3) * width, top + (index // 3) * 28
        if dash is None:
            parts.append(f'<rect x="{x}" y="{y - 10}" width="14" height="14" fill="{colour}"/>')
        else:
            parts.append(f'<line x1="{x}" x2="{x + 28}" y1="{y - 3}" y2="{y - 3}" stroke="{colour}" stroke-width="3"'
                         f'{f" stroke-dasharray=\"{dash}\"" if dash else ""}/>')
        parts.append(f'<text x="{x + 36}" y="{y + 2}" font-size="13" fill="#0b0c0c">{escape(label)}</text>')
    return parts
