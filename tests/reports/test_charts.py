"""Chart geometry: pure numbers, no Flask."""

from __future__ import annotations

import pytest

from lectern.reports import charts


def test_bars_scale_to_the_maximum() -> None:
    chart = charts.hbar_chart([("A", 75.0, "75%"), ("B", 100.0, "100%"), ("C", None, "–"), ("D", 0.0, "0%")], 100)
    assert [b.width for b in chart.bars] == [0.75 * charts.BAR_SPACE, charts.BAR_SPACE, charts.EMPTY, 0.0]
    assert [b.empty for b in chart.bars] == [False, False, True, False]
    assert [b.y for b in chart.bars] == [charts.TOP + n * charts.ROW for n in range(4)]
    assert chart.height == 2 * charts.TOP + 4 * charts.ROW
    assert chart.bars[0].value_x == charts.BAR_LEFT + 0.75 * charts.BAR_SPACE + 6
    assert chart.bar_x == charts.BAR_LEFT and chart.label_x == charts.LABEL_WIDTH


def test_bars_scale_to_the_largest_value_without_a_maximum() -> None:
    chart = charts.hbar_chart([("A", 30.0, "30"), ("B", 60.0, "60"), ("C", -5.0, "-5")])
    assert [b.width for b in chart.bars] == [charts.BAR_SPACE / 2, charts.BAR_SPACE, 0.0]


def test_values_beyond_the_maximum_are_clipped() -> None:
    assert charts.hbar_chart([("A", 150.0, "150")], 100).bars[0].width == charts.BAR_SPACE


def test_no_rows_or_no_values() -> None:
    chart = charts.hbar_chart([])
    assert chart.bars == [] and chart.height == 2 * charts.TOP + charts.ROW
    assert charts.hbar_chart([("A", 0.0, "0")]).bars[0].width == 0.0


@pytest.mark.parametrize(
    ("text", "short"),
    [("Short", "Short"), ("  many   spaces ", "many spaces"), ("x" * 40, "x" * (charts.LABEL_CHARS - 1) + "\u2026")],
)
def test_long_labels_are_shortened(text: str, short: str) -> None:
    assert charts.shorten(text) == short
    bar = charts.hbar_chart([(text, 1.0, "1")]).bars[0]
    assert (bar.label, bar.short) == (text, short)


def test_stacked_bar_splits_the_width() -> None:
    bar = charts.stacked_bar([("done", "Done", 1), ("going", "Going", 1), ("idle", "Idle", 2)], width=400)
    assert bar.total == 4
    parts = [(s.x, s.width, s.percent) for s in bar.segments]
    assert parts == [(0.0, 100.0, 25), (100.0, 100.0, 25), (200.0, 200.0, 50)]
    assert [(s.legend_x, s.legend_y) for s in bar.segments] == [
        (0, charts.STACK_HEIGHT + 12),
        (0, charts.STACK_HEIGHT + 34),
        (0, charts.STACK_HEIGHT + 56),
    ]  # 400 wide holds one legend entry a row


def test_stacked_bar_legend_on_one_row_when_it_fits() -> None:
    bar = charts.stacked_bar([("a", "A", 3), ("b", "B", 0), ("c", "C", 0)])
    assert [s.legend_x for s in bar.segments] == [0, charts.LEGEND_STEP, 2 * charts.LEGEND_STEP]
    assert [(s.width, s.percent) for s in bar.segments] == [(charts.WIDTH, 100), (0.0, 0), (0.0, 0)]
    assert bar.height == charts.STACK_HEIGHT + 12 + 22


def test_stacked_bar_of_nothing() -> None:
    bar = charts.stacked_bar([("a", "A", 0), ("b", "B", 0)])
    assert bar.total == 0 and all(s.width == 0 and s.percent == 0 for s in bar.segments)
