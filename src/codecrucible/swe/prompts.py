"""SWE-bench prompts: the oracle format of SWE-bench's own `_oracle` sets, and the issue alone.

`oracle` reproduces the text of `princeton-nlp/SWE-bench_oracle` (SWE-bench's
"style-3" prompt): the issue, the repository's README files and the files the
gold patch touches, at `base_commit`, with line numbers, then an example patch
and the request for one patch between `<patch>` tags. Where the row comes from
an `_oracle` set its own `text` is used as it is; otherwise the prompt is built
the same way from a clone of the repository. `issue` shows the problem statement
and the hints only: the model must know the repository or guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from codecrucible.datasets.swe_bench import SweInstance
from codecrucible.swe import repos
from codecrucible.swe.patches import DEV_NULL, parse_patch

PROMPT_FORMATS = ("oracle", "issue")

EXAMPLE_PATCH = """--- a/file.py
+++ b/file.py
@@ -1,27 +1,35 @@
 def euclidean(a, b):
-    while b:
-        a, b = b, a % b
-    return a
+    if b == 0:
+        return a
+    return euclidean(b, a % b)
 
 
 def bresenham(x0, y0, x1, y1):
     points = []
     dx = abs(x1 - x0)
     dy = abs(y1 - y0)
-    sx = 1 if x0 < x1 else -1
-    sy = 1 if y0 < y1 else -1
-    err = dx - dy
+    x, y = x0, y0
+    sx = -1 if x0 > x1 else 1
+    sy = -1 if y0 > y1 else 1
 
-    while True:
-        points.append((x0, y0))
-        if x0 == x1 and y0 == y1:
-            break
-        e2 = 2 * err
-        if e2 > -dy:
+    if dx > dy:
+        err = dx / 2.0
+        while x != x1:
+            points.append((x, y))
             err -= dy
-            x0 += sx
-        if e2 < dx:
-            err += dx
-            y0 += sy
+            if err < 0:
+                y += sy
+                err += dx
+            x += sx
+    else:
+        err = dy / 2.0
+        while y != y1:
+            points.append((x, y))
+            err -= dx
+            if err < 0:
+                x += sx
+                err += dy
+            y += sy
 
+    points.append((x, y))
     return points"""
"""SWE-bench's example patch, shown in every prompt so the model sees the format."""

_EXAMPLE_EXPLANATION = (
    "Here is an example of a patch file. It consists of changes to the code base. "
    "It specifies the file names, the line numbers of each change, and the removed and added "
    "lines. A single patch file can contain changes to multiple files."
)
_REQUEST = (
    "I need you to solve the provided issue by generating a single patch file that I can apply "
    "directly to this repository using git apply. Please respond with a single patch file in "
    "the format shown above."
)


def numbered_files(files: Mapping[str, str]) -> str:
    """Files as SWE-bench shows them: `[start of NAME]`, numbered lines, `[end of NAME]`."""
    parts = []
    for name, content in sorted(files.items()):
        numbered = "\n".join(f"{n} {line}" for n, line in enumerate(content.split("\n"), start=1))
        parts.append(f"[start of {name}]\n{numbered}\n[end of {name}]\n")
    return "".join(parts).strip("\n")


def oracle_prompt(
    instance: SweInstance, files: Mapping[str, str], readmes: Mapping[str, str]
) -> str:
    """SWE-bench's style-3 prompt with these files (the oracle: those the gold patch touches)."""
    return "\n".join(
        [
            "You will be provided with a partial code base and an issue statement explaining "
            "a problem to resolve.",
            "<issue>",
            instance.problem_statement,
            "</issue>",
            "",
            "<code>",
            numbered_files(readmes),
            numbered_files(files),
            "</code>",
            "",
            _EXAMPLE_EXPLANATION,
            "<patch>",
            EXAMPLE_PATCH,
            "</patch>",
            "",
            _REQUEST,
            "Respond below:",
        ]
    )


def issue_prompt(instance: SweInstance) -> str:
    """The issue and its hints, with the same patch request as the oracle prompt."""
    hints = instance.hints_text.strip()
    return "\n".join(
        [
            f"You will be provided with an issue statement explaining a problem to resolve in "
            f"the repository {instance.repo}.",
            "<issue>",
            instance.problem_statement,
            "</issue>",
            *(["", "<hints>", hints, "</hints>"] if hints else []),
            "",
            _EXAMPLE_EXPLANATION,
            "<patch>",
            EXAMPLE_PATCH,
            "</patch>",
            "",
            _REQUEST,
            "Respond below:",
        ]
    )


def oracle_files(instance: SweInstance) -> list[str]:
    """The files the gold patch changes that exist before it (SWE-bench's oracle retrieval)."""
    return [
        f.old_path for f in parse_patch(instance.patch) if f.old_path and f.old_path != DEV_NULL
    ]


def build_oracle_prompt(instance: SweInstance, clone: Path) -> str:
    """The oracle prompt built from a clone: the gold patch's files and the READMEs at base_commit."""
    commit = instance.base_commit
    files = {
        name: text
        for name in oracle_files(instance)
        if (text := repos.file_at(clone, commit, name)) is not None
    }
    readmes = {
        name: text
        for name in repos.readmes_at(clone, commit)
        if (text := repos.file_at(clone, commit, name)) is not None
    }
    return oracle_prompt(instance, files, readmes)


def render(instance: SweInstance, prompt_format: str, clone: Path | None) -> str:
    """The prompt of an instance in a format (`oracle` needs the row's text or a clone)."""
    if prompt_format == "issue":
        return issue_prompt(instance)
    if instance.oracle_text:
        return instance.oracle_text
    if clone is None:
        raise repos.RepositoryError(
            f"{instance.instance_id}: the oracle prompt needs SWE-bench's _oracle rows or a clone "
            f"of {instance.repo}: pass -T repo_dir=DIR (holding {instance.mirror_name}) "
            "or -T prompt=issue"
        )
    return build_oracle_prompt(instance, clone)
