"""AlphaCodium: every stage driven by scripted answers, anchors and reverts, exact budgets."""

from __future__ import annotations

import ast
import importlib
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import Task
from inspect_ai._util.config import parse_cli_args
from inspect_ai.log import EvalSample
from inspect_ai.model import ChatMessageSystem

from codecrucible.errors import InputError
from codecrucible.execution import execute
from codecrucible.problem import Limits, TestCase
from codecrucible.prompts import SYSTEM_PROMPTS
from codecrucible.solvers.alphacodium import (
    AiTestFormat,
    AlphaCodiumSettings,
    YamlParseError,
    ai_test_from,
    alphacodium,
    clean_code,
    load_yaml_tolerant,
    max_model_calls,
    read_run,
)
from codecrucible.tasks.code_contests import code_contests
from codecrucible.tasks.custom import custom
from tests.conftest import (
    CODE_CONTESTS_FIXTURE,
    EXAMPLES,
    errored_sample,
    failing_model,
    info_texts,
    model_events,
    model_inputs,
    requires_bwrap,
    run_solver,
    score_of,
    solver_metadata,
    stage_calls,
    user_prompts,
)

# ---------------------------------------------------------------- scripted answers


def fenced(code: str) -> str:
    return f"```python\n{code}```"


def _block(value: str, indent: int) -> str:
    pad = " " * indent
    return "|\n" + "\n".join(pad + line if line else "" for line in value.rstrip("\n").split("\n"))


def reflection_yaml(
    examples: list[tuple[str, str]], bullets: tuple[str, ...] = ("restated",)
) -> str:
    lines = ["self_reflection:", *(f"- {bullet}" for bullet in bullets)]
    if not examples:
        lines.append("tests_explanations: []")
    else:
        lines.append("tests_explanations:")
        for given, wanted in examples:
            lines += [
                f"- input: {_block(given, 4)}",
                f"  output: {_block(wanted, 4)}",
                "  explanation: |\n    worked out by hand",
            ]
    return "```yaml\n" + "\n".join(lines) + "\n```"


def validation_yaml(examples: list[tuple[str, str]]) -> str:
    lines = ["fixed_tests_explanations:"]
    for given, wanted in examples:
        lines += [
            f"- input: {_block(given, 4)}",
            f"  output: {_block(wanted, 4)}",
            "  explanation: |\n    checked again",
        ]
    return "```yaml\n" + "\n".join(lines) + "\n```"


def solutions_yaml(*names: str) -> str:
    items = [
        f"- name: {name}\n  content: |\n    approach {name}\n  why_it_works: |\n    it does\n"
        "  labels:\n  - math\n  complexity: O(n)"
        for name in names
    ]
    return "```yaml\npossible_solutions:\n" + "\n".join(items) + "\n```"


def choice_yaml(name: str) -> str:
    return (
        f"```yaml\nname: {name}\ncontent: |\n  the chosen approach {name}\nwhy: |\n  simple\n"
        "flow:\n- read the input\n- compute\n```"
    )


def stdin_tests_yaml(tests: list[tuple[str, str]]) -> str:
    items = [
        f"- input: {_block(given, 4)}\n  output: {_block(wanted, 4)}\n  explanation: |\n    by hand"
        for given, wanted in tests
    ]
    return "```yaml\ntests:\n" + "\n".join(items) + "\n```"


ANALYSIS = (
    "```yaml\nfailed_tests: |\n  the one shown\nwhat_went_wrong: |\n  a wrong formula\n"
    "fixed_flow: |\n  - use the right formula\n```"
)


def fix_yaml(code: str) -> str:
    return (
        "```yaml\nfailed_tests: |\n  the one shown\nwhat_went_wrong: |\n  a wrong formula\n"
        f"fixed_flow: |\n  use the right formula\nfixed_code: {_block(code, 2)}\n```"
    )


def flow_script(
    *,
    reflection: str,
    validation: str | None = None,
    solutions: str | None,
    choice: str,
    ai_tests: str | None,
    ai_validation: str | None = None,
    initial: list[str],
    public_fixes: list[str | tuple[str, str]] | None = None,
    ai_fixes: list[str] | None = None,
) -> list[str]:
    """The model's answers in the order the flow asks for them.

    `public_fixes`: a (analysis, code) pair per two-call fix, a YAML answer per
    one-call fix; `ai_fixes`: one YAML answer per fix.
    """
    script = [reflection]
    if validation is not None:
        script.append(validation)
    if solutions is not None:
        script.append(solutions)
    script.append(choice)
    if ai_tests is not None:
        script.append(ai_tests)
    if ai_validation is not None:
        script.append(ai_validation)
    script += initial
    for fix in public_fixes or []:
        script += list(fix) if isinstance(fix, tuple) else [fix]
    script += ai_fixes or []
    return script


# ---------------------------------------------------------------- programs and problems

SUM = (
    "n = int(input())\nfor _ in range(n):\n    a, b = map(int, input().split())\n    print(a + b)\n"
)
DIFF = (
    "n = int(input())\nfor _ in range(n):\n    a, b = map(int, input().split())\n    print(a - b)\n"
)
PRODUCT = (
    "n = int(input())\nfor _ in range(n):\n    a, b = map(int, input().split())\n    print(a * b)\n"
)
ZERO = "n = int(input())\nfor _ in range(n):\n    input()\n    print(0)\n"
CRASH = "raise SystemExit(3)\n"
ABS_SUM = (
    "n = int(input())\nfor _ in range(n):\n    a, b = map(int, input().split())\n"
    "    print(abs(a) + abs(b))\n"
)
NEG_ABS_SUM = (
    "n = int(input())\nfor _ in range(n):\n    a, b = map(int, input().split())\n"
    "    print(-(abs(a) + abs(b)))\n"
)
PLUS_ONE = (
    "n = int(input())\nfor _ in range(n):\n    a, b = map(int, input().split())\n"
    "    print(a + b + 1)\n"
)

SUM_PUBLIC = [("2\n1 2\n3 4\n", "3\n7\n")]  # examples/problems.jsonl, sum-of-pairs

TWO_PUBLIC = {
    "id": "signed-sum",
    "name": "Signed sum",
    "statement": "The first line holds n; each of the next n lines two integers a and b. "
    "Print a + b for each line.",
    "public_tests": [
        {"kind": "stdin", "input": "1\n1 2\n", "output": "3\n"},
        {"kind": "stdin", "input": "1\n-1 -2\n", "output": "-3\n"},
    ],
    "private_tests": [
        {"kind": "stdin", "input": "2\n5 -7\n0 0\n", "output": "-2\n0\n"},
    ],
    "comparator": "tokens",
}
TWO_PUBLIC_EXAMPLES = [("1\n1 2\n", "3\n"), ("1\n-1 -2\n", "-3\n")]

