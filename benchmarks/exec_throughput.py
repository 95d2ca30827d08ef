"""Executor throughput: milliseconds per test and fixed cost per candidate.

Two workloads, both of trivial programs so that what is measured is the machinery:
a stdin workload (code_contests-like: 200 tests of `read a line, print a line`) and
a functional workload (200 calls of a one-line function). Methods, all in one run:

- fresh-python: a new Python subprocess per test, as the seeds' graders and most
  LiveCodeBench-derived ones do;
- inspect-local: Inspect's `local` sandbox, one `exec` per test, as inspect_evals does;
- strict: codecrucible, bwrap sandbox, a forked process per test;
- batch: codecrucible, bwrap sandbox, one process per candidate runs the tests;
- strict-cpp: the stdin workload in C++ (where g++ is installed): compiled once per
  candidate (the fixed cost), the binary exec'd in a forked child per test;
- docker-strict: codecrucible through Inspect's docker sandbox (when an engine answers).

Per test = (time for N tests - time for 1 test) / (N - 1); fixed cost = time for 1
test - per test (both medians over the repetitions). Ratios are against the first two.
A last row checks the harness's peak memory while a candidate prints 1 GiB.

    python benchmarks/exec_throughput.py [--tests 200] [--repeat 5] [--docker]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio

from codecrucible.execution import close_worker_pools, execute
from codecrucible.problem import Limits, TestCase

STDIN_PROGRAM = "n = int(input())\nprint(n * 2)\n"
FUNCTIONAL_PROGRAM = "def twice(n):\n    return n * 2\n"
FUNCTIONAL_DRIVER = (
    "import json, sys\nsys.path.insert(0, '.')\nfrom solution import twice\n"
    "print(json.dumps(twice(*json.loads(sys.stdin.read()))))\n"
)

Runner = Callable[[str, int], Awaitable[None]]  # (workload, number of tests)


def stdin_tests(count: int) -> list[TestCase]:
    return [TestCase.stdin(f"{i}\n", f"{2 * i}\n") for i in range(count)]


def functional_tests(count: int) -> list[TestCase]:
    return [TestCase.functional("twice", [i], 2 * i) for i in range(count)]


def make_fresh_python(directory: Path) -> Runner:
    (directory / "solution.py").write_text(STDIN_PROGRAM)
    (directory / "functional.py").write_text(FUNCTIONAL_PROGRAM)
    (directory / "driver.py").write_text(
        FUNCTIONAL_DRIVER.replace("from solution", "from functional")
    )

    async def run(workload: str, count: int) -> None:
        for i in range(count):
            if workload == "stdin":
                command, data, want = [sys.executable, "solution.py"], f"{i}\n", f"{2 * i}\n"
            else:
                command, data, want = [sys.executable, "driver.py"], f"[{i}]", f"{2 * i}\n"
            result = subprocess.run(
                command, input=data, capture_output=True, text=True, cwd=directory, timeout=60
            )
            assert result.stdout == want, result.stderr

    return run


def make_inspect_local() -> Runner:
    from inspect_ai.util._sandbox.local import LocalSandboxEnvironment

    sandbox = LocalSandboxEnvironment()
    written = False

    async def run(workload: str, count: int) -> None:
        nonlocal written
        if not written:
            await sandbox.write_file("solution.py", STDIN_PROGRAM)
            await sandbox.write_file("functional.py", FUNCTIONAL_PROGRAM)
            await sandbox.write_file(
                "driver.py", FUNCTIONAL_DRIVER.replace("from solution", "from functional")
            )
            written = True
        for i in range(count):
            script, data = (
                ("solution.py", f"{i}\n") if workload == "stdin" else ("driver.py", f"[{i}]")
            )
            result = await sandbox.exec([sys.executable, script], input=data, timeout=60)
            assert result.stdout == f"{2 * i}\n", result.stderr

    return run


def make_codecrucible(sandbox: object, mode: str, python: str = "python3") -> Runner:
    async def run(workload: str, count: int) -> None:
        program, tests = (
            (STDIN_PROGRAM, stdin_tests(count))
            if workload == "stdin"
            else (FUNCTIONAL_PROGRAM, functional_tests(count))
        )
        result = await execute(
            program, tests, sandbox=sandbox, mode=mode, python=python, limits=Limits(time_s=5)
        )  # type: ignore[arg-type]
        assert result.passed, result.first_failure

    return run


CPP_PROGRAM = '#include <cstdio>\nint main() { long long n; std::scanf("%lld", &n); std::printf("%lld\\n", 2 * n); }\n'
STDIN_ONLY = ("strict-cpp",)
"""Methods with no functional workload (compiled languages take stdin tests)."""


def make_cpp(sandbox: object) -> Runner:
    """C++ in strict mode: compiled once per candidate (the fixed cost), exec'd per test."""

    async def run(workload: str, count: int) -> None:
        result = await execute(
            CPP_PROGRAM,
            stdin_tests(count),
            sandbox=sandbox,
            language="cpp",
            limits=Limits(time_s=5),
        )  # type: ignore[arg-type]
        assert result.passed, result.first_failure

    return run


