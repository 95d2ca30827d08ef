"""LiveCodeBench code generation (lite): dated LeetCode, AtCoder and Codeforces problems.

inspect eval tasks/livecodebench.py --model openai/gpt-4o -T release=release_v5 \
        -T start_date=2024-08-01 -T end_date=2025-02-01 --epochs 10 -T k=1,5
inspect eval tasks/livecodebench.py --model openai/gpt-4o \
        -T data_files=tests/fixtures/livecodebench -T release=v2
"""

from __future__ import annotations

from datetime import date
from typing import Any

from inspect_ai import Task, task

from codecrucible.datasets import DatasetError, load_problems, resolve_data_files
from codecrucible.datasets.livecodebench import (
    DIFFICULTIES,
    HF_PATH,
    HF_REVISION,
    PLATFORMS,
    release_files,
)
from codecrucible.prompts import system_prompt as check_system_prompt
from codecrucible.tasks._common import (
    check_language,
    check_task_parameters,
    code_task,
    parse_date,
    parse_list,
    parse_test_sets,
    select_problems,
)


def _check_choices(values: str | list[str] | None, known: tuple[str, ...], name: str) -> None:
    unknown = [v for v in parse_list(values) or [] if v.lower() not in known]
    if unknown:
        raise DatasetError(f"unknown {name} {unknown}: choose among {', '.join(known)}")


@task
def livecodebench(
    release: str = "release_latest",
    tests: str | list[str] = "public,private",
    data_files: str | list[str] | None = None,
    k: int | str | list[int] = 1,
    comparator: str = "lines",
    template: str = "livecodebench",
    system_prompt: str = "livecodebench",
    timeout: float | None = None,
    memory_mb: int | None = None,
    exec_mode: str = "strict",
    difficulty: str | list[str] | None = None,
    platform: str | list[str] | None = None,
    start_date: str | date | None = None,
    end_date: str | date | None = None,
    language: str = "python",
    **unknown: Any,
) -> Task:
    """LiveCodeBench code generation with its own prompt, tests and grader rules.

    The prompt is LiveCodeBench's: its system message, the question (which holds the
    examples) and the starter code (LeetCode, `functional` tests call a method of
    `class Solution`) or a stdin/stdout instruction (AtCoder, Codeforces).

    Args:
        release: `release_v1` ... `release_v6` (cumulative), `latest` or `release_latest`
            (= `release_v6` at the pinned revision), `v1` ... `v6` (only the problems new
            in that release) or a range such as `v2_v4`.
        tests: Test sets that decide a pass: `public`, `private` or both (LiveCodeBench
            grades on both).
        data_files: Local rows in the `code_generation_lite` schema: a folder holding the
            repository's `test*.jsonl` files (`release` picks among them), or files
            (all their rows are used; `release` does not apply).
        k: pass@k to report, e.g. `1,5`; epochs default to the largest k.
        comparator: Output comparison policy: `lines` is LiveCodeBench's (exact Decimal
            equality); `lines_tolerant` forgives float differences up to 1e-6 (its known
            false negatives, issues #129/#133).
        template: Prompt template id (see `codecrucible.prompts.TEMPLATES`) or text.
        system_prompt: System prompt id (`livecodebench` is LiveCodeBench's; `none`: none).
        timeout: CPU seconds per test (default 6, LiveCodeBench's `--timeout`).
        memory_mb: Memory per test in MiB (default 4096; LiveCodeBench sets no limit).
        exec_mode: `strict` (a clean process per test) or `batch` (one process runs a
            candidate's tests in sequence: faster, module state may leak between tests).
        difficulty: Keep these difficulties (`easy`, `medium`, `hard`, comma-separated).
        platform: Keep these platforms (`leetcode`, `codeforces`, `atcoder`).
        start_date: Keep problems whose contest is on or after this date (YYYY-MM-DD).
        end_date: Keep problems whose contest is on or before this date (YYYY-MM-DD).
        language: The language candidates write (`cpp`, `java`, ...; see `codecrucible
            exec --languages`): problems with stdin tests only, no reference solutions.
        **unknown: Any other `-T` name: refused, naming the task's parameters.
    """
    check_task_parameters(
        k=k, exec_mode=exec_mode, comparator=comparator, unknown=unknown, task=livecodebench
    )
    language = check_language(language)
    test_sets = parse_test_sets(tests)
    if "generated" in test_sets:
        raise DatasetError("LiveCodeBench has public and private tests only (drop 'generated')")
    canonical, _ = release_files(release)
    _check_choices(difficulty, DIFFICULTIES, "difficulty")
    _check_choices(platform, PLATFORMS, "platform")
    parse_date(start_date, "start_date")
    parse_date(end_date, "end_date")
    check_system_prompt(system_prompt)
    source_args = {"release": canonical, "data_files": resolve_data_files(data_files)}
    problems = load_problems("livecodebench", **source_args)
    return code_task(
        select_problems(
            problems,
            difficulty=difficulty,
            platform=platform,
            start_date=start_date,
            end_date=end_date,
        ),
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
        system_prompt=system_prompt,
        language=language,
    )
