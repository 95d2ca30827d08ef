"""SEIDR: synthesize, execute, instruct, debug, rank (Liventsev et al., GECCO 2023).

A beam search over programs. The model drafts `drafts_per_prompt` programs; each
runs against the validation tests (the problem's public tests) in the sample's
sandbox, and its score is the fraction it passes. Until a program passes every
validation test or `max_programs` programs exist, the best `beam_width` programs
of the latest generation become parents: for each, the model explains the bug
behind its worst-scoring test (instruct) `explanations_per_program` times, and
writes `repairs_per_explanation` repairs per explanation (debug); those repairs
are the next generation. The program returned is the one with the best score
(the first of equals), the one that passed everything when the search stopped
early.

Ported from vadim0x60/seidr @ 27d8202 (`seidr/dev.py`, `seidr/prompt.py`,
`seidr/llm.py`), without its bugs:

- every validation test is bound to its own index and each candidate keeps its
  own per-test results (the original built its critics as closures that all bound
  the last test, so it validated against one test);
- lexicase selection is real: every one of the `beam_width` selections draws a
  fresh random order of the tests (the original drew one order, so one selection
  round ran and the beam was often a single program); a selected program leaves
  the pool, so a beam holds distinct programs, as the original meant;
- the test explained is the worst-scoring one, as in SEIDR, where a test scored
  the fraction of expected output lines matched: a crash, timeout or missing
  output scores 0, a wrong answer the fraction of its expected lines the program
  printed (so on stdin problems a program that printed nothing is explained before
  one that got most lines right). Scores tie often (a failing functional or
  assert test, one line of expected output, scores 0), so equals are ordered by
  how the test failed (`FAILURE_ORDER`): a test the program did not finish
  before one it answered wrongly, since a program that stops early shows
  nothing of its logic on that test and the stop has to be fixed first; of
  those, a runtime error (its message and traceback say where; a failed assert
  is one) before a memory or output limit, and those before a timeout (which
  says neither what nor where); then the first by index. As a crash or timeout
  always scores 0, every failure to finish is explained before any wrong
  answer, and wrong answers go by their score. SEIDR took the first of equally
  scored tests (`min` over the tests in order): this changes only which of a
  tie is explained;
- with `--cache`, each sample of a repeated prompt is cached apart (otherwise the
  drafts of one prompt would all be the first);
- draft and repair are counted alike: each generated program costs one of
  `max_programs`; explanations are model calls too (counted in the `instruct`
  stage) but not programs, and one is asked for only when a repair will follow it.

Differences that follow from the harness: one model call per program (SEIDR's
Ollama setting; its OpenAI setting batched ten), with its temperature ramp (the
k-th of n samples of one prompt at `max_temperature * k / (n + 1)`, a single
sample at 0); a test passes or fails as the task's comparator says (SEIDR gave
partial credit per output line); the program is the last fenced code block of an
answer (an answer without one is a candidate without a program, scored 0); the
prompts are SEIDR's, reworded for functional and assert problems as well as stdin.

A problem without public tests leaves nothing to rank or repair against: the
solver drafts one program (the first draft, at the first draft's temperature)
and returns it, at the cost of `single_turn`.

What each sample records under `codecrucible.seidr`: the parameters, how many
validation tests there were, `stopped` (`passed`, `budget` or `no_tests`), the
programs and explanations generated, `best` (the id of the program returned),
every candidate with its per-test results, the explanation calls and each
generation's selection of parents; `codecrucible.oracle` is always false (only
public tests are run).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

from inspect_ai.log import transcript
from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageUser,
    GenerateConfig,
    ModelOutput,
)
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.util import span

from codecrucible.datasets import problem_for
from codecrucible.errors import InputError
from codecrucible.execution import ExecutionResult, Verdict, VerdictStatus
from codecrucible.extraction import extract_code, fence
from codecrucible.problem import CodeProblem, TestCase
from codecrucible.prompts import TEMPLATES, language_names, render_prompt, template_argument
from codecrucible.solvers._code import set_code
from codecrucible.solvers._stages import (
    ORACLE_KEY,
    StopReason,
    describe_failures,
    run_tests,
    solver_model,
    solver_record,
    stage,
)

RECORD_KEY = "seidr"
"""Where the search tree goes in the sample's `codecrucible` metadata."""


