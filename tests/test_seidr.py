"""SEIDR: drafts, validation on public tests, explanations, repairs, ranking, exact budgets."""

from __future__ import annotations

import importlib.util
import json
import random
from collections.abc import MutableSequence
from pathlib import Path
from typing import Any, get_args

import pytest
from inspect_ai import Task
from inspect_ai._util.config import parse_cli_args
from inspect_ai.model import ModelOutput

from codecrucible.errors import InputError
from codecrucible.execution import ExecutionResult, Verdict, VerdictStatus
from codecrucible.solvers.seidr import (
    FAILURE_ORDER,
    Candidate,
    _issue,
    lexicase_select,
    line_score,
    rank_by_score,
    seidr,
    temperature_ramp,
    worst_failure,
)
from codecrucible.tasks.code_contests import code_contests
from codecrucible.tasks.custom import custom
from codecrucible.tasks.humaneval import humaneval
from codecrucible.tasks.mbpp import mbpp
from tests.conftest import (
    EXAMPLES,
    FIXTURES,
    errored_sample,
    failing_model,
    info_texts,
    model_events,
    requires_bwrap,
    run_solver,
    score_of,
    solver_metadata,
    stage_calls,
    user_prompts,
)


def _program(body: str) -> str:
    return f"```python\ndef add(a, b):\n    return {body}\n```"


# programs for `add`, whose public tests are add(1, 2) = 3, add(2, 2) = 4, add(-1, -2) = -3
PASSES_FIRST = _program("3")  # test 1 only
PASSES_THIRD = _program("-3")  # test 3 only: the specialist
PASSES_TWO = _program("abs(a) + abs(b)")  # tests 1 and 2
PASSES_NONE = _program("0")
PASSES_ALL = _program("a + b")

ADD = {
    "id": "add",
    "statement": "Write add(a, b) that returns a + b.",
    "entry_point": "add",
    "public_tests": [
        {"kind": "functional", "fn_name": "add", "args": [1, 2], "expected": 3},
        {"kind": "functional", "fn_name": "add", "args": [2, 2], "expected": 4},
        {"kind": "functional", "fn_name": "add", "args": [-1, -2], "expected": -3},
    ],
    "private_tests": [
        {"kind": "functional", "fn_name": "add", "args": [10, 5], "expected": 15},
        {"kind": "functional", "fn_name": "add", "args": [0, 0], "expected": 0},
    ],
}


@pytest.fixture
def add_task(tmp_path: Path) -> Task:
    path = tmp_path / "add.jsonl"
    path.write_text(json.dumps(ADD) + "\n")
    return custom(path=str(path))


@requires_bwrap
def test_stops_as_soon_as_a_draft_passes_every_validation_test(
    add_task: Task, tmp_path: Path
) -> None:
    sample = run_solver(
        add_task,
        seidr(drafts_per_prompt=3),
        [PASSES_NONE, PASSES_ALL, PASSES_NONE, PASSES_NONE],
        tmp_path,
    )
    tree = solver_metadata(sample, "seidr")
    assert tree["stopped"] == "passed"
    assert tree["programs"] == 2 and tree["explanations"] == 0 and tree["best"] == 2
    assert stage_calls(sample) == {"draft": 2}
    assert len(user_prompts(sample)) == 2  # the third draft was never asked for
    assert [c["per_test"] for c in tree["candidates"]] == [[0, 0, 0], [1, 1, 1]]
    assert score_of(sample) == "C"  # the hidden tests pass too
    assert sample.messages[-1].text == PASSES_ALL


