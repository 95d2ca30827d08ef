"""Make a small SWE-bench instance to try the task on: a git repository with a real bug.

    python examples/swe_bench/make_instance.py DIR

writes DIR/repos/codecrucible__calc (the repository, a mirror as `-T repo_dir=`
expects) and DIR/instance.jsonl (one row in SWE-bench's schema), then prints the
command that grades the gold patch in both tiers. The tests build the same
instance, and the patches that get each verdict (`WRONG_PATCH`,
`BREAKING_PATCH`, `STALE_PATCH`).

The bug: `calc.stats.median` returns the upper middle element for a list of even
length instead of the mean of the two middle ones. The fix's test
(`test_median_even`, FAIL_TO_PASS) fails before the gold patch and passes after
it; `test_mean` and `test_median_odd` (PASS_TO_PASS) pass throughout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = "codecrucible/calc"
INSTANCE_ID = "codecrucible__calc-1"

STATS = '''"""Small statistics helpers."""


def mean(values):
    """The arithmetic mean of a non-empty list."""
    return sum(values) / len(values)


def median(values):
    """The middle value of a non-empty list."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle]
'''

TESTS = """from calc.stats import mean, median


def test_mean():
    assert mean([1, 2, 3, 6]) == 3


def test_median_odd():
    assert median([3, 1, 2]) == 2
"""

GOLD_PATCH = """diff --git a/calc/stats.py b/calc/stats.py
--- a/calc/stats.py
+++ b/calc/stats.py
@@ -10,4 +10,6 @@ def median(values):
     \"\"\"The middle value of a non-empty list.\"\"\"
     ordered = sorted(values)
     middle = len(ordered) // 2
+    if len(ordered) % 2 == 0:
+        return (ordered[middle - 1] + ordered[middle]) / 2
     return ordered[middle]
"""

TEST_PATCH = """diff --git a/tests/test_stats.py b/tests/test_stats.py
--- a/tests/test_stats.py
+++ b/tests/test_stats.py
@@ -7,3 +7,7 @@ def test_mean():
 
 def test_median_odd():
     assert median([3, 1, 2]) == 2
+
+
+def test_median_even():
+    assert median([4, 1, 3, 2]) == 2.5
"""

WRONG_PATCH = """diff --git a/calc/stats.py b/calc/stats.py
--- a/calc/stats.py
+++ b/calc/stats.py
@@ -10,4 +10,6 @@ def median(values):
     \"\"\"The middle value of a non-empty list.\"\"\"
     ordered = sorted(values)
     middle = len(ordered) // 2
+    if len(ordered) % 2 == 0:
+        return ordered[middle - 1]
     return ordered[middle]
"""
"""Applies, but does not fix the bug (FAIL_TO_PASS still fails)."""

BREAKING_PATCH = """diff --git a/calc/stats.py b/calc/stats.py
--- a/calc/stats.py
+++ b/calc/stats.py
@@ -3,7 +3,7 @@
 
 def mean(values):
     \"\"\"The arithmetic mean of a non-empty list.\"\"\"
-    return sum(values) / len(values)
+    return median(values)
 
 
 def median(values):
@@ -10,4 +10,6 @@ def median(values):
     \"\"\"The middle value of a non-empty list.\"\"\"
     ordered = sorted(values)
     middle = len(ordered) // 2
+    if len(ordered) % 2 == 0:
+        return (ordered[middle - 1] + ordered[middle]) / 2
     return ordered[middle]
"""
"""Fixes the bug, but breaks `mean` (a PASS_TO_PASS test fails)."""

STALE_PATCH = """diff --git a/calc/stats.py b/calc/stats.py
--- a/calc/stats.py
+++ b/calc/stats.py
@@ -10,4 +10,6 @@ def median(values):
     \"\"\"The middle value of a non-empty list.\"\"\"
     ordered = sorted(values)
-    mid = len(ordered) // 2
+    mid = len(ordered) // 2
+    if len(ordered) % 2 == 0:
+        return (ordered[mid - 1] + ordered[mid]) / 2
     return ordered[mid]
"""
"""Written against other code than the base commit's (it removes a line that is not
there): it applies neither with git nor with `patch --fuzz`."""

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "codecrucible",
    "GIT_AUTHOR_EMAIL": "codecrucible@example.invalid",
    "GIT_COMMITTER_NAME": "codecrucible",
    "GIT_COMMITTER_EMAIL": "codecrucible@example.invalid",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00+00:00",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _git(repository: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=repository,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **_GIT_ENV, "HOME": str(repository)},
    )
    return result.stdout.strip()


def make_repository(path: Path) -> str:
    """The buggy repository at `path` (two commits); returns the base commit (the second)."""
    (path / "calc").mkdir(parents=True)
    (path / "tests").mkdir()
    _git(path, "init", "--quiet")
    (path / "README.md").write_text("# calc\n\nSmall statistics helpers.\n")
    (path / "calc" / "__init__.py").write_text("")
    (path / "calc" / "stats.py").write_text(STATS.split("\n\ndef median")[0] + "\n")
    _git(path, "add", "-A")
    _git(path, "commit", "--quiet", "-m", "mean")
    (path / "calc" / "stats.py").write_text(STATS)
    (path / "tests" / "test_stats.py").write_text(TESTS)
    _git(path, "add", "-A")
    _git(path, "commit", "--quiet", "-m", "median, and tests")
    return _git(path, "rev-parse", "HEAD")


def instance_row(base_commit: str) -> dict[str, str]:
    """The instance as a SWE-bench row (the lists JSON-encoded, as on the hub)."""
    return {
        "repo": REPO,
        "instance_id": INSTANCE_ID,
        "base_commit": base_commit,
        "patch": GOLD_PATCH,
        "test_patch": TEST_PATCH,
        "problem_statement": (
            "median() is wrong for lists of even length\n\n"
            "`median([4, 1, 3, 2])` returns 3; the median of an even number of values is "
            "the mean of the two middle ones, 2.5."
        ),
        "hints_text": "",
        "created_at": "2024-01-01T00:00:00Z",
        "version": "0.1",
        "FAIL_TO_PASS": json.dumps(["tests/test_stats.py::test_median_even"]),
        "PASS_TO_PASS": json.dumps(
            ["tests/test_stats.py::test_mean", "tests/test_stats.py::test_median_odd"]
        ),
        "environment_setup_commit": base_commit,
    }


def make_instance(directory: Path) -> tuple[Path, Path]:
    """The repository mirror and the row file under `directory`: (repo_dir, data file)."""
    repo_dir = directory / "repos"
    base_commit = make_repository(repo_dir / REPO.replace("/", "__"))
    rows = directory / "instance.jsonl"
    rows.write_text(json.dumps(instance_row(base_commit)) + "\n")
    return repo_dir, rows


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python examples/swe_bench/make_instance.py DIR")
    directory = Path(sys.argv[1]).resolve()
    if directory.exists() and any(directory.iterdir()):
        sys.exit(f"{directory} is not empty: name a new directory")
    repo_dir, rows = make_instance(directory)
    print(f"repository: {repo_dir / REPO.replace('/', '__')}\nrow:        {rows}\n")
    print(
        "inspect eval tasks/swe_bench.py --model none --solver codecrucible/reference \\\n"
        f"    -T data_files={rows} -T repo_dir={repo_dir} -T env_python={sys.executable}"
    )


if __name__ == "__main__":
    main()
