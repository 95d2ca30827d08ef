"""AlphaCodium: a test-based, multi-stage flow from problem to program (Ridnik et al., 2024).

Ported from Codium-ai/AlphaCodium @ eb7577d (`alpha_codium/gen/coding_competitor.py`
and `alpha_codium/gen/stages/`). Each stage is a span in the transcript with its
model calls, and its calls, tokens and time add up in the sample's metadata:

1. `self_reflection`: the problem restated in bullet points, and an explanation of
   how each public test's input leads to its output. `validate_self_reflection`
   adds a call that checks the explanations and orders the public tests from the
   easiest to the hardest.
2. `possible_solutions`: up to `max_possible_solutions` approaches; the first whose
   name says "brute" is dropped (`remove_brute_force_solutions`) unless it is the
   only one. Skipped with `use_direct_solutions`.
3. `choose_best_solution`: the simplest robust approach (with no approaches to
   choose from, the model proposes one; `use_direct_solutions`: an exhaustive one).
4. `generate_ai_tests`: `number_of_ai_tests` new tests, easiest first, one of them
   large; `validate_ai_tests` adds a call that corrects them. With
   `add_public_tests_to_ai_tests` the public tests go before and after them, so the
   last tests checked are the public ones again.
5. `initial_code_generation`: a program for the chosen approach, run on the public
   tests; while it fails, up to `max_attempts` regenerations (the first again from
   the chosen approach, then from the possible solutions in turn, `attempt % n`).
   When none passes, the candidate closest to passing is kept: the smallest
   distance, which is the number of output lines that differ from the expected
   ones, or the sum of absolute differences where both sides are numbers (a
   crash, a timeout or an empty output is infinitely far).
6. `public_tests`: each public test in turn; while it fails, a fix (at most
   `max_fixes_per_test` per test, one more when there is a single public test, and
   `public_max_fixes` in all). Public tests that pass become *anchors*: after every
   fix all anchors run again and, if one fails, the code reverts to what it was
   before this test's fixes (recorded as a revert). An empty output reverts without
   a model call. A fix is two calls (analyse the failure, then write the code) or,
   with `single_stage_fix`, one call that does both.
7. `ai_tests`: each test of the list in turn; one that passes becomes an anchor; one
   that fails gets a one-call fix (at most `ai_max_fixes`, but the public tests at
   the end of the list are always fixed, as in the original). A fix that still
   fails the test is reverted, unless the test crashed before and no longer does;
   a fix that breaks an anchor is reverted.

The program left at the end is the answer (`set_code`). `use_baseline` replaces
all of this with one direct prompt.

Structured answers are YAML, parsed tolerantly (`load_yaml_tolerant`): code fences
and prose around the YAML are dropped, tabs in indentation expanded, plain scalars
kept as text (so an output `YES` stays `YES`, not `True`), string fields that break
the parse (unquoted colons, stray quotes) retried as block scalars, text after the
YAML cut off, and as a last resort the keys and values are read off the indentation
without a YAML parser. An answer still unusable is asked again, up to
`yaml_attempts` calls for that answer (the original retried each stage three
times), after which the stage goes on with defaults (no reflection, no possible
solutions, no AI tests, the code unchanged): malformed YAML never ends a sample.

AI tests follow the problem's own kind of test, which the public tests decide (or,
without public tests, the kind the task's prompt already announces):

- standard input: `input` and `output` texts (a `stdin` test);
- functional: `args` (a JSON array of positional arguments) and `expected` (JSON),
  a `functional` test of the function the public tests call (or the entry point);
- assert (HumanEval, MBPP): `test`, assert statements run after the code (an
  `assert` test); a failed assert counts as a wrong answer, not as a crash.

AI tests that do not make a test (missing fields, values JSON cannot hold such
as a set or a tuple key, asserts that parse but do not compile, a test the runner
refuses) are the model's fault: they are dropped, counted (`ai_tests_dropped`)
and named with their reason in the transcript, and the sample goes on. The tests
kept are shown in the transcript and recorded in the sample's metadata
(`codecrucible.alphacodium.ai_tests`), with every fix, revert, anchor and parse
failure, and `stopped`: `passed` when the final program passes every public and
AI test (one more test run at the end), `budget` when some still fail, `no_tests`
when there was none (or with `use_baseline`). `codecrucible.oracle` is always
false: the flow runs only the public tests and its own, and of the hidden tests
reads at most their kind and function name (without public tests, to know what
kind of AI test to write), which the task's prompt states anyway.

Every stage writes its own prompt; `prompt_template` replaces AlphaCodium's
description of the problem in them with a template's rendering, and
`system_prompt_id` puts a system prompt before each stage's own system text. Each
call carries its position in the flow as its `draw` (`Stage.generate`), so under
`--cache` a prompt asked again (a YAML retry, a regeneration of the initial code,
a fix asked again after a revert) reaches the model instead of replaying the
first answer, while a rerun of the same sample still replays from the cache.

Differences from the original, all deliberate:

- a problem without public tests works (AlphaCodium issue #62: it crashed): no
  examples to explain, one initial program (there is nothing to regenerate
  against), no public-test stage, and the AI tests do the checking;
- the original's `public_tests.single_stage_fix = true` selects the *two*-call fix
  (its naming is inverted); here `single_stage_fix=True` means the one-call fix and
  the default, False, is the original's default behaviour (two calls);
- the original's `max_allowed_calls` limits count fixes, not calls, and are named
  `public_max_fixes` / `ai_max_fixes` here;
- with `add_public_tests_to_ai_tests` off, the original still never skipped the last
  AI tests (as many as there are public tests); here only public tests are exempt;
- the validation of the reflection orders the *original* public tests by the
  model's order (matching inputs), never replacing them with the model's copies;
  the public tests at the start of the AI-test list keep their order;
- an AI-test fix that still fails is kept only when the test crashed before and the
  fix no longer crashes (the original looked only at whether the old code crashed,
  which kept fixes that crash as before);
- `number_of_ai_tests=0` skips the AI-test stage's call; validation calls only run
  when there is something to validate;
- tests run in the sample's sandbox with the task's limits and comparator (the
  original: a fixed 3 s timeout and its own comparison); execution traces
  (`calc_trace`) are not ported; `num_iterations` is Inspect's `--epochs`.

Cost: the most calls a sample can take, reached when every program fails and
every cap is reached. With P public tests, A AI tests and `a = yaml_attempts`
calls per YAML answer (1 when every answer parses, `a` when none does):

    a * (1 + validate_self_reflection) + a * (not use_direct_solutions) + a
    + (a * (1 + validate_ai_tests) if number_of_ai_tests else 0)
    + 1 + (max_attempts if P else 0)
    + min(P * (max_fixes_per_test + [P == 1]), public_max_fixes) * (a if single_stage_fix else a + 1)
    + (min(ai_max_fixes, E + A) + E) * a,      E = P if add_public_tests_to_ai_tests else 0

`max_model_calls` computes it. With the defaults and one public test: 26 calls
for a model whose answers parse (4 + 9 + 4 * 2 + 5), 52 at most with parse
retries; 1 with `use_baseline`. The solver records it (`max_calls`) and never
exceeds it.
"""

from __future__ import annotations

import ast
import json
import math
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import yaml
from inspect_ai.log import transcript
from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageUser,
    GenerateConfig,
    Model,
    ModelOutput,
)
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.util import span

from codecrucible.datasets import problem_for
from codecrucible.errors import InputError
from codecrucible.execution import ExecutionResult, TestDataError
from codecrucible.extraction import code_blocks, extract_code, fence
from codecrucible.problem import CodeProblem, TestCase, TestKind
from codecrucible.prompts import (
    TEMPLATES,
    language_names,
    render_prompt,
    render_public_tests,
    system_prompt,
    template_argument,
)
from codecrucible.solvers import _alphacodium_prompts as prompts
from codecrucible.solvers._code import set_code
from codecrucible.solvers._stages import (
    ORACLE_KEY,
    Stage,
    StopReason,
    describe_failures,
    run_tests,
    solver_model,
    solver_record,
    stage,
)

