"""Server-drawn line charts: exact geometry, gaps that break lines (never zeros), and the text alternative."""

from __future__ import annotations

import re

import pytest
from flask import render_template_string

from services.checkins.charts import HEIGHT, MARGIN_BOTTOM, Series, line_chart

RENDER = '{% from "_chart.html" import line_chart %}{{ line_chart(chart, id="c") }}'
# Where 0 would be drawn on a 1..10 scale whose 1 sits on the bottom edge: 20 units per step below it.
Y_OF_ZERO = HEIGHT - MARGIN_BOTTOM + 20


def _render(app, chart) -> str:
    with app.test_request_context():
        return render_template_string(RENDER, chart=chart)


def _small():
    return line_chart(
        [Series("Connection", "connection", [2, 4, None, 8]), Series("Safety", "safety", [5.5, None, None, 10])],
        ["3 Mar", "10 Mar", "17 Mar", "24 Mar"],
        row_labels=["Week of 3 Mar", "Week of 10 Mar", "Week of 17 Mar", "Week of 24 Mar"],
        title="Connection and safety",
        gap_label="no check-in",
    )


def test_known_data_gives_exact_coordinates():
    chart = _small()
    assert chart.view_box == "0 0 360 230"
    connection, safety = chart.lines
    assert [(p.x, p.y, p.value) for p in connection.points] == [(28, 172, 2), (128, 132, 4), (328, 52, 8)]
    assert connection.segments == ("28,172 128,132", "328,52")
    assert [(p.x, p.y) for p in safety.points] == [(28, 102), (328, 12)]
    assert safety.segments == ("28,102", "328,12")
    assert [(t.value, t.y) for t in chart.y_ticks] == [(v, 192 - (v - 1) * 20) for v in range(1, 11)]
    assert [(x.x, x.text) for x in chart.x_labels] == [(28, "3 Mar"), (128, "10 Mar"), (228, "17 Mar"), (328, "24 Mar")]


def test_week_labels_thin_out_but_the_latest_week_always_has_one():
    chart = line_chart([Series("A", "a", [None] * 12)], [f"w{i}" for i in range(12)], title="t")
    assert [x.text for x in chart.x_labels] == ["w1", "w3", "w5", "w7", "w9", "w11"]


def test_gaps_split_the_line_and_are_never_plotted_at_zero():
    chart = line_chart(
        [Series("Connection", "connection", [None, 3, 3, None, None, 7, None])], list("abcdefg"), title="t"
    )
    (line,) = chart.lines
    assert line.segments == ("78,152 128,152", "278,72")
    assert len(line.points) == 3
    every_y = [p.y for p in line.points] + [float(xy.split(",")[1]) for s in line.segments for xy in s.split()]
    assert Y_OF_ZERO not in every_y
    assert all(chart.top <= y <= chart.bottom for y in every_y)
    # Columns with no value have no point at all, at zero or anywhere else.
    assert {p.x for p in line.points} == {78, 128, 278}


def test_a_single_column_is_centred_and_an_empty_series_draws_nothing():
    chart = line_chart([Series("A", "a", [5]), Series("B", "b", [None])], ["only"], title="t")
    assert [(p.x, p.y) for p in chart.lines[0].points] == [(178, 112)]
    assert chart.lines[1].points == () and chart.lines[1].segments == ()


def test_lines_differ_by_dash_and_marker_not_colour_alone():
    connection, safety = _small().lines
    assert (connection.dashed, connection.marker) == (False, "circle")
    assert (safety.dashed, safety.marker) == (True, "square")
    assert connection.look == "solid line, circle markers"
    assert safety.look == "dashed line, square markers"


def test_rows_and_description_cover_every_column():
    chart = _small()
    assert [(r.label, r.cells, r.is_gap) for r in chart.rows] == [
        ("Week of 3 Mar", ("2", "5.5"), False),
        ("Week of 10 Mar", ("4", None), False),
        ("Week of 17 Mar", (None, None), True),
        ("Week of 24 Mar", ("8", "10"), False),
    ]
    assert chart.description == (
        "Connection and Safety, on a scale of 1 to 10, Week of 3 Mar to Week of 24 Mar. "
        "3 of 4 have values; 1 is a gap (no check-in), left out of the lines. "
        "Latest, Week of 24 Mar: Connection 8, Safety 10."
    )


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError):
        line_chart([Series("A", "a", [1, 2])], ["one"], title="t")
    with pytest.raises(ValueError):
        line_chart([Series("A", "a", [1])], ["one"], row_labels=[], title="t")


def test_output_is_deterministic(app):
    assert _small() == _small()
    assert _render(app, _small()) == _render(app, _small())


def test_svg_has_title_desc_and_a_table_listing_every_week(app):
    html = _render(app, _small())
    assert (
        '<svg class="chart-svg" viewBox="0 0 360 230" role="img" aria-labelledby="c-title" aria-describedby="c-desc">'
        in html
    )
    assert '<title id="c-title">Connection and safety</title>' in html
    assert re.search(r'<desc id="c-desc">Connection and Safety, on a scale of 1 to 10, .*</desc>', html)
    # The lines as drawn: one polyline per unbroken run, markers only where there are values.
    assert re.findall(r'<polyline points="([^"]+)"', html) == ["28,172 128,132", "328,52", "28,102", "328,12"]
    assert len(re.findall(r'<circle class="chart-marker"', html)) == 3 + 1  # three points and the legend's key
    assert len(re.findall(r'<rect class="chart-marker"', html)) == 2 + 1
    # The text alternative: a caption, headers, and a row for every week, gaps included.
    table = html[html.index("<table>") : html.index("</table>")]
    assert "<caption>Connection and safety</caption>" in table
    assert '<th scope="col">Week</th><th scope="col">Connection</th><th scope="col">Safety</th>' in table
    rows = re.findall(r'<th scope="row">([^<]+)</th>(.*?)</tr>', table, re.S)
    assert [label for label, _ in rows] == ["Week of 3 Mar", "Week of 10 Mar", "Week of 17 Mar", "Week of 24 Mar"]
    cells = [re.findall(r"<td[^>]*>([^<]*)</td>", body) for _, body in rows]
    assert cells == [["2", "5.5"], ["4", "no check-in"], ["no check-in"], ["8", "10"]]
    assert "<summary>Show the numbers</summary>" in html
    assert 'Connection <span class="chart-key-text">(solid line, circle markers)</span>' in html
    assert "Breaks in a line are weeks with no check-in." in html


def test_no_inline_styles_or_scripts_and_text_is_escaped(app):
    chart = line_chart([Series("<b>A</b>", "a", [1])], ["<i>w</i>"], title="<script>x</script>", gap_label="<u>")
    html = _render(app, chart)
    assert "style=" not in html
    assert "<script" not in html and "<b>" not in html and "<i>" not in html and "<u>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
