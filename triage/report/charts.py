"""Charts of the report (matplotlib, Agg, SVG), drawn from the published tables: masked cells stay masked.

A masked count is drawn as a hatched bar as long as the threshold, labelled "< 5": the chart never
tells more than the table beside it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display, ever: the report is rendered on servers

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from triage.report.tables import SMALL_CELL_THRESHOLD, Shown

BLUE = "#1d4e89"
ORANGE = "#e07a2f"
TEAL = "#2a8c82"
GREY = "#9aa5b1"
LIGHT = "#dfe6ee"
INK = "#24303d"
SERIES = (BLUE, ORANGE, TEAL, "#7b5ea7", "#c8553d", "#5c946e")
WIDTH_IN = 4.3  # the chart column of an A4 page
RC: dict[str, Any] = {
    "font.family": ["DejaVu Sans"],
    "font.size": 8,
    "axes.edgecolor": GREY,
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",  # text stays text: lighter SVG, faster PDF, searchable
    "svg.hashsalt": "mediature",  # stable ids: the same figures give the same SVG
}


@contextmanager
def _figure(height: float, left: float = 0.42) -> Iterator[Figure]:
    # fixed margins rather than a layout engine: constrained layout costs 3 to 4 times the drawing
    with rc_context(RC):  # type: ignore[arg-type]  # matplotlib types keys as a Literal
        fig = Figure(figsize=(WIDTH_IN, height))
        fig.subplots_adjust(left=left / WIDTH_IN, right=0.97, top=1 - 0.12 / height, bottom=0.3 / height)
        yield fig


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "Médiature"})
    return buf.getvalue()


def _wrap(label: str, width: int = 28) -> str:
    """Break long category names over two lines."""
    if len(label) <= width:
        return label
    words, lines, line = label.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines[:2]) + ("…" if len(lines) > 2 else "")


def hbar(table: Shown, threshold: int = SMALL_CELL_THRESHOLD) -> str:
    """Horizontal bars of the first chart column, one colour per group of rows."""
    col = table.chart_columns[0]
    bars: list[tuple[str, float | None, str, str]] = []  # label, value, text, colour
    group = -1
    has_groups = any(r.heading for r in table.rows)
    for row in table.rows:
        if row.heading:  # a group: its rows below share a colour; a lone heading is drawn as a bar
            group += 1
            index = table.rows.index(row)
            if index + 1 < len(table.rows) and not table.rows[index + 1].heading:
                continue
        colour = SERIES[group % len(SERIES)] if has_groups and group >= 0 else BLUE
        cell = row.cells[col]
        bars.append((row.label, cell.value, cell.text, colour))
    if not bars:
        bars = [("Aucune donnée", 0.0, "0", GREY)]
    wrapped = any("\n" in _wrap(b[0]) for b in bars)
    height = max(1.4, (0.36 if wrapped else 0.27) * len(bars) + 0.4)
    longest = max(len(line) for b in bars for line in _wrap(b[0]).splitlines())
    with _figure(height, left=0.2 + 0.058 * longest) as fig:
        ax = fig.add_subplot()
        ys = list(range(len(bars)))[::-1]
        counts = table.kinds[col] == "count"
        top = max([b[1] or 0 for b in bars] + ([threshold] if counts else [1e-9]))
        for y, (_label, value, text, colour) in zip(ys, bars, strict=True):
            if value is None and text.startswith("<") and counts:  # small count: at most the threshold
                ax.barh(y, threshold, color="white", edgecolor=GREY, hatch="////", linewidth=0.6)
                ax.text(threshold + top * 0.02, y, text, va="center", fontsize=7, color=INK)
            elif value is None:  # masked rate or secondary suppression: nothing to draw
                ax.text(
                    top * 0.02,
                    y,
                    f"{text} (masqué)" if text == "s" else text,
                    va="center",
                    fontsize=7,
                    color=GREY,
                )
            else:
                ax.barh(y, value, color=colour)
                ax.text(value + top * 0.02, y, text, va="center", fontsize=7, color=INK)
        ax.set_yticks(ys, [_wrap(b[0]) for b in bars])
        ax.set_xlim(0, top * 1.18)
        ax.tick_params(axis="y", length=0)
        ax.xaxis.set_visible(False)
        ax.spines["bottom"].set_visible(False)
        fig.subplots_adjust(bottom=0.08 / height)
        return _svg(fig)


def stacked(table: Shown, threshold: int = SMALL_CELL_THRESHOLD) -> str:
    """Vertical stacked bars per row (years), one series per chart column, total on top."""
    cols = table.chart_columns
    labels = [r.label for r in table.rows]
    with _figure(2.6, left=0.42) as fig:
        ax = fig.add_subplot()
        xs = list(range(len(labels)))
        bottoms = [0.0] * len(labels)
        for i, col in enumerate(cols):
            values = [r.cells[col].value for r in table.rows]
            drawn = [
                threshold if v is None and r.cells[col].masked else (v or 0)
                for v, r in zip(values, table.rows, strict=True)
            ]
            hatch = [
                "////" if v is None and r.cells[col].masked else ""
                for v, r in zip(values, table.rows, strict=True)
            ]
            for x, d, b, h in zip(xs, drawn, bottoms, hatch, strict=False):
                ax.bar(
                    x,
                    d,
                    bottom=b,
                    color="white" if h else SERIES[i],
                    edgecolor=GREY if h else SERIES[i],
                    hatch=h or None,
                    linewidth=0.6,
                    width=0.62,
                )
            bottoms = [b + d for b, d in zip(bottoms, drawn, strict=False)]
        total_col = len(table.headers) - 1
        for x, b, r in zip(xs, bottoms, table.rows, strict=False):
            ax.text(
                x, b + max(bottoms + [1]) * 0.02, r.cells[total_col].text, ha="center", fontsize=7, color=INK
            )
        ax.set_xticks(xs, labels)
        ax.set_ylim(0, max(bottoms + [1]) * 1.15)
        ax.yaxis.grid(True, color=LIGHT, linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(
            handles=[Patch(color=SERIES[i], label=table.headers[c]) for i, c in enumerate(cols)],
            frameon=False,
            fontsize=7,
            loc="upper left",
        )
        return _svg(fig)


def grouped(table: Shown, threshold: int = SMALL_CELL_THRESHOLD) -> str:
    """Vertical grouped bars per row, one per chart column (e.g. mean and median durations)."""
    cols = table.chart_columns
    labels = [r.label for r in table.rows]
    width = 0.8 / max(1, len(cols))
    with _figure(2.6, left=0.42) as fig:
        ax = fig.add_subplot()
        top = max([c.value or 0 for r in table.rows for c in r.cells[min(cols) : max(cols) + 1]] + [1])
        for i, col in enumerate(cols):
            for x, r in enumerate(table.rows):
                cell = r.cells[col]
                pos = x + (i - (len(cols) - 1) / 2) * width
                if cell.value is None:
                    continue
                ax.bar(pos, cell.value, width=width * 0.92, color=SERIES[i])
                ax.text(pos, cell.value + top * 0.02, cell.text, ha="center", fontsize=7, color=INK)
        ax.set_xticks(list(range(len(labels))), labels)
        ax.set_ylim(0, top * 1.18)
        ax.yaxis.grid(True, color=LIGHT, linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(
            handles=[Patch(color=SERIES[i], label=table.headers[c]) for i, c in enumerate(cols)],
            frameon=False,
            fontsize=7,
            loc="upper right",
        )
        return _svg(fig)


DRAWERS = {"hbar": hbar, "stacked": stacked, "grouped": grouped}


def draw(table: Shown, threshold: int = SMALL_CELL_THRESHOLD) -> str:
    """The SVG of a table's chart ('' for tables shown without one)."""
    drawer = DRAWERS.get(table.chart)
    return drawer(table, threshold) if drawer else ""