NO_PUBLIC = {
    "id": "double-it",
    "statement": "Read an integer x and print 2 * x.",
    "private_tests": [
        {"kind": "stdin", "input": "4\n", "output": "8\n"},
        {"kind": "stdin", "input": "-3\n", "output": "-6\n"},
    ],
}


def _task(tmp_path: Path, problem: dict[str, Any]) -> Task:
    path = tmp_path / f"{problem['id']}.jsonl"
    path.write_text(json.dumps(problem) + "\n")
    return custom(path=str(path))


def _run(
    task: Task, outputs: list[str], log_dir: Path, *, sample: str | None = None, **parameters: Any
) -> EvalSample:
    """One sample (the first, or the one with this id) through the solver, scripted."""
    extra = {"sample_id": sample} if sample else {}
    return run_solver(task, alphacodium(**parameters), outputs, log_dir, **extra)


def _record(sample: EvalSample) -> dict[str, Any]:
    return solver_metadata(sample, "alphacodium")


def _code(sample: EvalSample) -> str:
    code = sample.store["codecrucible:code"]
    assert isinstance(code, str)
    return code


# ---------------------------------------------------------------- the flow end to end


@requires_bwrap
def test_full_flow_on_a_stdin_problem(tmp_path: Path) -> None:
    script = flow_script(
        reflection=reflection_yaml(SUM_PUBLIC, ("read n pairs", "print each sum")),
        solutions=solutions_yaml("Brute force enumeration", "Direct sum", "Streaming sum"),
        choice=choice_yaml("Direct sum"),
        ai_tests=stdin_tests_yaml([("1\n-5 5\n", "0\n"), ("1\n2 2\n", "5\n")]),  # 2nd is wrong
        initial=[fenced(DIFF), fenced(SUM)],
        ai_fixes=[fix_yaml(PLUS_ONE)],  # passes the wrong AI test, breaks the anchors
    )
    sample = _run(custom(path=str(EXAMPLES)), script, tmp_path, number_of_ai_tests=2)
    record = _record(sample)
    assert stage_calls(sample) == {
        "self_reflection": 1,
        "possible_solutions": 1,
        "choose_best_solution": 1,
        "generate_ai_tests": 1,
        "initial_code_generation": 2,
        "ai_tests": 1,
    }
    assert len(user_prompts(sample)) == len(script) == record["calls"] == 7
    assert record["self_reflection"] == "- read n pairs\n- print each sum"
    assert record["tests_explanations"][0]["explanation"] == "worked out by hand"
    assert record["possible_solutions"] == ["Direct sum", "Streaming sum"]
    assert record["removed_brute_force"] == "Brute force enumeration"
    assert record["chosen_solution"] == "Direct sum"
    assert record["ai_tests"] == [
        {"input": "1\n-5 5\n", "output": "0\n"},
        {"input": "1\n2 2\n", "output": "5\n"},
    ]
    # the first attempt is 12 away (-1 for 3, -1 for 7), the second passes
    assert [(a["passed"], a["distance"]) for a in record["initial_attempts"]] == [
        (False, 12.0),
        (True, 0.0),
    ]
    assert [a["approach"] for a in record["initial_attempts"]] == ["Direct sum"] * 2
    assert record["public_fixes"] == [] and record["public_passed"] is True
    # AI stage: public (anchored), AI 1 (anchored), AI 2 fixed but the fix broke an anchor
    assert record["ai_fixes"] == [
        {"test": 3, "origin": "AI", "outcome": "reverted: broke an anchor"}
    ]
    assert record["reverts"] == [
        {"stage": "ai_tests", "test": 3, "reason": "the fix broke 2 of 2 anchor tests"}
    ]
    assert record["anchors"] == 2
    assert _code(sample) == SUM
    assert score_of(sample) == "C"
    prompts = user_prompts(sample)
    assert "(1 example in all)" in prompts[0]
    assert "- read n pairs" in prompts[1] and "worked out by hand" in prompts[1]
    assert "approach Streaming sum" in prompts[2] and "Brute force" not in prompts[2]
    assert "Write 2 more diverse tests" in prompts[3]
    assert "the chosen approach Direct sum" in prompts[4] == prompts[5]
    assert "Test report" in prompts[6] and "Expected:\n```\n5\n```" in prompts[6]
    infos = info_texts(sample, "alphacodium")
    assert any(i.startswith("AI-generated tests (2):") and '"1\\n2 2\\n"' in i for i in infos)
    assert any("chosen solution: 'Direct sum'" in i for i in infos)
    spans = {e.name for e in sample.events if e.event == "span_begin"}  # type: ignore[union-attr]
    assert {"self_reflection", "generate_ai_tests", "ai_tests", "attempt 2", "execute"} <= spans
    # the final check of the stop reason: a test run of its own, no model call
    assert sample.metadata["codecrucible"]["stages"]["execute"]["calls"] == 0
    assert record["stopped"] == "budget"  # the wrong AI test still fails (a correct program)
    inputs = model_inputs(sample)  # system_prompt_id=none: the stages' own system texts
    assert inputs[0][0].text.startswith("Your reflection must cover every aspect")
    assert not any(isinstance(m, ChatMessageSystem) for m in inputs[2])  # the choice: none
    events = model_events(sample)
    assert events[0].config.temperature == 0.2
    assert events[4].config.temperature == 0.3
    assert events[0].config.frequency_penalty == 0.1


@requires_bwrap
def test_initial_code_cycles_through_the_solutions_and_keeps_the_closest(tmp_path: Path) -> None:
    script = flow_script(
        reflection=reflection_yaml(SUM_PUBLIC),
        solutions=solutions_yaml("A", "B", "C"),
        choice=choice_yaml("A"),
        ai_tests=None,
        # distances: 10, 12, 6 (closest), crash, 12
        initial=[fenced(ZERO), fenced(DIFF), fenced(PRODUCT), fenced(CRASH), fenced(DIFF)],
    )
    sample = _run(
        custom(path=str(EXAMPLES)),
        script,
        tmp_path,
        max_attempts=4,
        number_of_ai_tests=0,
        public_max_fixes=0,
        add_public_tests_to_ai_tests=False,
    )
    record = _record(sample)
    assert [a["approach"] for a in record["initial_attempts"]] == ["A", "A", "C", "A", "B"]
    assert [a["distance"] for a in record["initial_attempts"]] == [10.0, 12.0, 6.0, None, 12.0]
    assert record["initial_passed"] is False
    assert _code(sample) == PRODUCT
    assert stage_calls(sample) == {
        "self_reflection": 1,
        "possible_solutions": 1,
        "choose_best_solution": 1,
        "initial_code_generation": 5,
    }
    prompts = user_prompts(sample)
    assert "the chosen approach A" in prompts[3] and "the chosen approach A" in prompts[4]
    assert "approach C" in prompts[5] and "approach A" in prompts[6] and "approach B" in prompts[7]
    assert any(
        "keeping attempt 3, the closest (distance 6.0)" in i
        for i in info_texts(sample, "alphacodium")
    )
    assert score_of(sample) == "I"


