"""Stages count model calls, tokens and time; solvers run tests as the scorer would."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from inspect_ai import eval
from inspect_ai.model import CachePolicy, GenerateConfig, get_model
from inspect_ai.solver import Generate, Solver, TaskState, solver

from codecrucible.datasets import problem_for
from codecrucible.extraction import extract_code
from codecrucible.solvers._stages import _draw_cache, describe_failures, run_tests, stage
from codecrucible.tasks.custom import custom
from tests.conftest import requires_bwrap, scripted_model

EXAMPLE = Path(__file__).parent.parent / "examples" / "problems.jsonl"


@solver
def _two_stage() -> Solver:
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        problem = problem_for(state.metadata, state.sample_id)
        model = get_model()
        async with stage(state, "draft") as current:
            first = await current.generate(model, state.user_prompt.text)
            second = await current.generate(model, state.user_prompt.text)
        async with stage(state, "check") as current:
            code = extract_code(second.completion, "python") or ""
            result = await run_tests(state, problem, code, problem.private_tests)
            state.store.set("feedback", describe_failures(result))
            state.store.set("first", first.completion)
        return state

    return solve


@requires_bwrap
def test_stages_add_up_in_the_metadata_and_tests_run_in_the_sample_sandbox(
    tmp_path: Path,
) -> None:
    wrong = "```python\nn = int(input())\nfor _ in range(n):\n    print(0)\n```"
    [log] = eval(
        custom(path=str(EXAMPLE)),
        model=scripted_model("draft one", wrong),
        solver=_two_stage(),
        limit=1,
        log_dir=str(tmp_path),
        display="none",
    )
    assert log.status == "success" and log.samples
    record = log.samples[0].metadata["codecrucible"]
    assert record["stages"]["draft"]["calls"] == 2
    assert record["stages"]["draft"]["input_tokens"] == 20
    assert record["stages"]["draft"]["output_tokens"] == 40
    assert record["stages"]["check"]["calls"] == 0
    assert record["totals"]["calls"] == 2
    # running two tests in a sandbox takes measurable time; totals are the stages' sums
    assert record["stages"]["check"]["wall_s"] > 0
    stage_sum = record["stages"]["draft"]["wall_s"] + record["stages"]["check"]["wall_s"]
    assert abs(record["totals"]["wall_s"] - stage_sum) < 0.002  # each rounded to 1 ms
    for key in ("input_tokens", "output_tokens"):
        assert record["totals"][key] == sum(entry[key] for entry in record["stages"].values())
    feedback = log.samples[0].store["feedback"]
    assert feedback.startswith("1 of 2 tests failed.\n\nTest 2: wrong answer")  # -5 + 5 = 0
    assert "Input:\n```\n3\n1000000000 1000000000\n0 0\n-1 -2\n```" in feedback
    assert "Expected:\n```\n2000000000\n0\n-3\n```" in feedback
    assert "Actual:\n```\n0\n0\n0\n```" in feedback
    assert log.samples[0].store["first"] == "draft one"
    spans = [e for e in log.samples[0].events if e.event == "span_begin"]
    assert {"draft", "check"} <= {e.name for e in spans}  # type: ignore[union-attr]


def test_draws_of_one_prompt_are_cached_apart() -> None:
    model = scripted_model("x")
    # no cache in force: nothing to scope
    assert _draw_cache(model, GenerateConfig(), draw=3) is False
    cached = GenerateConfig(cache=True)
    assert _draw_cache(model, cached, draw=None) is True  # a single call keeps the policy
    first, second = _draw_cache(model, cached, draw=1), _draw_cache(model, cached, draw=2)
    assert isinstance(first, CachePolicy) and isinstance(second, CachePolicy)
    assert first.scopes != second.scopes
    policy = CachePolicy(expiry="1h", scopes={"mine": "kept"})
    scoped = _draw_cache(model, GenerateConfig(cache=policy), draw=5)
    assert isinstance(scoped, CachePolicy)
    assert scoped.expiry == "1h" and scoped.scopes == {"mine": "kept", "codecrucible_draw": "5"}
    assert policy.scopes == {"mine": "kept"}  # the user's policy is not changed


@pytest.mark.parametrize("name", ["feedback", "seidr", "rerank", "alphacodium"])
def test_model_none_says_the_solver_needs_a_model(name: str, tmp_path: Path) -> None:
    solver_factory = getattr(importlib.import_module("codecrucible.solvers"), name)
    [log] = eval(
        custom(path=str(EXAMPLE)),
        model="none",
        solver=solver_factory(),
        limit=1,
        log_dir=str(tmp_path),
        display="none",
    )
    assert log.status == "error" and log.error is not None
    assert f"{name} calls a model and --model none gives none" in log.error.message
