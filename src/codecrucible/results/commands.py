"""The results commands: passk, rerank-metrics, leaderboard, export, profile."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from codecrucible.cli import EXIT_MACHINERY, _fail  # defined before cli attaches these
from codecrucible.errors import InputError
from codecrucible.execution.standalone import SANDBOXES
from codecrucible.results.render import FORMATS, Format, emit


def _ks(text: str, option: str = "--k") -> list[int]:
    from codecrucible.tasks._common import parse_k

    try:
        return parse_k(text)
    except InputError as exc:
        _fail(f"{option}: {exc}".replace("k must be", "it must be"))


def _notes(notes: list[str]) -> None:
    for note in notes:
        click.echo(f"note: {note}", err=True)


@contextmanager
def _counting(description: str) -> Iterator[Callable[[], None]]:
    """A progress line on stderr; yields the function that counts one more item."""
    from codecrucible.datatools.progress import progress_bar

    with progress_bar() as bar:
        task = bar.add_task(description, total=None)
        yield lambda: bar.advance(task)


def _read(
    paths: tuple[str, ...], *, full: bool, description: str, notes: list[str] | None = None
) -> Iterator[Any]:
    """The logs' records, with a progress line; a note in `notes` for each incomplete log."""
    from codecrucible.results.logs import incomplete, read_records

    seen: set[str] = set()
    try:
        with _counting(description) as advance:
            for header, record in read_records(list(paths), full=full):
                if record.log not in seen:
                    seen.add(record.log)
                    note = incomplete(header)
                    if note and notes is not None:
                        notes.append(note)
                advance()
                yield header, record
    except InputError as exc:
        _fail(str(exc))


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {path}: {exc.strerror or exc}")


FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table (terminal), md (Markdown), csv or json (one document).",
)


@click.command("passk")
@click.argument("logs", nargs=-1, required=True)
@click.option("--k", "k_text", default="1", show_default=True, help="Comma-separated k values.")
@click.option(
    "--by",
    type=click.Choice(["difficulty", "platform", "month", "source"]),
    default=None,
    help="Also split each run by this field of the problems.",
)
@FORMAT_OPTION
def passk_command(logs: tuple[str, ...], k_text: str, by: str | None, fmt: Format) -> None:
    """pass@k of every run (task x model x solver) in LOGS (files or directories).

    The unbiased estimator over each problem's samples (epochs), a 95% bootstrap
    interval over problems; errored samples count as failures and are shown.
    """
    from codecrucible.results.passk import pass_at_k_table

    read_notes: list[str] = []
    records = (
        record
        for _, record in _read(logs, full=False, description="samples read", notes=read_notes)
    )
    rows, notes = pass_at_k_table(records, _ks(k_text), by)
    _notes(read_notes + notes)
    if not rows:
        _fail("no pass@k to show: " + ("see the notes above" if notes else "no scored sample"))
    columns = ["task", "model", "solver", *(["group"] if by else []), "k", "pass_at_k"]
    columns += ["ci_low", "ci_high", "n_problems", "n_samples_per_problem", "errors", "unscored"]
    dicts = [row.as_dict() for row in rows]
    emit(fmt, "pass@k (95% bootstrap interval over problems)", columns, dicts)