@requires_bwrap
def test_a_repair_that_passes_stops_the_search_and_prompts_carry_the_failure(
    add_task: Task, tmp_path: Path
) -> None:
    explanation = "Return the sum of a and b instead of a constant."
    sample = run_solver(
        add_task,
        seidr(),
        [PASSES_FIRST, PASSES_NONE, explanation, PASSES_ALL, PASSES_NONE],
        tmp_path,
    )
    tree = solver_metadata(sample, "seidr")
    assert tree["stopped"] == "passed" and tree["best"] == 3
    assert stage_calls(sample) == {"draft": 2, "instruct": 1, "debug": 1}
    assert tree["selections"] == [{"generation": 0, "method": "score", "parents": [1, 2]}]
    child = tree["candidates"][2]
    assert (child["parent"], child["stage"], child["generation"], child["explanation"]) == (
        1,
        "debug",
        1,
        1,
    )
    explain, repair = user_prompts(sample)[2:]
    # the instruct stage sees the parent's code and its worst failing test: tests 2 and 3
    # are equally wrong answers (score 0), so the first of them
    assert "```python\ndef add(a, b):\n    return 3\n```" in explain
    assert "2 of 3 tests failed." in explain and "Test 2: wrong answer" in explain
    assert "add(2, 2)" in explain and "Expected:\n```\n4\n```" in explain
    assert "Actual:\n```\n3\n```" in explain
    assert f"Modify the code as follows: {explanation}" in repair
    assert "return 3" in repair
    assert score_of(sample) == "C"
    infos = info_texts(sample, "seidr")
    assert any("program #1, draft: passes 1/3 validation tests" in info for info in infos)
    assert any("program #3, repair of #1 (explanation 1): passes 3/3" in info for info in infos)


@requires_bwrap
@pytest.mark.parametrize(
    ("parameters", "programs", "explanations", "drafts"),
    [
        # 2 drafts; each explanation is followed by 2 repairs: 9 repairs need 5 explanations
        ({"max_programs": 11}, 11, 5, 2),
        # 3 drafts, 4 repairs of 3 per explanation: 2 explanations
        ({"max_programs": 7, "branching_factor": 3, "explanations_per_program": 1}, 7, 2, 3),
        # the budget ends inside the drafts: nothing is explained
        ({"max_programs": 1}, 1, 0, 1),
    ],
)
def test_the_budget_is_exact_with_a_model_that_is_always_wrong(
    add_task: Task,
    tmp_path: Path,
    parameters: dict[str, Any],
    programs: int,
    explanations: int,
    drafts: int,
) -> None:
    sample = run_solver(add_task, seidr(**parameters), [PASSES_NONE] * 40, tmp_path)
    tree = solver_metadata(sample, "seidr")
    assert tree["stopped"] == "budget"
    assert tree["programs"] == programs and tree["explanations"] == explanations
    calls = programs + explanations
    assert sample.metadata["codecrucible"]["totals"]["calls"] == calls
    assert len(model_events(sample)) == calls
    assert stage_calls(sample) == {
        name: count
        for name, count in (
            ("draft", drafts),
            ("instruct", explanations),
            ("debug", programs - drafts),
        )
        if count
    }
    assert len(tree["candidates"]) == programs
    assert score_of(sample) == "I"


@requires_bwrap
def test_the_tree_follows_beam_explanations_and_repairs(add_task: Task, tmp_path: Path) -> None:
    sample = run_solver(add_task, seidr(max_programs=11), [PASSES_NONE] * 40, tmp_path)
    tree = solver_metadata(sample, "seidr")
    shape = [
        (c["id"], c["parent"], c["generation"], c["explanation"], c["temperature"])
        for c in tree["candidates"]
    ]
    third, two_thirds = 0.333333, 0.666667  # SEIDR's ramp for two samples of a prompt
    assert shape == [
        (1, None, 0, None, third),
        (2, None, 0, None, two_thirds),
        (3, 1, 1, 1, third),
        (4, 1, 1, 1, two_thirds),
        (5, 1, 1, 2, third),
        (6, 1, 1, 2, two_thirds),
        (7, 2, 1, 1, third),
        (8, 2, 1, 1, two_thirds),
        (9, 2, 1, 2, third),
        (10, 2, 1, 2, two_thirds),
        (11, 3, 2, 1, third),  # every score is 0: the first of generation 1 leads
    ]
    assert [(e["parent"], e["index"]) for e in tree["explanation_calls"]] == [
        (1, 1),
        (1, 2),
        (2, 1),
        (2, 2),
        (3, 1),
    ]
    assert [s["parents"] for s in tree["selections"]] == [[1, 2], [3, 4]]
    temperatures = [event.config.temperature for event in model_events(sample)]
    assert temperatures[:4] == [third, two_thirds, third, third]  # draft, draft, explain, repair