@requires_bwrap
def test_a_public_fix_that_breaks_an_anchor_is_reverted(tmp_path: Path) -> None:
    script = flow_script(
        reflection=reflection_yaml(TWO_PUBLIC_EXAMPLES),
        solutions=solutions_yaml("Add"),
        choice=choice_yaml("Add"),
        ai_tests=None,
        initial=[fenced(ABS_SUM)],  # passes test 1, fails test 2
        public_fixes=[
            (ANALYSIS, fenced(NEG_ABS_SUM)),  # passes test 2, breaks test 1 (an anchor)
            (ANALYSIS, fenced(SUM)),
        ],
    )
    sample = _run(
        _task(tmp_path, TWO_PUBLIC), script, tmp_path, max_attempts=0, number_of_ai_tests=0
    )
    record = _record(sample)
    assert record["reverts"] == [
        {"stage": "public_tests", "test": 2, "reason": "the fix broke 1 of 1 anchor tests"}
    ]
    assert record["public_fixes"] == [
        {"test": 2, "changed": True, "anchors_passed": False},
        {"test": 2, "changed": True, "anchors_passed": True},
    ]
    assert record["public_passed"] is True
    assert stage_calls(sample)["public_tests"] == 4  # two fixes of two calls each
    prompts = user_prompts(sample)
    assert "print(abs(a) + abs(b))" in prompts[4]  # the first analysis saw the initial code
    assert "print(abs(a) + abs(b))" in prompts[5] and "a wrong formula" in prompts[5]
    assert "print(abs(a) + abs(b))" in prompts[6]  # the second analysis: the code reverted
    assert record["anchors"] == 2  # both public tests
    assert record["ai_fixes"] == []  # public tests at both ends pass: no calls
    assert len(prompts) == 8 == record["calls"]
    assert _code(sample) == SUM and score_of(sample) == "C"


@requires_bwrap
def test_an_empty_output_reverts_without_a_model_call(tmp_path: Path) -> None:
    silent = "print(end='')\n"
    script = flow_script(
        reflection=reflection_yaml(TWO_PUBLIC_EXAMPLES),
        solutions=solutions_yaml("Add"),
        choice=choice_yaml("Add"),
        ai_tests=None,
        initial=[fenced(ABS_SUM)],
        public_fixes=[(ANALYSIS, fenced(silent))],  # anchors fail: reverted
    )
    sample = _run(
        _task(tmp_path, TWO_PUBLIC),
        script,
        tmp_path,
        max_attempts=0,
        number_of_ai_tests=0,
        max_fixes_per_test=1,
        add_public_tests_to_ai_tests=False,
    )
    record = _record(sample)
    assert len(record["public_fixes"]) == 1 and record["calls"] == 6
    assert _code(sample) == ABS_SUM


@requires_bwrap
def test_ai_test_fixes_kept_when_the_crash_is_gone_reverted_when_still_wrong(
    tmp_path: Path,
) -> None:
    crashy = (
        "n = int(input())\nfor _ in range(n):\n    a, b = map(int, input().split())\n"
        "    print(a + b if a != b else 1 // 0)\n"
    )
    script = flow_script(
        reflection=reflection_yaml(SUM_PUBLIC),
        solutions=solutions_yaml("Add"),
        choice=choice_yaml("Add"),
        # both expected outputs are wrong (4 and 6 are right)
        ai_tests=stdin_tests_yaml([("1\n2 2\n", "5\n"), ("1\n3 3\n", "7\n")]),
        initial=[fenced(crashy)],
        ai_fixes=[fix_yaml(SUM), fix_yaml(PRODUCT)],
    )
    sample = _run(custom(path=str(EXAMPLES)), script, tmp_path, number_of_ai_tests=2)
    record = _record(sample)
    assert record["ai_fixes"] == [
        {"test": 2, "origin": "AI", "outcome": "kept: no longer crashes"},
        {"test": 3, "origin": "AI", "outcome": "reverted: still fails"},
    ]
    assert record["reverts"] == [
        {"stage": "ai_tests", "test": 3, "reason": "the fix still fails the test"}
    ]
    assert "ZeroDivisionError" in user_prompts(sample)[5]  # the crash is reported to the fix
    assert record["calls"] == 7
    assert _code(sample) == SUM and score_of(sample) == "C"


@requires_bwrap
def test_a_fix_whose_code_does_not_compile_keeps_the_code(tmp_path: Path) -> None:
    script = flow_script(
        reflection=reflection_yaml(SUM_PUBLIC),
        solutions=solutions_yaml("Add"),
        choice=choice_yaml("Add"),
        ai_tests=None,
        initial=[fenced(DIFF)],
        public_fixes=[fix_yaml("def (:\n    pass\nprint(")],
    )
    sample = _run(
        custom(path=str(EXAMPLES)),
        script,
        tmp_path,
        max_attempts=0,
        public_max_fixes=1,
        single_stage_fix=True,
        number_of_ai_tests=0,
        add_public_tests_to_ai_tests=False,
    )
    record = _record(sample)
    assert record["public_fixes"] == [{"test": 1, "changed": False}]
    assert record["calls"] == 5
    assert any("does not compile" in i for i in info_texts(sample, "alphacodium"))
    assert _code(sample) == DIFF


@requires_bwrap
def test_one_call_fixes_with_malformed_yaml_on_a_functional_problem(tmp_path: Path) -> None:
    wrong = "def longest_run(values):\n    return 0\n"
    right = (
        "def longest_run(values: list[int]) -> int:\n    best = run = 0\n    previous = None\n"
        "    for value in values:\n        run = run + 1 if value == previous else 1\n"
        "        previous = value\n        best = max(best, run)\n    return best\n"
    )
    # unquoted colons everywhere, the code not a block scalar, prose after the YAML
    malformed_fix = (
        "Here is my analysis:\n```yaml\nwhat_went_wrong: the code returns 0: always\n"
        "fixed_flow: count runs: keep the best\nfixed_code:\n"
        + "".join(f"  {line}\n" if line else "\n" for line in right.rstrip().split("\n"))
        + "```\nThis fixes it: the runs are counted."
    )
    ai_tests = (
        "```yaml\ntests:\n- args: [[]]\n  expected: 0\n  explanation: empty\n"
        "- args: |\n    [[5, 5, 1, 5, 5, 5]]\n  expected: |\n    3\n  explanation: three fives\n"
        "- args: not json\n  expected: 1\n  explanation: dropped\n```"
    )
    script = flow_script(
        reflection=reflection_yaml([("longest_run([1, 1, 2, 2, 2, 3])", "3")]),
        solutions=solutions_yaml("Scan"),
        choice=choice_yaml("Scan"),
        ai_tests=ai_tests,
        initial=[fenced(wrong)],
        public_fixes=[malformed_fix],
    )
    sample = _run(
        custom(path=str(EXAMPLES)),
        script,
        tmp_path,
        sample="longest-run",
        max_attempts=0,
        single_stage_fix=True,
    )
    record = _record(sample)
    assert record["test_kind"] == "functional" and record["function"] == "longest_run"
    assert record["ai_tests"] == [
        {"fn_name": "longest_run", "args": "[[]]", "expected": "0"},
        {"fn_name": "longest_run", "args": "[[5, 5, 1, 5, 5, 5]]", "expected": "3"},
    ]
    assert record["ai_tests_dropped"] == 1
    assert record["parse_failures"] == []
    assert stage_calls(sample)["public_tests"] == 1
    assert record["public_passed"] is True
    assert record["anchors"] == 3  # the public test and both AI tests
    assert _code(sample) == right
    assert score_of(sample) == "C"
    prompts = user_prompts(sample)
    assert "`args` is a JSON array" in prompts[3]
    assert "fixed_code" in prompts[5] and "Define `longest_run`" in prompts[5]