class Candidate(NamedTuple):
    """A generated program with its results on each validation test, by test index."""

    id: int
    """1-based, in order of generation (the transcript calls it `program #id`)."""
    parent: int | None
    """The program this one repairs (None for a draft)."""
    stage: Literal["draft", "debug"]
    generation: int
    """0 for drafts, n for repairs of generation n - 1."""
    explanation: int | None
    """Which of the parent's explanations (1-based) this repair follows."""
    temperature: float | None
    output: ModelOutput
    code: str | None
    """The program (None when the answer held no fenced code block)."""
    results: tuple[bool, ...]
    """`results[i]`: whether validation test i passed."""
    issue: str
    """What its worst failing test showed (`worst_failure`: the instruct stage's input)."""

    @property
    def tests_passed(self) -> int:
        """How many validation tests it passed."""
        return sum(self.results)

    @property
    def score(self) -> float:
        """The fraction of validation tests it passed (0 without tests)."""
        return self.tests_passed / len(self.results) if self.results else 0.0

    @property
    def solved(self) -> bool:
        """Whether it passed every validation test (there being at least one)."""
        return bool(self.results) and all(self.results)

    def summary(self) -> str:
        """One line for the transcript."""
        origin = (
            "draft"
            if self.parent is None
            else f"repair of #{self.parent} (explanation {self.explanation})"
        )
        if self.code is None:
            outcome = "no program in the answer"
        elif not self.results:
            outcome = "no validation tests to run"
        else:
            marks = "".join("1" if passed else "0" for passed in self.results)
            outcome = (
                f"passes {self.tests_passed}/{len(self.results)} validation tests "
                f"(score {self.score:.3f}, per test {marks})"
            )
        return f"program #{self.id}, {origin}: {outcome}"

    def record(self) -> dict[str, Any]:
        """The candidate in the metadata tree (its code is in the transcript's model event)."""
        return {
            "id": self.id,
            "parent": self.parent,
            "stage": self.stage,
            "generation": self.generation,
            "explanation": self.explanation,
            "temperature": self.temperature,
            "has_code": self.code is not None,
            "score": round(self.score, 6),
            "tests_passed": self.tests_passed,
            "per_test": [int(passed) for passed in self.results],
        }


def temperature_ramp(n: int, max_temperature: float) -> list[float]:
    """SEIDR's temperatures for n samples of one prompt (`distribute_heat`, batch size 1).

    Rising from `max_temperature / (n + 1)` in steps of the same size, never 0, so
    the samples differ; a single sample is taken at 0.
    """
    if n == 1:
        return [0.0]
    return [round(max_temperature * k / (n + 1), 6) for k in range(1, n + 1)]


def rank_by_score(candidates: Sequence[Candidate], beam_width: int) -> list[Candidate]:
    """The `beam_width` best by score; equal scores keep their order of generation."""
    return sorted(candidates, key=_score_of, reverse=True)[:beam_width]


def _score_of(candidate: Candidate) -> float:
    return candidate.score


def lexicase_select(
    candidates: Sequence[Candidate], beam_width: int, rng: random.Random
) -> tuple[list[Candidate], list[list[int]]]:
    """`beam_width` lexicase selections (Spector 2012), each with a fresh order of the tests.

    A selection shuffles the test indices, then keeps, test by test, the candidates
    with the best result on that test, until one is left or the tests run out (then
    one survivor at random). The winner leaves the pool, so the beam holds distinct
    programs. Returns the winners and, for each, the tests that decided it.
    """
    pool = list(candidates)
    winners: list[Candidate] = []
    decided_by: list[list[int]] = []
    test_count = min((len(candidate.results) for candidate in pool), default=0)
    while pool and len(winners) < beam_width:
        order = list(range(test_count))
        rng.shuffle(order)
        survivors = pool
        consulted: list[int] = []
        for test in order:
            if len(survivors) == 1:
                break
            consulted.append(test)
            best = max(candidate.results[test] for candidate in survivors)
            survivors = [c for c in survivors if c.results[test] == best]
        winner = survivors[0] if len(survivors) == 1 else rng.choice(survivors)
        winners.append(winner)
        decided_by.append(consulted)
        pool = [candidate for candidate in pool if candidate is not winner]
    return winners, decided_by