@requires_bwrap
@pytest.mark.parametrize("lexicase", [False, True])
def test_lexicase_selection_keeps_a_specialist_that_ranking_by_score_leaves_out(
    add_task: Task, tmp_path: Path, lexicase: bool
) -> None:
    # drafts: #1 passes test 1, #2 passes test 3 (the specialist), #3 passes tests 1 and 2.
    # By score the beam of two is #3 and #1 (ties keep their order), never the specialist.
    # Lexicase selection with seed 1 shuffles test 3 first for its first selection: the
    # specialist is the only program passing it; the second selection (from #1 and #3)
    # takes #3. (Which programs lexicase picks depends on the seed: see the unit tests.)
    outputs = [PASSES_FIRST, PASSES_THIRD, PASSES_TWO, "explain", PASSES_NONE]
    sample = run_solver(
        add_task,
        seidr(
            drafts_per_prompt=3,
            beam_width=2,
            explanations_per_program=1,
            repairs_per_explanation=1,
            max_programs=5,
            lexicase_selection=lexicase,
            seed=1,
        ),
        [*outputs, "explain", PASSES_NONE],
        tmp_path,
    )
    tree = solver_metadata(sample, "seidr")
    # every test is bound to its own index: results differ test by test
    assert [c["per_test"] for c in tree["candidates"][:3]] == [[1, 0, 0], [0, 0, 1], [1, 1, 0]]
    [selection] = tree["selections"]
    explained = [prompt for prompt in user_prompts(sample) if prompt.startswith("I'm trying")]
    assert len(explained) == 2
    if lexicase:
        assert selection["method"] == "lexicase"
        assert selection["parents"] == [2, 3]
        assert selection["decided_by"][0] == [2]  # zero-based: test 3 decided it alone
        assert any("return -3" in prompt for prompt in explained)
        assert not any("return 3\n" in prompt for prompt in explained)
    else:
        assert selection == {"generation": 0, "method": "score", "parents": [3, 1]}
        assert not any("return -3" in prompt for prompt in explained)
    # the answer is the best by score either way, not the latest program: abs(a) + abs(b)
    # passes the hidden tests (all non-negative), return 0 would not
    assert tree["best"] == 3 and score_of(sample) == "C"
    assert sample.messages[-1].text == PASSES_TWO


def _first_test_shuffled(seed: int, sample_id: str, epoch: int = 1) -> int:
    """The test that lexicase's first selection consults first, as the solver seeds it."""
    order = [0, 1, 2]
    random.Random(f"seidr:{seed}:{sample_id}:{epoch}").shuffle(order)
    return order[0]


@requires_bwrap
def test_lexicase_runs_are_deterministic_for_a_seed(tmp_path: Path) -> None:
    # three specialists, one per test, and a beam of one: the winner is the specialist of
    # the first test in the shuffled order, so only the seed decides it
    problem = {
        **ADD,
        "public_tests": [
            {"kind": "functional", "fn_name": "add", "args": [1, 2], "expected": 3},
            {"kind": "functional", "fn_name": "add", "args": [2, 3], "expected": 5},
            {"kind": "functional", "fn_name": "add", "args": [3, 4], "expected": 7},
        ],
    }
    path = tmp_path / "specialists.jsonl"
    path.write_text(json.dumps(problem) + "\n")
    outputs = [_program("3"), _program("5"), _program("7")] + ["explain", PASSES_NONE] * 6

    def search(seed: int, run: str) -> dict[str, Any]:
        solver = seidr(
            drafts_per_prompt=3,
            beam_width=1,
            explanations_per_program=1,
            repairs_per_explanation=1,
            max_programs=6,
            lexicase_selection=True,
            seed=seed,
        )
        sample = run_solver(custom(path=str(path)), solver, outputs, tmp_path / run)
        assert sample.id == "add"
        return solver_metadata(sample, "seidr")

    first, again = search(7, "first"), search(7, "again")
    assert first["selections"] == again["selections"]
    assert first["candidates"] == again["candidates"]
    # a seed whose first shuffled test differs must pick a different specialist
    seven = _first_test_shuffled(7, "add")
    other_seed = next(seed for seed in range(100) if _first_test_shuffled(seed, "add") != seven)
    other = search(other_seed, "other")
    for seed, tree in ((7, first), (other_seed, other)):
        test = _first_test_shuffled(seed, "add")
        selection = tree["selections"][0]
        assert selection["decided_by"] == [[test]] and selection["parents"] == [test + 1]
    assert other["selections"][0]["parents"] != first["selections"][0]["parents"]