@requires_bwrap
def test_assert_problem_with_ai_asserts(tmp_path: Path) -> None:
    right = (
        "def is_palindrome(text):\n    kept = [c.lower() for c in text if c.isalnum()]\n"
        "    return kept == kept[::-1]\n"
    )
    always_false = "def is_palindrome(text):\n    return False\n"
    ai_tests = (
        "```yaml\ntests:\n- test: |\n    assert is_palindrome('Abba')\n  explanation: case\n"
        "- test: |\n    assert not is_palindrome('abba')\n  explanation: wrong on purpose\n"
        "- test: |\n    assert is_palindrome('a'\n  explanation: a syntax error\n```"
    )
    script = flow_script(
        reflection=reflection_yaml(
            [("assert is_palindrome('A man, a plan, a canal: Panama')", "")]
        ),
        solutions=solutions_yaml("Two pointers"),
        choice=choice_yaml("Two pointers"),
        ai_tests=ai_tests,
        initial=[fenced(right)],
        ai_fixes=[fix_yaml(always_false)],  # passes the wrong test, breaks the anchors
    )
    sample = _run(custom(path=str(EXAMPLES)), script, tmp_path, sample="is-palindrome")
    record = _record(sample)
    assert record["test_kind"] == "assert" and record["function"] == "is_palindrome"
    assert record["ai_tests"] == [
        {"test": "assert is_palindrome('Abba')\n"},
        {"test": "assert not is_palindrome('abba')\n"},
    ]
    assert record["ai_tests_dropped"] == 1
    assert record["ai_fixes"] == [
        {"test": 3, "origin": "AI", "outcome": "reverted: broke an anchor"}
    ]
    assert record["calls"] == 6
    assert _code(sample) == right and score_of(sample) == "C"
    assert "Each test is `test`: Python assert statements" in user_prompts(sample)[3]


CLOSE_ELEMENTS = {
    "id": "close-elements",
    "statement": "Write has_close_elements(numbers, threshold): whether any two numbers of "
    "the list are closer to each other than threshold.",
    "entry_point": "has_close_elements",
    "private_tests": [
        {"kind": "assert", "program": "assert has_close_elements([1.0, 2.8, 3.0], 0.3)\n"},
        {"kind": "assert", "program": "assert not has_close_elements([1.0, 2.0, 3.0], 0.5)\n"},
    ],
}


@requires_bwrap
def test_no_public_tests_assert_problem(tmp_path: Path) -> None:
    """AlphaCodium issue #62: a problem without public tests crashed the original."""
    wrong = (
        "from typing import List\n\n\ndef has_close_elements(numbers: List[float], "
        "threshold: float) -> bool:\n    return False\n"
    )
    right = (
        "from typing import List\n\n\ndef has_close_elements(numbers: List[float], "
        "threshold: float) -> bool:\n    ordered = sorted(numbers)\n"
        "    return any(b - a < threshold for a, b in zip(ordered, ordered[1:]))\n"
    )
    ai_tests = (
        "```yaml\ntests:\n- test: |\n    assert has_close_elements([1.0, 2.0, 2.05], 0.1)\n"
        "  explanation: 2.0 and 2.05\n- test: |\n    assert not has_close_elements([1.0, 3.0], 0.5)\n"
        "  explanation: far apart\n```"
    )
    script = flow_script(
        reflection=reflection_yaml([]),
        solutions=solutions_yaml("Sort and compare neighbours"),
        choice=choice_yaml("Sort and compare neighbours"),
        ai_tests=ai_tests,
        initial=[fenced(wrong)],  # one attempt only: nothing to regenerate against
        ai_fixes=[fix_yaml(right)],
    )
    sample = _run(_task(tmp_path, CLOSE_ELEMENTS), script, tmp_path)
    record = _record(sample)
    assert record["public_tests"] == 0 and record["test_kind"] == "assert"
    assert record["tests_explanations"] == []
    assert len(record["initial_attempts"]) == 1
    assert "public_fixes" not in record  # no public-test stage
    assert record["ai_fixes"] == [{"test": 1, "origin": "AI", "outcome": "fixed"}]
    assert record["anchors"] == 2
    assert record["calls"] == 6
    assert record["max_calls"] == max_model_calls(AlphaCodiumSettings(), 0)
    assert "no worked examples" in user_prompts(sample)[0]
    assert _code(sample) == right and score_of(sample) == "C"


@requires_bwrap
def test_no_public_tests_stdin(tmp_path: Path) -> None:
    script = flow_script(
        reflection=reflection_yaml([]),
        solutions=solutions_yaml("Double"),
        choice=choice_yaml("Double"),
        ai_tests=stdin_tests_yaml([("5\n", "10\n")]),
        initial=[fenced("print(2 * int(input()))\n")],
    )
    sample = _run(_task(tmp_path, NO_PUBLIC), script, tmp_path)
    record = _record(sample)
    assert record["test_kind"] == "stdin" and record["calls"] == 5 and record["anchors"] == 1
    assert score_of(sample) == "C"


@requires_bwrap
def test_no_tests_at_all(tmp_path: Path) -> None:
    """No public tests and no AI tests: one program, nothing to check it against."""
    script = flow_script(
        reflection=reflection_yaml([]),
        solutions=solutions_yaml("Double"),
        choice=choice_yaml("Double"),
        ai_tests=None,
        initial=[fenced("print(2 * int(input()))\n")],
    )
    sample = _run(_task(tmp_path, NO_PUBLIC), script, tmp_path, number_of_ai_tests=0)
    record = _record(sample)
    assert record["calls"] == 4 and record["stopped"] == "no_tests"
    assert sample.metadata["codecrucible"]["oracle"] is False
    assert score_of(sample) == "C"  # the hidden tests score it; the flow never ran them


