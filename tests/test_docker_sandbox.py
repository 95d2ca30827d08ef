"""The executor through Inspect's docker sandbox (files and one exec per batch of tests).

Needs a Docker engine (skipped without one). Offline, point CODECRUCIBLE_BASE_IMAGE at a
local image with Python 3 (see the README).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import requires_docker
from tests.test_cli import PROGRAMS, TESTS, codecrucible

pytestmark = [pytest.mark.docker, requires_docker]


@pytest.mark.parametrize("verdict", ["pass", "wrong_answer", "runtime_error", "timeout"])
def test_exec_in_docker(tmp_path: Path, verdict: str) -> None:
    (tmp_path / "tests.jsonl").write_text(TESTS)
    (tmp_path / "solution.py").write_text(PROGRAMS[verdict])
    result = codecrucible(
        "exec", "solution.py", "--tests", "tests.jsonl", "--sandbox", "docker", "--timeout", "1", "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    document = json.loads(result.stdout)
    assert document["verdicts"][0]["status"] == verdict
    assert document["sandbox"] == "docker"


def test_no_network_in_docker(tmp_path: Path) -> None:
    (tmp_path / "tests.jsonl").write_text(
        '{"kind": "stdin", "input": "", "output": "isolated\\n"}\n'
    )
    probe = (
        "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 80), timeout=2)\n"
        "    print('connected')\nexcept OSError:\n    print('isolated')\n"
    )
    (tmp_path / "probe.py").write_text(probe)
    result = codecrucible(
        "exec", "probe.py", "--tests", "tests.jsonl", "--sandbox", "docker", cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        subprocess.run(["docker", "ps", "-q"], capture_output=True, text=True).stdout.strip() == ""
    )


def test_every_task_runs_with_sandbox_docker(tmp_path: Path) -> None:
    # the tasks carry the compose file as their sandbox config: `--sandbox docker` finds it
    from inspect_ai.log import list_eval_logs, read_eval_log

    from tests.conftest import CODE_CONTESTS_FIXTURE
    from tests.test_inspect_cli import inspect_eval

    for mode in ("strict", "batch"):
        result = inspect_eval(
            "tasks/code_contests.py", "--model", "none", "--solver", "codecrucible/reference",
            "-T", f"data_files={CODE_CONTESTS_FIXTURE}", "-T", f"exec_mode={mode}",
            "--sandbox", "docker", "--log-dir", str(tmp_path / mode),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-2000:]
        log = read_eval_log(list_eval_logs(str(tmp_path / mode))[0])
        assert log.eval.sandbox is not None and log.eval.sandbox.type == "docker"
        assert log.results is not None
        assert (
            next(s for s in log.results.scores if s.reducer == "mean").metrics["accuracy"].value
            == 1.0
        )
        assert log.samples and log.samples[0].scores["tests"].metadata["mode"] == mode  # type: ignore[index]


def test_cpp_in_docker_builds_where_programs_may_run(tmp_path: Path) -> None:
    # Docker mounts /tmp noexec: the build goes to the working directory. The image's
    # languages are its base image's: without g++ in it the error names the compiler.
    (tmp_path / "tests.jsonl").write_text(TESTS)
    (tmp_path / "sum.cpp").write_text(
        "#include <iostream>\nint main() { long long a, b; std::cin >> a >> b; "
        "std::cout << a + b << std::endl; }\n"
    )
    result = codecrucible(
        "exec", "sum.cpp", "--tests", "tests.jsonl", "--sandbox", "docker", "--json", cwd=tmp_path
    )
    if "compiler 'g++' is not installed" in result.stderr:
        pytest.skip("the Docker image has no g++ (build its base with it: README, Languages)")
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["language"] == "cpp" and document["passed"]