def _candidate(number: int, results: tuple[bool, ...]) -> Candidate:
    return Candidate(
        id=number,
        parent=None,
        stage="draft",
        generation=0,
        explanation=None,
        temperature=None,
        output=ModelOutput.from_content(model="test", content=""),
        code="",
        results=results,
        issue="",
    )


class _CountingRandom(random.Random):
    shuffles = 0

    def shuffle(self, x: MutableSequence[Any]) -> None:
        self.shuffles += 1
        super().shuffle(x)


def test_each_lexicase_selection_draws_a_fresh_order_of_the_tests() -> None:
    specialists = [
        _candidate(i, tuple(test == i for test in range(6))) for i in range(6)
    ]  # candidate i passes test i only
    rng = _CountingRandom(0)
    winners, decided_by = lexicase_select(specialists, 4, rng)
    assert rng.shuffles == 4 and len(winners) == 4 and len(decided_by) == 4
    assert len({winner.id for winner in winners}) == 4  # a selected program leaves the pool
    # each winner is the specialist of the first test of its order that is still in the pool
    assert [decided[-1] for decided in decided_by] == [winner.id for winner in winners]
    # the seed decides the order: over seeds, every specialist wins the first selection
    firsts = {lexicase_select(specialists, 1, random.Random(seed))[0][0].id for seed in range(60)}
    assert firsts == set(range(6))
    again = [lexicase_select(specialists, 6, random.Random(3))[0] for _ in range(2)]
    assert [c.id for c in again[0]] == [c.id for c in again[1]]


def test_lexicase_picks_specialists_that_ranking_by_score_never_picks() -> None:
    dominated = _candidate(1, (True, False, False))
    specialist = _candidate(2, (False, False, True))
    generalist = _candidate(3, (True, True, False))
    pool = [dominated, specialist, generalist]
    assert [c.id for c in rank_by_score(pool, 2)] == [3, 1]
    beams = [
        [c.id for c in lexicase_select(pool, 2, random.Random(seed))[0]] for seed in range(300)
    ]
    # the first selection never takes #1: #3 is as good on every test and better on one
    assert {beam[0] for beam in beams} == {2, 3}
    # the specialist makes the beam when test 3 comes first in the first selection (1/3),
    # or comes before test 1 in the second after #3 went first (2/3 * 1/2): 2/3 of seeds
    with_specialist = sum(2 in beam for beam in beams)
    assert 170 < with_specialist < 230
    # a beam wider than the generation takes all of it
    assert len(lexicase_select(pool, 5, random.Random(0))[0]) == 3


def test_temperature_ramp_is_seidrs() -> None:
    assert temperature_ramp(1, 1.0) == [0.0]
    assert temperature_ramp(2, 1.0) == [0.333333, 0.666667]
    assert temperature_ramp(4, 0.5) == [0.1, 0.2, 0.3, 0.4]


@requires_bwrap
def test_answers_without_a_program_or_that_do_not_compile_are_scored_zero_and_repaired(
    add_task: Task, tmp_path: Path
) -> None:
    broken = "```python\ndef add(a, b) return a\n```"
    outputs = ["I cannot write that.", broken, "explain one", PASSES_NONE]
    outputs += ["explain two", PASSES_ALL]
    sample = run_solver(
        add_task, seidr(explanations_per_program=1, repairs_per_explanation=1), outputs, tmp_path
    )
    tree = solver_metadata(sample, "seidr")
    assert [(c["has_code"], c["per_test"]) for c in tree["candidates"]] == [
        (False, [0, 0, 0]),
        (True, [0, 0, 0]),
        (True, [0, 0, 0]),
        (True, [1, 1, 1]),
    ]
    assert tree["stopped"] == "passed" and tree["best"] == 4
    prompts = user_prompts(sample)
    assert "(no program)" in prompts[2] and "no program in a fenced code block" in prompts[2]
    assert "The program does not compile" in prompts[4] and "def add(a, b) return a" in prompts[4]
    assert score_of(sample) == "C"