@requires_bwrap
def test_malformed_yaml_is_asked_again_then_defaults(tmp_path: Path) -> None:
    tabbed_tests = (
        "tests:\n\t- input: |\n\t\t1\n\t\t2 2\n\t  output: |\n\t\t4\n"
        "\t  explanation: two: plus two\n"
    )
    script = [
        "I think the problem is about sums.",  # no YAML: asked again
        reflection_yaml(SUM_PUBLIC),
        "possible_solutions: [unclosed",
        "Default output",
        "```yaml\n- just a list\n```",
        choice_yaml("Mine"),
        tabbed_tests,
        fenced(SUM),
    ]
    sample = _run(custom(path=str(EXAMPLES)), script, tmp_path, number_of_ai_tests=1)
    record = _record(sample)
    assert [(f["answer"], f["attempt"]) for f in record["parse_failures"]] == [
        ("self_reflection", 1),
        ("possible_solutions", 1),
        ("possible_solutions", 2),
        ("possible_solutions", 3),
    ]
    assert record["possible_solutions"] == []
    assert record["chosen_solution"] == "Mine"
    assert record["ai_tests"] == [{"input": "1\n2 2\n", "output": "4\n"}]
    assert stage_calls(sample) == {
        "self_reflection": 2,
        "possible_solutions": 3,
        "choose_best_solution": 1,
        "generate_ai_tests": 1,
        "initial_code_generation": 1,
    }
    assert "No candidate solutions were proposed." in user_prompts(sample)[5]
    assert any("going on with defaults" in i for i in info_texts(sample, "alphacodium"))
    assert score_of(sample) == "C"


@requires_bwrap
def test_validate_self_reflection_orders_the_public_tests(tmp_path: Path) -> None:
    script = flow_script(
        reflection=reflection_yaml(TWO_PUBLIC_EXAMPLES),
        validation=validation_yaml(TWO_PUBLIC_EXAMPLES[::-1]),
        solutions=solutions_yaml("Add"),
        choice=choice_yaml("Add"),
        ai_tests=None,
        initial=[fenced(ABS_SUM)],
        public_fixes=[(ANALYSIS, fenced(SUM))],
    )
    sample = _run(
        _task(tmp_path, TWO_PUBLIC),
        script,
        tmp_path,
        validate_self_reflection=True,
        max_attempts=0,
        number_of_ai_tests=0,
        public_use_test_explanations=True,
    )
    record = _record(sample)
    assert record["public_order"] == [1, 0]
    assert stage_calls(sample)["validate_self_reflection"] == 1
    assert record["tests_explanations"][0]["input"] == "1\n-1 -2"
    # the hardest test (-1 -2) now comes first, and its fix sees its checked explanation
    assert record["public_fixes"] == [{"test": 1, "changed": True}]
    assert "checked again" in user_prompts(sample)[5]
    assert _code(sample) == SUM and score_of(sample) == "C"


@requires_bwrap
def test_baseline_is_one_call(tmp_path: Path) -> None:
    sample = _run(
        custom(path=str(EXAMPLES)),
        [fenced(SUM)],
        tmp_path,
        use_baseline=True,
        stage_temperatures=False,
        frequency_penalty=None,
    )
    assert stage_calls(sample) == {"baseline": 1}
    [event] = [e for e in sample.events if e.event == "model"]
    assert event.config.temperature is None and event.config.frequency_penalty is None
    assert _record(sample)["max_calls"] == 1
    assert _record(sample)["stopped"] == "no_tests"
    assert sample.metadata["codecrucible"]["oracle"] is False
    assert score_of(sample) == "C"


# ---------------------------------------------------------------- exact budgets


def _always_wrong_script(
    settings: AlphaCodiumSettings, examples: list[tuple[str, str]], wrong: str
) -> list[str]:
    """Well-formed answers in call order; every program fails; every cap is reached."""
    public = len(examples)
    per_test = settings.max_fixes_per_test + (1 if public == 1 else 0)
    public_fixes = min(public * per_test, settings.public_max_fixes)
    ai = settings.number_of_ai_tests
    edges = public if settings.add_public_tests_to_ai_tests else 0
    ai_fixes = min(settings.ai_max_fixes, edges + ai) + edges
    tests = stdin_tests_yaml([(f"1\n{i} 1\n", f"{i + 1}\n") for i in range(1, ai + 1)])
    exhaustive = (
        "```yaml\nname: Everything\ncontent: |\n  try all\nproblem_rules: |\n  r\n"
        "pseudo_code: |\n  loop\n```"
    )
    return flow_script(
        reflection=reflection_yaml(examples),
        validation=validation_yaml(examples) if settings.validate_self_reflection else None,
        solutions=None if settings.use_direct_solutions else solutions_yaml("One", "Two"),
        choice=exhaustive if settings.use_direct_solutions else choice_yaml("One"),
        ai_tests=tests if ai else None,
        ai_validation=tests if ai and settings.validate_ai_tests else None,
        initial=[fenced(wrong)] * (1 + (settings.max_attempts if public else 0)),
        public_fixes=[fix_yaml(wrong) if settings.single_stage_fix else (ANALYSIS, fenced(wrong))]
        * public_fixes,
        ai_fixes=[fix_yaml(wrong)] * ai_fixes,
    )


BUDGET_CASES = [
    ("defaults", {}, "sum"),
    (
        "validations_one_call_fixes",
        {
            "validate_self_reflection": True,
            "validate_ai_tests": True,
            "single_stage_fix": True,
            "number_of_ai_tests": 2,
        },
        "two",
    ),
    (
        "direct_no_edges",
        {
            "use_direct_solutions": True,
            "add_public_tests_to_ai_tests": False,
            "max_attempts": 2,
            "max_fixes_per_test": 1,
        },
        "two",
    ),
    ("ai_cap_zero_edges_still_fixed", {"ai_max_fixes": 0, "public_max_fixes": 2}, "sum"),
    ("code_contests", {"number_of_ai_tests": 1, "max_attempts": 1}, "code_contests"),
]


@requires_bwrap
@pytest.mark.parametrize(
    ("case", "parameters", "problem"), BUDGET_CASES, ids=[c[0] for c in BUDGET_CASES]
)
def test_an_always_wrong_model_makes_exactly_the_budgeted_calls(
    tmp_path: Path, case: str, parameters: dict[str, Any], problem: str
) -> None:
    if problem == "sum":
        task, examples = custom(path=str(EXAMPLES)), SUM_PUBLIC
    elif problem == "two":
        task, examples = _task(tmp_path, TWO_PUBLIC), TWO_PUBLIC_EXAMPLES
    else:
        task = code_contests(data_files=str(CODE_CONTESTS_FIXTURE))
        examples = [("1 2\n", "3\n")]
    settings = replace(AlphaCodiumSettings(), **parameters)
    script = _always_wrong_script(
        settings, examples, ZERO if problem != "code_contests" else "print(0)\n"
    )
    sample = _run(task, script, tmp_path, **parameters)
    expected = max_model_calls(replace(settings, yaml_attempts=1), len(examples))
    record = _record(sample)
    assert len(script) == expected
    assert record["calls"] == expected
    assert sum(stage_calls(sample).values()) == expected
    assert len([e for e in sample.events if e.event == "model"]) == expected
    assert record["max_calls"] == max_model_calls(settings, len(examples)) >= expected
    assert record["parse_failures"] == []
    assert record["stopped"] == "budget"
    assert sample.metadata["codecrucible"]["oracle"] is False
    assert score_of(sample) == "I"
    if case == "defaults":
        assert expected == 26
    if problem == "code_contests":  # the short description leaves out the examples
        analysis = next(p for p in user_prompts(sample) if "Analyse the code and the failure" in p)
        assert "Print a + b." in analysis and "Example" not in analysis