async def measure(run: Runner, workload: str, count: int, repeat: int) -> tuple[float, float]:
    """(ms per test, ms fixed per candidate), medians over `repeat` runs."""
    await run(workload, 2)  # warm up: workers, page cache
    ones, manys = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        await run(workload, 1)
        ones.append(time.perf_counter() - start)
        start = time.perf_counter()
        await run(workload, count)
        manys.append(time.perf_counter() - start)
    one, many = statistics.median(ones), statistics.median(manys)
    per_test = (many - one) / (count - 1)
    return per_test * 1000, max(0.0, one - per_test) * 1000


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def flood_memory(sandbox: object) -> tuple[float, str]:
    """Peak growth of this process's memory while a candidate prints 1 GiB."""
    flood = (
        "import sys\nchunk = 'y' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.write(chunk)\n"
    )
    Path("/proc/self/clear_refs").write_text("5")
    before = peak_rss_mb()
    result = await execute(flood, [TestCase.stdin("", "")], sandbox=sandbox)  # type: ignore[arg-type]
    return peak_rss_mb() - before, result.verdicts[0].status


async def main(args: argparse.Namespace) -> None:
    from codecrucible.sandboxes.bwrap import BwrapSandboxEnvironment

    bwrap = await BwrapSandboxEnvironment.create()
    methods: dict[str, tuple[Runner, int]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        baseline_tests = args.tests if not args.quick_baselines else 20
        methods["fresh-python"] = (make_fresh_python(Path(scratch)), baseline_tests)
        methods["inspect-local"] = (make_inspect_local(), baseline_tests)
        methods["strict"] = (make_codecrucible(bwrap, "strict"), args.tests)
        methods["batch"] = (make_codecrucible(bwrap, "batch"), args.tests)
        from codecrucible.execution.languages import get_language

        if not get_language("cpp").missing_toolchain():
            methods["strict-cpp"] = (make_cpp(bwrap), args.tests)
        docker_context = None
        if args.docker:
            from codecrucible.cli import _stdout_to_stderr
            from codecrucible.execution.standalone import open_sandbox

            docker_context = open_sandbox("docker")
            with _stdout_to_stderr():  # the image build's log stays off the table
                docker = await docker_context.__aenter__()
            methods["docker-strict"] = (make_codecrucible(docker, "strict"), args.tests)
            methods["docker-batch"] = (make_codecrucible(docker, "batch"), args.tests)

        results: dict[tuple[str, str], tuple[float, float]] = {}
        for workload in ("stdin", "functional"):
            for name, (run, count) in methods.items():
                if workload != "stdin" and name in STDIN_ONLY:
                    continue
                repeat = (
                    args.repeat
                    if name not in ("fresh-python", "inspect-local")
                    else max(1, args.repeat // 2)
                )
                results[workload, name] = await measure(run, workload, count, repeat)
                print(f"  measured {workload:10} {name:14}", file=sys.stderr)
        if docker_context is not None:
            await docker_context.__aexit__(None, None, None)
        growth, status = await flood_memory(bwrap)

    print(
        f"\nexecutor throughput, {args.tests} tests per candidate, {os.cpu_count()} cores, median of {args.repeat}\n"
    )
    header = f"{'workload':10} {'method':14} {'ms/test':>9} {'fixed ms':>9} {'tests/s':>9} {'vs fresh-python':>16} {'vs inspect-local':>17}"
    print(header)
    print("-" * len(header))
    for workload in ("stdin", "functional"):
        fresh = results[workload, "fresh-python"][0]
        local = results[workload, "inspect-local"][0]
        for name in methods:
            if (workload, name) not in results:
                continue
            per_test, fixed = results[workload, name]
            rate = 1000 / per_test if per_test > 0 else float("inf")
            print(
                f"{workload:10} {name:14} {per_test:9.3f} {fixed:9.2f} {rate:9.0f} "
                f"{fresh / per_test:15.1f}x {local / per_test:16.1f}x"
            )
    print(
        f"\nharness peak memory growth while a candidate prints 1 GiB: {growth:.0f} MB (verdict {status})"
    )
    await close_worker_pools()
    await bwrap.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=200, help="tests per candidate (default 200)")
    parser.add_argument(
        "--repeat", type=int, default=5, help="repetitions, medians reported (default 5)"
    )
    parser.add_argument(
        "--docker", action="store_true", help="also measure through Inspect's docker sandbox"
    )
    parser.add_argument(
        "--quick-baselines", action="store_true", help="measure the slow baselines on 20 tests"
    )
    anyio.run(main, parser.parse_args())
