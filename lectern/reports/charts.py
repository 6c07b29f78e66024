"""Chart geometry for the report pages: plain numbers that a template writes as SVG attributes.

The content security policy forbids inline styles, so every size and position is an attribute (x, y, width,
height) computed here, and colours come from classes in the stylesheet. No Flask: labels arrive translated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Horizontal bar chart: a label column on the left, bars to the right, each value just past its bar's end.
WIDTH = 720
LABEL_WIDTH = 220  # the room for a row's label, right-aligned against the bars
BAR_LEFT = LABEL_WIDTH + 10
BAR_SPACE = 280  # the longest bar; the rest of the width (210) holds its value
ROW = 26
BAR = 16
TOP = 8
EMPTY = 2  # the width of the stub drawn for a row without a value
LABEL_CHARS = 28  # a longer label is shortened on the chart; its full text stays in the tooltip

# Stacked bar: one bar of the whole split into parts, with a legend under it.
STACK_HEIGHT = 28
LEGEND_STEP = 210


@dataclass(frozen=True)
class HBar:
    label: str  # in full, for the tooltip
    short: str  # as drawn
    display: str  # the value as written past the bar
    empty: bool  # no value at all (drawn as a thin grey bar)
    y: float  # the bar's top
    width: float
    text_y: float  # the baseline of the row's texts
    value_x: float


@dataclass(frozen=True)
class HBarChart:
    width: int
    height: int
    label_x: int  # where the labels end (they are right-aligned)
    bar_x: int
    bar_height: int
    axis_top: float
    axis_bottom: float
    bars: list[HBar]


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """The text cut to `limit` characters with an ellipsis when longer."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def hbar_chart(items: Sequence[tuple[str, float | None, str]], maximum: float | None = None) -> HBarChart:
    """Rows of (label, value, display text). Bars are scaled to `maximum` (100 for percentages) or to the largest
    value; a None value draws no bar and a negative one counts as 0."""
    values = [max(v, 0.0) for _label, v, _display in items if v is not None]
    scale = maximum if maximum and maximum > 0 else max(values, default=0.0)
    bars = []
    for n, (label, value, display) in enumerate(items):
        top = TOP + n * ROW
        share = 0.0 if value is None or scale <= 0 else min(max(value, 0.0) / scale, 1.0)
        width = EMPTY if value is None else round(BAR_SPACE * share, 1)
        bars.append(
            HBar(
                label=label,
                short=shorten(label),
                display=display,
                empty=value is None,
                y=top,
                width=width,
                text_y=top + BAR - 3,
                value_x=round(BAR_LEFT + width + 6, 1),
            )
        )
    height = TOP * 2 + max(len(bars), 1) * ROW
    return HBarChart(
        width=WIDTH,
        height=height,
        label_x=LABEL_WIDTH,
        bar_x=BAR_LEFT,
        bar_height=BAR,
        axis_top=TOP - 4,
        axis_bottom=height - TOP,
        bars=bars,
    )


@dataclass(frozen=True)
class Segment:
    key: str  # a class name for its colour
    label: str
    count: int
    percent: int  # of the whole, rounded
    x: float
    width: float
    legend_x: int
    legend_y: int


@dataclass(frozen=True)
class StackedBar:
    width: int
    height: int
    bar_height: int
    total: int
    segments: list[Segment]


def stacked_bar(parts: Sequence[tuple[str, str, int]], width: int = WIDTH) -> StackedBar:
    """One bar split into (key, label, count) parts in proportion to their counts, and a legend row under it
    (two legend entries a row where they do not fit in one). An empty whole draws no part."""
    total = sum(max(count, 0) for _key, _label, count in parts)
    per_row = max(width // LEGEND_STEP, 1)
    segments = []
    x = 0.0
    for n, (key, label, count) in enumerate(parts):
        count = max(count, 0)
        share = count / total if total else 0.0
        seg_width = round(width * share, 1)
        segments.append(
            Segment(
                key=key,
                label=label,
                count=count,
                percent=round(100 * share),
                x=round(x, 1),
                width=seg_width,
                legend_x=(n % per_row) * LEGEND_STEP,
                legend_y=STACK_HEIGHT + 12 + (n // per_row) * 22,
            )
        )
        x += seg_width
    rows = (len(parts) + per_row - 1) // per_row
    return StackedBar(
        width=width,
        height=STACK_HEIGHT + 12 + rows * 22,
        bar_height=STACK_HEIGHT,
        total=total,
        segments=segments,
    )
