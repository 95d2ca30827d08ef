"""The `codecrucible` command."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
from pydantic import ValidationError

from codecrucible.errors import validation_message
from codecrucible.execution.protocol import ExecutionMode
from codecrucible.execution.standalone import SANDBOXES, open_sandbox
from codecrucible.problem import Limits, TestCase

EXIT_PASSED, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_MACHINERY = 0, 1, 2, 3


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    click.echo(f"codecrucible: {message}", err=True)
    sys.exit(code)


@click.group()
@click.version_option(package_name="codecrucible")
def main() -> None:
    """codecrucible: evaluate LLM code generation (tasks run with `inspect eval`)."""


def read_tests(path: Path) -> list[TestCase]:
    """Tests from a JSONL file, one `TestCase` per line (blank lines skipped)."""
    tests = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            tests.append(TestCase.model_validate_json(line))
        except ValidationError as exc:
            raise ValueError(f"{path} line {number}: {validation_message(exc)}") from None
    if not tests:
        raise ValueError(f"{path} holds no tests (one TestCase JSON object per line)")
    return tests


@main.command("exec")
@click.argument("solution_file", type=click.Path(path_type=Path), required=False)
@click.option(
    "--tests",
    "tests_file",
    type=click.Path(path_type=Path),
    help="JSONL file, one TestCase per line.",
)
@click.option(
    "--language",
    default=None,
    help="The program's language (default: from the file's suffix, else python); see --languages.",
)
@click.option(
    "--languages",
    "list_languages",
    is_flag=True,
    help="List the languages and whether their toolchains are installed here, then exit.",
)
@click.option(
    "--sandbox",
    type=click.Choice(SANDBOXES),
    default="bwrap",
    show_default=True,
    help="Where the program runs.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=Limits().time_s,
    show_default=True,
    help="CPU seconds per test.",
)
@click.option(
    "--memory",
    type=click.IntRange(min=1),
    default=Limits().memory_mb,
    show_default=True,
    help="Memory per test, in MiB.",
)
@click.option(
    "--compare",
    "comparator",
    default="exact",
    show_default=True,
    help="Output comparison policy: exact, tokens or lines.",
)
@click.option(
    "--mode",
    type=click.Choice(["strict", "batch"]),
    default="strict",
    show_default=True,
    help="strict: a clean process per test; batch: one process runs the tests in sequence.",
)
@click.option(
    "--all",
    "run_all",
    is_flag=True,
    help="Run every test instead of stopping at the first failure.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with every verdict.")
def exec_command(
    solution_file: Path | None,
    tests_file: Path | None,
    language: str | None,
    list_languages: bool,
    sandbox: str,
    timeout: float,
    memory: int,
    comparator: str,
    mode: ExecutionMode,
    run_all: bool,
    as_json: bool,
) -> None:
    """Run SOLUTION_FILE against the tests in a sandbox and report a verdict per test.

    Exit status: 0 when every test passes, 1 when one fails, 2 for bad input,
    3 when the sandbox or the runner failed.
    """
    import anyio

    from codecrucible.execution import ExecutorError, TestDataError, execute, get_comparator
    from codecrucible.execution.languages import get_language, language_for_file

    if list_languages:
        _print_languages(as_json)
        return
    if solution_file is None or tests_file is None:
        _fail("give SOLUTION_FILE and --tests TESTS.jsonl (or --languages)")
    try:
        spoken = get_language(language) if language else language_for_file(solution_file)
    except ValueError as exc:
        _fail(str(exc))
    missing = spoken.missing_toolchain()
    if missing:
        _fail(f"{spoken.name} needs {', '.join(missing)}, which is not installed here")
    try:
        program = solution_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {solution_file}: {exc}")
    try:
        tests = read_tests(tests_file)
        get_comparator(comparator)
    except ValueError as exc:
        _fail(str(exc))
    limits = Limits(time_s=timeout, memory_mb=memory)

    async def run() -> Any:
        async with open_sandbox(sandbox) as environment:
            return await execute(
                program,
                tests,
                limits=limits,
                comparator=comparator,
                stop_on_failure=not run_all,
                mode=mode,
                sandbox=environment,
                language=spoken.name,
            )

    from codecrucible.sandboxes.bwrap import SandboxUnavailableError

    try:
        with _stdout_to_stderr():
            result = anyio.run(run)
    except SandboxUnavailableError as exc:
        _fail(str(exc))
    except TestDataError as exc:
        _fail(f"bad test: {exc}")
    except ExecutorError as exc:
        _fail(f"the {sandbox} sandbox failed: {exc}", EXIT_MACHINERY)
    except Exception as exc:  # the docker engine missing, and the like
        _fail(f"the {sandbox} sandbox failed: {type(exc).__name__}: {exc}", EXIT_MACHINERY)

    if as_json:
        document = result.model_dump(mode="json")
        document["sandbox"] = sandbox
        document["language"] = spoken.name
        click.echo(json.dumps(document))
    else:
        _print_table(result, sandbox)
    sys.exit(EXIT_PASSED if result.passed else EXIT_FAILED)


def _print_languages(as_json: bool) -> None:
    from codecrucible.execution.languages import availability

    found = availability()
    if as_json:
        rows = [
            {
                "name": entry.language.name,
                "aliases": list(entry.language.aliases),
                "available": entry.available,
                "missing": entry.missing,
                "compiled": entry.language.compile is not None,
            }
            for entry in found
        ]
        click.echo(json.dumps(rows))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="languages")
    for column in ("language", "aliases", "build", "run", "here"):
        table.add_column(column)
    for entry in found:
        lang = entry.language
        table.add_row(
            lang.name,
            ", ".join(lang.aliases),
            " ".join(lang.compile)
            if lang.compile
            else "(in the runner)"
            if lang.in_process
            else "",
            " ".join(lang.run),
            "yes" if entry.available else f"no: {', '.join(entry.missing)} missing",
        )
    Console().print(table)


@main.group()
def data() -> None:
    """Dataset tooling: etl, audit, preprocess.

    etl saves a source's rows locally, audit checks a task's tests against its own
    solutions, preprocess enriches a source's rows with a model.
    """


def _attach_preprocess() -> None:
    from codecrucible.datatools.preprocess import preprocess

    data.add_command(preprocess)


_attach_preprocess()


@main.command("sweep")
@click.argument("config_file", metavar="CONFIG", type=click.Path(path_type=Path))
@click.option("--list", "list_cells", is_flag=True, help="Print the cells and exit.")
@click.option(
    "--cell",
    type=click.IntRange(min=0),
    default=None,
    help="Run only this cell (a Slurm array task id, a Kubernetes job index).",
)
@click.option("--log-dir", default=None, help="Override the config's log_dir.")
def sweep_command(
    config_file: Path, list_cells: bool, cell: int | None, log_dir: str | None
) -> None:
    """Run a grid of tasks x models x solver settings (YAML or CSV) as one eval set.

    Rerunning resumes: finished cells are never run again. With --cell, exactly one
    cell runs (into the same log dir), so an array job runs the grid one cell per task.
    """
    from codecrucible.sweep import load_config, run

    try:
        config = load_config(config_file)
    except ValueError as exc:
        _fail(str(exc))
    if log_dir:
        config.log_dir = log_dir
    if list_cells:
        for entry in config.cells:
            click.echo(f"{entry.index}\t{entry.label()}")
        return
    chosen = config.cells
    if cell is not None:
        if cell >= len(config.cells):
            _fail(f"--cell {cell}: the grid has cells 0 to {len(config.cells) - 1}")
        chosen = [config.cells[cell]]
    try:
        success, _ = run(config, chosen)
    except ValueError as exc:
        _fail(str(exc))
    click.echo(
        f"{'finished' if success else 'not finished (run again to resume)'}: "
        f"{len(chosen)} of {len(config.cells)} cells, logs in {config.log_dir}",
        err=True,
    )
    sys.exit(0 if success else EXIT_FAILED)


def _attach_results() -> None:
    from codecrucible.results import commands

    for command in (
        commands.passk_command,
        commands.rerank_metrics_command,
        commands.leaderboard_command,
        commands.export_command,
        commands.profile_command,
    ):
        main.add_command(command)


_attach_results()


def _row_source_names() -> str:
    from codecrucible.datasets._rows import row_sources

    return ", ".join(row_sources())


@data.command("etl")
@click.argument("source")
@click.option(
    "--output", required=True, type=click.Path(path_type=Path), help="JSONL file to write."
)
@click.option("--config", default=None, help="The source's configuration, where it has several.")
@click.option("--split", default=None, help="The split to read (default: the source's own).")
@click.option(
    "--data-files",
    multiple=True,
    help="Read local rows in the source's schema instead of the hub (repeatable).",
)
@click.option("--language", default=None, help="Keep only the solutions in this language.")
@click.option(
    "--difficulty", default=None, help="Keep rows of these difficulties (comma-separated)."
)
@click.option("--sample", type=int, default=None, help="Keep this many rows, chosen at random.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --sample.")
def etl_command(
    source: str,
    output: Path,
    config: str | None,
    split: str | None,
    data_files: tuple[str, ...],
    language: str | None,
    difficulty: str | None,
    sample: int | None,
    seed: int,
) -> None:
    """Load SOURCE's rows, filter and sample them, and save them as JSONL in its own schema.

    The file loads again with the task's `-T data_files=PATH`. Sources: code_contests,
    mbpp, deepcoder, livecodebench, taco, apps, psb2 (`--config PROBLEM`, from its cache),
    swe_bench (`--config full|lite|verified`).
    """
    from codecrucible.datasets import DatasetError
    from codecrucible.datatools.etl import run_etl
    from codecrucible.datatools.progress import progress_bar
    from codecrucible.tasks._common import parse_list

    with progress_bar() as bar:
        task = bar.add_task(f"{source} rows", total=None)
        try:
            report = run_etl(
                source,
                output=output,
                config=config,
                split=split,
                data_files=list(data_files) or None,
                language=language,
                difficulty=parse_list(difficulty),
                sample=sample,
                seed=seed,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        except DatasetError as exc:
            _fail(str(exc))
    dropped = ", ".join(f"{count} by {reason}" for reason, count in report.dropped.items())
    click.echo(
        f"wrote {report.rows_written} of {report.rows_read} {report.source} rows to "
        f"{report.output}" + (f" (dropped {dropped})" if dropped else "")
    )


@data.command("audit")
@click.argument("task_name", metavar="TASK")
@click.option("-T", "task_args", multiple=True, help="A task parameter, as inspect eval takes it.")
@click.option(
    "--output", type=click.Path(path_type=Path), default=None, help="Write the report as JSON."
)
@click.option(
    "--sandbox",
    type=click.Choice(SANDBOXES),
    default="bwrap",
    show_default=True,
    help="Where the solutions run.",
)
@click.option(
    "--max-solutions",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="Solutions of each kind run per problem (0: all).",
)
@click.option("--no-incorrect", is_flag=True, help="Skip the known-incorrect solutions.")
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="Audit the first N problems."
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 2,
    show_default="the number of CPUs",
    help="Problems audited at once.",
)
def audit_command(
    task_name: str,
    task_args: tuple[str, ...],
    output: Path | None,
    sandbox: str,
    max_solutions: int,
    no_incorrect: bool,
    limit: int | None,
    concurrency: int,
) -> None:
    """Run TASK's reference and incorrect solutions through its own scoring settings.

    Reports the problems whose tests reject their own reference solutions (broken
    tests) and the incorrect solutions that pass (weak tests). Exit status 0 when
    neither is found, 1 when some are, 2 for bad input.
    """
    import anyio
    from inspect_ai._util.config import parse_cli_args

    from codecrucible.datatools.audit import audit_task
    from codecrucible.datatools.progress import progress_bar
    from codecrucible.errors import InputError

    arguments = parse_cli_args(task_args)
    with progress_bar() as bar:
        task = bar.add_task(f"auditing {task_name}", total=None)

        async def run() -> Any:
            return await audit_task(
                task_name,
                arguments,
                sandbox=sandbox,
                max_solutions=max_solutions or None,
                incorrect=not no_incorrect,
                limit=limit,
                concurrency=concurrency,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )

        try:
            with _stdout_to_stderr():
                report = anyio.run(run)
        except Exception as exc:  # task groups wrap what their tasks raise
            error = _innermost(exc)
            if isinstance(error, InputError):
                _fail(str(error))
            _fail(f"the audit failed: {type(error).__name__}: {error}", EXIT_MACHINERY)
    document = report.to_json()
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    _print_audit(document, output)
    summary = document["summary"]
    found = summary["broken_problems"] or summary["weak_problems"] or summary["unloadable_problems"]
    sys.exit(EXIT_FAILED if found else EXIT_PASSED)


def _innermost(error: BaseException) -> BaseException:
    """The first real error inside (nested) exception groups."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def _print_audit(document: dict[str, Any], output: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    summary = document["summary"]
    console.print(
        f"[bold]{document['task']}[/bold]: {summary['problems']} problems, "
        f"{summary['references_run']} reference solutions run "
        f"({summary['references_failed']} rejected), {summary['incorrect_run']} incorrect "
        f"solutions run ({summary['incorrect_passed']} passed), "
        f"{document['elapsed_s']} s in the {document['sandbox']} sandbox"
    )
    if document["broken"]:
        table = Table(title=f"{summary['broken_problems']} problems whose tests reject a reference")
        for column in ("problem", "references", "rejected", "verdict", "tests failed", "detail"):
            table.add_column(column)
        for problem in document["broken"][:50]:
            first = problem["reference_failures"][0]
            table.add_row(
                problem["id"],
                str(problem["references_run"]),
                str(len(problem["reference_failures"])),
                first["status"],
                f"{len(first['failing_tests'])} of {problem['tests']}",
                first["message"][:60],
            )
        console.print(table)
    if document["weak"]:
        table = Table(title=f"{summary['weak_problems']} problems an incorrect solution passes")
        for column in ("problem", "incorrect run", "passed", "tests"):
            table.add_column(column)
        for problem in document["weak"][:50]:
            table.add_row(
                problem["id"],
                str(problem["incorrect_run"]),
                ", ".join(str(i) for i in problem["incorrect_passed"]),
                str(problem["tests"]),
            )
        console.print(table)
    for problem in document["unloadable"][:50]:
        console.print(f"[red]cannot load[/red] {problem['id']}: {problem['error']}")
    if not document["broken"] and not document["weak"] and not document["unloadable"]:
        console.print("[green]no broken or weak tests found[/green]")
    if output is not None:
        console.print(f"report: {output}")


@contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send the output of what runs meanwhile (docker compose builds) to stderr.

    At the file-descriptor level, so child processes follow: stdout carries the
    report alone, and `--json` prints exactly one JSON object.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _print_table(result: Any, sandbox: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"{len(result.verdicts)} of {result.tests_total} tests run ({sandbox} sandbox)"
    )
    for column in ("test", "verdict", "cpu s", "memory MiB", "detail"):
        table.add_column(column)
    for verdict in result.verdicts:
        style = "green" if verdict.passed else "red"
        detail = verdict.message or ""
        if verdict.status == "runtime_error" and verdict.stderr.strip():
            detail = verdict.stderr.strip().splitlines()[-1]
        table.add_row(
            str(verdict.index + 1),
            f"[{style}]{verdict.status}[/{style}]",
            f"{verdict.time_s:.3f}",
            f"{verdict.memory_mb:.0f}",
            detail[:100],
        )
    console = Console()
    console.print(table)
    summary = "[green]PASSED[/green]" if result.passed else "[red]FAILED[/red]"
    counts = ", ".join(f"{status} {count}" for status, count in result.counts.items())
    console.print(f"{summary}  {counts}  (comparator {result.comparator})")


if __name__ == "__main__":
    main()