def _system_prompt(problem: CodeProblem) -> str:
    language, _ = language_names(problem.language)
    text = f"You are an experienced software developer. You write concise code in {language}."
    kinds = {test.kind for test in problem.public_tests} or {
        test.kind for test in problem.tests(["private", "generated"])
    }
    if kinds == {"stdin"}:
        text += (
            " The code must read input from standard input and print output corresponding "
            "to the task description."
        )
    return text


def _explain_prompt(description: str, code: str | None, issue: str, language: str) -> str:
    return (
        f"I'm trying to solve the problem below.\n\n# Problem\n\n{description}\n\n"
        f"# Current code\n\n{_show_code(code, language)}\n\n"
        f"# Issue\n\n{issue}\n\n"
        "Describe how I should fix the code in a very concise manner (in words, not a program)."
    )


def _repair_prompt(description: str, code: str | None, explanation: str, language: str) -> str:
    return (
        f"Solve the problem below.\n\n# Problem\n\n{description}\n\n"
        f"# Current code\n\n{_show_code(code, language)}\n\n"
        f"# How to fix it\n\nModify the code as follows: {explanation.strip()}\n\n"
        f"Reply with the complete corrected program in a single ```{language} code block."
    )


def _show_code(code: str | None, language: str) -> str:
    return fence(code, language).rstrip() if code is not None else "(no program)"


def _results(result: ExecutionResult, test_count: int) -> tuple[bool, ...]:
    """Pass or fail per test index (a compile error fails them all)."""
    passed = [False] * test_count
    for verdict in result.verdicts:
        if verdict.status != "compile_error" and 0 <= verdict.index < test_count:
            passed[verdict.index] = verdict.passed
    return tuple(passed)


def line_score(verdict: Verdict) -> float:
    """A test's score as SEIDR counted it: the fraction of expected output lines matched.

    A pass scores 1; a wrong answer the fraction of expected lines the program
    printed in place (compared without surrounding spaces; over the truncated
    excerpts the executor keeps); anything else (a crash, a timeout) 0.
    """
    if verdict.passed:
        return 1.0
    if verdict.status != "wrong_answer":
        return 0.0
    expected, actual = verdict.expected.splitlines(), verdict.actual.splitlines()
    if not expected:
        return 0.0
    matched = sum(
        1 for want, got in zip(expected, actual, strict=False) if want.strip() == got.strip()
    )
    return matched / max(len(expected), len(actual))


FAILURE_ORDER: dict[VerdictStatus, int] = {
    "compile_error": 0,
    "runtime_error": 1,
    "memory_limit": 2,
    "output_limit": 3,
    "timeout": 4,
    "wrong_answer": 5,
}
"""Which of two equally scored failures is explained: the lower first (see the module
docstring). A program that did not finish a test comes before one that answered it
wrongly; of those, the failure whose report says most about where it went wrong first."""


def worst_failure(result: ExecutionResult) -> Verdict | None:
    """The failing test to explain: the lowest `line_score`, then `FAILURE_ORDER`, then index."""
    failures = [verdict for verdict in result.verdicts if not verdict.passed]
    return min(
        failures,
        key=lambda verdict: (line_score(verdict), FAILURE_ORDER[verdict.status], verdict.index),
        default=None,
    )


