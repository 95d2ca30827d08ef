"""code_contests end to end through Inspect on hand-written rows in the Hugging Face schema."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval

from codecrucible.datasets import DatasetError, load_problems
from codecrucible.datasets.code_contests import row_to_problem
from codecrucible.errors import InputError
from codecrucible.solvers import reference
from codecrucible.tasks.code_contests import code_contests
from tests.conftest import CODE_CONTESTS_FIXTURE, requires_bwrap, scripted_model

FIXTURE = str(CODE_CONTESTS_FIXTURE)


def test_rows_map_to_problems() -> None:
    problems = load_problems("code_contests", split="test", data_files=FIXTURE)
    assert len(problems) == 5
    add = problems["1500_A. Sum of Two"]
    assert add.public_tests[0].input == "1 2\n" and add.public_tests[0].output == "3\n"
    assert len(add.private_tests) == 2 and len(add.generated_tests) == 3
    assert (
        len(add.reference_solutions) == 1 and "print(a + b)" in add.reference_solutions[0]
    )  # Python 3 only
    assert len(add.incorrect_solutions) == 1
    assert add.limits.time_s == 1.0 and add.limits.memory_mb == 256
    assert add.difficulty == "A" and add.platform == "codeforces" and add.comparator == "tokens"
    assert add.metadata["cf_tags"] == ["math", "implementation"]
    assert problems["1500_B. Circle Area"].limits.time_s == 1.5
    brackets = problems["brackets"]
    assert brackets.limits.time_s == 2.0 and brackets.limits.memory_mb == 256  # null / 0 in the row
    assert brackets.platform == "codechef" and brackets.difficulty == "external"
    assert problems["1500_D. Count Primes"].difficulty == "D"


def test_difficulty_letters_skip_eighteen() -> None:
    row = {"name": "x", "description": "d", "difficulty": 19}
    assert row_to_problem(row).difficulty == "L"


def test_malformed_rows_and_files_are_named() -> None:
    with pytest.raises(DatasetError, match="public_tests has 2 inputs but 1 outputs"):
        row_to_problem(
            {
                "name": "x",
                "description": "d",
                "public_tests": {"input": ["1", "2"], "output": ["1"]},
            }
        )
    with pytest.raises(DatasetError, match="data file not found: nowhere.jsonl"):
        load_problems("code_contests", data_files="nowhere.jsonl")
    with pytest.raises(DatasetError, match="unknown split 'dev'"):
        load_problems("code_contests", split="dev")


def test_unreachable_hub_says_to_use_data_files() -> None:
    with pytest.raises(DatasetError, match="-T data_files=PATH"):
        load_problems("code_contests", split="valid")


def test_unknown_test_set_is_refused() -> None:
    with pytest.raises(ValueError, match="tests must name sets among public, private, generated"):
        code_contests(data_files=FIXTURE, tests="hidden")


@requires_bwrap
def test_reference_solutions_certify_the_fixture(tmp_path: Path) -> None:
    [good] = eval(
        code_contests(data_files=FIXTURE),
        model="none",
        solver=reference(),
        log_dir=str(tmp_path),
        display="none",
    )
    assert good.status == "success" and good.results is not None
    assert (
        next(s for s in good.results.scores if s.reducer == "mean").metrics["accuracy"].value == 1.0
    )

    [bad] = eval(
        code_contests(data_files=FIXTURE),
        model="none",
        solver=reference(which="incorrect"),
        log_dir=str(tmp_path),
        display="none",
    )
    assert bad.status == "success" and bad.results is not None and bad.samples is not None
    assert (
        next(s for s in bad.results.scores if s.reducer == "mean").metrics["accuracy"].value == 0.0
    )
    statuses = {s.id: s.scores["tests"].metadata["first_failure"]["status"] for s in bad.samples}  # type: ignore[index]
    assert statuses["1500_D. Count Primes"] == "timeout"  # trial division is too slow for n = 2e6
    assert statuses["1500_B. Circle Area"] == "wrong_answer"  # 3.14 is off by more than 1e-5


@requires_bwrap
def test_single_turn_with_a_scripted_model_and_no_hidden_tests_in_the_log(tmp_path: Path) -> None:
    correct = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
    wrong = "```python\nprint(3)\n```"  # passes the public example only
    results = {}
    for name, completion in {"correct": correct, "wrong": wrong, "prose": "Just add them."}.items():
        [log] = eval(
            code_contests(data_files=FIXTURE),
            model=scripted_model(completion),
            limit=1,
            log_dir=str(tmp_path / name),
            display="none",
        )
        assert log.status == "success" and log.samples is not None
        results[name] = log.samples[0].scores["tests"]  # type: ignore[index]
        prompt = log.samples[0].input
        assert "1 2" in str(prompt)  # the public test is shown to the model
        # the hidden tests appear nowhere in the log: not in samples, metadata or events
        with zipfile.ZipFile(log.location) as archive:
            text = "".join(archive.read(name).decode() for name in archive.namelist())
        assert "2000000000000000000" not in text and "123456789 987654321" not in text
    assert results["correct"].value == "C"
    assert results["wrong"].value == "I"
    assert results["wrong"].metadata["first_failure"]["status"] == "wrong_answer"
    assert results["prose"].value == "I" and "No fenced code block" in (
        results["prose"].explanation or ""
    )


# ---- other languages: -T language=cpp|java --------------------------------------------------


def _toolchain(name: str) -> Any:
    from codecrucible.execution.languages import get_language

    missing = get_language(name).missing_toolchain()
    return pytest.mark.skipif(bool(missing), reason=f"{name}: {', '.join(missing)} not installed")


@requires_bwrap
@pytest.mark.parametrize(
    "language",
    [pytest.param("cpp", marks=_toolchain("cpp")), pytest.param("java", marks=_toolchain("java"))],
)
def test_the_fixture_is_certified_in_cpp_and_java(language: str, tmp_path: Path) -> None:
    task = code_contests(data_files=str(CODE_CONTESTS_FIXTURE), language=language)
    [log] = eval(task, model="none", solver=reference(), log_dir=str(tmp_path), display="none")
    assert log.status == "success", log.error
    verdicts = {s.id: s.scores["tests"].value for s in log.samples or [] if s.scores}
    assert len(verdicts) == 5 and set(verdicts.values()) == {"C"}, verdicts
    assert log.eval.task_args["language"] == language


@requires_bwrap
@_toolchain("cpp")
def test_cpp_answers_are_asked_for_extracted_and_judged(tmp_path: Path) -> None:
    problems = load_problems("code_contests", data_files=str(CODE_CONTESTS_FIXTURE), language="cpp")
    sum_of_two = problems["1500_A. Sum of Two"]
    assert sum_of_two.language == "cpp"
    [wrong] = sum_of_two.incorrect_solutions  # int overflows on 10^18
    broken = "int main() { return missing; }\n"
    answers = [f"Here:\n```cpp\n{wrong}```", f"```c++\n{broken}```"]
    [log] = eval(
        code_contests(data_files=str(CODE_CONTESTS_FIXTURE), language="cpp"),
        model=scripted_model(*answers),
        sample_id="1500_A. Sum of Two",
        epochs=2,
        max_samples=1,
        log_dir=str(tmp_path),
        display="none",
    )
    assert log.status == "success", log.error
    prompt = log.samples[0].input  # type: ignore[index]
    assert "in C++17" in str(prompt) and "```cpp code block" in str(prompt)
    scores = sorted(
        (s.scores["tests"] for s in log.samples or []), key=lambda score: score.explanation
    )
    explanations = " ".join(score.explanation for score in scores)
    assert [score.value for score in scores] == ["I", "I"]
    assert "does not compile" in explanations and "missing" in explanations
    assert "wrong_answer" in explanations


def test_an_unknown_or_unrunnable_language_is_refused() -> None:
    with pytest.raises(InputError, match="unknown language 'cobol'"):
        code_contests(data_files=str(CODE_CONTESTS_FIXTURE), language="cobol")
    with pytest.raises(DatasetError, match="not 'python2'"):
        load_problems("code_contests", data_files=str(CODE_CONTESTS_FIXTURE), language="python2")
