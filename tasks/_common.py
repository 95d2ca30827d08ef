"""What every code-generation task shares.

Samples that carry no hidden tests, pass@k epochs, and the scoring settings a
task hands to the tests scorer.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from inspect_ai import Epochs, Task
from inspect_ai.dataset import MemoryDataset, Sample

from codecrucible.datasets import ProblemSet
from codecrucible.datasets._problemset import in_language
from codecrucible.errors import InputError
from codecrucible.execution import get_comparator
from codecrucible.problem import CodeProblem, Limits, TestSet
from codecrucible.prompts import render_prompt

logger = logging.getLogger(__name__)

TEST_SETS: tuple[TestSet, ...] = ("public", "private", "generated")


def parse_k(k: int | str | Iterable[int | str]) -> list[int]:
    """`-T k=1,5` (or 5, or [1, 5]) as a sorted list of distinct positive ints."""
    parts: list[Any]
    if isinstance(k, int):
        parts = [k]
    elif isinstance(k, str):
        parts = [part for part in k.replace(" ", "").split(",") if part]
    else:
        parts = list(k)
    try:
        values = sorted({int(part) for part in parts})
    except (TypeError, ValueError):
        raise InputError(f"k must be positive integers such as 1,5 (got {k!r})") from None
    if not values or values[0] < 1:
        raise InputError(f"k must be positive integers such as 1,5 (got {k!r})")
    return values


def pass_at_k_epochs(k: int | str | Iterable[int | str]) -> Epochs:
    """Epochs for pass@k: as many as the largest k, with a `pass_at_<k>` reducer per k.

    `--epochs N` with N larger than the largest k keeps these reducers (Inspect
    keeps a task's reducers when only the count is overridden).
    """
    values = parse_k(k)
    return Epochs(values[-1], ["mean", *[f"pass_at_{value}" for value in values]])


def parse_test_sets(tests: str | Iterable[str]) -> list[TestSet]:
    """`-T tests=private,generated` as a list of test set names."""
    names = (
        [t for t in tests.replace(" ", "").split(",") if t]
        if isinstance(tests, str)
        else list(tests)
    )
    unknown = [name for name in names if name not in TEST_SETS]
    if unknown or not names:
        raise InputError(f"tests must name sets among {', '.join(TEST_SETS)} (got {tests!r})")
    return [name for name in TEST_SETS if name in names]


def check_language(language: str) -> str:
    """`-T language=cpp`: the registry's name for it, its toolchain checked before loading."""
    from codecrucible.execution.languages import get_language

    try:
        spoken = get_language(str(language))
    except ValueError as exc:
        raise InputError(str(exc)) from None
    missing = spoken.missing_toolchain()
    if missing:
        raise InputError(
            f"language {spoken.name} needs {', '.join(missing)}, which is not installed here "
            "(codecrucible exec --languages lists what is)"
        )
    return spoken.name


def check_exec_mode(exec_mode: str) -> str:
    """`-T exec_mode=strict|batch`, checked before any data is loaded."""
    if exec_mode not in ("strict", "batch"):
        raise InputError(f"exec_mode must be strict or batch (got {exec_mode!r})")
    return exec_mode


def task_sandbox() -> tuple[str, str]:
    """The sandbox every task declares: bwrap, carrying the Docker compose file as its config.

    bwrap ignores the file; Inspect hands it to a Docker-compatible sandbox chosen on
    the command line (`--sandbox docker`, `--sandbox k8s`), so those work for every
    task without a path.
    """
    from importlib.resources import files

    return ("bwrap", str(files("codecrucible.sandboxes") / "docker" / "compose.yaml"))


def effective_limits(problem: CodeProblem, timeout: float | None, memory_mb: int | None) -> Limits:
    """The problem's limits with the run's overrides applied."""
    update: dict[str, Any] = {}
    if timeout is not None:
        update["time_s"] = float(timeout)
    if memory_mb is not None:
        update["memory_mb"] = int(memory_mb)
    return problem.limits.model_copy(update=update)


def parse_list(value: str | Iterable[str] | None) -> list[str] | None:
    """`-T difficulty=easy,medium` (or a list) as a list of names; None stays None."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    names = [item.strip() for item in items if item.strip()]
    return names or None


def parse_date(value: str | date | None, name: str) -> date | None:
    """`-T start_date=2024-08-01` as a date (YAML may already have made it one)."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise InputError(f"{name} must be a date such as 2024-08-01 (got {value!r})") from None


def select_problems(
    problems: ProblemSet,
    *,
    difficulty: str | Iterable[str] | None = None,
    platform: str | Iterable[str] | None = None,
    start_date: str | date | None = None,
    end_date: str | date | None = None,
) -> ProblemSet:
    """The problems that match every filter given (both dates inclusive, as LiveCodeBench).

    Difficulty and platform compare case-insensitively and take comma-separated lists.
    """
    difficulties = {d.lower() for d in parse_list(difficulty) or []}
    platforms = {p.lower() for p in parse_list(platform) or []}
    start, end = parse_date(start_date, "start_date"), parse_date(end_date, "end_date")
    if start and end and start > end:
        raise InputError(f"start_date {start} is after end_date {end}")
    if not (difficulties or platforms or start or end):
        return problems
    kept = []
    for problem_id in problems:
        problem = problems.summary(problem_id)
        if difficulties and (problem.difficulty or "").lower() not in difficulties:
            continue
        if platforms and (problem.platform or "").lower() not in platforms:
            continue
        if (start or end) and problem.release_date is None:
            continue  # undated: cannot be shown to fall in the window
        if start and problem.release_date and problem.release_date < start:
            continue
        if end and problem.release_date and problem.release_date > end:
            continue
        kept.append(problem_id)
    if not kept:
        raise InputError(
            f"no {problems.source} problem matches the filters "
            f"(difficulty={difficulty!r}, platform={platform!r}, "
            f"start_date={start_date!r}, end_date={end_date!r})"
        )
    return problems.subset(kept)


def code_task(
    problems: ProblemSet,
    *,
    source_args: dict[str, Any],
    dataset: str,
    revision: str | None,
    k: int | str | Iterable[int | str] = 1,
    template: str,
    tests: list[TestSet],
    comparator: str | None = None,
    timeout: float | None = None,
    memory_mb: int | None = None,
    exec_mode: str = "strict",
    system_prompt: str = "default",
    language: str | None = None,
) -> Task:
    """The Task every benchmark builds: one sample per problem, single-turn, the tests scorer.

    `dataset` and `revision` name the data in the log (revision None for local files).
    `language` (checked with `check_language`) asks for programs in another language
    than the source's: problems whose tests call a function (not stdin) are left out.
    """
    from codecrucible.scorers import tests as tests_scorer
    from codecrucible.solvers import single_turn

    return Task(
        dataset=problem_samples(
            problems,
            source_args=source_args,
            template=template,
            tests=tests,
            comparator=comparator,
            timeout=timeout,
            memory_mb=memory_mb,
            exec_mode=exec_mode,
            language=language,
        ),
        solver=single_turn(system_prompt_id=system_prompt),
        scorer=tests_scorer(),
        epochs=pass_at_k_epochs(k),
        sandbox=task_sandbox(),
        metadata={"dataset": dataset, "revision": revision},
    )


def check_task_parameters(
    *,
    k: Any = 1,
    exec_mode: str = "strict",
    comparator: str | None = None,
    unknown: Mapping[str, Any] | None = None,
    task: Callable[..., Any] | None = None,
) -> None:
    """Parameters every task takes, checked before any data loads (a typo should not wait).

    `unknown` holds the `-T` names the task does not take (each task collects them
    in `**unknown`): Inspect would only warn and drop them, so `-T dificulty=easy`
    would quietly evaluate every problem; here it is an error naming the task's
    parameters.
    """
    names = sorted(name for name in unknown or {} if name != "model")  # Inspect passes model
    if names:
        label = getattr(task, "__name__", "the task")
        taken = [
            name
            for name, parameter in (inspect.signature(task).parameters.items() if task else [])
            if parameter.kind is not inspect.Parameter.VAR_KEYWORD
        ]
        raise InputError(
            f"{label} has no parameter {', '.join(names)}; its parameters: {', '.join(taken)}"
        )
    parse_k(k)
    check_exec_mode(exec_mode)
    if comparator is not None:
        get_comparator(comparator)


def problem_samples(
    problems: ProblemSet,
    *,
    source_args: dict[str, Any],
    template: str,
    tests: list[TestSet],
    comparator: str | None = None,
    timeout: float | None = None,
    memory_mb: int | None = None,
    exec_mode: str = "strict",
    language: str | None = None,
) -> MemoryDataset:
    """One sample per problem.

    A sample holds the rendered prompt, and metadata that names the problem and
    how to score it, but never its hidden tests.
    """
    samples = []
    called = []
    for problem_id in problems:
        problem = problems.summary(problem_id)  # the hidden tests are not needed here
        if language and language != problem.language:
            if problem.entry_point:  # its tests call a function: Python's alone
                called.append(problem_id)
                continue
            problem = in_language(problem, language)
        samples.append(
            Sample(
                id=problem.id,
                input=render_prompt(template, problem),
                metadata={
                    "problem_source": problems.source,
                    "problem_args": source_args,
                    "name": problem.name,
                    "difficulty": problem.difficulty,
                    "platform": problem.platform,
                    "release_date": problem.release_date.isoformat()
                    if problem.release_date
                    else None,
                    "language": problem.language,
                    "entry_point": problem.entry_point,
                    "scoring": {
                        "tests": list(tests),
                        "comparator": comparator or problem.comparator,
                        "mode": exec_mode,
                        "limits": effective_limits(problem, timeout, memory_mb).model_dump(),
                    },
                },
            )
        )
    if called and not samples:
        raise InputError(
            f"every {problems.source} problem here calls a function ({len(called)}): "
            f"{language} programs take stdin tests only"
        )
    if called:
        logger.warning(
            f"{problems.source}: {len(called)} problems whose tests call a function are left "
            f"out for {language} (stdin tests only)"
        )
    return MemoryDataset(samples, name=problems.source)
