"""Finding the patch in a model's answer, and repairing what is only cosmetically wrong.

Models answer SWE-bench in many shapes: between `<patch>` tags (what SWE-bench's
own prompt asks for), in fenced `diff` blocks (one per file, sometimes), or as a
bare unified diff between paragraphs of prose. `extract_patch` finds the diff in
all of them. Where several pieces change the same file, their hunks are merged
when they touch different lines (one block per hunk is common); where they touch
the same lines, the later piece replaces the earlier one (models often show a
first attempt and then a corrected one).

It also repairs what `git apply` refuses although the intent is plain:

- hunk headers whose line counts do not match the hunk (the most common error of
  models, which do not count lines), or that have no line numbers at all;
- file headers without the `a/` and `b/` prefixes, with `./`, or with timestamps
  (after a tab or spaces);
- blank context lines whose leading space was lost (a blank line after a hunk
  that already holds the lines its header declares ends the hunk instead: it is
  the paragraph break before the prose that follows);
- a missing `diff --git` line, and prose or fences between and after the hunks.

It never changes a line the patch adds, removes or keeps as context: a patch that
does not fit the repository still fails to apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from codecrucible.extraction import code_blocks

DEV_NULL = "/dev/null"

_THINKING = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)
_TAGGED = re.compile(r"<(patch|diff)>[ \t]*\n?(.*?)(?:</\1>|\Z)", re.DOTALL | re.IGNORECASE)
_HUNK = re.compile(r"^@@+ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@+(.*)$")
_GIT_EXTENDED = (
    "index ",
    "old mode ",
    "new mode ",
    "new file mode ",
    "deleted file mode ",
    "similarity index ",
    "dissimilarity index ",
    "rename from ",
    "rename to ",
    "copy from ",
    "copy to ",
    "Binary files ",
    "GIT binary patch",
)
_DIFF_LABELS = frozenset({"diff", "patch", "udiff"})


@dataclass
class Hunk:
    """One hunk: the old start line as written (None when the header had none) and its body."""

    old_start: int | None
    section: str
    lines: list[str]

    @property
    def old_count(self) -> int:
        return sum(1 for line in self.lines if line[:1] in (" ", "-"))

    @property
    def new_count(self) -> int:
        return sum(1 for line in self.lines if line[:1] in (" ", "+"))


@dataclass
class FilePatch:
    """The changes to one file: its old and new paths (without `a/`, `b/`) and hunks."""

    old_path: str | None = None
    new_path: str | None = None
    extended: list[str] = field(default_factory=list)
    """git's extended header lines (modes, renames, index) kept as they are."""
    hunks: list[Hunk] = field(default_factory=list)
    git_paths: tuple[str, str] | None = None
    """The paths of the `diff --git` line, where there was one."""

    @property
    def path(self) -> str:
        """The file this patch is about: its new path, or its old one when it deletes the file."""
        candidates: list[str | None] = [self.new_path, self.old_path, *(self.git_paths or ())]
        return next((c for c in candidates if c and c != DEV_NULL), "")


@dataclass
class ExtractedPatch:
    """A patch ready for `git apply`, the files it changes, and what was repaired in it."""

    text: str
    files: list[str]
    repairs: list[str]


def extract_patch(completion: str) -> ExtractedPatch | None:
    """The unified diff in a model's completion, repaired; None when it holds none.

    Looks, in order, for `<patch>`/`<diff>` tags, then fenced blocks that hold a diff,
    then a bare diff in the text (tags that hold no diff, such as tags named in
    prose, are passed over). Pieces that change the same file are merged, or the
    later one kept where they touch the same lines.
    """
    text = _THINKING.sub("", completion)
    tagged = [body for _, body in _TAGGED.findall(text)]
    repairs: list[str] = []
    files: dict[str, FilePatch] = {}
    if tagged:
        pieces = [piece for body in tagged for piece in _fenced_diffs(body) or [body]]
        files = _collect(pieces, repairs)
    if not files:
        repairs = []
        files = _collect(_fenced_diffs(text) or [text], repairs)
    if not files:
        return None
    rendered = render_patch(list(files.values()), repairs)
    return ExtractedPatch(rendered, list(files), sorted(set(repairs)))


