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


def _finite(value: Any) -> Any:
    """`value` with NaN and infinities as None, in nested lists and dicts (JSON has neither)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def json_text(document: Any, indent: int | None = 2) -> str:
    """Strict JSON (NaN written as null), non-JSON values as their text."""
    return json.dumps(_finite(document), indent=indent, default=str, allow_nan=False)


def _numeric(rows: Sequence[dict[str, Any]], column: str) -> bool:
    """Whether a column holds numbers (judged by its first non-empty value)."""
    value = next((row.get(column) for row in rows if row.get(column) is not None), None)
    return isinstance(value, int | float) and not isinstance(value, bool)


def markdown(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    """A GitHub Markdown table (numbers right-aligned)."""
    align = ["---:" if _numeric(rows, column) else "---" for column in columns]
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
        numeric = _numeric(rows, column)
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
        print(json_text(list(json_rows if json_rows is not None else rows)))
    elif fmt == "csv":
        print(csv_text(columns, rows), end="")
    elif fmt == "md":
        print(markdown(columns, rows))
    else:
        Console(width=200).print(rich_table(title, columns, rows))
