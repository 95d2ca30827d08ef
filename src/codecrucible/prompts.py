"""System prompts (chosen by id) and the prompt template of each dataset.

A template is a `str.format` string over `statement`, `starter_code`,
`public_tests` (rendered examples) and `language`, or a function of the problem
where a benchmark's prompt has conditions (LiveCodeBench: with or without starter
code). Tasks render the user prompt with their dataset's template; `-S
prompt_template=` on `single_turn` renders it again with another template id or a
literal template. Source modules add theirs with `register_template` and
`register_system_prompt`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from codecrucible.errors import InputError
from codecrucible.problem import CodeProblem

Template = str | Callable[[CodeProblem], str]

SYSTEM_PROMPTS: dict[str, str] = {
    "default": (
        "You are an expert programmer. You write correct, efficient programs and put the "
        "complete program in a single fenced code block."
    ),
    "helpful_coder": (
        "You are a helpful coding assistant. Think about the problem, then give the complete "
        "solution in one fenced code block."
    ),
    "competitive": (
        "You are a world-class competitive programmer. Solve the problem within its time and "
        "memory limits. Reply with the complete program in a single fenced code block; only "
        "the last fenced block of your reply is run."
    ),
    "none": "",
}

TEMPLATES: dict[str, Template] = {
    "humaneval": (
        "Complete the following Python function. Reply with the complete function, "
        "including the signature, in a single ```python code block.\n\n"
        "```python\n{starter_code}```"
    ),
    "code_contests": (
        "Solve the following competitive programming problem in {language}. Your program reads "
        "the input from standard input and writes the answer to standard output.\n\n"
        "{statement}\n\n{public_tests}"
        "Reply with the complete program in a single ```{fence} code block."
    ),
}


def generic_prompt(problem: CodeProblem) -> str:
    """A prompt for any problem: the statement, starter code, examples, and how it is run.

    How the program is run follows from its tests (stdin, a function call, or asserts),
    so a user's own problems (the `custom` task) need no template of their own.
    """
    language, fence = language_names(problem.language)
    tests = [*problem.public_tests, *problem.private_tests, *problem.generated_tests]
    kinds = {test.kind for test in tests}
    function = next((t.fn_name for t in tests if t.fn_name), None) or problem.entry_point
    parts = [f"Solve the following problem in {language}.", problem.statement.strip()]
    if problem.starter_code:
        parts.append(f"Start from this code:\n```{fence}\n{problem.starter_code.rstrip()}\n```")
    examples = render_public_tests(problem).strip()
    if examples:
        parts.append(examples)
    if "stdin" in kinds:
        parts.append(
            "Your program reads the input from standard input and writes the answer to "
            "standard output."
        )
    elif function and "functional" in kinds:
        parts.append(f"Define the function `{function}`: the tests call it and check its result.")
    elif function:
        parts.append(f"Define `{function}`: the tests run after your code and call it.")
    parts.append(f"Reply with the complete program in a single ```{fence} code block.")
    return "\n\n".join(parts)


TEMPLATES["generic"] = generic_prompt


def register_template(template_id: str, template: Template) -> None:
    """Add a benchmark's prompt template under an id (a source module does this on import)."""
    TEMPLATES[template_id] = template


def register_system_prompt(prompt_id: str, text: str) -> None:
    """Add a benchmark's system prompt under an id."""
    SYSTEM_PROMPTS[prompt_id] = text


def system_prompt(prompt_id: str) -> str:
    """The system prompt with this id.

    Raises:
        ValueError: for an unknown id (the message lists the known ones).
    """
    try:
        return SYSTEM_PROMPTS[prompt_id]
    except KeyError:
        raise InputError(
            f"unknown system prompt {prompt_id!r}; choose one of {', '.join(SYSTEM_PROMPTS)}"
        ) from None


def render_public_tests(problem: CodeProblem) -> str:
    """The public tests as examples in the prompt (empty when there are none)."""
    parts = []
    for number, test in enumerate(problem.public_tests, start=1):
        if test.kind == "stdin":
            parts.append(
                f"Example {number}\nInput:\n```\n{(test.input or '').rstrip()}\n```\n"
                f"Output:\n```\n{(test.output or '').rstrip()}\n```\n"
            )
        elif test.kind == "functional":
            parts.append(
                f"Example {number}\n```\n{test.describe_input()}\n```\n"
                f"Returns:\n```\n{test.describe_expected()}\n```\n"
            )
        else:
            parts.append(f"Example {number}\n```\n{test.describe_input()}\n```\n")
    if not parts:
        return ""
    return "## Public tests\n\n" + "\n".join(parts) + "\n"


def template_argument(value: Any, solver: str, parameter: str) -> str | None:
    """A template passed as a solver argument, as the text the user typed.

    `inspect eval -S` reads each value as YAML and splits it at commas, so a
    template can arrive as a list (joined back with commas), a number or a
    boolean (turned back into text). A mapping means YAML read `key: value` or a
    leading `{...}` as structure; the text cannot be recovered, so it is refused
    with a message saying how to quote it.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return ",".join(value)
    if isinstance(value, bool | int | float):
        return str(value)
    raise InputError(
        f"{solver}: {parameter} was read as YAML structure ({type(value).__name__}), not text; "
        f"quote the whole template, e.g. -S {parameter}='\"Rate this: {{code}}\"', "
        "or set it in a --solver-config YAML file"
    )


def render_prompt(template: str, problem: CodeProblem) -> str:
    """Render a template (an id from `TEMPLATES` or a literal template) for a problem."""
    chosen = TEMPLATES.get(template, template)
    if callable(chosen):
        return chosen(problem)
    text = chosen
    language, fence = language_names(problem.language)
    return text.format(
        statement=problem.statement.strip(),
        starter_code=problem.starter_code or "",
        public_tests=render_public_tests(problem),
        language=language,
        fence=fence,
    )


def language_names(language: str) -> tuple[str, str]:
    """How a prompt names a language, and the label of the code fence it asks for."""
    from codecrucible.execution.languages import get_language

    try:
        spoken = get_language(language)
    except ValueError:
        return language, language
    return spoken.display_name, spoken.fence_label