def _issue(result: ExecutionResult) -> str:
    """The worst-scoring test as the instruct stage reads it."""
    worst = worst_failure(result)
    if worst is None:
        return "Do not change anything"  # SEIDR's report on a passing test
    if worst.status == "compile_error":
        return f"The program does not compile: {worst.message}"
    return describe_failures(result, max_failures=1, first=worst)


class SearchSettings(NamedTuple):
    """The search's shape and budget (the solver's parameters, shorthand resolved)."""

    max_programs: int
    drafts_per_prompt: int
    explanations_per_program: int
    repairs_per_explanation: int
    beam_width: int
    lexicase_selection: bool
    max_temperature: float | None


class _Search:
    """One sample's search: the budget, the tree so far, the best program.

    (Plain classes, not dataclasses: Inspect loads `--solver solvers/seidr.py` as a
    module outside `sys.modules`, where dataclasses cannot resolve string annotations.)
    """

    def __init__(
        self,
        state: TaskState,
        problem: CodeProblem,
        *,
        validation: list[TestCase],
        description: str,
        system: str,
        rng: random.Random,
        settings: SearchSettings,
    ) -> None:
        self.state = state
        self.problem = problem
        self.model = solver_model("seidr")
        self.validation = validation
        self.description = description
        self.system = system
        self.rng = rng
        self.settings = settings
        self.candidates: list[Candidate] = []
        self.explanations: list[dict[str, Any]] = []
        self.selections: list[dict[str, Any]] = []
        self.best: Candidate | None = None

    @property
    def budget_left(self) -> bool:
        return len(self.candidates) < self.settings.max_programs

    def _config(self, temperature: float | None) -> GenerateConfig:
        return GenerateConfig() if temperature is None else GenerateConfig(temperature=temperature)

    def _ramp(self, n: int) -> list[float | None]:
        if self.settings.max_temperature is None:
            return [None] * n
        return list(temperature_ramp(n, self.settings.max_temperature))

    def _draw(self) -> int:
        """The call's position in the search: repeated prompts stay apart under `--cache`."""
        return len(self.candidates) + len(self.explanations)

    def _messages(self, prompt: str) -> list[ChatMessage]:
        return [ChatMessageSystem(content=self.system), ChatMessageUser(content=prompt)]

    async def run(self) -> StopReason:
        drafts = self.settings.drafts_per_prompt if self.validation else 1
        generation: list[Candidate] = []
        async with span("generation 0", type="seidr"):
            for temperature in self._ramp(self.settings.drafts_per_prompt)[:drafts]:
                if not self.budget_left:
                    break
                draft = await self._program(
                    "draft", self.description, temperature, parent=None, explanation=None
                )
                generation.append(draft)
                if draft.solved:
                    return "passed"
        if not self.validation:
            return "no_tests"
        number = 0
        while self.budget_left and generation:
            number += 1
            async with span(f"generation {number}", type="seidr"):
                children: list[Candidate] = []
                for parent in await self._rank(generation, number):
                    for index, explain_temperature in enumerate(
                        self._ramp(self.settings.explanations_per_program), start=1
                    ):
                        if not self.budget_left:
                            break
                        explanation = await self._explain(parent, index, explain_temperature)
                        for temperature in self._ramp(self.settings.repairs_per_explanation):
                            if not self.budget_left:
                                break
                            child = await self._program(
                                "debug",
                                _repair_prompt(
                                    self.description,
                                    parent.code,
                                    explanation,
                                    self.problem.language,
                                ),
                                temperature,
                                parent=parent,
                                explanation=index,
                            )
                            children.append(child)
                            if child.solved:
                                return "passed"
                generation = children
        return "budget"

    async def _program(
        self,
        stage_name: Literal["draft", "debug"],
        prompt: str,
        temperature: float | None,
        *,
        parent: Candidate | None,
        explanation: int | None,
    ) -> Candidate:
        """Generate one program (one of the budget) and run it on the validation tests."""
        async with stage(self.state, stage_name) as current:
            output = await current.generate(
                self.model, self._messages(prompt), self._config(temperature), draw=self._draw()
            )
        code = extract_code(output.completion, self.problem.language, self.problem.entry_point)
        async with stage(self.state, "execute"):
            if code is None:
                results: tuple[bool, ...] = (False,) * len(self.validation)
                issue = "The answer holds no program in a fenced code block."
            elif not self.validation:
                results, issue = (), ""
            else:
                result = await run_tests(self.state, self.problem, code, self.validation)
                results, issue = _results(result, len(self.validation)), _issue(result)
            candidate = Candidate(
                id=len(self.candidates) + 1,
                parent=parent.id if parent else None,
                stage=stage_name,
                generation=parent.generation + 1 if parent else 0,
                explanation=explanation,
                temperature=temperature,
                output=output,
                code=code,
                results=results,
                issue=issue,
            )
            self.candidates.append(candidate)
            if self.best is None or candidate.score > self.best.score:
                self.best = candidate
            transcript().info(candidate.summary(), source="seidr")
        return candidate

    async def _explain(self, parent: Candidate, index: int, temperature: float | None) -> str:
        """Ask why the parent fails its worst failing test (a model call, not a program)."""
        async with stage(self.state, "instruct") as current:
            prompt = _explain_prompt(
                self.description, parent.code, parent.issue, self.problem.language
            )
            output = await current.generate(
                self.model, self._messages(prompt), self._config(temperature), draw=self._draw()
            )
        self.explanations.append({"parent": parent.id, "index": index, "temperature": temperature})
        return output.completion

    async def _rank(self, generation: list[Candidate], number: int) -> list[Candidate]:
        """The parents of the next generation: by score, or by lexicase selection."""
        async with stage(self.state, "rank"):
            entry: dict[str, Any] = {"generation": number - 1, "method": "score"}
            if self.settings.lexicase_selection:
                parents, decided_by = lexicase_select(
                    generation, self.settings.beam_width, self.rng
                )
                entry.update(method="lexicase", decided_by=decided_by)
            else:
                parents = rank_by_score(generation, self.settings.beam_width)
            entry["parents"] = [parent.id for parent in parents]
            self.selections.append(entry)
            chosen = ", ".join(f"#{p.id} ({p.tests_passed}/{len(p.results)})" for p in parents)
            how = "lexicase selection" if self.settings.lexicase_selection else "score"
            transcript().info(f"parents of generation {number} by {how}: {chosen}", source="seidr")
        return parents