def _collect(pieces: list[str], repairs: list[str]) -> dict[str, FilePatch]:
    """The file patches of all pieces, by path: merged, or replaced where they overlap."""
    files: dict[str, FilePatch] = {}
    for piece in pieces:
        for patch in parse_patch(piece, repairs):
            earlier = files.get(patch.path)
            if earlier is not None and _disjoint(earlier, patch):
                earlier.hunks = sorted(earlier.hunks + patch.hunks, key=lambda h: h.old_start or 0)
                repairs.append("merged the hunks of a file given in several pieces")
                continue
            if earlier is not None:
                repairs.append("kept the last of several versions of a file's changes")
            files.pop(patch.path, None)
            files[patch.path] = patch
    return files


def _disjoint(first: FilePatch, second: FilePatch) -> bool:
    """Whether two patches of a file change different lines (known start lines only)."""
    spans = []
    for patch in (first, second):
        if not patch.hunks or any(h.old_start is None for h in patch.hunks):
            return False
        spans.append(
            [(h.old_start or 0, (h.old_start or 0) + max(h.old_count, 1)) for h in patch.hunks]
        )
    return all(
        end_a <= start_b or end_b <= start_a
        for start_a, end_a in spans[0]
        for start_b, end_b in spans[1]
    )


def patch_files(patch: str) -> list[str]:
    """The repository paths a patch changes, in order (a rename counts as its new path)."""
    return [f.path for f in parse_patch(patch)]


def _fenced_diffs(text: str) -> list[str]:
    blocks = code_blocks(text)
    labelled = [b.code for b in blocks if b.language.split(" ")[0] in _DIFF_LABELS]
    return labelled or [b.code for b in blocks if looks_like_diff(b.code)]


def looks_like_diff(text: str) -> bool:
    """Whether `text` holds a file header and a hunk of a unified diff."""
    return bool(parse_patch(text))


_TIMESTAMP = re.compile(
    r"\s+\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?( ?[+-]\d\d:?\d\d| ?UTC| ?Z)?$"
)


def _strip_path(raw: str, prefix: str, repairs: list[str] | None) -> str:
    path = _TIMESTAMP.sub("", raw.split("\t")[0]).rstrip()
    if path.startswith('"') and path.endswith('"') and len(path) > 1:
        path = path[1:-1]
    if path == DEV_NULL:
        return path
    if path.startswith(prefix):
        return path[len(prefix) :]
    if repairs is not None:
        repairs.append("added the a/ and b/ prefixes to file headers")
    return path[2:] if path.startswith("./") else path.lstrip("/")


def _is_file_header(lines: list[str], index: int) -> bool:
    return (
        lines[index].startswith("--- ")
        and index + 1 < len(lines)
        and lines[index + 1].startswith("+++ ")
    )


def parse_patch(text: str, repairs: list[str] | None = None) -> list[FilePatch]:
    """The file patches in `text`, read leniently; text that is not part of a diff is skipped."""
    lines = text.replace("\r\n", "\n").split("\n")
    files: list[FilePatch] = []
    current: FilePatch | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("diff --git "):
            current = FilePatch(git_paths=_git_paths(line))
            files.append(current)
            index += 1
            continue
        if _is_file_header(lines, index):
            if current is None or current.old_path is not None or current.hunks:
                current = FilePatch()
                files.append(current)
            current.old_path = _strip_path(line[4:], "a/", repairs)
            current.new_path = _strip_path(lines[index + 1][4:], "b/", repairs)
            index += 2
            continue
        if line.startswith("@@") and current is not None and current.old_path is not None:
            index = _read_hunk(lines, index, current, repairs)
            continue
        if current is not None and current.old_path is None and line.startswith(_GIT_EXTENDED):
            current.extended.append(line)
        index += 1
    # a `diff --git` section needs hunks or an extended header (a mode change, a rename)
    return [f for f in files if f.hunks or (f.git_paths and f.extended)]