RECORD_KEY = "alphacodium"
"""Where the flow's record goes in the sample's `codecrucible` metadata."""

SOURCE = "alphacodium"
"""The source of the solver's transcript info events."""

_TEXT_LIMIT = 2000
"""Characters of an AI test's fields kept in the metadata record."""


# ---------------------------------------------------------------- settings and budget


@dataclass(frozen=True)
class AlphaCodiumSettings:
    """Every knob of the flow (the `alphacodium` solver's parameters; see its docstring)."""

    use_baseline: bool = False
    use_direct_solutions: bool = False
    validate_self_reflection: bool = False
    max_possible_solutions: int = 3
    possible_solutions_use_test_explanations: bool = True
    remove_brute_force_solutions: bool = True
    number_of_ai_tests: int = 6
    validate_ai_tests: bool = False
    ai_tests_use_test_explanations: bool = True
    add_public_tests_to_ai_tests: bool = True
    max_attempts: int = 8
    public_max_fixes: int = 4
    max_fixes_per_test: int = 3
    public_use_test_explanations: bool = False
    public_use_self_reflection: bool = False
    single_stage_fix: bool = False
    ai_max_fixes: int = 4
    yaml_attempts: int = 3
    frequency_penalty: float | None = 0.1
    stage_temperatures: bool = True
    system_prompt_id: str = "none"
    prompt_template: str | None = None

    def check(self) -> None:
        """Raise InputError naming the first parameter out of range."""
        minimums = {
            "max_possible_solutions": 1,
            "number_of_ai_tests": 0,
            "max_attempts": 0,
            "public_max_fixes": 0,
            "max_fixes_per_test": 0,
            "ai_max_fixes": 0,
            "yaml_attempts": 1,
        }
        for name, minimum in minimums.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise InputError(
                    f"alphacodium: {name} must be a whole number of at least {minimum}, "
                    f"not {value!r}"
                )
        for name in (
            "use_baseline",
            "use_direct_solutions",
            "validate_self_reflection",
            "possible_solutions_use_test_explanations",
            "remove_brute_force_solutions",
            "validate_ai_tests",
            "ai_tests_use_test_explanations",
            "add_public_tests_to_ai_tests",
            "public_use_test_explanations",
            "public_use_self_reflection",
            "single_stage_fix",
            "stage_temperatures",
        ):
            if not isinstance(getattr(self, name), bool):
                raise InputError(
                    f"alphacodium: {name} must be true or false, not {getattr(self, name)!r}"
                )
        penalty = self.frequency_penalty
        if penalty is not None and (
            isinstance(penalty, bool)
            or not isinstance(penalty, int | float)
            or not -2 <= penalty <= 2
        ):
            raise InputError(f"alphacodium: frequency_penalty must lie in [-2, 2], not {penalty!r}")
        if not isinstance(self.system_prompt_id, str):
            raise InputError(
                f"alphacodium: system_prompt_id must be an id, not {self.system_prompt_id!r}"
            )
        try:
            system_prompt(self.system_prompt_id)
        except InputError as error:
            raise InputError(f"alphacodium: system_prompt_id: {error}") from None
        if self.prompt_template is not None and not self.prompt_template.strip():
            raise InputError("alphacodium: prompt_template is empty")


def max_model_calls(
    settings: AlphaCodiumSettings, public_tests: int, ai_tests: int | None = None
) -> int:
    """The most model calls the flow makes for a problem with `public_tests` public tests.

    It is also the exact number an always-wrong model makes: one whose every answer
    fails to parse (with `ai_tests=0`: it writes no AI tests), or, with
    `yaml_attempts=1`, one whose every answer parses and whose every program fails.

    Args:
        settings: The solver's parameters.
        public_tests: How many public tests the problem has.
        ai_tests: How many AI tests the flow ends up with (default: as many as asked for).
    """
    if settings.use_baseline:
        return 1
    attempts = settings.yaml_attempts
    generated = settings.number_of_ai_tests if ai_tests is None else ai_tests
    generated = min(generated, settings.number_of_ai_tests)
    calls = attempts * (1 + settings.validate_self_reflection)
    calls += 0 if settings.use_direct_solutions else attempts
    calls += attempts  # choose the best solution
    if settings.number_of_ai_tests:
        calls += attempts * (1 + (settings.validate_ai_tests and generated > 0))
    calls += 1 + (settings.max_attempts if public_tests else 0)
    per_test = settings.max_fixes_per_test + (1 if public_tests == 1 else 0)
    public_fixes = min(public_tests * per_test, settings.public_max_fixes)
    calls += public_fixes * (attempts if settings.single_stage_fix else attempts + 1)
    edges = public_tests if settings.add_public_tests_to_ai_tests else 0
    ai_fixes = min(settings.ai_max_fixes, edges + generated) + edges
    return calls + ai_fixes * attempts


# ---------------------------------------------------------------- tolerant YAML


class YamlParseError(ValueError):
    """An answer from which no YAML mapping could be read."""


class _TextLoader(yaml.SafeLoader):
    """A safe loader that keeps every plain scalar as text (`YES`, `1e5`, `010` stay strings)."""


_TextLoader.yaml_implicit_resolvers = {}

_THINKING = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)
_KEY_LINE = re.compile(
    r"^(?P<indent> *)(?P<dash>- +)?(?P<key>[A-Za-z_][\w-]*):(?:[ \t]+(?P<rest>.*?))?[ \t]*$"
)
_BLOCK_INDICATOR = re.compile(r"^[|>][-+0-9]*$")


def load_yaml_tolerant(
    text: str, keys: Sequence[str] = (), *, block_keys: Sequence[str] = (), list_key: str = ""
) -> dict[str, Any]:
    """The YAML mapping in a model's answer, read as forgivingly as the answer needs.

    Tried in order, on the ```yaml block, the whole answer, and the answer from its
    first expected key: a plain parse; leading tabs expanded; the values of
    `block_keys` rewritten as block scalars (unquoted colons, stray quotes); text
    after the YAML cut off at the line the parser stopped (only where no key the
    answer wrote is lost). Last, the keys and values are read off the indentation.
    Plain scalars stay text.

    Args:
        text: The model's answer.
        keys: The top-level keys the answer should have; a reading with none of them
            is rejected (when given).
        block_keys: Keys whose values are free text (may be rewritten as block scalars).
        list_key: Wrap a top-level list under this key.

    Raises:
        YamlParseError: when no reading gives a mapping with an expected key.
    """
    text = _THINKING.sub("", text)
    written = {key for key in keys if re.search(rf"^[ \t]*(- +)?{re.escape(key)}:", text, re.M)}

    def accept(data: Any, complete: bool = False) -> dict[str, Any] | None:
        if isinstance(data, list) and list_key:
            data = {list_key: data}
        if not isinstance(data, dict) or not data:
            return None
        found = {str(key) for key in data}
        if keys and not found & set(keys):
            return None
        if complete and not written <= found:
            return None
        return {str(key): value for key, value in data.items()}

    partial: dict[str, Any] | None = None
    candidates = _yaml_candidates(text, keys)
    fixed = []
    for body in candidates:
        detabbed = _expand_tabs(body)
        fixed += [body, detabbed]
        if block_keys:
            fixed.append(_as_block_scalars(detabbed, block_keys))
    readings: list[tuple[Callable[..., dict[str, Any] | None], tuple[Any, ...]]] = []
    readings += [(_parsed, (attempt, accept)) for attempt in fixed]
    readings += [(_truncated, (attempt, accept)) for attempt in fixed]
    readings += [(_scanned, (body, accept)) for body in candidates]
    for read, arguments in readings:
        result = read(*arguments)
        if result is None:
            continue
        if written <= set(result):
            return result
        partial = partial or result  # a reading that lost a key the answer wrote
    if partial is not None:
        return partial
    raise YamlParseError("no YAML mapping with the expected keys in the answer")


