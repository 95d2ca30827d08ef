"""TACO (BAAI, 2023): 1,000 test problems from many judges, stdin or call-based, tests hidden.

inspect eval tasks/taco.py --model openai/gpt-4o -T difficulty=EASY -T k=1,10 --epochs 10
inspect eval tasks/taco.py --model none --solver codecrucible/reference \
        -T data_files=tests/fixtures/taco.jsonl
"""

from __future__ import annotations

from datetime import date
from typing import Any

from inspect_ai import Task, task

from codecrucible.datasets import ProblemSet, load_problems, resolve_data_files
from codecrucible.datasets.taco import COMPARATOR, DIFFICULTIES, HF_PATH, HF_REVISION, SKILLS
from codecrucible.errors import InputError
from codecrucible.tasks._common import (
    check_language,
    check_task_parameters,
    code_task,
    parse_date,
    parse_list,
    select_problems,
)


@task
def taco(
    split: str = "test",
    data_files: str | list[str] | None = None,
    k: int | str | list[int] = 1,
    comparator: str = COMPARATOR,
    template: str = "taco",
    timeout: float | None = None,
    memory_mb: int | None = None,
    exec_mode: str = "strict",
    difficulty: str | list[str] | None = None,
    platform: str | list[str] | None = None,
    skills: str | list[str] | None = None,
    start_date: str | date | None = None,
    end_date: str | date | None = None,
    judge_limits: bool = False,
    skip_special_judge: bool = False,
    language: str = "python",
    **unknown: Any,
) -> Task:
    """TACO problems with APPS's prompt (question, starter code, input format), adapted to chat.

    Args:
        split: `test` or `train`; with `data_files` it only labels the ids (`taco-test-0`).
        data_files: Local rows in the `BAAI/TACO` schema (.parquet, .jsonl or .json).
        k: pass@k to report, e.g. `1,10`; epochs default to the largest k.
        comparator: Output comparison policy for stdin tests (`exact`: the whole output,
            stripped at the end, as TACO's tester compares it).
        template: Prompt template id (see `codecrucible.prompts.TEMPLATES`) or text.
        timeout: CPU seconds per test (default 4, as TACO's tester, or the problem's own
            limit with `judge_limits`).
        memory_mb: Memory per test in MiB (default 1024, or the problem's own limit with
            `judge_limits`).
        exec_mode: `strict` (a clean process per test) or `batch` (one process runs a
            candidate's tests in sequence: faster, module state may leak between tests).
        difficulty: Keep these difficulties (`EASY`, `MEDIUM`, `MEDIUM_HARD`, `HARD`,
            `VERY_HARD`, `UNKNOWN_DIFFICULTY`; any case).
        platform: Keep problems from these sites (TACO's `source`: `codeforces`, `atcoder`,
            `codechef`, `geeksforgeeks`, `codewars`, `hackerrank`, `kattis`, ...).
        skills: Keep problems with any of these skill types (`Sorting`, `Greedy algorithms`,
            `Dynamic programming`, ...; TACO's `skills` option).
        start_date: Keep problems dated on or after this day (undated problems are dropped).
        end_date: Keep problems dated on or before this day (undated problems are dropped).
        judge_limits: Give each test the problem's own time and memory limits (the
            `time_limit` and `memory_limit` columns) instead of the tester's 4 seconds.
        skip_special_judge: Drop the 218 test problems that TACO lists as needing a special
            judge (several correct answers, case-insensitive or float answers), which plain
            output comparison cannot grade fairly (the hub test split, or local rows saved
            from it by `codecrucible data etl taco`, which keep their hub ids).
        language: The language candidates write (`cpp`, `java`, ...; see `codecrucible
            exec --languages`): problems with stdin tests only, no reference solutions.
        **unknown: Any other `-T` name: refused, naming the task's parameters.
    """
    check_task_parameters(
        k=k, exec_mode=exec_mode, comparator=comparator, unknown=unknown, task=taco
    )
    language = check_language(language)
    known_difficulties = {d.lower() for d in DIFFICULTIES}
    bad = [d for d in parse_list(difficulty) or [] if d.lower() not in known_difficulties]
    if bad:
        raise InputError(
            f"unknown TACO difficulty {bad[0]!r}; choose among {', '.join(DIFFICULTIES)}"
        )
    wanted_skills = {s.lower() for s in parse_list(skills) or []}
    bad = sorted(wanted_skills - {s.lower() for s in SKILLS})
    if bad:
        raise InputError(f"unknown TACO skill {bad[0]!r}; choose among {', '.join(SKILLS)}")
    parse_date(start_date, "start_date")
    parse_date(end_date, "end_date")
    if skip_special_judge and not data_files and split != "test":
        raise InputError(
            "skip_special_judge needs the hub test split: TACO's special-judge list "
            "names rows of that split only"
        )
    source_args = {
        "split": split,
        "data_files": resolve_data_files(data_files),
        "judge_limits": bool(judge_limits),
    }
    problems = select_problems(
        load_problems("taco", **source_args),
        difficulty=difficulty,
        platform=platform,
        start_date=start_date,
        end_date=end_date,
    )
    if wanted_skills:
        problems = _with_skills(problems, wanted_skills)
    if skip_special_judge:
        problems = _without_special_judge(problems)
    return code_task(
        problems,
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


def _without_special_judge(problems: ProblemSet) -> ProblemSet:
    """The problems TACO does not list as needing a special judge.

    The list names rows of the hub test split: local rows qualify only where their
    `id` column names one (`taco-test-123`, as `codecrucible data etl taco` writes it).
    """
    kept = []
    for problem_id in problems:
        metadata = problems.summary(problem_id).metadata
        if "hub_test_row" not in metadata:
            raise InputError(
                "skip_special_judge needs the hub test split: TACO's special-judge list "
                f"names rows of that split only, and the local row {problem_id!r} has no id "
                "that names one (rows saved by `codecrucible data etl taco` from the test "
                "split carry theirs, e.g. taco-test-123)"
            )
        if "special_judge" not in metadata:
            kept.append(problem_id)
    if not kept:
        raise InputError("every TACO problem left needs a special judge (skip_special_judge)")
    return problems.subset(kept)


def _with_skills(problems: ProblemSet, skills: set[str]) -> ProblemSet:
    """The problems with at least one of these skill types (lower-case names)."""
    kept = [
        problem_id
        for problem_id in problems
        if skills
        & {s.lower() for s in problems.summary(problem_id).metadata.get("skill_types", [])}
    ]
    if not kept:
        raise InputError(f"no TACO problem has the skills {sorted(skills)}")
    return problems.subset(kept)
