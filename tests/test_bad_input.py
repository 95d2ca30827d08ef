"""Bad input: a clear error naming the row or field, or the right verdict; never a crashed eval."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from inspect_ai import eval
from inspect_ai.log import read_eval_log

from codecrucible.cli import main
from codecrucible.datasets import DatasetError
from codecrucible.errors import InputError
from codecrucible.tasks.custom import custom
from codecrucible.tasks.humaneval import humaneval
from tests.conftest import fenced_answer, requires_bwrap, scripted_model

ROOT = Path(__file__).resolve().parent.parent


def _problem(tmp_path: Path, output: str, **extra: Any) -> Path:
    path = tmp_path / "problem.jsonl"
    row = {
        "id": "p",
        "statement": "Print the answer.",
        "private_tests": [{"kind": "stdin", "input": "", "output": output}],
        **extra,
    }
    path.write_text(json.dumps(row) + "\n")
    return path


def _verdict(tmp_path: Path, problem: Path, program: str) -> Any:
    [log] = eval(
        custom(path=str(problem)),
        model=scripted_model(fenced_answer(program)),
        log_dir=str(tmp_path / "logs"),
        display="none",
    )
    assert log.status == "success", log.error
    # the log reads back whole (nothing in it that cannot be written)
    [sample] = read_eval_log(str(log.location)).samples or []
    assert sample.error is None
    return sample.scores["tests"]


def test_an_unknown_task_parameter_is_an_error_naming_the_parameters() -> None:
    with pytest.raises(
        InputError, match=r"humaneval has no parameter difficuly; its parameters: k"
    ):
        humaneval(difficuly="easy")


def test_an_unknown_task_parameter_on_the_command_line_is_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "inspect_ai",
            "eval",
            "tasks/humaneval.py",
            "--model",
            "none",
            "-T",
            "nonsense=1",
            "--log-dir",
            str(tmp_path),
        ],  # fmt: skip
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "humaneval has no parameter nonsense" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout


def test_rows_with_missing_or_mistyped_tests_are_named(tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    missing.write_text(json.dumps({"id": "no-tests", "statement": "s"}) + "\n")
    with pytest.raises(InputError, match=r"problems \['no-tests'\] have no private/generated"):
        custom(path=str(missing))
    mistyped = tmp_path / "mistyped.jsonl"
    mistyped.write_text(json.dumps({"id": "m", "statement": "s", "private_tests": "abc"}) + "\n")
    with pytest.raises(DatasetError, match=r"mistyped.jsonl line 1: private_tests"):
        custom(path=str(mistyped))
    output_not_text = tmp_path / "number.jsonl"
    output_not_text.write_text(
        json.dumps({"id": "n", "statement": "s", "private_tests": [{"kind": "stdin", "output": 3}]})
        + "\n"
    )
    with pytest.raises(DatasetError, match=r"number.jsonl line 1: private_tests\.0\.output"):
        custom(path=str(output_not_text))
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "b", "statement": "s", "private_tests": [{"kind": \n')
    with pytest.raises(DatasetError, match="broken.jsonl line 1: not valid JSON"):
        custom(path=str(broken))


def test_a_tests_file_that_is_not_jsonl_is_one_line(tmp_path: Path) -> None:
    program = tmp_path / "p.py"
    program.write_text("print(1)\n")
    tests = tmp_path / "tests.csv"
    tests.write_text("input,output\n1,1\n")
    result = CliRunner().invoke(main, ["exec", str(program), "--tests", str(tests)])
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"codecrucible: {tests} line 1:")


@requires_bwrap
def test_a_candidate_printing_invalid_utf8_gets_a_verdict_and_the_log_is_written(
    tmp_path: Path,
) -> None:
    problem = _problem(tmp_path, "ok\n")
    score = _verdict(tmp_path, problem, "import sys\nsys.stdout.buffer.write(b'ok\\xff\\xfe\\n')\n")
    assert score.value == "I"
    assert "wrong_answer" in score.explanation and "\ufffd" in score.explanation


@requires_bwrap
def test_an_expected_output_with_a_nul_byte_is_compared_exactly(tmp_path: Path) -> None:
    problem = _problem(tmp_path, "a\x00b\n")
    right = _verdict(tmp_path / "right", problem, "import sys\nsys.stdout.write('a\\x00b\\n')\n")
    assert right.value == "C"
    wrong = _verdict(tmp_path / "wrong", problem, "print('ab')\n")
    assert wrong.value == "I"


@requires_bwrap
@pytest.mark.slow
def test_a_100_mb_expected_output_fits_and_passes(tmp_path: Path) -> None:
    # the default output cap is 64 MiB: the cap grows to fit twice the expected output
    problem = _problem(tmp_path, "x" * 100_000_000 + "\n")
    program = "import sys\nsys.stdout.write('x' * 100_000_000 + '\\n')\n"
    assert _verdict(tmp_path / "right", problem, program).value == "C"
    short = "import sys\nsys.stdout.write('x' * 99_999_999 + '\\n')\n"
    assert _verdict(tmp_path / "short", problem, short).value == "I"
