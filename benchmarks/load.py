"""Load: thousands of candidates through Inspect and the bwrap sandbox, and nothing left behind.

A custom task of `--problems` problems with `--tests` stdin tests each runs for
enough epochs to make `--candidates` samples; the `reference` solver replays each
problem's solution (no model: what is measured is the harness and the sandbox).
Every tenth problem's solution is wrong on its last test, so verdicts are mixed.
Each `--max-sandboxes` setting runs in its own process, which reports:

- throughput (candidates and tests per second of wall time, the first setting the
  baseline of the ratios);
- the harness's peak memory (that process's peak RSS);
- errored samples (must be 0) and wrong verdicts (a right solution failing, or a
  wrong one passing: must be 0);
- processes left behind once the eval ended (runners, bwrap: must be 0).

    python benchmarks/load.py [--candidates 5000] [--tests 50] [--problems 100]
        [--max-sandboxes 8,32,128] [--exec-mode strict|batch]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("INSPECT_LOG_LEVEL", "warning")

RIGHT = "a, b = map(int, input().split())\nprint(a + b)\n"
WRONG = "a, b = map(int, input().split())\nprint(a + b if a < {last} else 0)\n"


def write_problems(path: Path, problems: int, tests: int) -> None:
    rows = []
    for p in range(problems):
        cases = [
            {"kind": "stdin", "input": f"{i} {p}\n", "output": f"{i + p}\n"} for i in range(tests)
        ]
        wrong = p % 10 == 9
        solution = WRONG.format(last=tests - 1) if wrong else RIGHT
        rows.append(
            {
                "id": f"load-{p:04d}",
                "statement": "Print a + b.",
                "private_tests": cases,
                "reference_solutions": [solution],
                "metadata": {"wrong": wrong},
            }
        )
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def leftovers() -> list[str]:
    """Runner and bwrap processes alive now (none should outlive an eval)."""
    from codecrucible.sandboxes.bwrap import RUNNER_IN_SANDBOX

    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if RUNNER_IN_SANDBOX.encode() in argv or (argv and argv[0].endswith(b"bwrap")):
            found.append(f"{entry.name}: {b' '.join(argv)[:120].decode(errors='replace')}")
    return found


def run_setting(arguments: argparse.Namespace, max_sandboxes: int) -> dict[str, Any]:
    """One eval (in this process): its counts, wall time and this process's peak memory."""
    from inspect_ai import eval

    from codecrucible.solvers import reference
    from codecrucible.tasks.custom import custom

    epochs = -(-arguments.candidates // arguments.problems)
    with tempfile.TemporaryDirectory(prefix="codecrucible-load-") as directory:
        problems = Path(directory) / "problems.jsonl"
        write_problems(problems, arguments.problems, arguments.tests)
        started = time.monotonic()
        [log] = eval(
            custom(path=str(problems), exec_mode=arguments.exec_mode),
            model="none",
            solver=reference(),
            epochs=epochs,
            max_samples=max_sandboxes,
            max_sandboxes=max_sandboxes,
            fail_on_error=False,
            log_dir=str(Path(directory) / "logs"),
            display="none",
        )
        wall = time.monotonic() - started
        samples = log.samples or []
        errored = sum(1 for s in samples if s.error is not None)
        wrong_verdicts = 0
        for sample in samples:
            if sample.error is not None or not sample.scores:
                continue
            expected = "I" if int(str(sample.id).split("-")[1]) % 10 == 9 else "C"
            wrong_verdicts += sample.scores["tests"].value != expected
    return {
        "max_sandboxes": max_sandboxes,
        "candidates": len(samples),
        "tests": len(samples) * arguments.tests,
        "wall_s": wall,
        "errored": errored,
        "wrong_verdicts": wrong_verdicts,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "status": log.status,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=5000)
    parser.add_argument("--tests", type=int, default=50)
    parser.add_argument("--problems", type=int, default=100)
    parser.add_argument("--max-sandboxes", default="8,32,128")
    parser.add_argument("--exec-mode", choices=("strict", "batch"), default="strict")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one is not None:  # a single setting, in a process of its own
        print(json.dumps(run_setting(arguments, arguments.one)))
        return

    rows = []
    for setting in [int(s) for s in arguments.max_sandboxes.split(",")]:
        command = [sys.executable, __file__, "--one", str(setting)]
        for name in ("candidates", "tests", "problems", "exec_mode"):
            command += [f"--{name.replace('_', '-')}", str(getattr(arguments, name))]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"the run at --max-sandboxes {setting} failed:\n{result.stderr[-3000:]}")
        row = json.loads(result.stdout.strip().splitlines()[-1])
        row["left_behind"] = len(leftovers())
        rows.append(row)
        print(f"max_sandboxes={setting}: {row}", file=sys.stderr)

    base = rows[0]["candidates"] / rows[0]["wall_s"]
    print(
        f"\n{arguments.candidates} candidates x {arguments.tests} tests, bwrap, "
        f"{arguments.exec_mode} mode, reference solver (no model), {os.cpu_count()} cores\n"
    )
    print(
        "| max_sandboxes | candidates | wall s | candidates/s | tests/s | vs first | "
        "peak RSS MiB | errored | wrong verdicts | left behind |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        rate = row["candidates"] / row["wall_s"]
        print(
            f"| {row['max_sandboxes']} | {row['candidates']:,} | {row['wall_s']:.1f} | "
            f"{rate:.1f} | {row['tests'] / row['wall_s']:,.0f} | {rate / base:.2f}x | "
            f"{row['peak_rss_mb']:.0f} | {row['errored']} | {row['wrong_verdicts']} | "
            f"{row['left_behind']} |"
        )


if __name__ == "__main__":
    main()