def _positive(name: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise InputError(f"seidr: {name} must be a whole number of at least 1, not {value!r}")


@solver
def seidr(
    max_programs: int = 100,
    branching_factor: int = 2,
    drafts_per_prompt: int | None = None,
    explanations_per_program: int = 2,
    repairs_per_explanation: int | None = None,
    beam_width: int | None = None,
    lexicase_selection: bool = False,
    valid_examples: int | None = None,
    prompt_examples: int = 5,
    prompt_template: str | list[str] = "generic",
    max_temperature: float | None = 1.0,
    seed: int = 42,
) -> Solver:
    """SEIDR: draft, run the public tests, explain the worst failure, repair, keep the best.

    Defaults are those of the SEIDR paper's experiment configurations
    (`configure_experiments.py`: 100 programs, two explanations per program,
    drafts = repairs = beam width = branching factor).

    Args:
        max_programs: Programs to generate at most, drafts and repairs alike; the search
            stops sooner when one passes every validation test.
        branching_factor: Shorthand for `drafts_per_prompt`, `repairs_per_explanation`
            and `beam_width`, where those are not given.
        drafts_per_prompt: Drafts written from the problem (default: `branching_factor`).
        explanations_per_program: Bug explanations asked for each parent program.
        repairs_per_explanation: Repairs written from each explanation (default:
            `branching_factor`).
        beam_width: Programs of a generation that become parents of the next (default:
            `branching_factor`).
        lexicase_selection: Choose parents by lexicase selection (a fresh random order of
            the tests for each of the `beam_width` selections) instead of by score.
        valid_examples: Public tests to validate against, the first ones (default: all).
            A problem with none gets one draft and no search.
        prompt_examples: Public tests shown in the prompts as examples, the first ones.
        prompt_template: Template (an id from `codecrucible.prompts.TEMPLATES`, or literal
            text) that renders the problem in every prompt, with `prompt_examples` examples.
        max_temperature: Top of SEIDR's temperature ramp over the samples of one prompt
            (the k-th of n at `max_temperature * k / (n + 1)`, a lone one at 0); None
            leaves the temperature to the run's `--temperature`.
        seed: Seed of lexicase selection's test orders (mixed with the sample id and epoch).
    """
    drafts = drafts_per_prompt if drafts_per_prompt is not None else branching_factor
    repairs = repairs_per_explanation if repairs_per_explanation is not None else branching_factor
    width = beam_width if beam_width is not None else branching_factor
    for name, value in (
        ("max_programs", max_programs),
        ("branching_factor", branching_factor),
        ("drafts_per_prompt", drafts),
        ("explanations_per_program", explanations_per_program),
        ("repairs_per_explanation", repairs),
        ("beam_width", width),
    ):
        _positive(name, value)
    for name, count in (("valid_examples", valid_examples), ("prompt_examples", prompt_examples)):
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 0
        ):
            raise InputError(f"seidr: {name} must be a whole number of at least 0, not {count!r}")
    if max_temperature is not None and not 0 <= max_temperature <= 2:
        raise InputError(f"seidr: max_temperature must lie in [0, 2], not {max_temperature!r}")
    settings = SearchSettings(
        max_programs=max_programs,
        drafts_per_prompt=drafts,
        explanations_per_program=explanations_per_program,
        repairs_per_explanation=repairs,
        beam_width=width,
        lexicase_selection=lexicase_selection,
        max_temperature=max_temperature,
    )
    template = template_argument(prompt_template, "seidr", "prompt_template") or "generic"
    parameters = {
        **settings._asdict(),
        "valid_examples": valid_examples,
        "prompt_examples": prompt_examples,
        "prompt_template": template,
        "seed": seed,
    }

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        problem = problem_for(state.metadata, state.sample_id)
        # checked here: source modules register their templates when their data loads
        if template not in TEMPLATES and "{" not in template:
            raise InputError(
                f"seidr: unknown prompt_template {template!r}; give one of "
                f"{', '.join(sorted(TEMPLATES))} or a literal template with {{statement}}"
            )
        public = problem.public_tests
        validation = list(public if valid_examples is None else public[:valid_examples])
        shown = problem.model_copy(update={"public_tests": public[:prompt_examples]})
        search = _Search(
            state,
            problem,
            validation=validation,
            description=render_prompt(template, shown),
            system=_system_prompt(problem),
            rng=random.Random(f"seidr:{seed}:{state.sample_id}:{state.epoch}"),
            settings=settings,
        )
        stopped = await search.run()
        best = search.best
        assert best is not None  # max_programs >= 1: there is at least one draft
        if stopped == "no_tests":
            transcript().info(
                "no public tests to validate against: the first draft is the answer",
                source="seidr",
            )
        else:
            transcript().info(
                f"stopped ({stopped}) after {len(search.candidates)} programs and "
                f"{len(search.explanations)} explanations; answer: {best.summary()}",
                source="seidr",
            )
        solver_record(state)[ORACLE_KEY] = False  # validation uses public tests only
        solver_record(state)[RECORD_KEY] = {
            "parameters": parameters,
            "validation_tests": len(validation),
            "stopped": stopped,
            "programs": len(search.candidates),
            "explanations": len(search.explanations),
            "best": best.id,
            "candidates": [candidate.record() for candidate in search.candidates],
            "explanation_calls": search.explanations,
            "selections": search.selections,
        }
        set_code(state, best.code)
        state.output = best.output
        state.messages.append(ChatMessageAssistant(content=best.output.completion))
        return state

    return solve
