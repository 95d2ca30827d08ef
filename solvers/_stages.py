"""What every multi-step solver shares: stages with their cost, and tests run from a solver.

A stage is a named span in the transcript (`inspect view` shows each one with the
model calls and tool output inside it) whose model calls, tokens and wall time
add up in the sample's metadata under `codecrucible.stages`:

    {"stages": {"generate": {"calls": 3, "input_tokens": 900, "output_tokens": 450,
                             "wall_s": 4.2}, ...},
     "totals": {"calls": ..., ...}}

Solvers call the model through `Stage.generate`, so no call goes uncounted, and
run a candidate's tests through `run_tests`, which uses the sample's own sandbox,
limits, comparator and execution mode (those the scorer will use). Test runs that
are a step of their own sit in a stage named `execute`.

Every solver also records, in the same place, `oracle` (whether any hidden test
informed its choice: such a score is not a fair pass@k) and, under its own key,
`stopped`: one of `StopReason`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

from inspect_ai._util.error import PrerequisiteError
from inspect_ai.model import (
    CachePolicy,
    ChatMessage,
    GenerateConfig,
    Model,
    ModelOutput,
    get_model,
)
from inspect_ai.model._providers.none import NoModel
from inspect_ai.solver import TaskState
from inspect_ai.util import span

from codecrucible.errors import InputError
from codecrucible.execution import ExecutionResult, Verdict, execute_as_scored
from codecrucible.problem import CodeProblem, TestCase

METADATA_KEY = "codecrucible"
"""Where solvers leave what they record in a sample's metadata."""
ORACLE_KEY = "oracle"
"""True when hidden (private) tests informed the solver's choice."""

StopReason = Literal["passed", "budget", "no_tests"]
"""Why a solver's loop ended: a program passed every test it was checked against,
the budget of calls or programs was spent, or there were no tests to check against."""


@dataclass
class Stage:
    """A stage in progress: counts its model calls and tokens."""

    name: str
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    async def generate(
        self,
        model: Model,
        messages: str | Sequence[ChatMessage],
        config: GenerateConfig | None = None,
        *,
        draw: int | None = None,
    ) -> ModelOutput:
        """One model call, counted (a failed call raises: the machinery's fault, retried).

        Args:
            model: The model to call.
            messages: The prompt.
            config: Generation settings for this call.
            draw: For the i-th of several samples of the same prompt: keeps each draw
                apart in Inspect's response cache (`--cache`), which would otherwise
                answer every draw with the first one's output.
        """
        self.calls += 1
        config = config or GenerateConfig()
        output = await model.generate(
            messages if isinstance(messages, str) else list(messages),
            config=config,
            cache=_draw_cache(model, config, draw),
        )
        if output.usage is not None:
            self.input_tokens += output.usage.input_tokens
            self.output_tokens += output.usage.output_tokens
        return output


def _draw_cache(model: Model, config: GenerateConfig, draw: int | None) -> bool | CachePolicy:
    """The cache policy in force for a call, scoped to one draw when `draw` is given."""
    # the model's own resolution (its config, the eval's --cache when it is the
    # model under test, this call's config): no public API gives it
    policy = model._resolve_config(config).cache
    if draw is None or policy is None or policy is False:
        return policy or False
    base = CachePolicy() if policy is True else policy
    return base.model_copy(update={"scopes": {**base.scopes, "codecrucible_draw": str(draw)}})


def solver_model(solver: str) -> Model:
    """The model under evaluation, or a one-line error saying that this solver needs one."""
    try:
        model = get_model()
    except PrerequisiteError:
        model = None
    if model is None or isinstance(model.api, NoModel):  # `--model none`
        raise InputError(
            f"{solver} calls a model and --model none gives none; name one (e.g. --model "
            "openai/gpt-4o); only codecrucible/reference runs without a model"
        )
    return model


def solver_record(state: TaskState) -> dict[str, Any]:
    """The solver's part of the sample's metadata (created on first use)."""
    record = state.metadata.setdefault(METADATA_KEY, {})
    assert isinstance(record, dict)
    return record


@asynccontextmanager
async def stage(state: TaskState, name: str) -> AsyncIterator[Stage]:
    """A named stage: a transcript span, its calls, tokens and time added to the metadata."""
    current = Stage(name)
    started = time.monotonic()
    try:
        async with span(name, type="stage"):
            yield current
    finally:
        record = solver_record(state)
        stages = record.setdefault("stages", {})
        totals = record.setdefault(
            "totals", {"calls": 0, "input_tokens": 0, "output_tokens": 0, "wall_s": 0.0}
        )
        entry = stages.setdefault(
            name, {"calls": 0, "input_tokens": 0, "output_tokens": 0, "wall_s": 0.0}
        )
        elapsed = time.monotonic() - started
        for target in (entry, totals):
            target["calls"] += current.calls
            target["input_tokens"] += current.input_tokens
            target["output_tokens"] += current.output_tokens
            target["wall_s"] = round(target["wall_s"] + elapsed, 3)


async def run_tests(
    state: TaskState,
    problem: CodeProblem,
    code: str,
    tests: Sequence[TestCase],
    *,
    stop_on_failure: bool = False,
) -> ExecutionResult:
    """Run a candidate against tests as the scorer would: the sample's limits and policy.

    All tests run by default, for feedback and partial credit.
    """
    settings: dict[str, Any] = state.metadata.get("scoring") or {}
    return await execute_as_scored(problem, code, tests, settings, stop_on_failure=stop_on_failure)


def describe_failures(
    result: ExecutionResult,
    *,
    max_failures: int = 3,
    stderr_lines: int = 10,
    first: Verdict | None = None,
) -> str:
    """The first failing tests as a model should read them: input, expected, actual, stderr.

    Failures are shown by test index, `first` (a failure the caller chose) before them.
    """
    failures = [verdict for verdict in result.verdicts if not verdict.passed]
    if first is not None and first in failures:
        failures = [first, *(verdict for verdict in failures if verdict is not first)]
    if not failures:
        return "All tests passed."
    parts = [f"{len(failures)} of {len(result.verdicts)} tests failed."]
    for verdict in failures[:max_failures]:
        lines = [f"Test {verdict.index + 1}: {verdict.status.replace('_', ' ')}"]
        if verdict.message:
            lines.append(f"Reason: {verdict.message}")
        if verdict.input:
            lines.append(f"Input:\n```\n{verdict.input.rstrip()}\n```")
        if verdict.expected:
            lines.append(f"Expected:\n```\n{verdict.expected.rstrip()}\n```")
        if verdict.status == "wrong_answer":
            lines.append(f"Actual:\n```\n{verdict.actual.rstrip()}\n```")
        if verdict.stderr.strip():
            tail = "\n".join(verdict.stderr.rstrip().splitlines()[-stderr_lines:])
            lines.append(f"Standard error (last lines):\n```\n{tail}\n```")
        parts.append("\n".join(lines))
    if len(failures) > max_failures:
        parts.append(f"({len(failures) - max_failures} more failing tests not shown.)")
    return "\n\n".join(parts)
