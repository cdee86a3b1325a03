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
# The legend starts this far below the plot (room for a month's name and its year under the axis);
# its rows are LEGEND_ROW apart, and a label is reckoned LEGEND_GLYPH wide a character.
LEGEND_GAP, LEGEND_ROW, LEGEND_GLYPH = 58, 28, 7.4


def _number(value) -> Decimal:
    return Decimal(0) if value is None else Decimal(value)


def _nice_top(peak: Decimal, kind: str) -> Decimal:
    """A round top for the axis at or above ``peak`` (100 for percentages up to 100)."""
    if kind == "percent" and peak <= 100:
        return Decimal(100)
    if kind == "count":
        # Whole numbers on every tick: with a peak of 1 an axis of 0, 0.25 … 1 printed as counts
        # would read 0, 0, 1, 1, 1.
        needed = max(peak / TICKS, Decimal(1))
        magnitude = Decimal(10) ** (len(str(int(needed))) - 1)
        for step in (1, 2, Decimal("2.5"), 5, 10):
            tick = step * magnitude
            if tick >= needed and tick == int(tick):
                return Decimal(int(tick)) * TICKS
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

    legend, legend_rows = _legend(figure, TOP + plot_h + LEGEND_GAP)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="insight-chart" '
             f'viewBox="0 0 {WIDTH} {TOP + plot_h + LEGEND_GAP + LEGEND_ROW * max(legend_rows - 1, 0) + 16}" '
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
    by_month = figure.columns[chart.label].kind == "month"
    for index, row in enumerate(figure.rows):
        if index % every == 0:
            x = LEFT + slot * (index + 0.5)
            if by_month:
                # "Jan 2026" under each of twelve months runs into its neighbours: the month alone,
                # and the year beneath the first month shown and each January.
                month = row[chart.label]
                year = (f'<tspan x="{x:.1f}" dy="15">{month:%Y}</tspan>'
                        if index == 0 or month.month == 1 else "")
                label = f'<tspan x="{x:.1f}">{month:%b}</tspan>{year}'
            else:
                label = escape(_label(figure, row))
            parts.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 18}" text-anchor="middle" font-size="12" '
                         f'fill="#0b0c0c">{label}</text>')
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
    parts.extend(legend)
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _legend(figure: Figure, top: int) -> tuple[list[str], int]:
    """The legend's marks and labels, one entry after another, starting a new row where the next
    label would run past the right edge; and how many rows it takes."""
    chart = figure.chart
    entries = [(figure.columns[column].label, COLOURS[number % len(COLOURS)],
                DASHES[number % len(DASHES)] if chart.kind == "line" else None)
               for number, column in enumerate(chart.series)]
    if chart.kind == "line" and chart.target is not None:
        entries.append((chart.target_label or "Target", "#0b0c0c", "6 6"))
    parts, x, row = [], LEFT, 0
    for label, colour, dash in entries:
        # SVG text cannot measure itself on the server: allow a generous average glyph width.
        mark = 14 if dash is None else 28
        # The gap after a label is three times the gap before it, so each reads with its own mark.
        width = mark + 8 + round(len(label) * LEGEND_GLYPH) + 24
        if x > LEFT and x + width > WIDTH - RIGHT:
            x, row = LEFT, row + 1
        y = top + row * LEGEND_ROW
        if dash is None:
            parts.append(f'<rect x="{x}" y="{y - 10}" width="14" height="14" fill="{colour}"/>')
        else:
            parts.append(f'<line x1="{x}" x2="{x + 28}" y1="{y - 3}" y2="{y - 3}" stroke="{colour}" stroke-width="3"'
                         f'{f" stroke-dasharray=\"{dash}\"" if dash else ""}/>')
        parts.append(f'<text x="{x + mark + 8}" y="{y + 2}" font-size="13" fill="#0b0c0c">{escape(label)}</text>')
        x += width
    return parts, row + 1 if entries else 0