@requires_bwrap
def test_an_always_unparsable_model_makes_exactly_the_budgeted_calls(tmp_path: Path) -> None:
    """mockllm's default answer: every YAML answer asked `yaml_attempts` times, no AI tests."""
    settings = AlphaCodiumSettings()
    expected = max_model_calls(settings, 1, ai_tests=0)
    assert expected == 43
    # one more call than the budget would find the script exhausted and fail the sample
    sample = _run(custom(path=str(EXAMPLES)), ["Default output"] * expected, tmp_path)
    record = _record(sample)
    assert record["calls"] == expected
    assert len([e for e in sample.events if e.event == "model"]) == expected
    assert stage_calls(sample) == {
        "self_reflection": 3,
        "possible_solutions": 3,
        "choose_best_solution": 3,
        "generate_ai_tests": 3,
        "initial_code_generation": 9,
        "public_tests": 16,  # 4 fixes: 3 analyses + 1 code each
        "ai_tests": 6,  # the public test at each end: 3 answers each
    }
    assert record["ai_tests"] == []
    assert score_of(sample) == "I"


# ---------------------------------------------------------------- parts


@pytest.mark.parametrize(
    ("text", "keys", "block_keys", "expected"),
    [
        pytest.param(
            "Sure, here it is:\n```yaml\nname: |\n  Greedy\ncontent: |\n  take: the max\n```\n"
            "Hope this helps!",
            ("name", "content"),
            (),
            {"name": "Greedy\n", "content": "take: the max\n"},
            id="fence-and-prose",
        ),
        pytest.param(
            "name: Greedy: pick the largest\ncontent: sort it: then scan",
            ("name", "content"),
            ("name", "content"),
            {"name": "Greedy: pick the largest", "content": "sort it: then scan"},
            id="unquoted-colons",
        ),
        pytest.param(
            "tests:\n\t- input: |\n\t\t1 2\n\t  output: |\n\t\t3\n",
            ("tests",),
            ("input", "output"),
            {"tests": [{"input": "1 2\n", "output": "3\n"}]},
            id="tabs",
        ),
        pytest.param(
            "tests:\n- input: 1\n  output: YES\n- input: 010\n  output: no\n",
            ("tests",),
            (),
            {"tests": [{"input": "1", "output": "YES"}, {"input": "010", "output": "no"}]},
            id="scalars-stay-text",
        ),
        pytest.param(
            "name: A\ncontent: B\nThis is the best solution because it is simple.",
            ("name", "content"),
            (),
            {"name": "A", "content": "B"},
            id="trailing-text",
        ),
        pytest.param(
            "what_went_wrong: off by one\nfixed_code:\n  def f(a: int):\n      return a + 1\n",
            ("fixed_code",),
            ("what_went_wrong", "fixed_code"),
            {"what_went_wrong": "off by one", "fixed_code": "def f(a: int):\n    return a + 1"},
            id="code-with-colons",
        ),
        pytest.param(
            "what_went_wrong: off by one\nfixed_code:\n  def f(a: int):\n      return a + 1\n",
            ("fixed_code",),
            (),
            {"what_went_wrong": "off by one", "fixed_code": "def f(a: int):\n    return a + 1"},
            id="regex-scan-fallback",
        ),
        pytest.param(
            "```yaml\nwhat_went_wrong: |\n  x\nfixed_code: |\n  ```python\n  print(1)\n  ```\n"
            "fixed_flow: |\n  y\n```",
            ("fixed_code", "fixed_flow"),
            (),
            {
                "what_went_wrong": "x\n",
                "fixed_code": "```python\nprint(1)\n```\n",
                "fixed_flow": "y",
            },
            id="fence-inside-a-value",
        ),
        pytest.param(
            "- input: 1\n  output: 2\n",
            ("tests",),
            (),
            {"tests": [{"input": "1", "output": "2"}]},
            id="bare-list",
        ),
        pytest.param(
            'self_reflection:\n- the problem: "asks" for: stuff\ntests_explanations:\n'
            "- input: |\n    1 2\n  output: '3\n  explanation: adds: both\n",
            ("self_reflection", "tests_explanations"),
            (),
            {
                "self_reflection": ['the problem: "asks" for: stuff'],
                "tests_explanations": [
                    {"input": "1 2", "output": "'3", "explanation": "adds: both"}
                ],
            },
            id="scan-quotes-and-colons",
        ),
        pytest.param(
            "<think>name: wrong</think>\nname: right\ncontent: c",
            ("name",),
            (),
            {"name": "right", "content": "c"},
            id="thinking-dropped",
        ),
    ],
)
def test_load_yaml_tolerant_reads_malformed_answers(
    text: str, keys: tuple[str, ...], block_keys: tuple[str, ...], expected: dict[str, Any]
) -> None:
    assert load_yaml_tolerant(text, keys, block_keys=block_keys, list_key="tests") == expected


@pytest.mark.parametrize(
    "text",
    ["Default output from mockllm/model", "", "```python\nprint(1)\n```", "other: 1\nkeys: 2"],
)
def test_load_yaml_tolerant_raises_when_nothing_fits(text: str) -> None:
    with pytest.raises(YamlParseError):
        load_yaml_tolerant(text, ("name", "content"))


def test_clean_code() -> None:
    assert clean_code("```python\nprint(1)\n```", "python") == "print(1)\n"
    assert clean_code("print(1)\n```", "python") == "print(1)\n"  # a stray closing fence
    assert clean_code("print(1)\nThat's it", "python") == "print(1)\n"  # a last-line remark
    assert clean_code("def f(:\n  pass\nmore(", "python") == "def f(:\n  pass\nmore(\n"


