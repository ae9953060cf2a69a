"""The one chart, read back as SVG: values written on, an axis, 14px text, and a quarter in
progress hatched and "so far" rather than looking like a fall; quarters not begun not drawn."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from events.quarters import Quarter
from projections.presentation.chart import Point, bar_chart, trend_points

SVG = "{http://www.w3.org/2000/svg}"
EIGHT = [Quarter(2023, 3), Quarter(2023, 4), Quarter(2024, 1), Quarter(2024, 2),
         Quarter(2024, 3), Quarter(2024, 4), Quarter(2025, 1), Quarter(2025, 2)]


def drawn(points: list[Point], chart_id: str = "c") -> ET.Element:
    return ET.fromstring(bar_chart(points, title="Referrals", chart_id=chart_id))


def texts(svg: ET.Element) -> list[ET.Element]:
    return list(svg.iter(f"{SVG}text"))


def bars(svg: ET.Element) -> dict[str, ET.Element]:
    """Each bar by the quarter its tooltip names."""
    return {rect.findtext(f"{SVG}title", "").split(":")[0]: rect
            for rect in svg.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None}


def above(svg: ET.Element, bar: ET.Element) -> str:
    """The words written above a bar, top line first."""
    middle = float(bar.get("x", 0)) + float(bar.get("width", 0)) / 2
    top = float(bar.get("y", 0))
    lines = [t for t in texts(svg) if abs(float(t.get("x", 0)) - middle) < 0.2
             and float(t.get("y", 0)) < top]
    return " ".join(t.text or "" for t in sorted(lines, key=lambda t: float(t.get("y", 0))))


def test_every_value_is_written_above_its_bar_not_only_in_a_tooltip() -> None:
    values: list[Any] = [12, 30, 0, "fewer than 5", None, 1234, 7, 41]
    svg = drawn(trend_points(zip(EIGHT, values, strict=True)))
    by_quarter = bars(svg)
    assert list(by_quarter) == [str(q) for q in EIGHT]
    said = {quarter: above(svg, bar) for quarter, bar in by_quarter.items()}
    assert said == {"2023/24 Q3": "12", "2023/24 Q4": "30", "2024/25 Q1": "0",
                    "2024/25 Q2": "fewer than 5", "2024/25 Q3": "–", "2024/25 Q4": "1,234",
                    "2025/26 Q1": "7", "2025/26 Q2": "41"}


def test_no_text_is_smaller_than_14px_and_each_quarter_and_year_is_named_beneath() -> None:
    svg = drawn(trend_points(zip(EIGHT, [1, 2, 3, 4, 5, 6, 7, 8], strict=True)))
    sizes = [float(t.get("font-size", 0)) for t in texts(svg)]
    assert sizes and min(sizes) >= 14
    words = [t.text for t in texts(svg)]
    assert words.count("Q1") == 2 and words.count("Q3") == 2
    assert {"2023/24", "2024/25", "2025/26"} <= set(words)
    # Its natural size is at least its viewBox: the 14px are 14px where there is room.
    view = [float(n) for n in svg.get("viewBox", "").split()]
    assert float(svg.get("width", 0)) == view[2] and float(svg.get("height", 0)) == view[3]


def test_the_axis_has_a_baseline_and_a_labelled_round_top_above_the_highest_bar() -> None:
    svg = drawn(trend_points(zip(EIGHT[:3], [10, 40, 25], strict=True)))
    across = [line for line in svg.iter(f"{SVG}line") if line.get("y1") == line.get("y2")]
    baseline = max(across, key=lambda line: float(line.get("y1", 0)))
    top_line = min(across, key=lambda line: float(line.get("y1", 0)))
    assert float(baseline.get("x2", 0)) == float(top_line.get("x2", 0)) == float(svg.get("width", 0))
    scale = {t.text: float(t.get("y", 0)) for t in texts(svg) if t.get("text-anchor") == "end"}
    assert set(scale) == {"50", "0"} and scale["50"] < scale["0"]
    highest = bars(svg)["2023/24 Q4"]
    assert float(top_line.get("y1", 0)) < float(highest.get("y", 0)) < float(baseline.get("y1", 0))
    heights = [float(b.get("height", 0)) for b in bars(svg).values()]
    assert heights[1] == 4 * heights[0] and heights[2] == 2.5 * heights[0]


def test_a_rate_is_scaled_and_labelled_as_a_percentage() -> None:
    svg = drawn(trend_points(zip(EIGHT[:2], [0.1234, 0.08], strict=True)))
    scale = {t.text for t in texts(svg) if t.get("text-anchor") == "end"}
    assert scale == {"20.0%", "0.0%"}
    assert above(svg, bars(svg)["2023/24 Q3"]) == "12.3%"


def test_the_quarter_in_progress_is_hatched_and_so_far_and_later_quarters_are_not_drawn() -> None:
    trend = list(zip(EIGHT, [40, 42, 38, 41, 44, 39, 17, 0], strict=True))
    points = trend_points(trend, provisional=Quarter(2025, 1))
    assert [p.label for p in points] == [str(q) for q in EIGHT[:7]]
    assert [p.provisional for p in points] == [False] * 6 + [True]
    assert points[-1] == Point("2025/26 Q1", 17, "17", True)
    svg = drawn(points, chart_id="chart-davss-referrals")
    by_quarter = bars(svg)
    assert "2025/26 Q2" not in by_quarter
    pattern = svg.find(f"{SVG}defs/{SVG}pattern")
    assert pattern is not None and pattern.get("id") == "chart-davss-referrals-so-far"
    assert by_quarter["2025/26 Q1"].get("fill") == "url(#chart-davss-referrals-so-far)"
    assert all(not (bar.get("fill") or "").startswith("url(")
               for quarter, bar in by_quarter.items() if quarter != "2025/26 Q1")
    assert above(svg, by_quarter["2025/26 Q1"]) == "17 so far"
    # Nothing is written for the quarter not begun: its "0" would read as none recorded.
    assert "Q2" not in [t.text for t in texts(svg)][-8:]
    assert [t.text for t in texts(svg)].count("0") == 1  # the baseline's label only
    desc = svg.findtext(f"{SVG}desc", "")
    assert desc.endswith("2025/26 Q1: 17 so far") and "2025/26 Q2" not in desc


def test_two_charts_on_one_page_hatch_with_their_own_patterns() -> None:
    points = trend_points([("2024/25 Q1", 3), ("2024/25 Q2", 1)], provisional=Quarter(2024, 2))
    first, second = drawn(points, "chart-a"), drawn(points, "chart-b")
    ids = [svg.find(f"{SVG}defs/{SVG}pattern").get("id")  # type: ignore[union-attr]
           for svg in (first, second)]
    assert ids == ["chart-a-so-far", "chart-b-so-far"]
    # No provisional quarter, no pattern: a final chart is drawn plain.
    assert drawn(trend_points([("2024/25 Q1", 3)])).find(f"{SVG}defs") is None


def test_the_review_s_quarter_names_and_the_dashboard_s_quarters_chart_alike() -> None:
    as_text = trend_points([("2024/25 Q1", 5), ("2024/25 Q2", 6)], provisional=Quarter(2024, 1))
    as_quarters = trend_points([(Quarter(2024, 1), 5), (Quarter(2024, 2), 6)],
                               provisional=Quarter(2024, 1))
    assert as_text == as_quarters == [Point("2024/25 Q1", 5, "5", True)]
