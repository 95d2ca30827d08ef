"""APPS (Hendrycks et al., 2021): 5,000 test problems, stdin or call-based, every test hidden.

inspect eval tasks/apps.py --model openai/gpt-4o -T difficulty=introductory -T k=1,5 --epochs 5
inspect eval tasks/apps.py --model none --solver codecrucible/reference \
        -T data_files=tests/fixtures/apps.jsonl
"""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task

from codecrucible.datasets import load_problems, resolve_data_files
from codecrucible.datasets.apps import COMPARATOR, DIFFICULTIES, HF_PATH, HF_REVISION
from codecrucible.errors import InputError
from codecrucible.tasks._common import (
    check_language,
    check_task_parameters,
    code_task,
    parse_list,
    select_problems,
)


@task
def apps(
    split: str = "test",
    data_files: str | list[str] | None = None,
    k: int | str | list[int] = 1,
    comparator: str = COMPARATOR,
    template: str = "apps",
    timeout: float | None = None,
    memory_mb: int | None = None,
    exec_mode: str = "strict",
    difficulty: str | list[str] | None = None,
    platform: str | list[str] | None = None,
    language: str = "python",
    **unknown: Any,
) -> Task:
    """APPS problems with APPS's prompt (question, starter code, input format), adapted to chat.

    Args:
        split: `test` or `train` (ignored with `data_files`).
        data_files: Local rows in the `codeparrot/apps` schema (.jsonl, .json or .parquet).
        k: pass@k to report, e.g. `1,5`; epochs default to the largest k.
        comparator: Output comparison policy for stdin tests (`lines_tolerant`: stripped
            lines, case-sensitive, numbers within 1e-6, the closest to APPS's tester).
        template: Prompt template id (see `codecrucible.prompts.TEMPLATES`) or text.
        timeout: CPU seconds per test (default 4, as APPS's tester).
        memory_mb: Memory per test in MiB (default 1024; APPS sets no limit).
        exec_mode: `strict` (a clean process per test) or `batch` (one process runs a
            candidate's tests in sequence: faster, module state may leak between tests).
        difficulty: Keep these difficulties (`introductory`, `interview`, `competition`).
        platform: Keep problems from these sites, as named by their URL (`codeforces`,
            `atcoder`, `codechef`, `codewars`, `kattis`, `leetcode`, ...).
        language: The language candidates write (`cpp`, `java`, ...; see `codecrucible
            exec --languages`): problems with stdin tests only, no reference solutions.
        **unknown: Any other `-T` name: refused, naming the task's parameters.
    """
    check_task_parameters(
        k=k, exec_mode=exec_mode, comparator=comparator, unknown=unknown, task=apps
    )
    language = check_language(language)
    bad = [d for d in parse_list(difficulty) or [] if d.lower() not in DIFFICULTIES]
    if bad:
        raise InputError(
            f"unknown APPS difficulty {bad[0]!r}; choose among {', '.join(DIFFICULTIES)}"
        )
    source_args = {"split": split, "data_files": resolve_data_files(data_files)}
    problems = load_problems("apps", **source_args)
    return code_task(
        select_problems(problems, difficulty=difficulty, platform=platform),
        source_args=source_args,
        dataset=HF_PATH,
        revision=None if data_files else HF_REVISION,
        k=k,
        template=template,
        tests=["private"],
        comparator=comparator,
        timeout=timeout,
        memory_mb=memory_mb,
        exec_mode=exec_mode,
        language=language,
    )
