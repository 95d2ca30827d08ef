"""The leaderboard: models x tasks x solvers, with cost, in a table and one HTML page of plots.

Each row is one run (task, model, solver): pass@1 with its 95% bootstrap interval,
pass@k for the k its samples allow, mean tokens, model calls and wall time per
sample, and errored samples. The HTML page is self-contained (inline SVG from
matplotlib, inline CSS): pass@k curves per task, pass@1 against tokens spent, and
pass@1 per difficulty.
"""

from __future__ import annotations

import html
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from codecrucible.results.logs import Run, SampleRecord
from codecrucible.results.passk import (
    ProblemCounts,
    bootstrap_interval,
    count_problems,
    group_value,
    pass_at_k,
)
from codecrucible.results.render import cell

COLUMNS = (
    "task",
    "model",
    "solver",
    "pass@1",
    "ci_low",
    "ci_high",
    "n_problems",
    "samples_per_problem",
    "tokens_per_sample",
    "calls_per_sample",
    "seconds_per_sample",
    "errors",
)


@dataclass
class Entry:
    """One run on the leaderboard."""

    run: Run
    problems: dict[str, ProblemCounts]
    pass_at: dict[int, float]
    ci: tuple[float, float]
    tokens_per_sample: float
    calls_per_sample: float
    seconds_per_sample: float
    errors: int
    by_difficulty: dict[str, float] = field(default_factory=dict)

    @property
    def samples_per_problem(self) -> int:
        """The fewest scored samples of any problem."""
        return min((c.n for c in self.problems.values() if c.n), default=0)

    def row(self, ks: Sequence[int]) -> dict[str, Any]:
        """The entry as a table row (`pass@k` columns for the k it allows)."""
        row: dict[str, Any] = {
            "task": self.run.task,
            "model": self.run.model,
            "solver": self.run.solver,
            "pass@1": self.pass_at.get(1),
            "ci_low": self.ci[0],
            "ci_high": self.ci[1],
            "n_problems": sum(1 for c in self.problems.values() if c.n),
            "samples_per_problem": self.samples_per_problem,
            "tokens_per_sample": self.tokens_per_sample,
            "calls_per_sample": self.calls_per_sample,
            "seconds_per_sample": self.seconds_per_sample,
            "errors": self.errors,
        }
        for k in ks:
            if k != 1:
                row[f"pass@{k}"] = self.pass_at.get(k)
        return row


def _calls(record: SampleRecord) -> int:
    from inspect_ai.event import ModelEvent

    if record.sample is None:
        return 0
    return sum(isinstance(event, ModelEvent) for event in record.sample.events)


def build_entries(records: Iterable[SampleRecord]) -> list[Entry]:
    """Leaderboard entries, best pass@1 first within each task."""
    runs: dict[Run, list[SampleRecord]] = {}
    calls: dict[Run, int] = {}
    for record in records:
        runs.setdefault(record.run, []).append(record)
        calls[record.run] = calls.get(record.run, 0) + _calls(record)
        record.sample = None  # the events are counted: free the memory
    entries = []
    for run, run_records in runs.items():
        problems = count_problems(run_records)
        scored = [c for c in problems.values() if c.n]
        n_min = min((c.n for c in scored), default=0)
        pass_at = {
            k: sum(pass_at_k(c.n, c.correct, k) for c in scored) / len(scored)
            for k in range(1, n_min + 1)
        }
        ci = (
            bootstrap_interval([pass_at_k(c.n, c.correct, 1) for c in scored])
            if scored
            else (
                float("nan"),
                float("nan"),
            )
        )
        by_difficulty: dict[str, float] = {}
        groups: dict[str, list[SampleRecord]] = {}
        for record in run_records:
            groups.setdefault(group_value(record, "difficulty"), []).append(record)
        if set(groups) != {"unknown"}:
            for name, members in groups.items():
                counts = [c for c in count_problems(members).values() if c.n]
                if counts:
                    by_difficulty[name] = sum(c.correct / c.n for c in counts) / len(counts)
        count = len(run_records)
        timed = [r.total_time for r in run_records if r.total_time is not None]
        entries.append(
            Entry(
                run=run,
                problems=problems,
                pass_at=pass_at,
                ci=ci,
                tokens_per_sample=sum(r.tokens for r in run_records) / count,
                calls_per_sample=calls[run] / count,
                seconds_per_sample=sum(timed) / len(timed) if timed else float("nan"),
                errors=sum(c.errors for c in problems.values()),
                by_difficulty=by_difficulty,
            )
        )
    return sorted(entries, key=lambda e: (e.run.task, -(e.pass_at.get(1) or 0.0), e.run.model))


def columns_for(ks: Sequence[int]) -> list[str]:
    """The table's columns: pass@k for each k after pass@1's interval."""
    extra = [f"pass@{k}" for k in ks if k != 1]
    return [*COLUMNS[:6], *extra, *COLUMNS[6:]]


# ---- plots ----------------------------------------------------------------------------------

DIFFICULTY_ORDER = (
    "easy",
    "medium",
    "medium_hard",
    "hard",
    "very_hard",
    "interview",
    "competition",
)