@requires_bwrap
def test_a_problem_without_public_tests_gets_one_draft(tmp_path: Path) -> None:
    [task_sample] = humaneval(docstring_tests=False).dataset[:1]
    solution = (
        "```python\nfrom typing import List\n\n"
        "def has_close_elements(numbers: List[float], threshold: float) -> bool:\n"
        "    return any(abs(a - b) < threshold for i, a in enumerate(numbers)"
        " for b in numbers[i + 1:])\n```"
    )
    sample = run_solver(
        humaneval(docstring_tests=False),
        seidr(drafts_per_prompt=4),
        [solution, PASSES_NONE, PASSES_NONE],
        tmp_path,
    )
    assert sample.id == task_sample.id
    tree = solver_metadata(sample, "seidr")
    assert tree["stopped"] == "no_tests" and tree["validation_tests"] == 0
    assert tree["programs"] == 1 and tree["best"] == 1
    assert tree["candidates"][0]["per_test"] == []
    assert tree["candidates"][0]["temperature"] == 0.2  # the first of four drafts' ramp
    assert stage_calls(sample) == {"draft": 1}
    assert len(user_prompts(sample)) == 1
    assert score_of(sample) == "C"


def _contest_task() -> Task:
    return code_contests(data_files=str(FIXTURES / "code_contests.jsonl"))


def _functional_task() -> Task:
    return custom(path=str(EXAMPLES))


def _assert_task() -> Task:
    return mbpp(data_files=str(FIXTURES / "mbpp_full.jsonl"), n_public=1, tests="private")


@requires_bwrap
@pytest.mark.parametrize(
    ("make_task", "sample_index", "wrong", "right", "failure"),
    [
        (
            _contest_task,
            0,  # Sum of Two, stdin; public test "1 2" -> "3"
            "a, b = map(int, input().split())\nprint(a - b)\n",
            "a, b = map(int, input().split())\nprint(a + b)\n",
            ["Input:\n```\n1 2\n```", "Expected:\n```\n3\n```", "Actual:\n```\n-1\n```"],
        ),
        (
            _functional_task,
            1,  # longest-run, functional
            "def longest_run(values):\n    return len(values)\n",
            "def longest_run(values):\n    best = run = 0\n    previous = object()\n"
            "    for value in values:\n        run = run + 1 if value == previous else 1\n"
            "        previous = value\n        best = max(best, run)\n    return best\n",
            ["longest_run([1, 1, 2, 2, 2, 3])", "Expected:\n```\n3\n```", "Actual:\n```\n6\n```"],
        ),
        (
            _assert_task,
            0,  # Mbpp/12, assert; public test: assert count_vowels('python') == 1
            "def count_vowels(s):\n    return 0\n",
            "def count_vowels(s):\n    return sum(ch in 'aeiou' for ch in s.lower())\n",
            ["Test 1: runtime error", "assert count_vowels('python') == 1", "AssertionError"],
        ),
    ],
    ids=["stdin", "functional", "assert"],
)
def test_every_task_family_end_to_end(
    tmp_path: Path,
    make_task: Any,
    sample_index: int,
    wrong: str,
    right: str,
    failure: list[str],
) -> None:
    task = make_task()
    outputs = [f"```python\n{wrong}```"] * 2 + ["Fix the computation.", f"```python\n{right}```"]
    sample = run_solver(task, seidr(), outputs, tmp_path, sample_id=task.dataset[sample_index].id)
    tree = solver_metadata(sample, "seidr")
    assert tree["stopped"] == "passed" and tree["programs"] == 3 and tree["best"] == 3
    assert [c["score"] for c in tree["candidates"]] == [0.0, 0.0, 1.0]
    explain = user_prompts(sample)[2]
    for text in failure:
        assert text in explain, text
    assert score_of(sample) == "C"


def test_bad_parameters_are_refused_with_the_fix() -> None:
    with pytest.raises(InputError, match="branching_factor must be a whole number"):
        seidr(branching_factor=0)
    with pytest.raises(InputError, match="max_programs"):
        seidr(max_programs=0)
    with pytest.raises(InputError, match="beam_width"):
        seidr(branching_factor=2, beam_width=0)
    with pytest.raises(InputError, match="prompt_examples"):
        seidr(prompt_examples=-1)
    with pytest.raises(InputError, match="max_temperature"):
        seidr(max_temperature=3.0)