def test_ai_tests_of_each_kind() -> None:
    stdin = AiTestFormat("stdin", None)
    assert ai_test_from({"input": "1 2\\n3", "output": "4"}, stdin) == TestCase.stdin(
        "1 2\n3\n", "4\n"
    )
    functional = AiTestFormat("functional", "f")
    assert ai_test_from({"args": "[1, [2]]", "expected": "true"}, functional) == (
        TestCase.functional("f", [1, [2]], True)
    )
    assert ai_test_from({"args": "(1, 'a')", "expected": "None"}, functional) == (
        TestCase.functional("f", [1, "a"], None)
    )
    assert ai_test_from({"args": "5", "expected": "5"}, functional).args == [5]
    assertion = AiTestFormat("assert", "f")
    assert ai_test_from({"test": "assert f(1) == 2"}, assertion) == TestCase.assertion(
        "assert f(1) == 2\n"
    )
    for entry, form in [
        ({"input": "1"}, stdin),
        ({"input": "1", "output": ""}, stdin),
        ({"args": "[1", "expected": "1"}, functional),
        ({"test": "f(1) == 2"}, assertion),
        ({"test": "assert f(1"}, assertion),
        # values JSON cannot hold: a tuple key (json.dumps: TypeError), an unhashable
        # key (literal_eval: TypeError), a set (a returned set never compares equal)
        ({"args": "[1]", "expected": "{(1, 2): 3}"}, functional),
        ({"args": "[{[1]: 2}]", "expected": "1"}, functional),
        ({"args": "[1]", "expected": "{1, 2}"}, functional),
        ({"args": "[{3, 4}]", "expected": "1"}, functional),
        ({"args": "[1]", "expected": "1j"}, functional),
    ]:
        with pytest.raises(ValueError):
            ai_test_from(entry, form)
    assert ai_test_from({"args": "[(1, 2)]", "expected": "{1: (3,)}"}, functional) == (
        TestCase.functional("f", [[1, 2]], {"1": [3]})  # as JSON carries a returned value
    )


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("return True", "'return' outside function"),
        ("nonlocal x", "nonlocal declaration not allowed at module level"),
        ("break", "'break' outside loop"),
        ("yield 1", "'yield' outside function"),
    ],
)
def test_ai_asserts_that_parse_but_do_not_compile_are_refused(statement: str, reason: str) -> None:
    """`ast.parse` accepts these; `compile` (and so the runner) does not."""
    program = f"assert f(1) == 2\n{statement}\n"
    ast.parse(program)
    with pytest.raises(ValueError, match=f"do not compile: {reason}"):
        ai_test_from({"test": program}, AiTestFormat("assert", "f"))


@requires_bwrap
@pytest.mark.anyio
async def test_read_run_tells_crashes_assertions_and_distances_apart(
    bwrap_sandbox: Any,
) -> None:
    limits = Limits(time_s=1.0)

    async def run(code: str, tests: list[TestCase]) -> Any:
        return await execute(
            code,
            tests,
            limits=limits,
            comparator="tokens",
            stop_on_failure=False,
            sandbox=bwrap_sandbox,
            python=sys.executable,
        )

    failed_assert = read_run(
        await run("def f(x):\n    return x\n", [TestCase.assertion("assert f(1) == 2\n")]),
        "assert",
    )
    assert not failed_assert.passed and not failed_assert.crashed
    assert failed_assert.distance == 1
    crash = read_run(
        await run("def f(x):\n    return y\n", [TestCase.assertion("assert f(1) == 2\n")]),
        "assert",
    )
    assert crash.crashed and crash.distance == float("inf")
    numbers = read_run(await run("print(5)\nprint(1)\n", [TestCase.stdin("", "3\n1\n")]), "stdin")
    assert numbers.distance == 2 and numbers.non_empty
    words = read_run(await run("print('a b')\n", [TestCase.stdin("", "a c\nd\n")]), "stdin")
    assert words.distance == 2  # one line differs, one is missing
    silent = read_run(await run("pass\n", [TestCase.stdin("", "3\n")]), "stdin")
    assert not silent.non_empty and silent.distance == float("inf")
    syntax = read_run(await run("def (:\n", [TestCase.stdin("", "3\n")]), "stdin")
    assert syntax.crashed and "compile" in syntax.report.lower()


def test_budget_formula() -> None:
    settings = AlphaCodiumSettings()
    # 4 preparatory calls, 1 + 8 initial, 4 two-call fixes, min(4, 1 + 6) + 1 AI fixes
    assert max_model_calls(replace(settings, yaml_attempts=1), 1) == 4 + 9 + 8 + 5
    assert max_model_calls(settings, 1) == 12 + 9 + 4 * 4 + 5 * 3 == 52
    assert max_model_calls(replace(settings, yaml_attempts=1), 0) == 4 + 1 + 0 + 4
    assert max_model_calls(replace(settings, use_baseline=True), 3) == 1
    two = replace(settings, yaml_attempts=1, public_max_fixes=10)
    assert max_model_calls(two, 2) == 4 + 9 + 6 * 2 + (4 + 2)


@pytest.mark.parametrize(
    "parameters",
    [
        {"number_of_ai_tests": -1},
        {"yaml_attempts": 0},
        {"max_possible_solutions": 0},
        {"max_attempts": 1.5},
        {"single_stage_fix": "yes"},
        {"frequency_penalty": 3},
        {"system_prompt_id": "nope"},
        {"system_prompt_id": 1},
        {"prompt_template": ""},
    ],
)
def test_bad_parameters_are_refused(parameters: dict[str, Any]) -> None:
    with pytest.raises(InputError, match="alphacodium: "):
        alphacodium(**parameters)


PALINDROME = (
    "def is_palindrome(text):\n    kept = [c.lower() for c in text if c.isalnum()]\n"
    "    return kept == kept[::-1]\n"
)


def _palindrome_script(ai_tests: str) -> list[str]:
    return flow_script(
        reflection=reflection_yaml(
            [("assert is_palindrome('A man, a plan, a canal: Panama')", "")]
        ),
        solutions=solutions_yaml("Two pointers"),
        choice=choice_yaml("Two pointers"),
        ai_tests=ai_tests,
        initial=[fenced(PALINDROME)],
    )


@requires_bwrap
def test_an_ai_test_that_parses_but_does_not_compile_is_dropped(tmp_path: Path) -> None:
    """`return` at module level passes ast.parse; it used to end the sample (TestDataError)."""
    ai_tests = (
        "```yaml\ntests:\n- test: |\n    assert is_palindrome('Abba')\n  explanation: case\n"
        "- test: |\n    assert is_palindrome('x')\n    return True\n  explanation: bad\n```"
    )
    sample = _run(
        custom(path=str(EXAMPLES)), _palindrome_script(ai_tests), tmp_path, sample="is-palindrome"
    )
    record = _record(sample)
    assert record["ai_tests"] == [{"test": "assert is_palindrome('Abba')\n"}]
    assert record["ai_tests_dropped"] == 1
    assert any(
        i.startswith("AI tests dropped:") and "'return' outside function" in i
        for i in info_texts(sample, "alphacodium")
    )
    assert record["stopped"] == "passed"
    assert sample.metadata["codecrucible"]["oracle"] is False
    assert score_of(sample) == "C"


