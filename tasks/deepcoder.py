"""DeepCoder (Agentica, rLLM): the problems DeepCoder-14B-Preview was trained and tested on.

inspect eval tasks/deepcoder.py --model openai/gpt-4o --epochs 4 -T k=1
inspect eval tasks/deepcoder.py --model none --solver codecrucible/reference \
        -T data_files=tests/fixtures/deepcoder/lcbv5.jsonl
"""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task

from codecrucible.datasets import load_problems, resolve_data_files
from codecrucible.datasets.deepcoder import HF_PATH, HF_REVISION, resolve_config_split
from codecrucible.tasks._common import (
    check_language,
    check_task_parameters,
    code_task,
    parse_test_sets,
)


@task
def deepcoder(
    config: str = "lcbv5",
    split: str | None = None,
    tests: str | list[str] = "private",
    data_files: str | list[str] | None = None,
    k: int | str | list[int] = 1,
    comparator: str = "lines",
    template: str = "deepcoder",
    timeout: float | None = None,
    memory_mb: int | None = None,
    exec_mode: str = "strict",
    language: str = "python",
    **unknown: Any,
) -> Task:
    """DeepCoder problems, prompted and graded as rLLM does (LiveCodeBench's format and tester).

    Every test of the source is hidden. Rows written by `codecrucible data preprocess
    deepcoder` also carry public tests (the statement's examples, found by a model):
    they are shown in the prompt and solvers may run them.

    Args:
        config: `lcbv5` (LiveCodeBench v5), `primeintellect`, `taco` or `codeforces`.
        split: `test` or `train`; default: `test` for `lcbv5` and `codeforces`, `train`
            for `primeintellect` and `taco` (the only split they have). With `data_files`
            it only labels the problem ids (`{config}-{split}-{index}`).
        tests: Test sets that decide a pass, any of `public`, `private` (DeepCoder grades
            on `private`, the row's own tests).
        data_files: Local rows in the Hugging Face schema (.jsonl, .json or .parquet),
            such as the output of `codecrucible data preprocess deepcoder`.
        k: pass@k to report, e.g. `1,5`; epochs default to the largest k.
        comparator: Output comparison policy (`lines` is LiveCodeBench's rule, which rLLM
            copies).
        template: Prompt template id (see `codecrucible.prompts.TEMPLATES`) or text;
            `deepcoder` is rLLM's prompt, sent with no system message.
        timeout: CPU seconds per test (default: 6, rLLM's per-test timeout).
        memory_mb: Memory per test in MiB (default: 4096).
        exec_mode: `strict` (a clean process per test) or `batch` (one process runs a
            candidate's tests in sequence: faster, module state may leak between tests).
        language: The language candidates write (`cpp`, `java`, ...; see `codecrucible
            exec --languages`): problems with stdin tests only, no reference solutions.
        **unknown: Any other `-T` name: refused, naming the task's parameters.
    """
    check_task_parameters(
        k=k, exec_mode=exec_mode, comparator=comparator, unknown=unknown, task=deepcoder
    )
    language = check_language(language)
    test_sets = parse_test_sets(tests)
    config, split = resolve_config_split(config, split)
    source_args = {"config": config, "split": split, "data_files": resolve_data_files(data_files)}
    problems = load_problems("deepcoder", **source_args)
    return code_task(
        problems,
        source_args=source_args,
        dataset=f"{HF_PATH}/{config}",
        revision=None if data_files else HF_REVISION,
        k=k,
        template=template,
        tests=test_sets,
        comparator=comparator,
        timeout=timeout,
        memory_mb=memory_mb,
        exec_mode=exec_mode,
        system_prompt="none",
        language=language,
    )