def _git_paths(line: str) -> tuple[str, str] | None:
    match = re.match(r"diff --git (?:a/)?(\S+) (?:b/)?(\S+)\s*$", line)
    return (match[1], match[2]) if match else None


def _read_hunk(lines: list[str], index: int, patch: FilePatch, repairs: list[str] | None) -> int:
    header = lines[index]
    match = _HUNK.match(header)
    if match:
        old_start: int | None = int(match[1])
        section = match[5]
    else:
        old_start, section = None, header.lstrip("@").split("@@", 1)[-1]
        if repairs is not None:
            repairs.append("gave line numbers to hunk headers that had none")
    declared = (
        (int(match[2]) if match[2] is not None else 1, int(match[4]) if match[4] is not None else 1)
        if match
        else None
    )
    body: list[str] = []
    index += 1
    while index < len(lines):
        line = lines[index]
        if line.startswith(("diff --git ", "@@")) or _is_file_header(lines, index):
            break
        if line == "" and declared is not None and _counts(body) == declared:
            break  # the hunk is whole: a blank line here separates it from prose
        if line == "":
            body.append(line)  # a blank context line that lost its space, or the end
        elif line[0] in " +-\\":
            body.append(line)
        else:
            break  # prose or a closing fence: the hunk is over
        index += 1
    while body and body[-1] == "":
        body.pop()
    if "" in body:
        body = [line or " " for line in body]
        if repairs is not None:
            repairs.append("restored the leading space of blank context lines")
    if body:
        patch.hunks.append(Hunk(old_start, section, body))
    if match and repairs is not None and body:
        declared_old = int(match[2]) if match[2] is not None else 1
        declared_new = int(match[4]) if match[4] is not None else 1
        hunk = patch.hunks[-1]
        if (declared_old, declared_new) != (hunk.old_count, hunk.new_count):
            repairs.append("recounted the lines of hunk headers")
    return index


def _counts(body: list[str]) -> tuple[int, int]:
    """The old and new line counts of a hunk body read so far (blank lines as context)."""
    old = sum(1 for line in body if line == "" or line[0] in " -")
    new = sum(1 for line in body if line == "" or line[0] in " +")
    return old, new


def render_patch(files: list[FilePatch], repairs: list[str] | None = None) -> str:
    """The patch as `git apply` expects it: git headers, prefixed paths, counted hunks."""
    out: list[str] = []
    for patch in files:
        old = patch.old_path or (patch.git_paths[0] if patch.git_paths else patch.path)
        new = patch.new_path or (patch.git_paths[1] if patch.git_paths else patch.path)
        git_old = old if old != DEV_NULL else new
        git_new = new if new != DEV_NULL else old
        if patch.git_paths is None and repairs is not None:
            repairs.append("added diff --git lines")
        out.append(f"diff --git a/{git_old} b/{git_new}")
        out.extend(patch.extended)
        if patch.hunks:
            out.append("--- " + (DEV_NULL if old == DEV_NULL else f"a/{old}"))
            out.append("+++ " + (DEV_NULL if new == DEV_NULL else f"b/{new}"))
        delta = 0
        for hunk in patch.hunks:
            old_count, new_count = hunk.old_count, hunk.new_count
            if old == DEV_NULL:
                old_start = 0
            elif hunk.old_start is None:
                # git apply looks for the context around the given line, except that a
                # hunk said to start at line 1 must match there: 2 leaves it free
                old_start = 2
            else:
                old_start = hunk.old_start
            # the unified format numbers an empty side by the line before it
            if new == DEV_NULL:
                new_start = 0
            elif old_count == 0:
                new_start = old_start + delta + 1
            elif new_count == 0:
                new_start = old_start + delta - 1
            else:
                new_start = old_start + delta
            delta += new_count - old_count
            out.append(f"@@ -{old_start},{old_count} +{new_start},{new_count} @@{hunk.section}")
            out.extend(hunk.lines)
    return "\n".join(out) + "\n" if out else ""
