"""Your own problems: a JSONL file of `CodeProblem`s, scored like any benchmark.

inspect eval tasks/custom.py --model openai/gpt-4o -T path=examples/problems.jsonl
inspect eval tasks/custom.py --model none --solver codecrucible/reference \
        -T path=examples/problems.jsonl
"""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task

from codecrucible.datasets import load_problems, resolve_data_files
from codecrucible.errors import InputError
from codecrucible.tasks._common import (
    check_language,
    check_task_parameters,
    code_task,
    parse_test_sets,
    select_problems,
)


@task
def custom(
    path: str,
    tests: str | list[str] = "private,generated",
    k: int | str | list[int] = 1,
    comparator: str | None = None,
    template: str = "generic",
    system_prompt: str = "default",
    timeout: float | None = None,
    memory_mb: int | None = None,
    exec_mode: str = "strict",
    difficulty: str | list[str] | None = None,
    language: str = "python",
    **unknown: Any,
) -> Task:
    """Problems from a file of `CodeProblem` JSON objects (one per line, or a JSON array).

    Args:
        path: The problems file (`.jsonl`, or `.json` holding an array).
        tests: Test sets that decide a pass, any of `public`, `private`, `generated`;
            every problem needs at least one test in them.
        k: pass@k to report, e.g. `1,5`; epochs default to the largest k.
        comparator: Output comparison policy for every problem (default: each
            problem's own `comparator`, `exact` unless it says otherwise).
        template: Prompt template id or text (`generic` shows the statement, starter
            code and public tests, and says how the program is run).
        system_prompt: System prompt id (see `codecrucible.prompts.SYSTEM_PROMPTS`).
        timeout: CPU seconds per test (default: each problem's `limits.time_s`).
        memory_mb: Memory per test in MiB (default: each problem's `limits.memory_mb`).
        exec_mode: `strict` (a clean process per test) or `batch` (one process runs a
            candidate's tests in sequence: faster, module state may leak between tests).
        difficulty: Keep these difficulties (comma-separated), where problems name one.
        language: The language candidates write (`cpp`, `java`, ...; see `codecrucible
            exec --languages`): problems with stdin tests only, no reference solutions.
        **unknown: Any other `-T` name: refused, naming the task's parameters.
    """
    check_task_parameters(
        k=k, exec_mode=exec_mode, comparator=comparator, unknown=unknown, task=custom
    )
    language = check_language(language)
    test_sets = parse_test_sets(tests)
    source_args = {"path": resolve_data_files(path)}
    problems = select_problems(load_problems("custom", **source_args), difficulty=difficulty)
    untested = [i for i in problems if not problems[i].tests(test_sets)][:3]
    if untested:
        raise InputError(
            f"problems {untested} have no {'/'.join(test_sets)} tests: add some, "
            "or choose other sets with -T tests=public,private"
        )
    return code_task(
        problems,
        source_args=source_args,
        dataset=f"custom ({source_args['path']})",
        revision=None,
        k=k,
        template=template,
        tests=test_sets,
        comparator=comparator,
        timeout=timeout,
        memory_mb=memory_mb,
        exec_mode=exec_mode,
        system_prompt=system_prompt,
        language=language,
    )
