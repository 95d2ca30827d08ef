"""SWE-bench: resolve a real GitHub issue with a patch (Jimenez et al. 2024).

inspect eval tasks/swe_bench.py --model openai/gpt-4o -T dataset=lite -T repo_dir=~/swe-repos
inspect eval tasks/swe_bench.py --model openai/gpt-4o -T dataset=verified -T env=official
inspect eval tasks/swe_bench.py --model none --solver codecrucible/reference \
        -T data_files=rows.jsonl -T repo_dir=repos -T env_python=/path/to/venv/bin/python
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample

from codecrucible.datasets import load_problems, resolve_data_files
from codecrucible.datasets.swe_bench import (
    HF_SETS,
    ORACLE_SETS,
    SOURCE,
    SweInstance,
    check_set_and_split,
    instance_of,
)
from codecrucible.errors import InputError
from codecrucible.sandboxes.bwrap import BwrapConfig
from codecrucible.scorers import swe_patch
from codecrucible.solvers import single_turn
from codecrucible.swe import grading, repos
from codecrucible.swe.prompts import PROMPT_FORMATS, render
from codecrucible.tasks._common import check_task_parameters, parse_list, pass_at_k_epochs

TEST_TIMEOUT_S = 1800
"""Seconds the tests of one instance may run (SWE-bench's harness default)."""
COMPOSE_DIR = Path("~/.cache/codecrucible/swe-bench-compose").expanduser()


@task
def swe_bench(
    dataset: str = "lite",
    split: str = "test",
    instance_ids: str | list[str] | None = None,
    data_files: str | list[str] | None = None,
    prompt: str = "oracle",
    repo_dir: str | None = None,
    clone: bool = True,
    tier: int | str = "auto",
    env: str = "bwrap",
    env_python: str | None = None,
    image_namespace: str = grading.OFFICIAL_NAMESPACE,
    test_cmd: str | None = None,
    log_parser: str | None = None,
    test_timeout: int = TEST_TIMEOUT_S,
    k: int | str | list[int] = 1,
    system_prompt: str = "none",
    **unknown: Any,
) -> Task:
    """SWE-bench, single-turn: the model answers with a patch, graded in two tiers.

    Tier 1 (everywhere git runs): the patch applies at the instance's base commit
    and the test patch still applies after it. Tier 2: the FAIL_TO_PASS and
    PASS_TO_PASS tests run after the patch, graded by the `swebench` package's log
    parsers; the instance is resolved only when all of them pass.

    Args:
        dataset: `full` (princeton-nlp/SWE-bench), `lite` or `verified`.
        split: `test`, `dev` (full, lite) or `train` (full).
        instance_ids: Only these instances (comma-separated or a list).
        data_files: Local rows in the SWE-bench schema (.jsonl, .json, .parquet);
            rows of an `_oracle` set keep their `text` prompt.
        prompt: `oracle` (SWE-bench's `_oracle` text, or built the same way from the
            files the gold patch touches, from a clone) or `issue` (the problem
            statement and hints only).
        repo_dir: Directory of git clones named `<owner>__<name>`. Missing clones are
            cloned from GitHub when the network allows (`clone`). Default:
            ~/.cache/codecrucible/swe-bench-repos.
        clone: Clone (or fetch) what `repo_dir` lacks from GitHub.
        tier: 1 (the patch applies), 2 (the tests resolve the issue) or `auto`: 2
            where the environment can run the tests, else 1.
        env: Where patches are applied and tests run: `bwrap` (our sandbox, the
            repository cloned from `repo_dir`), `official` (Docker, SWE-bench's
            prebuilt instance images) or `docker:IMAGE` (Docker, an image of yours
            with the repository at /testbed and its dependencies).
        env_python: For `env=bwrap`, tier 2: the interpreter the tests run with; it
            must have the repository's dependencies (and its test runner) installed.
        image_namespace: Registry namespace of the official images (`swebench`).
        test_cmd: The test command, instead of swebench's for the repository (or
            `pytest -rA` for a repository swebench does not know); the test files
            the test patch touches are appended.
        log_parser: A swebench log parser by name (`pytest`, `django`, `sympy`, ...),
            instead of the repository's own.
        test_timeout: Seconds the tests of one instance may run.
        k: pass@k to report, e.g. `1,5`; epochs default to the largest k.
        system_prompt: System prompt id (`none`: SWE-bench's prompt stands alone).
        **unknown: Any other `-T` name: refused, naming the task's parameters.
    """
    check_task_parameters(k=k, unknown=unknown, task=swe_bench)
    check_set_and_split(dataset, split)
    if prompt not in PROMPT_FORMATS:
        raise InputError(f"prompt must be oracle or issue (got {prompt!r})")
    environment = grading.parse_environment(env, _interpreter(env_python))
    if environment.kind == "bwrap" and shutil.which("git") is None:
        raise InputError(
            "SWE-bench grading needs git: install it (apt install git), or use -T env=official"
        )
    chosen_tier = _tier(tier, environment)
    if chosen_tier == 2 and environment.kind == "bwrap" and shutil.which("patch") is None:
        raise InputError(
            "SWE-bench tier 2 applies patches as its harness does, which needs `patch`: "
            "install it (apt install patch), or use -T tier=1"
        )
    if chosen_tier == 2:
        missing = grading.swebench_available()
        if missing:
            raise InputError(missing)
        if log_parser is not None:
            grading.log_parser("", log_parser)  # an unknown name fails before any data loads
    try:
        timeout_ok = int(test_timeout) > 0
    except (TypeError, ValueError):
        timeout_ok = False
    if not timeout_ok:
        raise InputError(
            f"test_timeout must be a positive number of seconds (got {test_timeout!r})"
        )

    files = resolve_data_files(data_files)
    source_args: dict[str, Any] = {
        "dataset": dataset,
        "split": split,
        "data_files": files,
        "oracle": prompt == "oracle" and not files and dataset in ORACLE_SETS,
    }
    problems = load_problems(SOURCE, **source_args)
    wanted = parse_list(instance_ids)
    if wanted:
        problems = problems.subset(wanted)
    if not len(problems):
        raise InputError(f"no SWE-bench rows in {data_files or HF_SETS[dataset][0]}")

    mirror = repos.mirror_dir(repo_dir)
    needs_clone = environment.kind == "bwrap"
    clones: dict[str, Path] = {}
    settings: dict[str, Any] = {
        "tier": chosen_tier,
        "environment": {
            "kind": environment.kind,
            "image": environment.image,
            "python": environment.python,
        },
        "mirror": str(mirror) if needs_clone else None,
        "test_cmd": test_cmd,
        "log_parser": log_parser,
        "test_timeout": int(test_timeout),
    }
    samples = []
    for instance_id in problems:
        instance = instance_of(problems[instance_id])
        if (
            chosen_tier == 2
            and environment.kind == "official"
            and test_cmd is None
            and not grading.known_repository(instance.repo, instance.version)
        ):
            raise InputError(
                f"{instance.instance_id}: swebench has no test specification for "
                f"{instance.repo} version {instance.version!r}; give -T test_cmd= "
                "(and -T log_parser=), or use -T tier=1"
            )
        clone_path = None
        if needs_clone or (prompt == "oracle" and not instance.oracle_text):
            clone_path = _clone_for(clones, mirror, instance, clone)
        samples.append(
            Sample(
                id=instance.instance_id,
                input=render(instance, prompt, clone_path),
                metadata=_sample_metadata(instance, source_args, settings),
                sandbox=_official_sandbox(instance, image_namespace)
                if environment.kind == "official"
                else None,
            )
        )
    revision = None if files else HF_SETS[dataset][1]
    return Task(
        dataset=MemoryDataset(samples, name=f"swe_bench_{dataset}"),
        solver=single_turn(system_prompt_id=system_prompt),
        scorer=swe_patch(),
        epochs=pass_at_k_epochs(k),
        sandbox=_task_sandbox(environment, mirror),
        metadata={
            "dataset": HF_SETS[dataset][0] if not files else "local rows",
            "revision": revision,
        },
    )


def _interpreter(env_python: str | None) -> str | None:
    """`env_python` as an absolute path (a bare name is looked up on PATH)."""
    if env_python is None:
        return None
    found = shutil.which(os.path.expanduser(env_python))
    if found is None:
        raise InputError(f"env_python {env_python!r} is not an interpreter that runs here")
    return os.path.abspath(found)


def _tier(tier: int | str, environment: grading.Environment) -> int:
    if str(tier) == "auto":
        return 2 if environment.can_run_tests else 1
    if str(tier) not in ("1", "2"):
        raise InputError(f"tier must be 1, 2 or auto (got {tier!r})")
    if int(tier) == 2 and not environment.can_run_tests:
        raise InputError(
            "tier 2 runs the tests, and env=bwrap needs the interpreter that has the "
            "repository's dependencies: pass -T env_python=PATH, or -T env=official (Docker)"
        )
    return int(tier)


def _clone_for(clones: dict[str, Path], mirror: Path, instance: SweInstance, clone: bool) -> Path:
    """The instance's repository clone, holding its base commit (found once per repository)."""
    path = clones.get(instance.repo)
    if path is None or not repos.has_commit(path, instance.base_commit):
        path = repos.repository(mirror, instance.repo, (instance.base_commit,), clone=bool(clone))
        clones[instance.repo] = path
    return path


def _sample_metadata(
    instance: SweInstance, source_args: dict[str, Any], settings: dict[str, Any]
) -> dict[str, Any]:
    """What a sample carries: the instance's identity and the scoring settings, no tests."""
    return {
        "problem_source": SOURCE,
        "problem_args": source_args,
        "repo": instance.repo,
        "base_commit": instance.base_commit,
        "version": instance.version,
        "difficulty": instance.difficulty,
        "created_at": instance.created_at,
        "language": "diff",
        "entry_point": None,
        "fail_to_pass": len(instance.FAIL_TO_PASS),
        "pass_to_pass": len(instance.PASS_TO_PASS),
        "scoring": settings,
    }


def _official_sandbox(instance: SweInstance, namespace: str) -> tuple[str, str]:
    image = grading.official_image(instance.instance_id, namespace)
    return ("docker", grading.compose_file(image, COMPOSE_DIR))


def _task_sandbox(environment: grading.Environment, mirror: Path) -> Any:
    if environment.kind == "bwrap":
        return ("bwrap", BwrapConfig(python=environment.python, binds=(str(mirror),)))
    if environment.kind == "docker":
        assert environment.image is not None
        return ("docker", grading.compose_file(environment.image, COMPOSE_DIR))
    return None  # official: each sample names its own image
