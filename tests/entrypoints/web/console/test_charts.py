"""The dashboard's charts: SVG text from pure functions, with the numbers in the
description, every label escaped, bars and points where the values put them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from bot.entrypoints.web.console.charts import _nice_max, bar_chart, line_chart

NS = {"s": "http://www.w3.org/2000/svg"}


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed XML, or this raises


def test_a_bar_chart_draws_one_bar_per_value_scaled_to_a_round_top() -> None:
    svg = bar_chart("c1", "Outcomes by step", ["first", "second"],
                    [("contacts", [40, 10]), ("promises", [5, 0])])
    root = parsed(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c1-t c1-d"
    assert root.find("s:title", NS).text == "Outcomes by step"  # type: ignore[union-attr]
    desc = root.find("s:desc", NS).text  # type: ignore[union-attr]
    assert desc == "contacts: first 40, second 10; promises: first 5, second 0"
    bars = root.findall("s:rect", NS)
    assert len(bars) == 4
    heights = [float(b.get("height", "0")) for b in bars]
    plot = 260 - 12 - 58
    # the axis tops at 50 (a round number above 40): 40 is 80% of the plot
    assert abs(heights[0] - plot * 40 / 50) < 0.2 and heights[3] == 0
    assert [b.find("s:title", NS).text for b in bars][:2] == [  # type: ignore[union-attr]
        "first: contacts 40", "first: promises 5"]


def test_a_line_chart_puts_points_in_order_and_labels_days_without_the_year() -> None:
    days = ["2026-12-01", "2026-12-02", "2026-12-03"]
    svg = line_chart("c2", "Over time", days, [("cures", [0, 2, 4])])
    root = parsed(svg)
    [line] = root.findall("s:polyline", NS)
    xs = [float(p.split(",")[0]) for p in line.get("points", "").split()]
    ys = [float(p.split(",")[1]) for p in line.get("points", "").split()]
    assert xs == sorted(xs) and ys == sorted(ys, reverse=True)  # rising to the right
    ticks = [t.text for t in root.findall("s:text", NS)]
    assert "12-01" in ticks and "12-03" in ticks
    assert "cures: 2026-12-01 0, 2026-12-02 2, 2026-12-03 4" in svg


def test_labels_are_escaped_and_an_empty_chart_is_still_an_image() -> None:
    svg = bar_chart("c3", "<script>alert(1)</script>", ['a"&<b>'], [("x", [1])])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    parsed(svg)
    empty = line_chart("c4", "Nothing yet", [], [("contacts", [])])
    assert "contacts: no data" in empty and parsed(empty).get("role") == "img"
    assert re.search(r"<polyline", empty) is None


def test_the_value_axis_tops_at_a_round_number() -> None:
    assert [_nice_max(v) for v in (0, 1, 3, 7, 40, 101, 2400)] == [
        1.0, 1.0, 5.0, 10.0, 50.0, 200.0, 2500.0]
