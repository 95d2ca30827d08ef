"""The tests scorer: a candidate passes when every hidden test of its problem passes.

The tests are looked up by problem id (they are never in the sample or the
log); the verdicts are kept in the score as counts and the first failure,
truncated, so logs stay small however large the test suite.
"""

from __future__ import annotations

from typing import Any

from inspect_ai.scorer import CORRECT, INCORRECT, Score, Scorer, Target, accuracy, scorer, stderr
from inspect_ai.solver import TaskState

from codecrucible.datasets import problem_for
from codecrucible.execution import ExecutionResult, execute_as_scored
from codecrucible.execution.protocol import excerpt
from codecrucible.extraction import extract_code, fence
from codecrucible.solvers._code import NO_SOLUTION_KEY, get_code

EXPLANATION_CHARS = 500


@scorer(metrics=[accuracy(), stderr()])
def tests(comparator: str | None = None, stop_on_failure: bool = True) -> Scorer:
    """Run the candidate against its problem's hidden tests in the sample's sandbox.

    Args:
        comparator: Override the task's output comparison policy.
        stop_on_failure: Stop at the first failing test (the pass/fail verdict is
            the same either way; running all gives complete verdict counts).
    """

    async def score(state: TaskState, target: Target) -> Score:
        problem = problem_for(state.metadata, state.sample_id)
        settings: dict[str, Any] = state.metadata["scoring"]
        policy = comparator or settings["comparator"]
        no_solution = state.store.get(NO_SOLUTION_KEY)
        if no_solution:
            return Score.unscored(
                reason="no_reference_solution", explanation=f"Nothing to replay: {no_solution}."
            )
        code = get_code(state)
        if code is None:
            code = extract_code(state.output.completion, problem.language, problem.entry_point)
        if code is None:
            return Score(
                value=INCORRECT,
                answer=excerpt(state.output.completion, EXPLANATION_CHARS),
                explanation=_no_program(state),
                metadata={"verdict_counts": {}, "comparator": policy, "no_code": True},
            )
        hidden = problem.tests(settings["tests"])
        if not hidden:
            return Score.unscored(
                reason="no_tests",
                answer=code,
                explanation=f"The problem has no {'/'.join(settings['tests'])} tests to decide a pass.",
            )
        result = await execute_as_scored(
            problem, code, hidden, settings, stop_on_failure=stop_on_failure, comparator=policy
        )
        return Score(
            value=CORRECT if result.passed else INCORRECT,
            answer=code,
            explanation=explain(result),
            metadata=score_metadata(result),
        )

    return score


def _no_program(state: TaskState) -> str:
    """Why there was nothing to run: an empty answer (and how the model stopped), or no block."""
    if not state.output.choices:
        return "The solver left no answer: there was no program to run."
    if not state.output.completion.strip():
        stop = state.output.stop_reason
        return f"The model's answer is empty (stop reason: {stop}): there was no program to run."
    return "No fenced code block found in the completion: there was no program to run."


def score_metadata(result: ExecutionResult) -> dict[str, Any]:
    """What a score keeps of an execution: counts, the policy, the first failure (truncated)."""
    metadata: dict[str, Any] = {
        "verdict_counts": result.counts,
        "tests_run": len(result.verdicts),
        "tests_passed": result.tests_passed,
        "tests_total": result.tests_total,
        "comparator": result.comparator,
        "mode": result.mode,
        "max_time_s": max((v.time_s for v in result.verdicts), default=0.0),
        "max_memory_mb": max((v.memory_mb for v in result.verdicts), default=0.0),
    }
    failure = result.first_failure
    if failure is not None:
        metadata["first_failure"] = {
            "index": failure.index,
            "status": failure.status,
            "message": excerpt(failure.message, EXPLANATION_CHARS),
        }
    return metadata


def _block(text: str) -> str:
    return fence(excerpt(text, EXPLANATION_CHARS).rstrip(), language="")


def explain(result: ExecutionResult) -> str:
    """A markdown account of an execution for `inspect view`."""
    run = len(result.verdicts)
    if result.passed:
        head = f"**Passed** all {result.tests_total} tests"
    elif result.verdicts and result.verdicts[0].status == "compile_error":
        head = "**Failed**: the program does not compile"
    else:
        head = f"**Failed**: {result.tests_passed} of {result.tests_total} tests passed ({run} run)"
    lines = [f"{head} · comparator `{result.comparator}` · mode `{result.mode}`", ""]
    lines += ["| verdict | tests |", "|---|---|"]
    lines += [f"| {status} | {count} |" for status, count in result.counts.items()]
    failure = result.first_failure
    if failure is not None:
        lines += ["", f"**First failure: test {failure.index + 1}, `{failure.status}`**"]
        if failure.message:
            lines += ["", excerpt(failure.message, EXPLANATION_CHARS)]
        if failure.status != "compile_error":
            lines += ["", "Input:", _block(failure.input)]
            if failure.expected:
                lines += ["", "Expected:", _block(failure.expected)]
            if failure.actual or failure.status == "wrong_answer":
                lines += ["", "Actual:", _block(failure.actual)]
        if failure.stderr.strip():
            lines += ["", "Standard error (tail):", _block(failure.stderr)]
    return "\n".join(lines)
