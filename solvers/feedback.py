"""Generate, run the tests, show the failures, ask again: the multi-turn repair loop.

The scraper of the multi-dataset framework (seed 001, `code_generation/scraper.py`):
the model writes a program; it runs against the problem's public tests in the
sample's sandbox (the scorer's limits, comparator and execution mode); while some
fail, the model is shown the first `max_failures_shown` failures (input,
expected, actual output and the tail of standard error) and asked for a fixed
program, in the same conversation. It stops when every test passes or after
`max_turns` generations, the first one included (the seed's example runs with
`--max-turns 10`).

The conversation is a dialogue that starts from the task's own messages (the
system prompt added as `single_turn` adds it): each answer is appended as an
assistant message and each report as a user message, so `inspect view` reads it
turn by turn, every turn a span holding its model call and its test run.

- An answer without a fenced code block is a failed turn: the next message says
  so and asks for the program in a code block.
- A problem without tests to check against (HumanEval has no public tests) gets
  one generation, at the cost of `single_turn`; the metadata says there was
  nothing to check.
- The program returned is, by default, the best one seen (most tests passed; of
  equals the latest, so a run whose programs never differ in score returns the
  last program, as the seed did); `keep=last` returns the last one even when an
  earlier program passed more tests. A turn without a program ranks below every
  program.
- `should_pass_private=true` is the seed's `--should-pass-private`: the feedback
  comes from the hidden tests that score the sample (the public tests first),
  so the loop runs until the scorer's own tests pass. That is oracle use: it
  makes the score meaningless as a measure of the model and is only for
  producing solutions that pass (training data); the sample's metadata says
  `"oracle": true` and the transcript says so at the start.

What each sample records under `codecrucible.feedback`: the parameters, which
tests gave the feedback, `turns` (generations used), `passed_feedback_tests`,
`stopped` (`passed`, `budget` or `no_tests`), `final_turn` (the turn
whose program is returned) and `history`, one entry per turn with the tests
passed; `codecrucible.oracle` says whether hidden tests were used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from inspect_ai.log import transcript
from inspect_ai.model import (
    ChatMessage,
    ChatMessageSystem,
    ChatMessageUser,
    ModelOutput,
)
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.util import span

from codecrucible.datasets import problem_for
from codecrucible.errors import InputError
from codecrucible.execution import ExecutionResult
from codecrucible.extraction import extract_code
from codecrucible.problem import CodeProblem, TestCase, TestSet
from codecrucible.prompts import render_prompt, system_prompt, template_argument
from codecrucible.solvers._code import set_code
from codecrucible.solvers._stages import (
    ORACLE_KEY,
    StopReason,
    describe_failures,
    run_tests,
    solver_model,
    solver_record,
    stage,
)

RECORD_KEY = "feedback"
"""Where the loop's record goes in the sample's `codecrucible` metadata."""

Keep = Literal["best", "last"]


@dataclass(frozen=True)
class Turn:
    """One generation and what its program did on the feedback tests."""

    number: int
    """1-based."""
    output: ModelOutput
    code: str | None
    """The program (None when the answer held no fenced code block)."""
    result: ExecutionResult | None
    """Its run on the feedback tests (None without a program or without tests)."""

    @property
    def tests_passed(self) -> int:
        """How many feedback tests the program passed."""
        return self.result.tests_passed if self.result is not None else 0

    @property
    def passed(self) -> bool:
        """Whether the program passed every feedback test."""
        return self.result is not None and self.result.passed

    @property
    def rank(self) -> tuple[int, int, int]:
        """Sort key for `keep=best`: a program, then tests passed, then the latest."""
        return (int(self.code is not None), self.tests_passed, self.number)

    def record(self, tests_total: int) -> dict[str, Any]:
        """The turn in the metadata (its code is in the transcript's model event)."""
        return {
            "turn": self.number,
            "has_code": self.code is not None,
            "tests_passed": self.tests_passed,
            "tests_total": tests_total,
            "passed": self.passed,
            "verdicts": self.result.counts if self.result is not None else {},
        }

    def summary(self, tests_total: int) -> str:
        """One line for the transcript."""
        if self.code is None:
            return f"turn {self.number}: no program in the answer (no fenced code block)"
        if self.result is None:
            return f"turn {self.number}: a program, and no tests to check it against"
        return f"turn {self.number}: passes {self.tests_passed}/{tests_total} tests"


def feedback_message(turn: Turn, language: str, max_failures: int) -> str:
    """What the model reads after a failed turn: the failures and the request to fix them."""
    ask = f"Reply with the complete program in a single ```{language} code block."
    if turn.code is None:
        return f"Your answer holds no program: no fenced code block was found. {ask}"
    assert turn.result is not None
    report = describe_failures(turn.result, max_failures=max_failures)
    return (
        f"Your program does not pass the tests.\n\n{report}\n\n"
        f"Fix the program so that it passes every test. {ask}"
    )


def feedback_tests(
    problem: CodeProblem, scoring_sets: list[str], should_pass_private: bool
) -> tuple[list[TestSet], list[TestCase]]:
    """The test sets the loop checks against, and their tests.

    The public tests; with `should_pass_private`, also the hidden sets that score
    the sample (the task's `tests`; private and generated when it names none).
    """
    sets: list[TestSet] = ["public"]
    if should_pass_private:
        hidden = [name for name in ("private", "generated") if name in scoring_sets]
        sets += hidden or ["private", "generated"]
    return sets, problem.tests(sets)


def _check(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(
            f"feedback: {name} must be a whole number of at least {minimum}, not {value!r}"
        )


@solver
def feedback(
    max_turns: int = 10,
    should_pass_private: bool = False,
    max_failures_shown: int = 3,
    keep: Keep = "best",
    system_prompt_id: str = "default",
    prompt_template: str | list[str] | None = None,
) -> Solver:
    """Generate, run the public tests, feed the failures back; repeat until they pass.

    Args:
        max_turns: Generations at most, the first one included (the seed's example: 10).
        should_pass_private: Feed back the hidden tests that score the sample too (the
            seed's `--should-pass-private`). Oracle use: the log flags it
            (`codecrucible.oracle` in the sample metadata); for producing solutions, not
            for measuring a model.
        max_failures_shown: Failing tests shown to the model per turn (the first ones).
        keep: `best` returns the program that passed the most tests (the latest of
            equals); `last` returns the last program, as the seed did.
        system_prompt_id: Id of the system prompt (see `codecrucible.prompts.SYSTEM_PROMPTS`;
            `none` for no system message), added when the task's messages have none.
        prompt_template: Render the first user prompt with this template (an id or
            literal text) instead of the task's.
    """
    _check("max_turns", max_turns, 1)
    _check("max_failures_shown", max_failures_shown, 1)
    if keep not in ("best", "last"):
        raise InputError(f"feedback: keep must be 'best' or 'last', not {keep!r}")
    if not isinstance(should_pass_private, bool):
        raise InputError(
            f"feedback: should_pass_private must be true or false, not {should_pass_private!r}"
        )
    system_text = system_prompt(system_prompt_id)
    template = template_argument(prompt_template, "feedback", "prompt_template")
    parameters = {
        "max_turns": max_turns,
        "should_pass_private": should_pass_private,
        "max_failures_shown": max_failures_shown,
        "keep": keep,
    }

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        problem = problem_for(state.metadata, state.sample_id)
        if template is not None:
            state.messages = [ChatMessageUser(content=render_prompt(template, problem))]
        if system_text and not any(isinstance(m, ChatMessageSystem) for m in state.messages):
            state.messages.insert(0, ChatMessageSystem(content=system_text))
        scoring_sets = list((state.metadata.get("scoring") or {}).get("tests") or [])
        sets, tests = feedback_tests(problem, scoring_sets, should_pass_private)
        record = solver_record(state)
        record[ORACLE_KEY] = should_pass_private
        if should_pass_private:
            transcript().info(
                f"oracle use (should_pass_private=true): the model is shown failures of the "
                f"hidden tests too ({', '.join(sets)}: {len(tests)} tests); the score does "
                "not measure the model",
                source="feedback",
            )
        model = solver_model("feedback")
        messages: list[ChatMessage] = list(state.messages)
        turns: list[Turn] = []
        stopped: StopReason = "budget"
        for number in range(1, max_turns + 1):
            async with span(f"turn {number}", type="feedback"):
                async with stage(state, "generate") as current:
                    output = await current.generate(model, messages)
                messages.append(output.message)
                code = extract_code(output.completion, problem.language, problem.entry_point)
                result = None
                if code is not None and tests:
                    async with stage(state, "execute"):
                        result = await run_tests(state, problem, code, tests)
                turn = Turn(number, output, code, result)
                turns.append(turn)
                transcript().info(turn.summary(len(tests)), source="feedback")
                if not tests:
                    stopped = "no_tests"
                    transcript().info(
                        f"no {'/'.join(sets)} tests: nothing to check, one generation",
                        source="feedback",
                    )
                    break
                if turn.passed:
                    stopped = "passed"
                    break
                if number < max_turns:  # after the last turn, nobody would read a report
                    messages.append(
                        ChatMessageUser(
                            content=feedback_message(turn, problem.language, max_failures_shown)
                        )
                    )
        final = turns[-1] if keep == "last" else max(turns, key=lambda t: t.rank)
        if stopped == "budget":
            transcript().info(
                f"budget spent ({max_turns} turns) without passing every test; "
                f"returning the program of turn {final.number} (keep={keep})",
                source="feedback",
            )
        record[RECORD_KEY] = {
            "parameters": parameters,
            "feedback_tests": sets,
            "tests": len(tests),
            "turns": len(turns),
            "passed_feedback_tests": final.passed,
            "stopped": stopped,
            "final_turn": final.number,
            "history": [turn.record(len(tests)) for turn in turns],
        }
        state.messages = messages
        state.output = final.output
        set_code(state, final.code)
        return state

    return solve