@click.command("rerank-metrics")
@click.argument("logs", nargs=-1, required=True)
@click.option("--k", "k_text", default="1", show_default=True, help="Comma-separated k values.")
@click.option(
    "--n", "n_text", default=None, help="Subset sizes n (default: the fewest candidates)."
)
@click.option(
    "--perms",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Random subsets per problem (seeded, as CodeRM).",
)
@click.option(
    "--sandbox",
    type=click.Choice(SANDBOXES),
    default="bwrap",
    show_default=True,
    help="Where to run hidden tests the log has no results for.",
)
@FORMAT_OPTION
def rerank_metrics_command(
    logs: tuple[str, ...], k_text: str, n_text: str | None, perms: int, sandbox: str, fmt: Format
) -> None:
    """rm@{n,k} (CodeRM) of rerank-solver runs in LOGS, with pass@k of the same candidates.

    Criteria: orm@ (reward), public@ (public tests), orm+public@, ml@ (log-probability)
    and solver@ (the run's own `by=`). Hidden-test results come from the log
    (`-S score_all_candidates=true`) or are computed now in SANDBOX.
    """
    import anyio

    from codecrucible.datasets import DatasetError
    from codecrucible.execution import ExecutorError
    from codecrucible.results.rerank import (
        needs_hidden_results,
        pools,
        rerank_table,
        run_hidden_tests,
    )

    ks = _ks(k_text)
    ns = _ks(n_text, "--n") if n_text else None
    read_notes: list[str] = []
    records = (
        record for _, record in _read(logs, full=True, description="samples read", notes=read_notes)
    )
    runs, notes = pools(records)
    notes = read_notes + notes
    if not runs:
        _notes(notes)
        _fail("no candidates of the rerank solver in these logs (run --solver codecrucible/rerank)")
    missing = needs_hidden_results(runs)
    if missing:
        from codecrucible.execution.standalone import open_sandbox

        click.echo(
            f"running the hidden tests of {missing} candidates in {sandbox} "
            "(the log holds no results: rerun with -S score_all_candidates=true to keep them)",
            err=True,
        )

        async def run() -> None:
            with _counting("candidates tested") as advance:
                async with open_sandbox(sandbox) as environment:
                    await run_hidden_tests(runs, environment, advance)

        try:
            anyio.run(run)
        except (DatasetError, InputError) as exc:
            _fail(f"cannot load the problems' hidden tests: {exc}")
        except ExecutorError as exc:
            _fail(f"the {sandbox} sandbox failed: {exc}", EXIT_MACHINERY)
    with _counting("metrics computed") as advance:
        rows, more = rerank_table(runs, ns, ks, perms=perms, progress=advance)
    _notes(notes + more)
    if not rows:
        _fail("no metric to show (see the notes above)")
    columns = ["task", "model", "solver", "metric", "n", "k", "value", "n_problems"]
    emit(fmt, "reranking: rm@{n,k} and pass@k", columns, [row.as_dict() for row in rows])


@click.command("leaderboard")
@click.argument("log_dir", nargs=-1, required=True)
@click.option("--k", "k_text", default="1,5,10", show_default=True, help="pass@k columns.")
@click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Also write leaderboard.{md,csv,json,html} here.",
)
@FORMAT_OPTION
def leaderboard_command(
    log_dir: tuple[str, ...], k_text: str, output: Path | None, fmt: Format
) -> None:
    """Models x tasks x solvers from the logs in LOG_DIR: pass@1, pass@k, cost.

    With --output, also a Markdown and a CSV table, the rows as JSON, and one
    self-contained HTML page with plots (pass@k curves, pass@1 against tokens,
    pass@1 by difficulty).
    """
    from codecrucible.results.leaderboard import build_entries, columns_for, html_page
    from codecrucible.results.render import csv_text, json_text, markdown

    ks = _ks(k_text)
    notes: list[str] = []
    records = (
        record for _, record in _read(log_dir, full=True, description="samples read", notes=notes)
    )
    entries = build_entries(records)
    if not entries:
        _fail("the logs hold no samples")
    shown = [k for k in ks if any(k in entry.pass_at for entry in entries)]
    for entry in entries:
        if not entry.pass_at:
            notes.append(f"{entry.run.label()}: no scored sample")
    notes += [
        f"pass@{k} needs {k} samples per problem; no run has that many (run more --epochs)"
        for k in ks
        if k not in shown and k > 1
    ]
    _notes(notes)
    columns = columns_for(shown)
    rows = [entry.row(shown) for entry in entries]
    emit(fmt, "leaderboard", columns, rows)
    if output is not None:
        try:
            output.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            _fail(f"cannot create {output}: {exc.strerror or exc}")
        words = ["codecrucible", "leaderboard", *log_dir, "--k", k_text, "--output", str(output)]
        command = " ".join(map(shlex.quote, words))
        _write(output / "leaderboard.md", markdown(columns, rows) + "\n")
        _write(output / "leaderboard.csv", csv_text(columns, rows))
        _write(output / "leaderboard.json", json_text(rows) + "\n")
        _write(output / "leaderboard.html", html_page(entries, shown, notes=notes, command=command))
        click.echo(f"wrote leaderboard.{{md,csv,json,html}} to {output}", err=True)


