"""The report's tables: exact figures (Table) and their publishable form (Shown: small cells masked).

Every count cell from 1 to threshold-1 is shown as "< 5"; the percentages, rates and durations
that rest on a masked count are shown as "s" (secret statistique). When a table shows totals and
only one cell of a column (or of a row) is masked, the smallest other cell is masked too and shown
as "s", so that no masked value can be recovered by subtraction (secondary suppression).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SMALL_CELL_THRESHOLD = 5


@dataclass(frozen=True)
class Column:
    """A value column. `basis` is the index of the count column that governs masking (None: itself)."""

    header: str
    kind: str  # count, percent, days, rate, population
    basis: int | None = None
    summed: bool = True  # counts: part of the row total column (when the table has one)


@dataclass(frozen=True)
class Row:
    """One line: a label and one value per column; `heading` rows group the lines below them."""

    label: str
    values: tuple[float | None, ...]
    heading: bool = False
    key: str = ""


@dataclass(frozen=True)
class Table:
    """Exact figures of one chart, as computed from the database."""

    key: str
    title: str
    label_header: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    total: Row | None = None
    row_total: int | None = None  # index of a column that is the sum of the other summed counts
    chart: str = "hbar"  # hbar, stacked, grouped, none
    chart_columns: tuple[int, ...] = (0,)
    note: str = ""

    def value(self, label: str, column: int = 0) -> float | None:
        """The exact value of a row (by label or key) in a column."""
        for row in self.rows:
            if label in (row.label, row.key):
                return row.values[column]
        raise KeyError(label)


@dataclass(frozen=True)
class ShownCell:
    """A cell as published: its text, and the value a chart may draw (None when masked)."""

    text: str
    value: float | None
    masked: bool = False


@dataclass(frozen=True)
class ShownRow:
    """A published row."""

    label: str
    cells: tuple[ShownCell, ...]
    heading: bool = False


@dataclass(frozen=True)
class Shown:
    """A table as published, small cells masked."""

    key: str
    title: str
    label_header: str
    headers: tuple[str, ...]
    kinds: tuple[str, ...]
    rows: tuple[ShownRow, ...]
    total: ShownRow | None
    chart: str
    chart_columns: tuple[int, ...]
    note: str
    masked_any: bool = False
    chart_svg: str = field(default="", compare=False)


def fmt_int(value: float) -> str:
    """12345 -> '12 345' (narrow no-break space, French style)."""
    return f"{int(round(value)):,}".replace(",", "\u202f")


def fmt_dec(value: float, digits: int = 1) -> str:
    """4.25 -> '4,3'."""
    return f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def fmt_value(value: float | None, kind: str) -> str:
    """A value formatted for its kind ('—' when there is none)."""
    if value is None:
        return "—"
    if kind == "percent":
        return f"{fmt_int(value)}\u202f%" if value >= 1 or value == 0 else f"{fmt_dec(value)}\u202f%"
    if kind == "rate":
        return fmt_dec(value, 2)
    if kind == "days":
        return fmt_int(value)
    return fmt_int(value)


def masked_text(threshold: int) -> str:
    """How a masked count reads."""
    return f"<\u202f{threshold}"


def _is_small(value: float | None, threshold: int) -> bool:
    return value is not None and 0 < value < threshold


def _count_masks(table: Table, threshold: int) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """(row, column) of the count cells to mask: small cells, then the secondary suppressions.

    Heading rows hold group subtotals: they are masked when small, and each group is a line whose
    sum is shown, like the columns under a total row and the rows of a table with a total column.
    """
    counts = [i for i, c in enumerate(table.columns) if c.kind == "count"]
    rows = table.rows
    masks = {(r, c) for r, row in enumerate(rows) for c in counts if _is_small(row.values[c], threshold)}
    primary = set(masks)
    if threshold <= 1:
        return primary, set()
    members = [r for r, row in enumerate(rows) if not row.heading]
    groups: list[list[int]] = []
    for r, row in enumerate(rows):
        if row.heading:
            groups.append([])
        elif groups:
            groups[-1].append(r)
    headed = [r for r, row in enumerate(rows) if row.heading]
    lines: list[list[tuple[int, int]]] = []
    if table.total is not None:  # each column sums to a shown total
        tops = headed if headed else members
        lines += [[(r, c) for r in tops] for c in counts]
    for head, group in zip(headed, groups, strict=False):
        lines += [[(r, c) for r in group] for c in counts if rows[head].values[c] is not None]
    if table.row_total is not None:  # each row sums to its total column
        parts = [c for c in counts if table.columns[c].summed and c != table.row_total]
        lines += [[(r, c) for c in parts] for r in members]

    def smallest_other(cells: list[tuple[int, int]]) -> tuple[int, int] | None:
        candidates = [
            (rows[r].values[c] or 0, r, c)
            for r, c in cells
            if (r, c) not in masks and (rows[r].values[c] or 0) > 0
        ]
        return min(candidates)[1:] if candidates else None

    changed = True
    while changed:
        changed = False
        for cells in lines:
            if sum(1 for cell in cells if cell in masks) == 1:
                extra = smallest_other(cells)
                if extra is not None:
                    masks.add(extra)
                    changed = True
    return primary, masks - primary


def show(table: Table, threshold: int = SMALL_CELL_THRESHOLD) -> Shown:
    """The publishable form of a table."""
    small, secondary = _count_masks(table, threshold)
    masks = small | secondary
    kinds = tuple(c.kind for c in table.columns)

    def cells(r: int | None, row: Row) -> tuple[ShownCell, ...]:
        out = []
        for c, column in enumerate(table.columns):
            value = row.values[c]
            basis = c if column.basis is None else column.basis
            if r is None:  # total row: masked only when it is small itself
                hidden = _is_small(row.values[basis], threshold) and table.columns[basis].kind == "count"
            else:
                hidden = (r, basis) in masks
            if row.heading and value is None:
                out.append(ShownCell("", None))
            elif hidden:
                is_small = r is None or (r, basis) in small
                text = masked_text(threshold) if column.kind == "count" and c == basis and is_small else "s"
                out.append(ShownCell(text, None, True))
            else:
                out.append(ShownCell(fmt_value(value, column.kind), value))
        return tuple(out)

    rows = tuple(ShownRow(row.label, cells(i, row), row.heading) for i, row in enumerate(table.rows))
    total = ShownRow(table.total.label, cells(None, table.total)) if table.total else None
    masked_any = any(cell.masked for row in rows for cell in row.cells) or bool(
        total and any(cell.masked for cell in total.cells)
    )
    return Shown(
        key=table.key,
        title=table.title,
        label_header=table.label_header,
        headers=tuple(c.header for c in table.columns),
        kinds=kinds,
        rows=rows,
        total=total,
        chart=table.chart,
        chart_columns=table.chart_columns,
        note=table.note,
        masked_any=masked_any,
    )


def share(part: float, whole: float) -> float | None:
    """Percentage of part in whole (None when whole is 0)."""
    return 100.0 * part / whole if whole else None