@requires_bwrap
def test_an_ai_test_the_runner_refuses_is_dropped_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test the harness accepts but the sandbox's Python refuses (another version, say)."""
    module = importlib.import_module("codecrucible.solvers.alphacodium")

    checked = module._compile_error

    def lenient(code: str, filename: str = "<code>") -> str | None:
        return None if "return True" in code else checked(code, filename)

    monkeypatch.setattr(module, "_compile_error", lenient)
    ai_tests = (
        "```yaml\ntests:\n- test: |\n    assert is_palindrome('Abba')\n  explanation: case\n"
        "- test: |\n    assert is_palindrome('x')\n    return True\n  explanation: bad\n```"
    )
    sample = _run(
        custom(path=str(EXAMPLES)), _palindrome_script(ai_tests), tmp_path, sample="is-palindrome"
    )
    record = _record(sample)
    assert len(record["ai_tests"]) == 2  # accepted by the (patched) check ...
    assert record["ai_tests_dropped"] == 1  # ... refused by the runner, then dropped
    assert any("refused by the test runner" in info for info in info_texts(sample, "alphacodium"))
    assert record["ai_fixes"] == [] and record["stopped"] == "passed"
    assert score_of(sample) == "C"


@requires_bwrap
def test_repeated_prompts_reach_the_model_under_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --cache, a prompt asked again must not replay the first answer; a rerun replays.

    A YAML retry and a regeneration of the initial code repeat their prompt verbatim:
    without a draw of their own, the cache would answer them with the unusable
    answer and the failing program again.
    """
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    script = [
        "Let me think about sums first.",  # no YAML: the same prompt is asked again
        *flow_script(
            reflection=reflection_yaml([("2\n1 2\n3 4\n", "sums")]),
            solutions=solutions_yaml("Add"),
            choice=choice_yaml("Add"),
            ai_tests=None,
            initial=[fenced(DIFF), fenced(SUM)],  # attempt 2 repeats attempt 1's prompt
        ),
    ]
    solver = alphacodium(number_of_ai_tests=0)
    task = custom(path=str(EXAMPLES))
    sample = run_solver(task, solver, script, tmp_path, sample_id="sum-of-pairs", cache=True)
    record = _record(sample)
    assert [(f["answer"], f["attempt"]) for f in record["parse_failures"]] == [
        ("self_reflection", 1)
    ]
    assert record["self_reflection"] == "- restated"
    assert [a["passed"] for a in record["initial_attempts"]] == [False, True]
    assert record["calls"] == len(script) == 6
    assert _code(sample) == SUM and score_of(sample) == "C"
    # the same sample again: every call (retries and regenerations included) is
    # answered from the cache; a model call would fail the run
    again = run_solver(
        task, solver, failing_model(), tmp_path, sample_id="sum-of-pairs", cache=True
    )
    assert _record(again)["calls"] == 6 and _code(again) == SUM
    assert [e.output.completion for e in model_events(again)] == script


@requires_bwrap
def test_a_model_error_raises_rather_than_scoring(tmp_path: Path) -> None:
    """A failed model call is the machinery's fault: the sample errors (Inspect retries).

    The call fails in the AI-test stage, after three answers: no YAML retry, no
    default, no program is scored.
    """
    sample = errored_sample(
        custom(path=str(EXAMPLES)),
        alphacodium(),
        failing_model(
            reflection_yaml(SUM_PUBLIC),
            solutions_yaml("Add"),
            choice_yaml("Add"),
            message="provider down",
        ),
        tmp_path,
    )
    assert sample.error is not None and "provider down" in sample.error.message
    assert len(model_events(sample)) == 4  # three answers and the failed call
    assert "alphacodium" not in sample.metadata.get("codecrucible", {})


@requires_bwrap
def test_system_prompt_and_prompt_template(tmp_path: Path) -> None:
    template = "Task: {statement}\n\n{public_tests}"
    script = flow_script(
        reflection=reflection_yaml(SUM_PUBLIC),
        solutions=solutions_yaml("Add"),
        choice=choice_yaml("Add"),
        ai_tests=None,
        initial=[fenced(DIFF)],
        public_fixes=[(ANALYSIS, fenced(SUM))],
    )
    sample = _run(
        custom(path=str(EXAMPLES)),
        script,
        tmp_path,
        system_prompt_id="competitive",
        prompt_template=template,
        max_attempts=0,
        number_of_ai_tests=0,
        public_max_fixes=1,
        add_public_tests_to_ai_tests=False,
    )
    record = _record(sample)
    assert record["parameters"]["system_prompt_id"] == "competitive"
    assert record["parameters"]["prompt_template"] == template
    inputs = model_inputs(sample)
    assert len(inputs) == len(script) == record["calls"] == 6
    competitive = SYSTEM_PROMPTS["competitive"]
    for messages in inputs:  # the chosen system prompt first in every call ...
        assert isinstance(messages[0], ChatMessageSystem)
        assert messages[0].text.startswith(competitive)
    # ... before the stage's own system text (the choice has none)
    assert inputs[0][0].text == competitive + "\n\nYour reflection must cover every aspect " + (
        "of the problem. Notice the small details and nuances of the description."
    )
    assert inputs[2][0].text == competitive
    prompts = user_prompts(sample)
    statement = "Task: The first line holds n. Each of the next n lines holds two integers"
    # the template describes the problem, with its examples ...
    assert statement in prompts[0] and "## Public tests" in prompts[0]
    assert "reads its input from standard input" not in prompts[0]  # AlphaCodium's own
    # ... and, in the fix prompts' short description, without them
    assert "Analyse the code and the failure" in prompts[4]
    assert statement in prompts[4] and "## Public tests" not in prompts[4]
    assert statement in prompts[5] and "## Public tests" not in prompts[5]
    assert record["stopped"] == "passed"
    assert _code(sample) == SUM and score_of(sample) == "C"


@requires_bwrap
def test_a_prompt_template_from_the_command_line(tmp_path: Path) -> None:
    """`-S prompt_template=...` is split at its commas by Inspect: joined back."""
    arguments = parse_cli_args(["prompt_template=Problem, in short. {statement}"])
    assert isinstance(arguments["prompt_template"], list)
    sample = run_solver(
        custom(path=str(EXAMPLES)),
        alphacodium(use_baseline=True, **arguments),
        [fenced(SUM)],
        tmp_path,
    )
    template = "Problem, in short. {statement}"
    assert _record(sample)["parameters"]["prompt_template"] == template
    assert "Problem, in short. The first line holds n." in user_prompts(sample)[0]
    assert score_of(sample) == "C"


def test_a_template_read_as_yaml_structure_is_refused() -> None:
    arguments = parse_cli_args(["prompt_template=Solve: {statement}"])
    assert isinstance(arguments["prompt_template"], dict)
    with pytest.raises(InputError, match="quote the whole template"):
        alphacodium(**arguments)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("no_such_template", "unknown prompt_template 'no_such_template'"),
        ("Solve {problem}", "does not render"),
    ],
)
def test_a_template_that_does_not_render_errors_the_sample(
    tmp_path: Path, template: str, message: str
) -> None:
    sample = errored_sample(
        custom(path=str(EXAMPLES)), alphacodium(prompt_template=template), failing_model(), tmp_path
    )
    assert sample.error is not None and message in sample.error.message
    assert not model_events(sample)