@click.command("export")
@click.argument("log", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="File to write (default: standard output).",
)
@click.option(
    "--tests/--no-tests",
    "with_tests",
    default=True,
    show_default=True,
    help="Load each problem's tests and solutions from its source.",
)
def export_command(log: tuple[str, ...], fmt: str, output: Path | None, with_tests: bool) -> None:
    """One JSON line per sample and epoch in the seed's generation-result format.

    problem, final_code, full_message_history, generation_metadata, plus the verdict.
    """
    from codecrucible.datasets import DatasetError
    from codecrucible.results.export import export_record
    from codecrucible.results.render import json_text

    try:
        handle = output.open("w", encoding="utf-8") if output else sys.stdout
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")
    written = 0
    try:
        for header, record in _read(log, full=True, description="samples exported"):
            try:
                line = export_record(header, record, with_tests=with_tests)
            except (DatasetError, InputError) as exc:
                _fail(f"cannot load the problem's tests ({exc}); export with --no-tests")
            handle.write(json_text(line, indent=None) + "\n")
            written += 1
    finally:
        if output:
            handle.close()
    if output:
        click.echo(f"wrote {written} samples to {output}", err=True)


@click.command("profile")
@click.argument("log", nargs=-1, required=True)
@click.option("--samples/--no-samples", default=False, help="Also list every sample.")
@FORMAT_OPTION
def profile_command(log: tuple[str, ...], samples: bool, fmt: Format) -> None:
    """Where time goes in LOG: model calls, code execution, the rest; tokens per stage."""
    from codecrucible.results.profile import profile_sample, stage_totals
    from codecrucible.results.render import json_text

    profiles = []
    runs: dict[str, list[Any]] = {}
    for _, record in _read(log, full=True, description="samples read"):
        assert record.sample is not None
        found = profile_sample(record.sample)
        record.sample = None
        profiles.append(found)
        runs.setdefault(record.run.label(), []).append(found)
    if not profiles:
        _fail("the logs hold no samples")
    summary = []
    for label, members in runs.items():
        total = sum(p.total_s for p in members) or float("nan")  # shown as n/a, null in JSON
        model = sum(p.model_s for p in members)
        execution = sum(p.execution_s for p in members)
        other = sum(p.other_s for p in members)
        summary.append(
            {
                "run": label,
                "samples": len(members),
                "total_s": total,
                "model_s": model,
                "model_%": 100 * model / total,
                "execution_s": execution,
                "execution_%": 100 * execution / total,
                "other_s": other,
                "other_%": 100 * other / total,
                "model_calls": sum(p.model_calls for p in members),
            }
        )
    columns = list(summary[0])
    stage_rows = [
        {"run": label, "stage": name, **values}
        for label, members in runs.items()
        for name, values in stage_totals(members).items()
    ]
    sample_rows = [
        {
            "problem": p.problem,
            "epoch": p.epoch,
            "total_s": p.total_s,
            "model_s": p.model_s,
            "execution_s": p.execution_s,
            "other_s": p.other_s,
            "model_calls": p.model_calls,
        }
        for p in profiles
    ]
    if fmt == "json":
        document = {"runs": summary, "stages": stage_rows}
        if samples:
            document["samples"] = sample_rows
        click.echo(json_text(document))
        return
    emit(fmt, "time per run (sum over samples)", columns, summary)
    if stage_rows:
        stage_columns = [
            "run",
            "stage",
            "samples",
            "calls",
            "input_tokens",
            "output_tokens",
            "wall_s",
        ]
        emit(fmt, "solver stages (sum over samples)", stage_columns, stage_rows)
    if samples:
        emit(fmt, "samples", list(sample_rows[0]), sample_rows)