def _pyplot() -> Any:
    """Matplotlib's pyplot on the Agg backend: plots are files, never windows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    _pyplot().close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog: the SVG sits inside HTML


def _name(entry: Entry) -> str:
    return f"{entry.run.model} · {entry.run.solver}"


def plot_pass_at_k(entries: Sequence[Entry]) -> str | None:
    """pass@k curves, one panel per task, one line per model and solver."""
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    tasks = sorted({e.run.task for e in entries})
    if not any(len(e.pass_at) > 0 for e in entries):
        return None
    figure, axes = plt.subplots(1, len(tasks), figsize=(5.5 * len(tasks), 4), squeeze=False)
    for axis, task in zip(axes[0], tasks, strict=True):
        for entry in (e for e in entries if e.run.task == task and e.pass_at):
            ks = sorted(entry.pass_at)
            axis.plot(ks, [entry.pass_at[k] for k in ks], marker="o", label=_name(entry))
        axis.set_title(task)
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_xlabel("k (samples)")
        axis.set_ylabel("pass@k")
        axis.set_ylim(0, 1.02)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    return _svg(figure)


def plot_cost(entries: Sequence[Entry]) -> str | None:
    """pass@1 against mean tokens per sample, one point per run."""
    plt = _pyplot()
    points = [e for e in entries if 1 in e.pass_at]
    if not points:
        return None
    figure, axis = plt.subplots(figsize=(6.5, 4.5))
    several_tasks = len({e.run.task for e in points}) > 1
    for entry in points:  # one colour per run, in the order of the other plots
        label = (f"{entry.run.task} · " if several_tasks else "") + _name(entry)
        axis.scatter([entry.tokens_per_sample], [entry.pass_at[1]], s=60, label=label)
    axis.set_xlabel("tokens per sample (input + output)")
    axis.set_ylabel("pass@1")
    axis.set_ylim(-0.02, 1.02)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7)
    return _svg(figure)


def plot_difficulty(entries: Sequence[Entry]) -> str | None:
    """pass@1 per difficulty, grouped bars per run (tasks whose problems carry a difficulty)."""
    plt = _pyplot()
    shown = [e for e in entries if e.by_difficulty]
    if not shown:
        return None
    levels = sorted(
        {level for e in shown for level in e.by_difficulty},
        key=lambda d: (DIFFICULTY_ORDER.index(d) if d in DIFFICULTY_ORDER else 99, d),
    )
    figure, axis = plt.subplots(figsize=(max(6.0, 1.2 * len(levels) * max(1, len(shown)) / 2), 4))
    width = 0.8 / len(shown)
    for index, entry in enumerate(shown):
        positions = [level_index + index * width for level_index in range(len(levels))]
        axis.bar(
            positions,
            [entry.by_difficulty.get(level, 0.0) for level in levels],
            width=width,
            label=f"{entry.run.task} · {_name(entry)}",
        )
    axis.set_xticks([i + 0.4 - width / 2 for i in range(len(levels))], levels)
    axis.set_ylabel("pass@1")
    axis.set_ylim(0, 1.02)
    axis.grid(alpha=0.3, axis="y")
    axis.legend(fontsize=7)
    return _svg(figure)


# ---- the page -------------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #1b1b1b; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.9em; }
th { background: #234e8c; color: white; padding: 6px 10px; text-align: left; }
td { padding: 5px 10px; border-bottom: 1px solid #ddd; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #f4f6fa; }
figure { margin: 1em 0; } .scroll { overflow-x: auto; } .note { color: #666; font-size: 0.85em; }
"""


def html_page(
    entries: Sequence[Entry], ks: Sequence[int], *, notes: Sequence[str] = (), command: str = ""
) -> str:
    """One self-contained HTML page: the table, then the plots."""
    columns = columns_for(ks)
    rows = [entry.row(ks) for entry in entries]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column)
            kind = ' class="num"' if isinstance(value, int | float) else ""
            cells.append(f"<td{kind}>{html.escape(cell(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    plots = [
        ("pass@k by samples drawn", plot_pass_at_k(entries)),
        ("pass@1 against tokens spent", plot_cost(entries)),
        ("pass@1 by difficulty", plot_difficulty(entries)),
    ]
    figures = []
    for title, svg in plots:
        if svg is None:
            figures.append(f'<h2>{title}</h2><p class="note">No data for this plot.</p>')
        else:
            figures.append(f'<h2>{title}</h2><figure class="plot">{svg}</figure>')
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    note_items = "".join(f"<li>{html.escape(note)}</li>" for note in notes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>codecrucible leaderboard</title>
<style>{STYLE}</style></head>
<body>
<h1>codecrucible leaderboard</h1>
<p class="note">Generated {generated}{" by <code>" + html.escape(command) + "</code>" if command else ""}.
pass@k by the unbiased estimator; interval: 95% bootstrap over problems;
errored samples count as failures.</p>
<div class="scroll"><table id="leaderboard"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>
{"<ul class='note'>" + note_items + "</ul>" if note_items else ""}
{"".join(figures)}
</body></html>
"""
