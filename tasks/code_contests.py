"""CodeContests (DeepMind): competitive programming, stdin/stdout, DeepMind's token comparator.

inspect eval tasks/code_contests.py --model openai/gpt-4o --epochs 10 -T k=1,5,10
inspect eval tasks/code_contests.py --model none --solver codecrucible/reference \
        -T data_files=tests/fixtures/code_contests.jsonl
"""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task

from codecrucible.datasets import load_problems, resolve_data_files
from codecrucible.datasets.code_contests import HF_PATH, HF_REVISION
from codecrucible.tasks._common import (
    check_language,
    check_task_parameters,
    code_task,
    parse_test_sets,
    select_problems,
)


@task
def code_contests(
    split: str = "test",
    tests: str | list[str] = "private,generated",
    data_files: str | list[str] | None = None,
    k: int | str | list[int] = 1,
    comparator: str = "tokens",
    template: str = "code_contests",
    timeout: float | None = None,
    memory_mb: int | None = None,
    exec_mode: str = "strict",
    difficulty: str | list[str] | None = None,
    platform: str | list[str] | None = None,
    language: str = "python",
    **unknown: Any,
) -> Task:
    """CodeContests problems; the public tests are shown in the prompt.

    Args:
        split: `train`, `valid` or `test` (ignored with `data_files`).
        tests: Test sets that decide a pass, any of `public`, `private`, `generated`.
        data_files: Local rows in the Hugging Face schema (.jsonl, .json or .parquet).
        k: pass@k to report, e.g. `1,5,10`; epochs default to the largest k.
        comparator: Output comparison policy (`tokens` is DeepMind's tester).
        template: Prompt template id (see `codecrucible.prompts.TEMPLATES`) or text.
        timeout: CPU seconds per test (default: the problem's own time limit).
        memory_mb: Memory per test in MiB (default: the problem's own limit).
        exec_mode: `strict` (a clean process per test) or `batch` (one process runs a
            candidate's tests in sequence: faster, module state may leak between tests).
        difficulty: Keep these difficulties (comma-separated: `A,B`, `easy`, ...).
        platform: Keep these platforms (`codeforces`, `codechef`, `atcoder`, ...).
        language: The language candidates write (`python`, `cpp`, `java`): the prompt
            asks for it, the code block is taken in it, and the reference and
            incorrect solutions are the problem's solutions in it.
        **unknown: Any other `-T` name: refused, naming the task's parameters.
    """
    check_task_parameters(
        k=k, exec_mode=exec_mode, comparator=comparator, unknown=unknown, task=code_contests
    )
    test_sets = parse_test_sets(tests)
    language = check_language(language)
    source_args: dict[str, Any] = {"split": split, "data_files": resolve_data_files(data_files)}
    if language != "python":  # the default stays out of the log's problem arguments
        source_args["language"] = language
    problems = load_problems("code_contests", **source_args)
    return code_task(
        select_problems(problems, difficulty=difficulty, platform=platform),
        source_args=source_args,
        dataset=HF_PATH,
        revision=None if data_files else HF_REVISION,
        k=k,
        template=template,
        tests=test_sets,
        comparator=comparator,
        timeout=timeout,
        memory_mb=memory_mb,
        exec_mode=exec_mode,
        language=language,
    )
