"""feedback: generate, run the tests, show the failures, retry within an exact turn budget."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import Task
from inspect_ai._util.config import parse_cli_args
from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser

from codecrucible.errors import InputError
from codecrucible.prompts import SYSTEM_PROMPTS
from codecrucible.solvers.feedback import feedback
from codecrucible.tasks.custom import custom
from codecrucible.tasks.humaneval import humaneval
from tests.conftest import (
    errored_sample,
    example_task,
    failing_model,
    fenced_answer,
    info_texts,
    model_events,
    model_inputs,
    requires_bwrap,
    run_solver,
    score_of,
    solver_metadata,
)

# sum-of-pairs (stdin): public test "2\n1 2\n3 4\n" -> "3\n7\n"; private tests include
# "1\n-5 5\n" -> "0\n" and one whose last pair is "-1 -2" -> "-3"
PAIRS_HEAD = "n = int(input())\nfor _ in range(n):\n    a, b = map(int, input().split())\n"
PAIRS_WRONG = fenced_answer(PAIRS_HEAD + "    print(a - b)\n")
PAIRS_ABS = fenced_answer(PAIRS_HEAD + "    print(abs(a + b))\n")  # public passes, private not
PAIRS_RIGHT = fenced_answer(PAIRS_HEAD + "    print(a + b)\n")
NO_CODE = "I would add the two numbers on each line."


@requires_bwrap
def test_retries_with_the_failures_until_the_public_tests_pass(tmp_path: Path) -> None:
    sample = run_solver(
        example_task("sum-of-pairs", tmp_path),
        feedback(),
        [PAIRS_WRONG, NO_CODE, PAIRS_RIGHT, PAIRS_WRONG],
        tmp_path,
    )
    record = solver_metadata(sample, "feedback")
    assert record["stopped"] == "passed" and record["turns"] == 3
    assert record["passed_feedback_tests"] is True and record["final_turn"] == 3
    assert record["feedback_tests"] == ["public"] and record["tests"] == 1
    assert [(t["has_code"], t["tests_passed"], t["passed"]) for t in record["history"]] == [
        (True, 0, False),
        (False, 0, False),
        (True, 1, True),
    ]
    assert record["history"][0]["verdicts"] == {"wrong_answer": 1}
    assert sample.metadata["codecrucible"]["oracle"] is False
    stages = sample.metadata["codecrucible"]["stages"]
    assert stages["generate"]["calls"] == 3 and stages["execute"]["calls"] == 0
    inputs = model_inputs(sample)
    assert len(inputs) == 3  # the fourth scripted answer was never asked for
    assert score_of(sample) == "C"  # the hidden tests pass too
    assert sample.output.completion == PAIRS_RIGHT

    # the first call: the task's own prompt, with the default system prompt before it
    first = inputs[0]
    assert [m.role for m in first] == ["system", "user"]
    assert first[0].text == SYSTEM_PROMPTS["default"]
    assert "Print a + b for each line." in first[1].text
    # the second call: the dialogue so far, ending with the failure report
    second = inputs[1]
    assert [m.role for m in second] == ["system", "user", "assistant", "user"]
    assert second[2].text == PAIRS_WRONG
    report = second[3].text
    assert report.startswith("Your program does not pass the tests.\n\n1 of 1 tests failed.")
    assert "Test 1: wrong answer" in report
    assert "Input:\n```\n2\n1 2\n3 4\n```" in report
    assert "Expected:\n```\n3\n7\n```" in report
    assert "Actual:\n```\n-1\n-1\n```" in report
    assert report.endswith("Reply with the complete program in a single ```python code block.")
    # the third call: an answer without code is a failed turn, and the model is told so
    third = inputs[2]
    assert len(third) == 6 and third[4].text == NO_CODE
    assert third[5].text.startswith("Your answer holds no program: no fenced code block")

    # the sample's messages read as the whole dialogue
    roles = [type(m) for m in sample.messages]
    assert roles == [ChatMessageSystem, ChatMessageUser] + [
        ChatMessageAssistant,
        ChatMessageUser,
    ] * 2 + [ChatMessageAssistant]
    spans = {e.name for e in sample.events if e.event == "span_begin"}  # type: ignore[union-attr]
    assert {"turn 1", "turn 2", "turn 3", "generate", "execute"} <= spans
    assert "turn 4" not in spans
    assert "turn 2: no program in the answer (no fenced code block)" in info_texts(sample)


@requires_bwrap
def test_an_always_wrong_model_gets_exactly_max_turns_generations(tmp_path: Path) -> None:
    sample = run_solver(
        example_task("sum-of-pairs", tmp_path),
        feedback(max_turns=4),
        [PAIRS_WRONG] * 4 + [PAIRS_RIGHT],  # a fifth call would pass
        tmp_path,
    )
    record = solver_metadata(sample, "feedback")
    assert record["stopped"] == "budget" and record["turns"] == 4
    assert record["passed_feedback_tests"] is False
    assert record["final_turn"] == 4  # equal scores: the latest program
    assert sample.metadata["codecrucible"]["stages"]["generate"]["calls"] == 4
    inputs = model_inputs(sample)
    assert len(inputs) == 4
    assert [len(messages) for messages in inputs] == [2, 4, 6, 8]
    assert score_of(sample) == "I"
    # no report is written after the last turn: nobody would read it
    assert isinstance(sample.messages[-1], ChatMessageAssistant)
    assert len(sample.messages) == 2 + 4 + 3
    assert any(info.startswith("budget spent (4 turns)") for info in info_texts(sample))


@requires_bwrap
def test_max_turns_one_is_a_single_generation(tmp_path: Path) -> None:
    sample = run_solver(
        example_task("sum-of-pairs", tmp_path),
        feedback(max_turns=1),
        [PAIRS_WRONG, PAIRS_RIGHT],
        tmp_path,
    )
    assert len(model_inputs(sample)) == 1
    assert solver_metadata(sample, "feedback")["turns"] == 1 and score_of(sample) == "I"


@requires_bwrap
def test_a_problem_without_public_tests_gets_one_generation(tmp_path: Path) -> None:
    right = fenced_answer(
        "def has_close_elements(numbers, threshold):\n    return any(\n"
        "        abs(a - b) < threshold\n        for i, a in enumerate(numbers)\n"
        "        for b in numbers[i + 1:]\n    )\n"
    )
    wrong = fenced_answer("def has_close_elements(numbers, threshold):\n    return False\n")
    sample = run_solver(humaneval(docstring_tests=False), feedback(), [wrong, right], tmp_path)
    record = solver_metadata(sample, "feedback")
    assert record["stopped"] == "no_tests" and record["tests"] == 0
    assert record["turns"] == 1 and record["passed_feedback_tests"] is False
    assert record["history"] == [
        {
            "turn": 1,
            "has_code": True,
            "tests_passed": 0,
            "tests_total": 0,
            "passed": False,
            "verdicts": {},
        }
    ]
    assert len(model_inputs(sample)) == 1
    assert "no public tests: nothing to check, one generation" in info_texts(sample)
    assert score_of(sample) == "I"  # the wrong first answer stays: nothing said it was wrong


@requires_bwrap
def test_should_pass_private_feeds_back_the_hidden_tests_and_is_flagged(
    tmp_path: Path,
) -> None:
    task = example_task("sum-of-pairs", tmp_path)
    honest = run_solver(task, feedback(), [PAIRS_ABS, PAIRS_RIGHT], tmp_path / "honest")
    # the public test passes: the loop stops there
    assert solver_metadata(honest, "feedback")["turns"] == 1
    assert score_of(honest) == "I"
    assert honest.metadata["codecrucible"]["oracle"] is False
    assert not any("oracle" in info for info in info_texts(honest))

    oracle = run_solver(
        task, feedback(should_pass_private=True), [PAIRS_ABS, PAIRS_RIGHT], tmp_path / "oracle"
    )
    record = solver_metadata(oracle, "feedback")
    assert oracle.metadata["codecrucible"]["oracle"] is True
    assert record["parameters"]["should_pass_private"] is True
    assert record["feedback_tests"] == ["public", "private", "generated"]
    assert record["tests"] == 3  # one public, two private
    assert [t["tests_passed"] for t in record["history"]] == [2, 3]
    assert record["turns"] == 2 and record["passed_feedback_tests"] is True
    assert score_of(oracle) == "C"
    infos = info_texts(oracle)
    assert infos[0].startswith("oracle use (should_pass_private=true)")
    report = model_inputs(oracle)[1][-1].text
    assert "1 of 3 tests failed." in report and "Test 3: wrong answer" in report
    assert "Expected:\n```\n2000000000\n0\n-3\n```" in report  # a hidden test's answer


@requires_bwrap
def test_functional_problem_feedback_shows_the_call_and_both_values(tmp_path: Path) -> None:
    wrong = fenced_answer("def longest_run(values):\n    return len(values)\n")
    right = fenced_answer(
        "def longest_run(values):\n    best = run = 0\n    prev = object()\n"
        "    for v in values:\n        run = run + 1 if v == prev else 1\n"
        "        prev = v\n        best = max(best, run)\n    return best\n"
    )
    sample = run_solver(
        example_task("longest-run", tmp_path), feedback(), [wrong, right, wrong], tmp_path
    )
    assert solver_metadata(sample, "feedback")["turns"] == 2 and score_of(sample) == "C"
    assert len(model_inputs(sample)) == 2
    report = model_inputs(sample)[1][-1].text
    assert "Test 1: wrong answer" in report
    assert "[1, 1, 2, 2, 2, 3]" in report
    assert "Expected:\n```\n3\n```" in report and "Actual:\n```\n6\n```" in report


@requires_bwrap
def test_assert_problem_feedback_shows_the_failing_assert(tmp_path: Path) -> None:
    wrong = fenced_answer("def is_palindrome(text):\n    return text == text[::-1]\n")
    right = fenced_answer(
        "def is_palindrome(text):\n    kept = [c.lower() for c in text if c.isalnum()]\n"
        "    return kept == kept[::-1]\n"
    )
    sample = run_solver(
        example_task("is-palindrome", tmp_path), feedback(), [wrong, right, wrong], tmp_path
    )
    record = solver_metadata(sample, "feedback")
    assert record["turns"] == 2 and score_of(sample) == "C"
    assert [t["passed"] for t in record["history"]] == [False, True]
    report = model_inputs(sample)[1][-1].text
    assert "Test 1: runtime error" in report
    assert "assert is_palindrome('A man, a plan, a canal: Panama')" in report
    assert "AssertionError" in report


# a problem with two public tests, so that a program can do better and a later one worse
DOUBLE = {
    "id": "double",
    "statement": "Read n and print 2 * n.",
    "public_tests": [
        {"kind": "stdin", "input": "1\n", "output": "2\n"},
        {"kind": "stdin", "input": "5\n", "output": "10\n"},
    ],
    "private_tests": [{"kind": "stdin", "input": "1\n", "output": "2\n"}],
}
DOUBLE_ONE = fenced_answer(
    "n = int(input())\nprint(2 if n == 1 else 0)\n"
)  # public 1/2, private ok
DOUBLE_NONE = fenced_answer("print(0)\n")  # public 0/2


@pytest.fixture
def double_task(tmp_path: Path) -> Task:
    path = tmp_path / "double.jsonl"
    path.write_text(json.dumps(DOUBLE) + "\n")
    return custom(path=str(path))


@requires_bwrap
def test_keep_best_returns_the_program_that_passed_most_when_the_budget_ends(
    double_task: Task, tmp_path: Path
) -> None:
    outputs = [DOUBLE_ONE, DOUBLE_NONE, NO_CODE]
    best = run_solver(double_task, feedback(max_turns=3), outputs, tmp_path / "best")
    record = solver_metadata(best, "feedback")
    assert record["stopped"] == "budget" and record["turns"] == 3
    assert [t["tests_passed"] for t in record["history"]] == [1, 0, 0]
    assert record["final_turn"] == 1
    assert best.output.completion == DOUBLE_ONE
    assert score_of(best) == "C"  # turn 1's program passes the hidden test

    last = run_solver(double_task, feedback(max_turns=3, keep="last"), outputs, tmp_path / "last")
    assert solver_metadata(last, "feedback")["final_turn"] == 3
    assert score_of(last) == "I"  # no program at all


@requires_bwrap
def test_max_failures_shown_limits_the_report(double_task: Task, tmp_path: Path) -> None:
    sample = run_solver(
        double_task,
        feedback(max_turns=2, max_failures_shown=1),
        [DOUBLE_NONE, DOUBLE_NONE],
        tmp_path,
    )
    report = model_inputs(sample)[1][-1].text
    assert "2 of 2 tests failed." in report
    assert "Test 1: wrong answer" in report and "Test 2:" not in report
    assert "(1 more failing tests not shown.)" in report


@requires_bwrap
def test_system_prompt_none_and_prompt_template(double_task: Task, tmp_path: Path) -> None:
    sample = run_solver(
        double_task,
        feedback(max_turns=1, system_prompt_id="none", prompt_template="Problem: {statement}"),
        [DOUBLE_NONE],
        tmp_path,
    )
    [messages] = model_inputs(sample)
    assert [m.role for m in messages] == ["user"]
    assert messages[0].text == "Problem: Read n and print 2 * n."


@requires_bwrap
def test_prompt_template_from_the_command_line(double_task: Task, tmp_path: Path) -> None:
    """`-S` splits a value at its commas (a list arrives); the template is joined back."""
    arguments = parse_cli_args(["prompt_template=Problem, in short. {statement}"])
    assert isinstance(arguments["prompt_template"], list)
    sample = run_solver(double_task, feedback(max_turns=1, **arguments), [DOUBLE_NONE], tmp_path)
    [messages] = model_inputs(sample)
    assert messages[-1].text == "Problem, in short. Read n and print 2 * n."


def test_a_template_read_as_yaml_structure_is_refused_with_the_fix() -> None:
    arguments = parse_cli_args(["prompt_template=Solve: {statement}"])
    assert isinstance(arguments["prompt_template"], dict)  # YAML read `key: {flow map}`
    with pytest.raises(InputError, match="quote the whole template"):
        feedback(**arguments)
    # what the shell passes for -S prompt_template='"Solve: {statement}"'
    quoted = parse_cli_args(['prompt_template="Solve: {statement}"'])
    assert quoted["prompt_template"] == "Solve: {statement}"


@requires_bwrap
def test_a_model_error_raises_rather_than_scoring(tmp_path: Path) -> None:
    """A failed model call is the machinery's fault: the sample errors, it is not scored I.

    The call fails on turn 2, after turn 1's program ran and failed: the loop neither
    stops at the budget nor returns turn 1's program (Inspect retries the sample).
    """
    sample = errored_sample(
        example_task("sum-of-pairs", tmp_path),
        feedback(max_turns=3),
        failing_model(PAIRS_WRONG, message="provider down"),
        tmp_path,
    )
    assert sample.error is not None and "provider down" in sample.error.message
    assert "feedback" not in sample.metadata.get("codecrucible", {})
    assert len(model_events(sample)) == 2  # the answer of turn 1 and the failed call


@pytest.mark.parametrize(
    "parameters",
    [
        {"max_turns": 0},
        {"max_turns": True},
        {"max_failures_shown": 0},
        {"keep": "first"},
        {"should_pass_private": "yes"},
        {"system_prompt_id": "nope"},
    ],
)
def test_bad_parameters_say_what_is_wrong(parameters: dict[str, Any]) -> None:
    with pytest.raises(InputError):
        feedback(**parameters)