@requires_bwrap
def test_branching_factor_is_shorthand_and_prompt_and_validation_counts_apply(
    add_task: Task, tmp_path: Path
) -> None:
    sample = run_solver(
        add_task,
        seidr(
            branching_factor=3,
            drafts_per_prompt=1,
            max_programs=1,
            valid_examples=2,
            prompt_examples=1,
        ),
        [PASSES_TWO] * 3,
        tmp_path,
    )
    tree = solver_metadata(sample, "seidr")
    parameters = tree["parameters"]
    assert (parameters["drafts_per_prompt"], parameters["repairs_per_explanation"]) == (1, 3)
    assert parameters["beam_width"] == 3
    # validated on the first two public tests only: passes both, so it is solved
    assert tree["validation_tests"] == 2 and tree["stopped"] == "passed"
    assert tree["candidates"][0]["per_test"] == [1, 1]
    [prompt] = user_prompts(sample)
    assert "add(1, 2)" in prompt and "add(2, 2)" not in prompt  # one example shown
    assert tree["candidates"][0]["temperature"] == 0.0  # a lone draft is greedy


def test_the_solver_file_loads_as_inspect_loads_it() -> None:
    # `--solver solvers/seidr.py` executes the file as a module that is not in sys.modules
    path = Path(__file__).parent.parent / "solvers" / "seidr.py"
    spec = importlib.util.spec_from_file_location("seidr_from_a_path", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(module.seidr(max_programs=3))


def test_the_worst_scoring_test_is_explained() -> None:
    """SEIDR's per-test score is the fraction of expected lines matched; lowest first."""
    near = Verdict(index=0, status="wrong_answer", expected="1\n2\n3\n", actual="1\n2\n4\n")
    far = Verdict(index=1, status="wrong_answer", expected="1\n2\n3\n", actual="9\n9\n3\n")
    crash = Verdict(index=2, status="runtime_error", message="exit status 1")
    passed = Verdict(index=3, status="pass")
    assert [line_score(v) for v in (near, far, crash, passed)] == [2 / 3, 1 / 3, 0.0, 1.0]

    def result(*verdicts: Verdict) -> ExecutionResult:
        return ExecutionResult(passed=False, verdicts=list(verdicts), tests_total=len(verdicts))

    assert worst_failure(result(near, far, passed)) is far
    assert worst_failure(result(near, far, crash, passed)) is crash
    assert worst_failure(result(passed)) is None
    issue = _issue(result(near, far, passed))
    assert issue.startswith("2 of 3 tests failed.\n\nTest 2: wrong answer")
    assert "(1 more failing tests not shown.)" in issue


def test_equally_scored_failures_are_explained_by_how_they_failed() -> None:
    """Score ties: a test the program did not finish first (a crash before a limit before a
    timeout), then a wrong answer; the first by index among the same kind of failure."""

    def result(*verdicts: Verdict) -> ExecutionResult:
        return ExecutionResult(passed=False, verdicts=list(verdicts), tests_total=len(verdicts))

    def failing(index: int, status: VerdictStatus) -> Verdict:
        wrong = status == "wrong_answer"
        return Verdict(index=index, status=status, expected="3\n" if wrong else "", actual="0\n")

    assert set(FAILURE_ORDER) == set(get_args(VerdictStatus)) - {"pass"}
    statuses: list[VerdictStatus] = ["wrong_answer", "timeout", "output_limit", "memory_limit"]
    statuses.append("runtime_error")
    verdicts = [failing(index, status) for index, status in enumerate(statuses)]
    assert {line_score(verdict) for verdict in verdicts} == {0.0}  # all tied on score
    # each in turn, the worst of those left is the one FAILURE_ORDER ranks first
    for expected in ["runtime_error", "memory_limit", "output_limit", "timeout", "wrong_answer"]:
        chosen = worst_failure(result(*verdicts))
        assert chosen is not None and chosen.status == expected
        verdicts.remove(chosen)
    crashes = [failing(0, "wrong_answer"), failing(1, "runtime_error"), failing(2, "runtime_error")]
    assert worst_failure(result(*crashes)) is crashes[1]  # the first crash by index
    # wrong answers among themselves: the lowest score first, then the first by index
    near = Verdict(index=0, status="wrong_answer", expected="1\n2\n", actual="1\n3\n")
    far = failing(1, "wrong_answer")
    assert worst_failure(result(near, far, failing(2, "wrong_answer"))) is far


@requires_bwrap
def test_the_instruct_prompt_explains_the_worst_test_not_the_first(tmp_path: Path) -> None:
    """Stdin: a program right on the first line only loses to one that crashes on test 2."""
    problem = {
        "id": "pairs",
        "statement": "Read n, then n lines of two integers; print each sum.",
        "public_tests": [
            {"kind": "stdin", "input": "2\n1 2\n3 4\n", "output": "3\n7\n"},
            {"kind": "stdin", "input": "1\nx y\n", "output": "0\n"},
        ],
        "private_tests": [{"kind": "stdin", "input": "1\n5 5\n", "output": "10\n"}],
    }
    path = tmp_path / "pairs.jsonl"
    path.write_text(json.dumps(problem) + "\n")
    # first line right, second wrong on test 1 (score 1/2); a crash on test 2 (score 0)
    half = (
        "```python\nn = int(input())\nfor i in range(n):\n    a, b = map(int, input().split())\n"
        "    print(a + b if i == 0 else 0)\n```"
    )
    sample = run_solver(
        custom(path=str(path)),
        seidr(
            drafts_per_prompt=1,
            explanations_per_program=1,
            repairs_per_explanation=1,
            beam_width=1,
            max_programs=2,
        ),
        [half, "explain", PASSES_NONE],
        tmp_path,
    )
    explain = user_prompts(sample)[1]
    assert "2 of 2 tests failed." in explain
    assert explain.index("Test 2: runtime error") < explain.index("(1 more failing")
    assert "Test 1:" not in explain


@requires_bwrap
def test_a_crash_is_explained_before_an_equally_scored_wrong_answer(
    add_task: Task, tmp_path: Path
) -> None:
    """Functional: test 1 answered wrongly and test 2 crashing both score 0; test 2 is explained."""
    wrong_then_crash = (
        "```python\ndef add(a, b):\n    if a == 1:\n        return 0\n"
        "    if a == 2:\n        raise ValueError('two is not supported')\n    return a + b\n```"
    )
    sample = run_solver(
        add_task,
        seidr(
            drafts_per_prompt=1,
            explanations_per_program=1,
            repairs_per_explanation=1,
            max_programs=2,
        ),
        [wrong_then_crash, "explain", PASSES_NONE],
        tmp_path,
    )
    assert solver_metadata(sample, "seidr")["candidates"][0]["per_test"] == [0, 0, 1]
    explain = user_prompts(sample)[1]
    assert explain.startswith("I'm trying to solve the problem below.")
    assert "2 of 3 tests failed.\n\nTest 2: runtime error" in explain
    assert "ValueError: two is not supported" in explain and "add(2, 2)" in explain
    assert "Test 1:" not in explain and "(1 more failing tests not shown.)" in explain


@requires_bwrap
def test_repeated_prompts_reach_the_model_under_cache(
    add_task: Task, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under --cache, every draft, explanation and repair of a repeated prompt is its own call.

    No temperature ramp and one explanation text: the two drafts share a prompt, so do
    the two explanations of the parent and all four repairs. Without a draw scope the
    cache would answer each repeat with the first answer; a rerun reads every call back.
    """
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    fix = "Return a + b."
    outputs = [PASSES_NONE, PASSES_FIRST, fix, _program("1"), _program("2")]
    outputs += [fix, _program("4"), PASSES_ALL]
    solver = seidr(
        drafts_per_prompt=2,
        explanations_per_program=2,
        repairs_per_explanation=2,
        beam_width=1,
        max_programs=6,
        max_temperature=None,
    )
    sample = run_solver(add_task, solver, outputs, tmp_path / "first", cache=True)
    prompts = user_prompts(sample)
    assert len(prompts) == 8
    assert prompts[0] == prompts[1]  # the drafts
    assert prompts[2] == prompts[5]  # the explanations of #2
    assert prompts[3] == prompts[4] == prompts[6] == prompts[7]  # its repairs
    assert [event.cache for event in model_events(sample)] == ["write"] * 8
    tree = solver_metadata(sample, "seidr")
    assert [c["per_test"] for c in tree["candidates"]] == [
        [0, 0, 0],
        [1, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [0, 1, 0],
        [1, 1, 1],
    ]
    assert (tree["stopped"], tree["programs"], tree["explanations"]) == ("passed", 6, 2)
    assert solver_metadata(sample)["oracle"] is False

    # the same run again: every call is read from the cache, draw by draw
    rerun = run_solver(add_task, solver, [PASSES_NONE] * 8, tmp_path / "again", cache=True)
    assert [event.cache for event in model_events(rerun)] == ["read"] * 8
    assert solver_metadata(rerun, "seidr")["candidates"] == tree["candidates"]


@requires_bwrap
def test_prompt_template_from_the_command_line(add_task: Task, tmp_path: Path) -> None:
    arguments = parse_cli_args(["prompt_template=Task, briefly. {statement}"])
    sample = run_solver(add_task, seidr(**arguments), [PASSES_ALL], tmp_path)
    assert user_prompts(sample)[0].endswith("Task, briefly. Write add(a, b) that returns a + b.")
    with pytest.raises(InputError, match="quote the whole template"):
        seidr(**parse_cli_args(["prompt_template=Task: {statement}"]))


@requires_bwrap
def test_a_model_error_raises_rather_than_scoring(add_task: Task, tmp_path: Path) -> None:
    """A failed model call is the machinery's fault: the sample errors, it is not scored I.

    The call fails at the first explanation, after two drafts ran and failed: the search
    does not return the best draft as its answer (Inspect retries the sample).
    """
    sample = errored_sample(
        add_task,
        seidr(),
        failing_model(PASSES_FIRST, PASSES_NONE, message="provider down"),
        tmp_path,
    )
    assert sample.error is not None and "provider down" in sample.error.message
    assert "seidr" not in sample.metadata.get("codecrucible", {})
    assert len(model_events(sample)) == 3  # two drafts and the failed explanation


# ---- SEIDR in C++ on PSB2, as the seed's experiments ---------------------------------------

FIZZ_HEAD = "#include <bits/stdc++.h>\nint main() { long long x; std::cin >> x;\n"
FIZZ_WRONG = (
    f'```cpp\n{FIZZ_HEAD}  std::cout << (x % 3 == 0 ? "Fizz" : std::to_string(x)) << "\\n"; }}\n```'
)
FIZZ_RIGHT = (
    f"```cpp\n{FIZZ_HEAD}"
    '  if (x % 15 == 0) std::cout << "FizzBuzz\\n";\n'
    '  else if (x % 3 == 0) std::cout << "Fizz\\n";\n'
    '  else if (x % 5 == 0) std::cout << "Buzz\\n";\n'
    '  else std::cout << x << "\\n"; }\n```'
)


@requires_bwrap
def test_seidr_repairs_a_cpp_program_on_psb2(tmp_path: Path) -> None:
    from codecrucible.execution.languages import get_language
    from codecrucible.tasks.psb2 import psb2

    if get_language("cpp").missing_toolchain():
        pytest.skip("g++ is not installed")
    task = psb2(
        problems="fizz-buzz",
        data_dir=str(FIXTURES / "psb2"),
        n_train=27,
        n_test=8,
        n_prompt=5,
        seed=0,
        language="cpp",
    )
    explanation = "Print Buzz for multiples of 5 and FizzBuzz for multiples of 15."
    sample = run_solver(
        task,
        seidr(branching_factor=1, max_programs=3),
        [FIZZ_WRONG, explanation, FIZZ_RIGHT],
        tmp_path,
    )
    tree = solver_metadata(sample, "seidr")
    assert tree["stopped"] == "passed"
    assert stage_calls(sample) == {"draft": 1, "instruct": 1, "debug": 1}
    draft, explain, repair = user_prompts(sample)
    assert "C++17" in draft and "```cpp" in draft
    assert "```cpp\n#include <bits/stdc++.h>" in explain  # the parent, in its language
    assert "Buzz" in explain  # a failing test's expected output
    assert score_of(sample) == "C"
