"""PSB2 (Helmuth & Kelly, GECCO 2021): 25 program synthesis problems, stdin/stdout, no references.

inspect eval tasks/psb2.py --model openai/gpt-4o -T k=1,10
inspect eval tasks/psb2.py --model openai/gpt-4o -T problems=fizz-buzz,leaders -T seed=1
inspect eval tasks/psb2.py --model openai/gpt-4o -T data_dir=tests/fixtures/psb2 \
        -T problems=leaders,bouncing-balls -T n_train=13 -T n_test=8   (offline, the fixture)

PSB2 has no reference solutions: `--solver codecrucible/reference` leaves every sample unscored.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from inspect_ai import Task, task

from codecrucible.datasets import load_problems, resolve_data_files
from codecrucible.datasets.psb2 import Sampling, base_url, check_problem_names
from codecrucible.tasks._common import (
    check_language,
    check_task_parameters,
    code_task,
    parse_list,
    parse_test_sets,
    select_problems,
)


def resolve_data_dir(data_dir: str | None) -> str | None:
    """`-T data_dir=` as an absolute path, taken from the directory the user ran in.

    Inspect runs a task file's function inside the file's own directory, so a relative
    path is looked up from there and from the shell's `$PWD`; a directory that does
    not exist yet (a new cache) is made relative to `$PWD`.
    """
    if data_dir is None:
        return None
    path = Path(data_dir).expanduser()
    if path.is_absolute():
        return str(path)
    bases = ([Path(os.environ["PWD"])] if os.environ.get("PWD") else []) + [Path.cwd()]
    found = next((base / path for base in bases if (base / path).is_dir()), bases[0] / path)
    return str(found.resolve())


@task
def psb2(
    problems: str | list[str] | None = None,
    n_train: int = 200,
    n_test: int = 2000,
    n_prompt: int = 5,
    seed: int = 0,
    tests: str | list[str] = "public,private",
    data_dir: str | None = None,
    data_files: str | list[str] | None = None,
    k: int | str | list[int] = 1,
    comparator: str | None = None,
    template: str = "psb2",
    timeout: float | None = None,
    memory_mb: int | None = None,
    exec_mode: str = "strict",
    platform: str | list[str] | None = None,
    language: str = "python",
    **unknown: Any,
) -> Task:
    """PSB2 problems: the paper's description and the first training cases as examples.

    The official files are downloaded on first use and cached (each problem's random
    file holds a million cases, tens of megabytes); the cases are drawn from them with
    `seed`, the same draws on every machine.

    Args:
        problems: Problems to run, comma-separated (default: all 25), e.g.
            `fizz-buzz,leaders`.
        n_train: Training cases, the public tests: every edge case, then random cases
            (200 is the paper's recommendation).
        n_test: Test cases, the private tests: random cases only (the paper's 2000).
        n_prompt: Training cases shown in the prompt as examples (SEIDR shows 5).
        seed: Seed of the draws of training and test cases.
        tests: Test sets that decide a pass: `public,private` is PSB2's success (all
            training and all test cases); `private` is SEIDR's test pass rate of 1.
        data_dir: Directory of the files, `<problem>/<problem>-edge.json` and
            `<problem>/<problem>-random.json` (default: the cache,
            `~/.cache/codecrucible/psb2`); missing files are downloaded into it.
        data_files: Local files named `<problem>-edge.json` and `<problem>-random.json`
            (.json or .jsonl, JSON lines in the official format), instead of the cache.
        k: pass@k to report, e.g. `1,10`; epochs default to the largest k.
        comparator: Output comparison policy for every problem (default: each
            problem's own: `exact`, `lines`, `psb2_float` or `psb2_cents`).
        template: Prompt template id (see `codecrucible.prompts.TEMPLATES`) or text.
        timeout: CPU seconds per test (default 2).
        memory_mb: Memory per test in MiB (default 1024).
        exec_mode: `strict` (a clean process per test) or `batch` (one process runs a
            candidate's tests in sequence: faster, module state may leak between tests).
        platform: Keep problems from these sources: `codewars`, `advent_of_code`,
            `project_euler`, `homework`.
        language: The language candidates write (`cpp`, `java`, ...; see `codecrucible
            exec --languages`): problems with stdin tests only, no reference solutions.
        **unknown: Any other `-T` name: refused, naming the task's parameters.
    """
    check_task_parameters(
        k=k, exec_mode=exec_mode, comparator=comparator, unknown=unknown, task=psb2
    )
    language = check_language(language)
    test_sets = parse_test_sets(tests)
    names = parse_list(problems)
    if names is not None:
        check_problem_names(names)
    Sampling(n_train=n_train, n_test=n_test, n_prompt=n_prompt, seed=seed).check()
    files = parse_list(data_files)
    source_args = {
        "problems": names,
        "n_train": n_train,
        "n_test": n_test,
        "n_prompt": n_prompt,
        "seed": seed,
        "data_dir": resolve_data_dir(data_dir),
        "data_files": resolve_data_files(files),
    }
    loaded = load_problems("psb2", **source_args)
    return code_task(
        select_problems(loaded, platform=platform),
        source_args=source_args,
        dataset=f"PSB2 ({'local data_files' if files else base_url()})",
        revision=None,
        k=k,
        template=template,
        tests=test_sets,
        comparator=comparator,
        timeout=timeout,
        memory_mb=memory_mb,
        exec_mode=exec_mode,
        language=language,
    )
