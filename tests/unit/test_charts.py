"""The server-rendered SVG chart: accessible (role, title, description, axis labels), escaped,
scaled to a round top value, and valid for no data at all."""

from __future__ import annotations

from xml.etree import ElementTree

from marketplace.web.charts import bar_chart, nice_ceiling

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup):
    return ElementTree.fromstring(str(markup))


def test_a_chart_is_accessible_and_shows_each_value():
    svg = _parse(bar_chart([("2026-12-01", 3), ("2026-12-02", 0), ("2026-12-03", 7)],
                           title="Calls per day", x_label="Day (UTC)", y_label="Calls"))
    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby").split()
    assert svg.find(f"{SVG}title").get("id") == title_id
    assert svg.find(f"{SVG}title").text == "Calls per day"
    desc = svg.find(f"{SVG}desc")
    assert "Calls: 10" in desc.text and desc.get("id") == desc_id
    bars = svg.findall(f"{SVG}rect")
    assert [bar.find(f"{SVG}title").text for bar in bars] == [
        "2026-12-01: 3", "2026-12-02: 0", "2026-12-03: 7"]
    heights = [float(bar.get("height")) for bar in bars]
    assert heights[1] == 0 and heights[2] > heights[0] > 0
    labels = [text.text for text in svg.findall(f"{SVG}text")]
    assert "Day (UTC)" in labels and "Calls" in labels and "10" in labels  # top tick


def test_text_is_escaped_and_values_formatted():
    svg = _parse(bar_chart([("<b>", 1250)], title="A & <B>", x_label="x", y_label="y",
                           value_text=lambda v: f"¥{v / 100:.2f}"))
    assert svg.find(f"{SVG}title").text == "A & <B>"
    assert svg.find(f"{SVG}rect").find(f"{SVG}title").text == "<b>: ¥12.50"


def test_no_points_still_draw_axes():
    svg = _parse(bar_chart([], title="Nothing", x_label="x", y_label="y"))
    assert svg.findall(f"{SVG}rect") == [] and svg.findall(f"{SVG}line")


def test_nice_ceiling():
    assert [nice_ceiling(v) for v in (0, 1, 3, 7, 10, 11, 240, 2600)] == [
        1, 1, 5, 10, 10, 20, 250, 5000]
