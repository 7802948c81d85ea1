"""Charts drawn on the server as SVG: no script, no library, nothing fetched.

:func:`bar_chart` draws one series of values per day as bars, with a title and description
for screen readers (``role="img"``, ``<title>``, ``<desc>``), labelled axes, a few gridlines
and each bar's value in its own ``<title>`` (shown on hover). Pages show the same numbers in
a table next to the chart; the chart is for the eye. Colours come from the stylesheet
(``.chart-*`` classes), since the CSP allows no inline style.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import count

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 28, 48
_ids = count(1)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^n that is at least ``value`` (1 for nothing)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def bar_chart(points: Sequence[tuple[str, float]], *, title: str, x_label: str, y_label: str,
              value_text: Callable[[float], str] = lambda v: f"{v:g}") -> Markup:
    """An SVG bar chart of ``points`` (label, value), e.g. days and calls.

    :param value_text: how a value reads (axis ticks and each bar's tooltip), e.g. money.
    """
    ident = f"chart-{next(_ids)}"
    top_value = nice_ceiling(max((v for _label, v in points), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(points), 1)
    total = sum(v for _label, v in points)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(y_label)}: {escape(value_text(total))} '
        f'({escape(x_label)} {escape(points[0][0]) if points else ""}–'
        f'{escape(points[-1][0]) if points else ""})</desc>',
    ]
    for step in range(5):  # gridlines and ticks at 0, ¼ … the top
        value = top_value * step / 4
        y = TOP + plot_h - plot_h * step / 4
        parts.append(f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
                     f'y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="chart-tick" x="{LEFT - 6}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{escape(value_text(value))}</text>')
    every = max(1, math.ceil(len(points) / 8))  # at most about eight labels on the x axis
    for index, (label, value) in enumerate(points):
        height = plot_h * value / top_value
        x = LEFT + index * slot + slot * 0.15
        parts.append(f'<rect class="chart-bar" x="{x:.1f}" y="{TOP + plot_h - height:.1f}" '
                     f'width="{slot * 0.7:.1f}" height="{height:.1f}">'
                     f'<title>{escape(label)}: {escape(value_text(value))}</title></rect>')
        if index % every == 0:
            parts.append(f'<text class="chart-tick" x="{x + slot * 0.35:.1f}" '
                         f'y="{TOP + plot_h + 16}" text-anchor="middle">'
                         f'{escape(label[5:] if len(label) == 10 else label)}</text>')
    parts += [
        f'<line class="chart-axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" '
        f'y2="{TOP + plot_h}"/>',
        f'<text class="chart-label" x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 8}" '
        f'text-anchor="middle">{escape(x_label)}</text>',
        f'<text class="chart-label" x="14" y="{TOP + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {TOP + plot_h / 2:.1f})">{escape(y_label)}</text>',
        "</svg>",
    ]
    return Markup("".join(parts))
