"""Tables in the formats every results command prints: terminal, Markdown, CSV, JSON."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from typing import Any, Literal

from rich.console import Console
from rich.table import Table

Format = Literal["table", "md", "csv", "json"]
FORMATS: tuple[Format, ...] = ("table", "md", "csv", "json")


def cell(value: Any) -> str:
    """A value as a table shows it: 3 decimals below 10, 1 below 1000, then thousands separated."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if abs(value) < 10:
            return f"{value:.3f}"
        return f"{value:.1f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    """A GitHub Markdown table (numbers right-aligned)."""
    align = [
        "---:" if rows and isinstance(rows[0].get(column), int | float) else "---"
        for column in columns
    ]
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(align) + "|"]
    for row in rows:
        values = [cell(row.get(column)).replace("|", "\\|") for column in columns]
        lines.append("| " + " | ".join(values) + " |")
    return "\n".join(lines)


def csv_text(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    """CSV with a header row; numbers at full precision."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column) for column in columns})
    return buffer.getvalue()


def rich_table(title: str, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> Table:
    """A terminal table."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        numeric = bool(rows) and isinstance(rows[0].get(column), int | float)
        table.add_column(column, justify="right" if numeric else "left")
    for row in rows:
        table.add_row(*(cell(row.get(column)) for column in columns))
    return table


def emit(
    fmt: Format,
    title: str,
    columns: Sequence[str],
    rows: Sequence[dict[str, Any]],
    *,
    json_rows: Sequence[dict[str, Any]] | None = None,
) -> None:
    """Print rows to standard output in the chosen format.

    JSON prints one document, the list of `json_rows` (the rows themselves by default).
    """
    if fmt == "json":
        print(json.dumps(list(json_rows if json_rows is not None else rows), indent=2))
    elif fmt == "csv":
        print(csv_text(columns, rows), end="")
    elif fmt == "md":
        print(markdown(columns, rows))
    else:
        Console(width=200).print(rich_table(title, columns, rows))
