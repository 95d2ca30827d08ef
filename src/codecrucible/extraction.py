"""Finding the program in a model's completion.

The convention of LiveCodeBench, DeepCoder and most chat-model harnesses: the
program is the last fenced code block. Models often add a block of example
output or a shell command after the code, so blocks labelled as something other
than the wanted language are passed over when a block of that language (or an
unlabelled one) exists. When the problem names the function or class to define
(its entry point), the last block that defines it wins over later blocks that do
not: small models often close with a usage example (`print(f(3))`), which would
otherwise replace the solution. An unterminated final block (a completion cut off
by the token limit) still counts.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_FENCE = re.compile(r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*?)[ \t]*$")
_THINKING = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)

LANGUAGE_ALIASES: dict[str, frozenset[str]] = {
    "python": frozenset({"python", "python3", "py", "py3", "python 3"}),
}


def _labels(language: str) -> frozenset[str]:
    """The fence labels that mark a block in `language` (the registry's names and aliases)."""
    from codecrucible.execution.languages import get_language

    try:
        return get_language(language).labels | LANGUAGE_ALIASES.get(language, frozenset())
    except ValueError:
        return LANGUAGE_ALIASES.get(language, frozenset({language}))


class CodeBlock(NamedTuple):
    """A fenced block: its info string (language label, lower-cased) and its content."""

    language: str
    code: str


def code_blocks(text: str) -> list[CodeBlock]:
    """Every fenced code block in `text`, in order (a final unterminated one included)."""
    blocks: list[CodeBlock] = []
    fence: str | None = None
    info = ""
    body: list[str] = []
    for line in text.splitlines():
        match = _FENCE.match(line)
        if fence is None:
            if match:
                fence, info, body = match["fence"], match["info"].strip().lower(), []
            continue
        if (
            match
            and match["fence"][0] == fence[0]
            and len(match["fence"]) >= len(fence)
            and not match["info"]
        ):
            blocks.append(CodeBlock(info, "\n".join(body) + "\n"))
            fence = None
            continue
        body.append(line)
    if fence is not None and body:
        blocks.append(CodeBlock(info, "\n".join(body) + "\n"))
    return blocks


def defines(code: str, name: str) -> bool:
    """Whether `code` defines `name`: a function, a class or an assignment, at any depth."""
    pattern = (
        rf"^[ \t]*(?:(?:async[ \t]+)?def|class)[ \t]+{re.escape(name)}\b|^{re.escape(name)}[ \t]*="
    )
    return re.search(pattern, code, re.MULTILINE) is not None


def extract_code(
    completion: str, language: str = "python", entry_point: str | None = None
) -> str | None:
    """The program in a completion: its last block labelled in `language`, else unlabelled.

    For `diff` (SWE-bench), the patch `codecrucible.swe.patches.extract_patch` finds. With `entry_point`, the last such block that defines it is preferred. Falls
    back to the last block of any label when none matches. Returns None when the
    completion has no fenced block at all.
    """
    if language == "diff":  # a patch (SWE-bench): tags, fenced or bare diffs, repaired
        from codecrucible.swe.patches import extract_patch

        found = extract_patch(completion)
        return found.text if found else None
    text = _THINKING.sub("", completion)
    blocks = [block for block in code_blocks(text) if block.code.strip()]
    if not blocks:
        return None
    wanted = _labels(language)
    labelled = [
        block
        for block in blocks
        if block.language and (block.language.split()[0] in wanted or block.language in wanted)
    ]
    # a block labelled in the language beats an unlabelled one (often an example's output)
    matching = labelled or [block for block in blocks if not block.language]
    if entry_point:
        for block in reversed(matching):
            if defines(block.code, entry_point):
                return block.code
    return (matching or blocks)[-1].code


def fence(code: str, language: str = "python") -> str:
    """`code` in a fenced block longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    marks = "`" * max(3, longest + 1)
    body = code if code.endswith("\n") else code + "\n"
    return f"{marks}{language}\n{body}{marks}"
