"""MBPP: 974 basic Python problems (Google, 2021), each graded by its own asserts.

inspect eval tasks/mbpp.py --model openai/gpt-4o -T k=1,5
inspect eval tasks/mbpp.py --model openai/gpt-4o -T config=sanitized -T n_public=1
inspect eval tasks/mbpp.py --model none --solver codecrucible/reference \
        -T data_files=tests/fixtures/mbpp_full.jsonl
"""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task

from codecrucible.datasets import load_problems, resolve_data_files
from codecrucible.datasets.mbpp import (
    HF_PATH,
    HF_REVISION,
    check_split_and_config,
    parse_n_public,
)
from codecrucible.errors import InputError
from codecrucible.tasks._common import check_task_parameters, code_task, parse_test_sets


@task
def mbpp(
    config: str | None = None,
    split: str = "test",
    n_public: int | str = "all",
    challenge: bool = False,
    tests: str | list[str] = "public,private",
    data_files: str | list[str] | None = None,
    k: int | str | list[int] = 1,
    comparator: str = "exact",
    template: str = "mbpp",
    timeout: float | None = None,
    memory_mb: int | None = None,
    exec_mode: str = "strict",
    **unknown: Any,
) -> Task:
    """MBPP with the paper's prompt: the task, then the asserts the code must pass.

    Each assert is one test (with the row's setup code or test imports before it),
    run after the candidate in its namespace; a candidate passes when every assert
    of the scored sets passes. By default every assert is shown and every one is
    scored, as in the MBPP paper (Austin et al. 2021), whose prompt lists the 3
    asserts that then decide the pass: that is the number MBPP results report.
    `n_public=1` shows only the first assert, as bigcode's harness and EvalPlus do,
    and keeps the others hidden; add `tests=private` to score only those. The paper
    prompted 3-shot (tasks 2-4 as examples, code between `[BEGIN]` and `[DONE]`); this
    is the same prompt zero-shot, asking for a fenced code block as chat models reply.

    Args:
        config: `full` (974 problems) or `sanitized` (427 hand-verified ones). Default:
            `full` on the hub; for `data_files`, the schema of the rows.
        split: `test` (task ids 11-510), `train` (601-974), `validation` (511-600),
            `prompt` (1-10) or `all`. Applies to `data_files` too: the original
            `mbpp.jsonl` and `sanitized-mbpp.json` hold every task, and are cut to
            the split's task ids.
        n_public: Asserts shown in the prompt (the first ones), or `all`; the others
            are the hidden (private) tests. With 0 the prompt names the function.
        challenge: Add the full config's challenge asserts (11 problems) to the
            hidden tests.
        tests: Test sets that decide a pass: `public` (the shown asserts), `private`
            (the hidden ones), or both.
        data_files: Local rows of either config's schema (.jsonl, .json array, .parquet).
        k: pass@k to report, e.g. `1,5`; epochs default to the largest k.
        comparator: Output comparison policy (asserts decide by themselves; `exact`).
        template: Prompt template id (see `codecrucible.prompts.TEMPLATES`) or text.
        timeout: CPU seconds per assert (default 6: the slowest reference, task 123,
            needs 2.5 s for one assert).
        memory_mb: Memory per assert in MiB (default 1024).
        exec_mode: `strict` (a clean process per test) or `batch` (one process runs a
            candidate's tests in sequence: faster, module state may leak between tests).
        **unknown: Any other `-T` name: refused, naming the task's parameters.
    """
    check_task_parameters(
        k=k, exec_mode=exec_mode, comparator=comparator, unknown=unknown, task=mbpp
    )
    check_split_and_config(split, config)
    test_sets = parse_test_sets(tests)
    shown = parse_n_public(n_public)
    if "generated" in test_sets:
        raise InputError("MBPP has no generated tests: choose tests among public, private")
    if "public" not in test_sets and shown is None and not challenge:
        raise InputError(
            "with n_public=all no assert is hidden, so tests=private scores nothing: "
            "lower n_public (e.g. -T n_public=1) or score tests=public,private"
        )
    source_args = {
        "config": config,
        "split": split,
        "data_files": resolve_data_files(data_files),
        "n_public": shown,
        "challenge": bool(challenge),
    }
    problems = load_problems("mbpp", **source_args)
    first = next(iter(problems), None)
    if first is None:
        raise InputError(f"no MBPP rows in {data_files}")
    used = problems.summary(first).metadata["config"]
    if not any(problems[problem_id].tests(test_sets) for problem_id in problems):
        raise InputError(
            f"no MBPP problem has a {'/'.join(test_sets)} test with n_public={n_public}: "
            "lower n_public or score tests=public,private"
        )
    return code_task(
        problems,
        source_args=source_args,
        dataset=f"{HF_PATH} ({used})",
        revision=None if data_files else HF_REVISION,
        k=k,
        template=template,
        tests=test_sets,
        comparator=comparator,
        timeout=timeout,
        memory_mb=memory_mb,
        exec_mode=exec_mode,
    )