def _parsed(
    text: str, accept: Callable[[Any, bool], dict[str, Any] | None]
) -> dict[str, Any] | None:
    try:
        data = yaml.load(text, Loader=_TextLoader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError:
        return None
    return accept(data, False)


def _yaml_candidates(text: str, keys: Sequence[str]) -> list[str]:
    """The texts that may hold the YAML: fenced yaml blocks, the whole answer, from a key on."""
    candidates: list[str] = []
    blocks = [block for block in code_blocks(text) if block.code.strip()]
    candidates += [b.code for b in reversed(blocks) if b.language in ("yaml", "yml")]
    lines = text.split("\n")
    opening = next(
        (i for i, line in enumerate(lines) if re.match(r"^\s*```+\s*ya?ml\s*$", line, re.I)),
        None,
    )
    body = lines[opening + 1 :] if opening is not None else lines
    closing = [i for i, line in enumerate(body) if re.match(r"^\s*```+\s*$", line)]
    if opening is not None and closing:
        candidates.append("\n".join(body[: closing[-1]]))
    elif body and re.match(r"^\s*```", body[0]):
        body = body[1:]
    candidates.append("\n".join(body))
    if keys:
        pattern = re.compile(rf"^[ \t]*(?:{'|'.join(re.escape(k) for k in keys)}):")
        start = next((i for i, line in enumerate(body) if pattern.match(line)), None)
        if start:
            candidates.append("\n".join(body[start:]))
    candidates += [b.code for b in reversed(blocks) if not b.language]
    unique: list[str] = []
    for candidate in candidates:
        if candidate.strip() and candidate not in unique:
            unique.append(candidate)
    return unique


def _expand_tabs(text: str) -> str:
    """Tabs in indentation (YAML forbids them) become spaces."""
    return "\n".join(
        re.sub(r"^[ \t]+", lambda m: m[0].expandtabs(4), line) for line in text.split("\n")
    )


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _as_block_scalars(text: str, keys: Sequence[str]) -> str:
    """Rewrite the values of `keys` as `|-` block scalars (colons and quotes then need nothing)."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        match = _KEY_LINE.match(line)
        if not match or match["key"] not in keys:
            out.append(line)
            i += 1
            continue
        column = len(match["indent"]) + len(match["dash"] or "")
        rest = (match["rest"] or "").strip()
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > column):
            j += 1
        while j > i + 1 and not lines[j - 1].strip():
            j -= 1
        block = lines[i + 1 : j]
        if _BLOCK_INDICATOR.match(rest) or (not rest and not block):
            out.extend(lines[i:j])
            i = j
            continue
        if block and not rest:
            content = textwrap.dedent("\n".join(block)).split("\n")
        else:
            common = min((_indent(b) for b in block if b.strip()), default=0)
            strip = min(common, column + 2)
            content = [rest] + [b[strip:] for b in block]
        out.append(f"{match['indent']}{match['dash'] or ''}{match['key']}: |-")
        pad = " " * (column + 2)
        out.extend(pad + c if c.strip() else "" for c in content)
        i = j
    return "\n".join(out)


def _scanned(
    text: str, accept: Callable[[Any, bool], dict[str, Any] | None]
) -> dict[str, Any] | None:
    return accept(_scan(_expand_tabs(text)), False)


def _truncated(
    text: str, accept: Callable[[Any, bool], dict[str, Any] | None]
) -> dict[str, Any] | None:
    """The parse of the text before the line the parser stopped at (text after the YAML).

    Accepted only when no key the answer wrote is lost and the last value is not
    empty (a cut inside a value).
    """
    try:
        yaml.load(text, Loader=_TextLoader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    else:
        return None
    if mark is None:
        return None
    lines = text.split("\n")
    for cut in (mark.line, mark.line - 1):
        if 0 < cut < len(lines):
            try:
                data = yaml.load("\n".join(lines[:cut]), Loader=_TextLoader)  # noqa: S506
            except yaml.YAMLError:
                continue
            result = accept(data, True)
            if result is not None and _filled(list(result.values())[-1]):
                return result
    return None


def _filled(value: Any) -> bool:
    if isinstance(value, list):
        return bool(value) and _filled(value[-1])
    if isinstance(value, dict):
        return bool(value) and _filled(list(value.values())[-1])
    return value is not None and str(value).strip() != ""


def _scan(text: str) -> dict[str, Any]:
    """Keys and values read off the indentation, without a YAML parser (the last resort)."""
    lines = [line.rstrip() for line in text.split("\n")]
    for start, line in enumerate(lines):
        match = _KEY_LINE.match(line)
        if match and not match["dash"]:
            mapping, _ = _scan_mapping(lines, start, len(match["indent"]))
            return mapping
    return {}


def _scan_mapping(lines: list[str], start: int, indent: int) -> tuple[dict[str, Any], int]:
    result: dict[str, Any] = {}
    i = start
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if _indent(line) < indent:
            break
        match = _KEY_LINE.match(line)
        if _indent(line) > indent or not match or match["dash"]:
            i += 1  # a stray line (prose between or after the keys)
            continue
        rest = (match["rest"] or "").strip()
        j = i + 1
        while j < len(lines):
            following = lines[j]
            if (
                not following.strip()
                or _indent(following) > indent
                or (not rest and _indent(following) == indent and following.lstrip()[:1] == "-")
            ):
                j += 1
                continue
            break
        result[match["key"]] = _scan_value(rest, lines[i + 1 : j])
        i = j
    return result, i


def _scan_value(rest: str, block: list[str]) -> Any:
    while block and not block[-1].strip():
        block = block[:-1]
    indicator = bool(_BLOCK_INDICATOR.match(rest))
    if indicator:
        rest = ""
    if not block:
        return _unquote(rest)
    first = next(line for line in block if line.strip())
    if not rest and not indicator:
        if first.lstrip().startswith("- ") or first.strip() == "-":
            return _scan_list(block, _indent(first))
        match = _KEY_LINE.match(first)
        if match and not match["dash"]:
            return _scan_mapping(block, 0, _indent(first))[0]
    body = textwrap.dedent("\n".join(block))
    return f"{_unquote(rest)}\n{body}" if rest else body


def _scan_list(block: list[str], indent: int) -> list[Any]:
    items: list[list[str]] = []
    for line in block:
        if _indent(line) == indent and line.lstrip()[:1] == "-":
            items.append([line])
        elif items:
            items[-1].append(line)
    values: list[Any] = []
    for item in items:
        head = item[0]
        dash = re.match(r"^ *- *", head)
        width = dash.end() if dash else indent + 2
        first = " " * width + head[width:]
        match = _KEY_LINE.match(first)
        if match and head[width:].strip():
            values.append(_scan_mapping([first, *item[1:]], 0, width)[0])
        else:
            values.append(_scan_value(head[width:].strip(), item[1:]))
    return values


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def as_text(value: Any) -> str:
    """A parsed YAML value as prose: lists as bullets, mappings as `key: value` lines."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip("\n")
    if isinstance(value, list):
        return "\n".join("- " + as_text(item).replace("\n", "\n  ") for item in value)
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            text = as_text(item)
            if "\n" in text:
                parts.append(f"{key}:\n" + textwrap.indent(text, "  "))
            else:
                parts.append(f"{key}: {text}")
        return "\n".join(parts)
    return str(value)


# ---------------------------------------------------------------- stage answers


T = TypeVar("T")


class _Unsatisfying(ValueError):
    """A parsed answer that falls short (asked again), but is usable if nothing better comes."""

    def __init__(self, message: str, value: Any) -> None:
        super().__init__(message)
        self.value = value


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _mapping_items(value: Any) -> list[dict[str, Any]]:
    return [item for item in _as_list(value) if isinstance(item, dict)]


@dataclass(frozen=True)
class _Reflection:
    text: str
    explanations: list[dict[str, str]]


def _parse_reflection(data: dict[str, Any], examples: int) -> _Reflection:
    if "self_reflection" not in data:
        raise ValueError("no self_reflection")
    items = _as_list(data["self_reflection"])
    text = "\n".join("- " + as_text(item).removeprefix("- ") for item in items)
    explanations = [
        {key: as_text(entry.get(key)) for key in ("input", "output", "explanation")}
        for entry in _mapping_items(data.get("tests_explanations"))
    ]
    reflection = _Reflection(text, explanations)
    if len(explanations) != examples:
        raise _Unsatisfying(
            f"{len(explanations)} test explanations for {examples} public tests", reflection
        )
    return reflection


def _parse_fixed_explanations(data: dict[str, Any], examples: int) -> list[dict[str, str]]:
    explanations = [
        {key: as_text(entry.get(key)) for key in ("input", "output", "explanation")}
        for entry in _mapping_items(data.get("fixed_tests_explanations"))
    ]
    if len(explanations) != examples:
        raise ValueError(f"{len(explanations)} fixed explanations for {examples} public tests")
    return explanations


def _parse_solutions(data: dict[str, Any]) -> list[dict[str, Any]]:
    solutions = [
        item
        for item in _mapping_items(data.get("possible_solutions"))
        if as_text(item.get("name")) or as_text(item.get("content"))
    ]
    if not solutions:
        raise ValueError("no possible_solutions")
    return solutions


def _parse_choice(data: dict[str, Any]) -> dict[str, Any]:
    if not as_text(data.get("name")) and not as_text(data.get("content")):
        raise ValueError("the chosen solution has no name and no content")
    return data


@dataclass(frozen=True)
class _Analysis:
    what_went_wrong: str
    fixed_flow: str


def _parse_analysis(data: dict[str, Any]) -> _Analysis:
    analysis = _Analysis(as_text(data.get("what_went_wrong")), as_text(data.get("fixed_flow")))
    if not analysis.what_went_wrong and not analysis.fixed_flow:
        raise ValueError("neither what_went_wrong nor fixed_flow")
    return analysis


def _parse_fixed_code(data: dict[str, Any]) -> str:
    code = as_text(data.get("fixed_code"))
    if not code.strip():
        raise ValueError("no fixed_code")
    return code


def clean_code(text: str, language: str, entry_point: str | None = None) -> str:
    """The program in a code answer or a `fixed_code` value, fences removed.

    Python code that does not compile gets a second chance without its last line
    (a stray fence or remark, as the original tried); if that does not compile
    either, the code is returned as it is (a compile error is the candidate's failure).
    """
    code = extract_code(text, language, entry_point)
    if code is None:
        code = text.strip("\n")
        code = re.sub(r"^\s*```+[\w+-]*[ \t]*\n", "", code)
        code = re.sub(r"\n\s*```+\s*$", "", code)
    code = code.rstrip() + "\n"
    if language != "python" or _compiles(code):
        return code
    shorter = "\n".join(code.rstrip().split("\n")[:-1]).rstrip("'` \n") + "\n"
    return shorter if shorter.strip() and _compiles(shorter) else code


def _compiles(code: str) -> bool:
    """Whether Python compiles `code`."""
    return _compile_error(code) is None


def _compile_error(code: str, filename: str = "<code>") -> str | None:
    """Why Python does not compile `code` (None when it does).

    Stricter than parsing: `return`, `break` or `nonlocal` at module level parse
    (`ast.parse`) but do not compile.
    """
    try:
        compile(code, filename, "exec", dont_inherit=True)
    except SyntaxError as error:
        return f"{error.msg} (line {error.lineno})" if error.lineno else error.msg
    except (ValueError, OverflowError, RecursionError, MemoryError) as error:
        return f"{type(error).__name__}: {error}"
    return None


# ---------------------------------------------------------------- tests


@dataclass(frozen=True)
class AiTestFormat:
    """How the problem's tests talk to the program, which AI tests copy."""

    kind: TestKind
    function: str | None


def ai_test_format(problem: CodeProblem) -> AiTestFormat:
    """The kind of the public tests, or without them the kind the task's prompt announces.

    Only the kind and the function name of hidden tests are read (the task's own
    prompt states both), never their contents.
    """
    public = problem.public_tests
    hidden = problem.tests(["private", "generated"])
    kinds = [test.kind for test in public] or [test.kind for test in hidden]
    function = (
        next((t.fn_name for t in public if t.fn_name), None)
        or problem.entry_point
        or next((t.fn_name for t in hidden if t.fn_name), None)
    )
    kind: TestKind = kinds[0] if kinds else ("assert" if problem.entry_point else "stdin")
    if kind == "functional" and not function:
        kind = "stdin"
    return AiTestFormat(kind, function)


def ai_test_from(entry: dict[str, Any], form: AiTestFormat) -> TestCase:
    """One AI-generated test as a TestCase of the problem's kind.

    Raises:
        ValueError: when the entry makes no test (missing fields, bad JSON, bad syntax).
    """
    if form.kind == "stdin":
        if "input" not in entry or "output" not in entry:
            raise ValueError("a test needs input and output")
        given = as_text(entry["input"]).replace("\\n", "\n")
        wanted = as_text(entry["output"]).replace("\\n", "\n")
        if not wanted.strip():
            raise ValueError("empty expected output")
        return TestCase.stdin(given.rstrip("\n") + "\n", wanted.rstrip("\n") + "\n")
    if form.kind == "functional":
        assert form.function is not None
        if "args" not in entry or "expected" not in entry:
            raise ValueError("a test needs args and expected")
        args = _json_value(entry["args"])
        if not isinstance(args, list):
            args = [args]
        return TestCase.functional(form.function, args, _json_value(entry["expected"]))
    program = as_text(entry.get("test") or entry.get("input"))
    if "assert" not in program:
        raise ValueError("a test needs assert statements")
    error = _compile_error(program, "<ai test>")
    if error is not None:
        raise ValueError(f"the assert statements do not compile: {error}")
    return TestCase.assertion(program.rstrip("\n") + "\n")


def _json_value(value: Any) -> Any:
    """A JSON value from YAML text: JSON first, then a Python literal (`True`, tuples)."""
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    text = str(value).strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        # tuples become lists, as a function's returned tuple reaches the comparison;
        # a set, a tuple key, an unhashable key, bytes or a complex number have no
        # JSON form (json.dumps: TypeError; literal_eval: TypeError for `{[1]: 2}`)
        return json.loads(json.dumps(ast.literal_eval(text)))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise ValueError(f"not a JSON value: {text[:80]!r}") from None


def _describe_test(test: TestCase) -> dict[str, Any]:
    """A test as the record and the transcript show it (long fields truncated)."""

    def cut(text: str) -> str:
        return text if len(text) <= _TEXT_LIMIT else text[:_TEXT_LIMIT] + "…"

    if test.kind == "stdin":
        return {"input": cut(test.input or ""), "output": cut(test.output or "")}
    if test.kind == "functional":
        return {
            "fn_name": test.fn_name,
            "args": cut(json.dumps(test.args)),
            "expected": cut(json.dumps(test.expected)),
        }
    return {"test": cut(test.program or "")}


@dataclass(frozen=True)
class _Run:
    """A candidate's run on some tests, as the flow reads it."""

    passed: bool
    non_empty: bool
    """False when a stdin program printed nothing where output was expected."""
    crashed: bool
    """A compile error or a runtime error (a failed assert is not a crash)."""
    distance: float
    report: str
    failures: int = 0
    """How many tests failed."""


def _line_distance(expected: str, actual: str) -> float:
    wanted = expected.rstrip().split("\n")
    got = actual.rstrip().split("\n")
    extra = abs(len(wanted) - len(got))
    try:
        return sum(abs(float(a) - float(b)) for a, b in zip(got, wanted, strict=False)) + extra
    except ValueError:
        return sum(a.strip() != b.strip() for a, b in zip(got, wanted, strict=False)) + extra


def _assertion_failed(stderr: str) -> bool:
    last = [line for line in stderr.strip().split("\n") if line.strip()][-1:]
    return bool(last) and last[0].startswith("AssertionError")


def read_run(result: ExecutionResult, kind: TestKind) -> _Run:
    """Passed, empty output, crash and distance of an execution (AlphaCodium's `run_tests`)."""
    distance = 0.0
    non_empty = True
    crashed = False
    for verdict in result.verdicts:
        if verdict.passed:
            continue
        if verdict.status == "wrong_answer":
            if kind == "stdin" and not verdict.actual.strip():
                non_empty = False
                distance = math.inf
            else:
                distance += _line_distance(verdict.expected, verdict.actual)
        elif (
            kind == "assert"
            and verdict.status == "runtime_error"
            and _assertion_failed(verdict.stderr)
        ):
            distance += 1
        else:
            crashed = crashed or verdict.status in ("runtime_error", "compile_error")
            distance = math.inf
    return _Run(
        passed=result.passed,
        non_empty=non_empty,
        crashed=crashed,
        distance=distance,
        report=describe_failures(result),
        failures=result.tests_total - result.tests_passed,
    )


# ---------------------------------------------------------------- the flow


def _problem_text(
    problem: CodeProblem, form: AiTestFormat, template: str | None = None
) -> prompts.ProblemText:
    """What the stage prompts say about the problem.

    The description is AlphaCodium's own (the statement, starter code, how the
    program is run, the examples) or, with `template`, that template rendered;
    the short description leaves out the examples (the template rendered without
    public tests).
    """
    language = problem.language
    if template is not None:
        return prompts.ProblemText(
            name=problem.name or problem.id,
            description=_render(template, problem),
            description_short=_render(template, problem.model_copy(update={"public_tests": []})),
            kind=form.kind,
            function=form.function,
            language=language,
            language_name=language_names(language)[0],
        )
    statement = problem.statement.strip()
    short = statement
    for marker in ("\nExample\n", "\nExamples\n"):
        if marker in statement:
            short = statement.split(marker)[0].strip()
            break
    extras: list[str] = []
    if problem.starter_code and problem.starter_code.strip() not in statement:
        extras.append(f"Starter code:\n{fence(problem.starter_code, language).rstrip()}")
    if form.kind == "stdin":
        extras.append(
            "The program reads its input from standard input and writes its answer to "
            "standard output."
        )
    elif form.kind == "functional":
        extras.append(
            f"The tests call `{form.function}` with arguments and compare the value it "
            "returns with the expected one."
        )
    elif form.function:
        extras.append(f"The tests are assert statements that call `{form.function}`.")
    examples = render_public_tests(problem).strip()
    description = "\n\n".join(
        [statement, *extras, *([examples] if examples and short == statement else [])]
    )
    return prompts.ProblemText(
        name=problem.name or problem.id,
        description=description,
        description_short="\n\n".join([short, *extras]),
        kind=form.kind,
        function=form.function,
        language=language,
        language_name=language_names(language)[0],
    )


def _render(template: str, problem: CodeProblem) -> str:
    """`prompt_template` rendered for a problem; a template that does not render: InputError."""
    # checked here, not when the solver is built: source modules register their
    # templates when their data loads
    if template not in TEMPLATES and "{" not in template:
        raise InputError(
            f"alphacodium: unknown prompt_template {template!r}; give one of "
            f"{', '.join(sorted(TEMPLATES))} or a literal template with {{statement}}"
        )
    try:
        return render_prompt(template, problem).strip()
    except (KeyError, IndexError, ValueError) as error:
        raise InputError(
            f"alphacodium: prompt_template {template[:80]!r} does not render ({error!r}); "
            "its fields are {statement}, {starter_code}, {public_tests} and {language}"
        ) from None


def _normalised(text: str) -> str:
    return " ".join(text.split())


@dataclass
class _Flow:
    """One sample's run through the stages."""

    state: TaskState
    problem: CodeProblem
    model: Model
    settings: AlphaCodiumSettings
    form: AiTestFormat
    text: prompts.ProblemText
    public: list[TestCase]
    system: str = ""
    """The chosen system prompt, put before each stage's own system text."""
    calls: int = 0
    reflection: str = ""
    explanations: list[dict[str, str]] = field(default_factory=list)
    solutions: list[dict[str, Any]] = field(default_factory=list)
    chosen: dict[str, Any] = field(default_factory=dict)
    ai_tests: list[TestCase] = field(default_factory=list)
    code: str = ""
    anchors: list[TestCase] = field(default_factory=list)
    refused: list[TestCase] = field(default_factory=list)
    """AI tests the test runner refused (dropped from every later run)."""
    record: dict[str, Any] = field(default_factory=dict)

    # ---- model calls

    def _config(self, temperature: float) -> GenerateConfig:
        config = GenerateConfig()
        if self.settings.stage_temperatures:
            config.temperature = temperature
        if self.settings.frequency_penalty is not None:
            config.frequency_penalty = self.settings.frequency_penalty
        return config

    async def _generate(self, current: Stage, prompt: prompts.Prompt) -> ModelOutput:
        messages: list[ChatMessage] = []
        system = "\n\n".join(text for text in (self.system, prompt.system) if text.strip())
        if system:
            messages.append(ChatMessageSystem(content=system))
        messages.append(ChatMessageUser(content=prompt.user))
        self.calls += 1
        # the call's position in the flow keeps repeated prompts (a YAML retry, a
        # regeneration, a fix asked again after a revert) apart under `--cache`,
        # while a rerun of the same sample still replays from the cache
        return await current.generate(
            self.model, messages, self._config(prompt.temperature), draw=self.calls
        )

    async def _ask_yaml(
        self,
        current: Stage,
        what: str,
        prompt: prompts.Prompt,
        parse: Callable[[dict[str, Any]], T],
        *,
        keys: Sequence[str],
        block_keys: Sequence[str] = (),
        list_key: str = "",
    ) -> T | None:
        """Ask for a YAML answer, up to `yaml_attempts` times; None if none was usable."""
        fallback: T | None = None
        for attempt in range(1, self.settings.yaml_attempts + 1):
            output = await self._generate(current, prompt)
            try:
                data = load_yaml_tolerant(
                    output.completion, keys, block_keys=block_keys, list_key=list_key
                )
                return parse(data)
            except _Unsatisfying as problem:
                fallback = problem.value
                error = str(problem)
            except ValueError as problem:
                error = str(problem)
            last = attempt == self.settings.yaml_attempts
            self.record["parse_failures"].append(
                {"answer": what, "attempt": attempt, "error": error}
            )
            transcript().info(
                f"{what}: answer {attempt} unusable ({error}); "
                + (
                    "going on with "
                    + ("the best answer so far" if fallback is not None else "defaults")
                    if last
                    else "asking again"
                ),
                source=SOURCE,
            )
        return fallback

    def _code_of(self, completion: str, previous: str) -> str:
        code = clean_code(completion, self.problem.language, self.problem.entry_point)
        return code if code.strip() else previous

    # ---- test runs

    async def _run(self, code: str, tests: Sequence[TestCase]) -> _Run:
        tests = [test for test in tests if test not in self.refused]
        if not tests:
            return _Run(True, True, False, 0.0, "No tests to run.")
        try:
            result = await run_tests(self.state, self.problem, code, tests)
        except TestDataError as error:
            # the runner refused a test; an AI test is the model's fault, not the
            # dataset's: drop it (and retry without it), never end the sample
            ai_tests = [test for test in tests if test not in self.public]
            if not ai_tests:
                raise
            await self._refuse_ai_tests(code, ai_tests, str(error))
            return await self._run(code, tests)
        return read_run(result, self.form.kind)

    async def _refuse_ai_tests(self, code: str, suspects: list[TestCase], error: str) -> None:
        """Find which of `suspects` the runner refuses (one by one) and drop them."""
        refused = suspects[:1]
        if len(suspects) > 1:
            refused = []
            for test in suspects:
                try:
                    await run_tests(self.state, self.problem, code, [test])
                except TestDataError:
                    refused.append(test)
        if not refused:  # refused together only: drop them all rather than loop
            refused = suspects
        self.refused.extend(refused)
        self.anchors = [test for test in self.anchors if test not in refused]
        self.record["ai_tests_dropped"] = self.record.get("ai_tests_dropped", 0) + len(refused)
        transcript().info(
            f"{len(refused)} AI test(s) refused by the test runner and dropped ({error})",
            source=SOURCE,
        )

    def _anchor(self, test: TestCase) -> None:
        if test not in self.anchors and test not in self.refused:
            self.anchors.append(test)

    def _revert(self, stage_name: str, test: int, reason: str, to: str) -> None:
        self.record["reverts"].append({"stage": stage_name, "test": test, "reason": reason})
        transcript().info(f"{stage_name}, test {test}: reverted ({reason})", source=SOURCE)
        self.code = to

    # ---- stages

    async def self_reflection(self) -> None:
        examples = len(self.public)
        async with stage(self.state, "self_reflection") as current:
            result = await self._ask_yaml(
                current,
                "self_reflection",
                prompts.self_reflection(self.text, examples),
                lambda data: _parse_reflection(data, examples),
                keys=("self_reflection", "tests_explanations"),
                block_keys=("input", "output", "explanation"),
            )
        if result is not None:
            self.reflection = result.text
            self.explanations = result.explanations[:examples]
        if self.settings.validate_self_reflection and examples:
            await self._validate_reflection()
        self.record["self_reflection"] = self.reflection
        self.record["tests_explanations"] = self.explanations

    async def _validate_reflection(self) -> None:
        examples = len(self.public)
        async with stage(self.state, "validate_self_reflection") as current:
            fixed = await self._ask_yaml(
                current,
                "validate_self_reflection",
                prompts.validate_self_reflection(self.text, self._explanations_text(), examples),
                lambda data: _parse_fixed_explanations(data, examples),
                keys=("fixed_tests_explanations",),
                block_keys=("input", "output", "explanation"),
                list_key="fixed_tests_explanations",
            )
        if fixed is None:
            return
        by_input = {_normalised(t.describe_input()): i for i, t in enumerate(self.public)}
        order = [by_input.get(_normalised(entry["input"]), -1) for entry in fixed]
        if sorted(order) != list(range(examples)):
            transcript().info(
                "validated explanations do not match the public tests one to one: "
                "keeping the order and the first explanations",
                source=SOURCE,
            )
            return
        self.public = [self.public[i] for i in order]
        self.explanations = fixed
        self.record["public_order"] = order
        transcript().info(
            f"public tests ordered easiest first: {[i + 1 for i in order]}", source=SOURCE
        )

    def _explanations_text(self) -> str:
        parts = []
        for number, entry in enumerate(self.explanations, start=1):
            parts.append(
                f"Example {number}\ninput:\n{entry['input'].strip()}\noutput:\n"
                f"{entry['output'].strip()}\nexplanation:\n{entry['explanation'].strip()}"
            )
        return "\n\n".join(parts)

    async def possible_solutions(self) -> None:
        if self.settings.use_direct_solutions:
            return
        async with stage(self.state, "possible_solutions") as current:
            solutions = await self._ask_yaml(
                current,
                "possible_solutions",
                prompts.possible_solutions(
                    self.text,
                    self.reflection,
                    self._explanations_text(),
                    use_explanations=self.settings.possible_solutions_use_test_explanations,
                    max_solutions=self.settings.max_possible_solutions,
                ),
                _parse_solutions,
                keys=("possible_solutions",),
                block_keys=("name", "content", "why_it_works", "complexity"),
                list_key="possible_solutions",
            )
        solutions = (solutions or [])[: self.settings.max_possible_solutions]
        removed = None
        if self.settings.remove_brute_force_solutions and len(solutions) > 1:
            for index, solution in enumerate(solutions):
                if "brute" in as_text(solution.get("name")).lower():
                    removed = as_text(solutions.pop(index).get("name"))
                    break
        self.solutions = solutions
        names = [as_text(s.get("name")) for s in solutions]
        self.record["possible_solutions"] = names
        self.record["removed_brute_force"] = removed
        transcript().info(
            "possible solutions: "
            + (", ".join(repr(n) for n in names) or "none")
            + (f" (dropped brute force {removed!r})" if removed else ""),
            source=SOURCE,
        )

    async def choose_best_solution(self) -> None:
        if self.settings.use_direct_solutions:
            prompt = prompts.choose_exhaustive_solution(self.text, self.reflection)
            keys: tuple[str, ...] = ("name", "content", "problem_rules", "pseudo_code")
        else:
            listing = "\n\n".join(as_text(s) for s in self.solutions)
            prompt = prompts.choose_best_solution(
                self.text, self.reflection, listing, len(self.solutions)
            )
            keys = ("name", "content", "why", "flow")
        async with stage(self.state, "choose_best_solution") as current:
            chosen = await self._ask_yaml(
                current,
                "choose_best_solution",
                prompt,
                _parse_choice,
                keys=keys,
                block_keys=(
                    "name",
                    "content",
                    "why",
                    "problem_rules",
                    "problem_stopping_criteria",
                    "pseudo_code",
                ),
            )
        if chosen is None and self.solutions:
            chosen = self.solutions[0]  # the model's first proposal, when the choice failed
        self.chosen = chosen or {}
        name = as_text(self.chosen.get("name")) or None
        self.record["chosen_solution"] = name
        transcript().info(f"chosen solution: {name!r}", source=SOURCE)

    async def generate_ai_tests(self) -> None:
        number = self.settings.number_of_ai_tests
        tests: list[TestCase] = []
        if number:
            async with stage(self.state, "generate_ai_tests") as current:
                parsed = await self._ask_yaml(
                    current,
                    "generate_ai_tests",
                    prompts.generate_ai_tests(
                        self.text,
                        self.reflection,
                        self._explanations_text(),
                        use_explanations=self.settings.ai_tests_use_test_explanations,
                        number=number,
                    ),
                    self._parse_ai_tests,
                    keys=("tests",),
                    block_keys=("input", "output", "explanation", "args", "expected", "test"),
                    list_key="tests",
                )
            tests = (parsed or [])[:number]
            if tests and self.settings.validate_ai_tests:
                async with stage(self.state, "validate_ai_tests") as current:
                    listing = "\n\n".join(as_text(_describe_test(test)) for test in tests)
                    validated = await self._ask_yaml(
                        current,
                        "validate_ai_tests",
                        prompts.validate_ai_tests(self.text, self.reflection, listing, len(tests)),
                        self._parse_ai_tests,
                        keys=("tests",),
                        block_keys=("input", "output", "explanation", "args", "expected", "test"),
                        list_key="tests",
                    )
                if validated:
                    tests = validated[:number]
        self.ai_tests = tests
        self.record["ai_tests"] = [_describe_test(test) for test in tests]
        listing = "\n".join(
            f"{number}. {json.dumps(_describe_test(test))}"
            for number, test in enumerate(tests, start=1)
        )
        transcript().info(
            f"AI-generated tests ({len(tests)}):\n{listing}" if tests else "no AI-generated tests",
            source=SOURCE,
        )

    def _parse_ai_tests(self, data: dict[str, Any]) -> list[TestCase]:
        entries = _mapping_items(data.get("tests"))
        tests: list[TestCase] = []
        dropped: list[str] = []
        for entry in entries:
            try:
                tests.append(ai_test_from(entry, self.form))
            except ValueError as error:
                dropped.append(str(error))
        self.record["ai_tests_dropped"] = self.record.get("ai_tests_dropped", 0) + len(dropped)
        if dropped:
            transcript().info(f"AI tests dropped: {dropped}", source=SOURCE)
        if not tests:
            raise ValueError("no usable tests")
        return tests

    async def initial_code_generation(self) -> None:
        chosen = as_text(self.chosen)
        best_code, best_distance = "", math.inf
        attempts: list[dict[str, Any]] = []
        passed = False
        async with stage(self.state, "initial_code_generation") as current:
            total = 1 + (self.settings.max_attempts if self.public else 0)
            for attempt in range(total):
                approach, source = chosen, as_text(self.chosen.get("name"))
                if attempt > 1 and self.solutions:
                    solution = self.solutions[attempt % len(self.solutions)]
                    approach, source = as_text(solution), as_text(solution.get("name"))
                async with span(f"attempt {attempt + 1}"):
                    output = await self._generate(
                        current,
                        prompts.solve(
                            self.text,
                            self.reflection,
                            approach,
                            direct=self.settings.use_direct_solutions,
                        ),
                    )
                    code = self._code_of(output.completion, self.code)
                    run = await self._run(code, self.public)
                entry = {
                    "attempt": attempt + 1,
                    "approach": source or None,
                    "passed": run.passed,
                    "distance": None if math.isinf(run.distance) else run.distance,
                }
                attempts.append(entry)
                transcript().info(
                    f"initial code, attempt {attempt + 1} (approach {source!r}): "
                    + (
                        "passes the public tests"
                        if run.passed
                        else f"fails, distance {run.distance}"
                    ),
                    source=SOURCE,
                )
                self.code = code
                if run.passed:
                    passed = True
                    break
                if run.distance < best_distance:
                    best_code, best_distance = code, run.distance
            if not passed and best_code:
                self.code = best_code
                kept = next(a["attempt"] for a in attempts if a["distance"] == best_distance)
                transcript().info(
                    f"no attempt passed: keeping attempt {kept}, the closest (distance "
                    f"{best_distance})",
                    source=SOURCE,
                )
        self.record["initial_attempts"] = attempts
        self.record["initial_passed"] = passed

    async def public_tests(self) -> None:
        if not self.public:
            return
        settings = self.settings
        per_test = settings.max_fixes_per_test + (1 if len(self.public) == 1 else 0)
        fixes: list[dict[str, Any]] = []
        passed_all = True
        async with stage(self.state, "public_tests") as current:
            for number, test in enumerate(self.public, start=1):
                explanation = self._explanation_for(test)
                async with span(f"public test {number}"):
                    start_code = self.code
                    tries = 0
                    while True:
                        run = await self._run(self.code, [test])
                        if not run.passed and len(fixes) >= settings.public_max_fixes:
                            transcript().info(
                                f"public test {number}: fails, no fixes left", source=SOURCE
                            )
                            break
                        tries += 1
                        if run.passed:
                            self._anchor(test)
                            transcript().info(
                                f"public test {number}: passes after {tries - 1} fixes "
                                f"({len(self.anchors)} anchors)",
                                source=SOURCE,
                            )
                            break
                        if tries > per_test:
                            break
                        if not run.non_empty:
                            if self.code != start_code:
                                self._revert("public_tests", number, "empty output", start_code)
                            continue
                        before = self.code
                        self.code = await self._fix(
                            current,
                            run.report,
                            explanation,
                            two_calls=not settings.single_stage_fix,
                        )
                        entry: dict[str, Any] = {"test": number, "changed": self.code != before}
                        fixes.append(entry)
                        if self.anchors and self.code != before:
                            anchors = await self._run(self.code, self.anchors)
                            entry["anchors_passed"] = anchors.passed
                            if not anchors.passed:
                                self._revert(
                                    "public_tests",
                                    number,
                                    f"the fix broke {anchors.failures} of {len(self.anchors)} "
                                    "anchor tests",
                                    start_code,
                                )
                                continue
                passed_all = passed_all and run.passed
        self.record["public_fixes"] = fixes
        self.record["public_passed"] = passed_all

    def _explanation_for(self, test: TestCase) -> str | None:
        """The explanation of a public test: by its input, else by its position."""
        key = _normalised(test.describe_input())
        for entry in self.explanations:
            if _normalised(entry["input"]) == key:
                return entry["explanation"]
        if len(self.explanations) == len(self.public):
            return self.explanations[self.public.index(test)]["explanation"]
        return None

    async def _fix(
        self, current: Stage, report: str, explanation: str | None, *, two_calls: bool
    ) -> str:
        settings = self.settings
        if two_calls:
            analysis = await self._ask_yaml(
                current,
                "analyze_failure",
                prompts.analyze_failure(
                    self.text,
                    self.reflection,
                    self.code,
                    report,
                    explanation if settings.public_use_test_explanations else None,
                ),
                _parse_analysis,
                keys=("what_went_wrong", "fixed_flow", "failed_tests"),
                block_keys=("failed_tests", "what_went_wrong", "fixed_flow"),
            )
            analysis = analysis or _Analysis("", "")
            output = await self._generate(
                current,
                prompts.fix_code(
                    self.text, self.code, report, analysis.what_went_wrong, analysis.fixed_flow
                ),
            )
            return self._code_of(output.completion, self.code)
        fixed = await self._ask_yaml(
            current,
            "analyze_and_fix",
            prompts.analyze_and_fix(
                self.text,
                self.code,
                report,
                self.reflection if settings.public_use_self_reflection else None,
                direct=settings.use_direct_solutions,
            ),
            _parse_fixed_code,
            keys=("fixed_code", "what_went_wrong", "fixed_flow", "failed_tests", "failed_test"),
            block_keys=(
                "failed_tests",
                "failed_test",
                "what_went_wrong",
                "fixed_flow",
                "fixed_code",
            ),
        )
        if fixed is None:
            return self.code
        code = clean_code(fixed, self.problem.language, self.problem.entry_point)
        if self.problem.language == "python" and not _compiles(code):
            transcript().info("the fixed code does not compile: keeping the code", source=SOURCE)
            return self.code
        return code

    async def iterate_ai_tests(self) -> None:
        edges = list(self.public) if self.settings.add_public_tests_to_ai_tests else []
        tests = [*edges, *self.ai_tests, *edges]
        if not tests:
            return
        fixes: list[dict[str, Any]] = []
        skipped = 0
        async with stage(self.state, "ai_tests") as current:
            for index, test in enumerate(tests):
                number = index + 1
                trailing = index >= len(tests) - len(edges)
                origin = "public" if index < len(edges) or trailing else "AI"
                async with span(f"test {number} ({origin})"):
                    run = await self._run(self.code, [test])
                    if run.passed:
                        self._anchor(test)
                        continue
                    if len(fixes) >= self.settings.ai_max_fixes and not trailing:
                        skipped += 1
                        continue
                    before = self.code
                    self.code = await self._fix(current, run.report, None, two_calls=False)
                    entry: dict[str, Any] = {"test": number, "origin": origin}
                    fixes.append(entry)
                    if self.code == before:
                        entry["outcome"] = "no new code"
                        continue
                    again = await self._run(self.code, [test])
                    if not again.passed and not (run.crashed and not again.crashed):
                        entry["outcome"] = "reverted: still fails"
                        self._revert("ai_tests", number, "the fix still fails the test", before)
                        continue
                    if self.anchors:
                        anchors = await self._run(self.code, self.anchors)
                        if not anchors.passed:
                            entry["outcome"] = "reverted: broke an anchor"
                            self._revert(
                                "ai_tests",
                                number,
                                f"the fix broke {anchors.failures} of {len(self.anchors)} "
                                "anchor tests",
                                before,
                            )
                            continue
                    if again.passed:
                        self._anchor(test)
                        entry["outcome"] = "fixed"
                    else:
                        entry["outcome"] = "kept: no longer crashes"
                    transcript().info(
                        f"AI-test stage, test {number}: {entry['outcome']}", source=SOURCE
                    )
            transcript().info(
                f"AI-test stage: {len(tests)} tests ({len(edges)} public at each end), "
                f"{len(fixes)} fixes, {skipped} failing tests left unfixed (no fixes left), "
                f"{len(self.anchors)} anchors",
                source=SOURCE,
            )
        self.record["ai_fixes"] = fixes
        self.record["ai_tests_skipped"] = skipped

    async def stop_reason(self) -> StopReason:
        """Why the flow ended, as every solver records it.

        `passed`: the final program passes every public and AI test (one more test
        run, in a stage named `execute`, no model call); `no_tests`: there were none,
        or `use_baseline`; `budget`: the fixes ran out with tests still failing.
        """
        tests = [*self.public, *self.ai_tests]
        if self.settings.use_baseline or not [t for t in tests if t not in self.refused]:
            return "no_tests"
        if not self.code.strip():
            return "budget"
        async with stage(self.state, "execute"):
            run = await self._run(self.code, tests)
        return "passed" if run.passed else "budget"

    async def baseline(self) -> None:
        async with stage(self.state, "baseline") as current:
            output = await self._generate(current, prompts.baseline(self.text))
        self.code = self._code_of(output.completion, "")


@solver
def alphacodium(
    use_baseline: bool = False,
    use_direct_solutions: bool = False,
    validate_self_reflection: bool = False,
    max_possible_solutions: int = 3,
    possible_solutions_use_test_explanations: bool = True,
    remove_brute_force_solutions: bool = True,
    number_of_ai_tests: int = 6,
    validate_ai_tests: bool = False,
    ai_tests_use_test_explanations: bool = True,
    add_public_tests_to_ai_tests: bool = True,
    max_attempts: int = 8,
    public_max_fixes: int = 4,
    max_fixes_per_test: int = 3,
    public_use_test_explanations: bool = False,
    public_use_self_reflection: bool = False,
    single_stage_fix: bool = False,
    ai_max_fixes: int = 4,
    yaml_attempts: int = 3,
    frequency_penalty: float | None = 0.1,
    stage_temperatures: bool = True,
    system_prompt_id: str = "none",
    prompt_template: str | list[str] | None = None,
) -> Solver:
    """AlphaCodium: reflect, propose and choose an approach, write tests, code, fix with anchors.

    Defaults are those of AlphaCodium's `alpha_codium/settings/configuration.toml`
    (the configuration key is named for each parameter). Calls per sample: at most
    `max_model_calls(...)`; with the defaults and one public test, 26 when every
    answer parses (52 with every parse retry).

    Args:
        use_baseline: One direct prompt instead of the flow (`solve.use_baseline`).
        use_direct_solutions: Exhaustive (brute-force) variants: no possible-solutions
            stage, an exhaustive solution instead of a choice, exhaustive code and fixes
            (`solve.use_direct_solutions`).
        validate_self_reflection: One more call that checks the explanations of the
            public tests and orders the tests easiest first
            (`self_reflection.validate_self_reflection`).
        max_possible_solutions: Approaches the model proposes at most
            (`possible_solutions.max_num_of_possible_solutions`).
        possible_solutions_use_test_explanations: Show the explanations of the public
            tests when proposing approaches (`possible_solutions.use_test_explanations`).
        remove_brute_force_solutions: Drop the first proposed approach named brute force,
            unless it is the only one (`possible_solutions.remove_bruce_force_solutions`).
        number_of_ai_tests: AI tests to write (`generate_ai_tests.number_of_ai_tests`);
            0 skips the stage.
        validate_ai_tests: One more call that checks and corrects the AI tests
            (`generate_ai_tests.validate_ai_tests`).
        ai_tests_use_test_explanations: Show the explanations of the public tests when
            writing AI tests (`generate_ai_tests.use_test_explanations`).
        add_public_tests_to_ai_tests: Put the public tests before and after the AI tests
            in the AI-test stage (`generate_ai_tests.add_public_tests_to_ai_tests`).
        max_attempts: Regenerations of the initial code while it fails the public tests
            (`initial_code_generation.max_attempts`).
        public_max_fixes: Fixes in the public-test stage, all tests together
            (`public_tests.max_allowed_calls`, which counts fixes).
        max_fixes_per_test: Fixes per public test, one more with a single public test
            (`public_tests.max_fixes_per_test`).
        public_use_test_explanations: Show the failing test's explanation when analysing
            a failure (two-call fixes; `public_tests.use_test_explanations`).
        public_use_self_reflection: Show the full description and the reflection (not the
            short description) in one-call fixes (`public_tests.use_self_reflection`).
        single_stage_fix: Fix a public test in one call (analysis and code in one YAML
            answer) instead of two (analysis, then code). The original's key
            `public_tests.single_stage_fix = true` means the opposite (its naming is
            inverted); the default here is the original's default behaviour, two calls.
        ai_max_fixes: Fixes in the AI-test stage; the public tests at the end of the list
            are fixed beyond it (`ai_tests.max_allowed_calls`, which counts fixes).
        yaml_attempts: Calls for one YAML answer at most: an unusable answer is asked
            again, then the stage goes on with defaults (the original: 3 tries per stage).
        frequency_penalty: Frequency penalty of every call (`config.frequency_penalty`);
            None leaves the run's setting.
        stage_temperatures: Use each stage's temperature from the original prompts (0.2
            or 0.3); False leaves the run's `--temperature`.
        system_prompt_id: Id of a system prompt (see `codecrucible.prompts.SYSTEM_PROMPTS`)
            put before each stage's own system text in every call; `none` (the default):
            only the stages' own, as in the original.
        prompt_template: Describe the problem in every stage's prompt with this template
            (an id from `codecrucible.prompts.TEMPLATES`, or literal text over
            `{statement}`, `{starter_code}`, `{public_tests}`, `{language}`) instead of
            AlphaCodium's own description; the short description of the fix prompts is
            the template rendered without the public tests. The stages' own
            instructions (YAML answers, code shape) follow it, so a template of the
            problem alone (`{statement}` and `{public_tests}`, say) suits them best; the
            built-in ones end by asking for a code block.
    """
    settings = AlphaCodiumSettings(
        use_baseline=use_baseline,
        use_direct_solutions=use_direct_solutions,
        validate_self_reflection=validate_self_reflection,
        max_possible_solutions=max_possible_solutions,
        possible_solutions_use_test_explanations=possible_solutions_use_test_explanations,
        remove_brute_force_solutions=remove_brute_force_solutions,
        number_of_ai_tests=number_of_ai_tests,
        validate_ai_tests=validate_ai_tests,
        ai_tests_use_test_explanations=ai_tests_use_test_explanations,
        add_public_tests_to_ai_tests=add_public_tests_to_ai_tests,
        max_attempts=max_attempts,
        public_max_fixes=public_max_fixes,
        max_fixes_per_test=max_fixes_per_test,
        public_use_test_explanations=public_use_test_explanations,
        public_use_self_reflection=public_use_self_reflection,
        single_stage_fix=single_stage_fix,
        ai_max_fixes=ai_max_fixes,
        yaml_attempts=yaml_attempts,
        frequency_penalty=frequency_penalty,
        stage_temperatures=stage_temperatures,
        system_prompt_id=system_prompt_id,
        prompt_template=template_argument(prompt_template, "alphacodium", "prompt_template"),
    )
    settings.check()
    system_text = system_prompt(settings.system_prompt_id)

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        problem = problem_for(state.metadata, state.sample_id)
        form = ai_test_format(problem)
        model = solver_model("alphacodium")
        budget = max_model_calls(settings, len(problem.public_tests))
        flow = _Flow(
            state=state,
            problem=problem,
            model=model,
            settings=settings,
            form=form,
            text=_problem_text(problem, form, settings.prompt_template),
            public=list(problem.public_tests),
            system=system_text,
        )
        flow.record = {
            "parameters": asdict(settings),
            "test_kind": form.kind,
            "function": form.function,
            "public_tests": len(problem.public_tests),
            "max_calls": budget,
            "parse_failures": [],
            "reverts": [],
        }
        if settings.use_baseline:
            await flow.baseline()
        else:
            await flow.self_reflection()
            await flow.possible_solutions()
            await flow.choose_best_solution()
            await flow.generate_ai_tests()
            await flow.initial_code_generation()
            await flow.public_tests()
            await flow.iterate_ai_tests()
        flow.record["anchors"] = len(flow.anchors)
        flow.record["calls"] = flow.calls
        flow.record["stopped"] = await flow.stop_reason()
        solver_record(state)[ORACLE_KEY] = False  # only public and AI tests were run
        assert flow.calls <= budget, f"alphacodium made {flow.calls} calls, budget {budget}"
        solver_record(state)[RECORD_KEY] = flow.record
        transcript().info(
            f"final program after {flow.calls} model calls (budget {budget}), "
            f"{len(flow.anchors)} anchor tests, {len(flow.record['reverts'])} reverts",
            source=SOURCE,
        )
        code = flow.code if flow.code.strip() else None
        set_code(state, code)
        answer = fence(code, problem.language) if code else "(no program)"
        state.output = ModelOutput.from_content(model=model.name, content=answer)
        state.messages.append(ChatMessageAssistant(content=answer))
        return state

    return solve
