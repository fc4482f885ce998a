"""Line charts as plain SVG geometry, computed on the server: no chart library reaches the browser.

line_chart() turns a few series of numbers (None where there is no value)
into coordinates that templates/_chart.html draws. A gap breaks the line
into separate segments and is never plotted as zero; the same data comes
back as table rows, the chart's text alternative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Drawing area in viewBox units: narrow enough that labels stay legible on a 360px phone.
WIDTH = 360
HEIGHT = 230
MARGIN_LEFT = 28
# Room on the right for half of the newest week's label, which sits under the last point.
MARGIN_RIGHT = 32
MARGIN_TOP = 12
MARGIN_BOTTOM = 38
# At most this many week labels along the bottom, so they never overlap.
MAX_X_LABELS = 6
MARKERS = ("circle", "square", "diamond")


@dataclass(frozen=True)
class Series:
    """One line: its name (shown in the legend and table), a CSS key, and a value per column."""

    name: str
    key: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: float


@dataclass(frozen=True)
class Line:
    name: str
    key: str
    marker: str  # circle, square or diamond: lines differ by shape and dash, never by colour alone
    dashed: bool
    segments: tuple[str, ...]  # one SVG polyline "points" string per unbroken run
    points: tuple[Point, ...]

    @property
    def look(self) -> str:
        """How the line looks, in words, for the legend."""
        return f"{'dashed' if self.dashed else 'solid'} line, {self.marker} markers"


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class XLabel:
    x: float
    text: str


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[str | None, ...]  # None where there is no value

    @property
    def is_gap(self) -> bool:
        return all(cell is None for cell in self.cells)


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    gap_label: str
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    y_ticks: tuple[Tick, ...]
    x_labels: tuple[XLabel, ...]
    lines: tuple[Line, ...]
    columns: tuple[str, ...]  # the table's header after the row label
    row_heading: str
    rows: tuple[Row, ...]

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def number(value: float) -> str:
    """A coordinate or value in its shortest exact-enough form: 12, 6.5, 101.33."""
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def line_chart(
    series: Sequence[Series],
    labels: Sequence[str],
    *,
    title: str,
    row_labels: Sequence[str] | None = None,
    row_heading: str = "Week",
    gap_label: str = "no data",
    low: int = 1,
    high: int = 10,
) -> Chart:
    """Geometry for a line chart of series over labelled columns, on a fixed low..high scale.

    labels are the short column labels along the bottom; row_labels (the same
    length) are the fuller ones the table uses. A None value is a gap.
    """
    count = len(labels)
    row_labels = list(row_labels) if row_labels is not None else list(labels)
    if len(row_labels) != count or any(len(s.values) != count for s in series):
        raise ValueError("every series and row label list needs one entry per label")
    if high <= low:
        raise ValueError("high must be above low")
    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    top, bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM

    def x_of(index: int) -> float:
        if count == 1:
            return (left + right) / 2
        return left + index * (right - left) / (count - 1)

    def y_of(value: float) -> float:
        clamped = min(max(value, low), high)
        return bottom - (clamped - low) * (bottom - top) / (high - low)

    lines = []
    for index, one in enumerate(series):
        points: list[Point] = []
        segments: list[str] = []
        run: list[str] = []
        for column, value in enumerate(one.values):
            if value is None:
                if run:
                    segments.append(" ".join(run))
                    run = []
                continue
            point = Point(float(number(x_of(column))), float(number(y_of(value))), float(value))
            points.append(point)
            run.append(f"{number(point.x)},{number(point.y)}")
        if run:
            segments.append(" ".join(run))
        lines.append(
            Line(one.name, one.key, MARKERS[index % len(MARKERS)], index % 2 == 1, tuple(segments), tuple(points))
        )

    step = max(1, -(-count // MAX_X_LABELS))
    # Counted back from the newest column, so the latest week always has its label.
    x_labels = tuple(XLabel(float(number(x_of(i))), labels[i]) for i in range(count) if (count - 1 - i) % step == 0)
    y_ticks = tuple(Tick(value, float(number(y_of(value)))) for value in range(low, high + 1))
    rows = tuple(
        Row(row_labels[i], tuple(None if s.values[i] is None else number(s.values[i]) for s in series))
        for i in range(count)
    )
    return Chart(
        title=title,
        description=_describe(series, row_labels, rows, low, high, gap_label),
        gap_label=gap_label,
        width=WIDTH,
        height=HEIGHT,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        y_ticks=y_ticks,
        x_labels=x_labels,
        lines=tuple(lines),
        columns=tuple(s.name for s in series),
        row_heading=row_heading,
        rows=rows,
    )


def _describe(
    series: Sequence[Series], row_labels: Sequence[str], rows: tuple[Row, ...], low: int, high: int, gap_label: str
) -> str:
    """The chart in a sentence or three, for the SVG's <desc>."""
    names = [s.name for s in series]
    what = " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " and " + names[-1]
    if not rows:
        return f"{what}, on a scale of {low} to {high}: nothing to show yet."
    span = row_labels[0] if len(rows) == 1 else f"{row_labels[0]} to {row_labels[-1]}"
    filled = [row for row in rows if not row.is_gap]
    text = f"{what}, on a scale of {low} to {high}, {span}."
    if not filled:
        return f"{text} None of these has a value yet ({gap_label})."
    gaps = len(rows) - len(filled)
    text += f" {len(filled)} of {len(rows)} have values"
    if gaps:
        text += f"; {gaps} {'is a gap' if gaps == 1 else 'are gaps'} ({gap_label}), left out of the lines."
    else:
        text += "."
    latest = filled[-1]
    values = ", ".join(f"{name} {cell}" for name, cell in zip(names, latest.cells, strict=False) if cell is not None)
    return f"{text} Latest, {latest.label}: {values}."
