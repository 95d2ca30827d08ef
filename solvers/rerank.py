"""Best-of-n reranking: sample n programs, keep the one a criterion ranks first.

The method of cassanof/CodeRM (seed 002, "CodePRM"): a generator samples n
completions of the same prompt (the seed's replication: 100 at temperature 0.8),
and one is chosen by

- `public_tests`: how many of the problem's public tests it passes (CodeRM's
  `public@`: passing programs first; here the count, so a program passing 2 of 3
  ranks above one passing 1);
- `logprobs`: the generator's log-probability of the completion, the mean per
  token by default (CodeRM's `ml@` uses the sum, `logprob_reduction=sum`, which
  favours short completions);
- `reward_model`: an outcome reward model's P(pass) for the program (CodeRM's
  `orm@`), optionally times the generator's likelihood (`orm_prod`, CodeRM's
  `--orm-prod normalized|unnormalized`).

`by` names the criterion, or several in order (`by=public_tests,reward_model` is
CodeRM's `orm+public@`, except that when no program passes the public tests the
best-scored one is still returned rather than counting the problem as failed).
Equal candidates are separated by the criteria not named, in the order public
tests, log-probability (where recorded), then the first generated; the reward model is consulted
only when `by` names it. A candidate whose answer holds no program ranks below
every program. Public tests run for every candidate whatever `by` says (sandbox
time, no model calls), so the log allows every variant to be computed afterwards.

The reward model is reached through Inspect's model API, so any provider serves it:

- `reward_mode=judge` (default): the model (by default the one under evaluation,
  or `--model-role reward_model=...`, or `reward_model=...`) is shown the problem
  and the program and asked whether the program is correct, Yes or No. P(pass) is
  P(Yes) / (P(Yes) + P(No)) from the top log-probabilities of the answer token
  where the provider returns them; otherwise the answer's text (`Yes` = 1, `No` =
  0, or a probability written as a number).
- `reward_mode=classifier`: the model is sent CodeRM's ORM input (the statement in
  a docstring, then the program) and must answer with P(pass) as a number. That
  is the contract of a sequence classifier served behind a provider. Inspect's
  own `hf` provider cannot serve one (it loads causal language models and calls
  `generate()`), so codecrucible adds `hf_classifier/<folder or hub id>`
  (`codecrucible.models`, with the `local-model` extra), which answers with the
  classifier's softmax P(pass): e.g. CodeRM's `codegenning/starcoder2-3b-orm-v0`.

What the log keeps, per sample, under `codecrucible` in the metadata:
`candidates`, one entry per generated candidate in order of generation (its
program, public tests passed/total, log-probability sum, token count and mean,
the reward and where it was read from, its rank and whether it was chosen), and
`rerank`, the parameters, the criteria in order, the chosen index, what decided
the choice and the fallbacks taken (no public tests, no log-probabilities, a
reward that could not be read). The hidden tests are never run by default: the
solver sees no oracle. rm@{n,k} is computed afterwards by scoring the recorded
programs (`rank_candidates` orders recorded candidates as the solver did, for
any subset); `score_all_candidates=true` runs the hidden tests of every
candidate after the choice and records each pass (`hidden_passed`), flagged as
post-hoc analysis, never used for the choice.

Cost: n generations (n calls, or fewer with `num_choices=true` where the
provider returns several choices per call), plus one reward-model call per
candidate that holds a program when `by` names `reward_model`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from inspect_ai.log import transcript
from inspect_ai.model import (
    ChatCompletionChoice,
    ChatMessageSystem,
    ChatMessageUser,
    GenerateConfig,
    Logprobs,
    Model,
    ModelOutput,
    get_model,
)
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.util import span

from codecrucible.datasets import problem_for
from codecrucible.errors import InputError
from codecrucible.extraction import extract_code, fence
from codecrucible.problem import CodeProblem
from codecrucible.prompts import (
    language_names,
    render_prompt,
    render_public_tests,
    system_prompt,
    template_argument,
)
from codecrucible.solvers._code import set_code
from codecrucible.solvers._stages import ORACLE_KEY, run_tests, solver_model, solver_record, stage

RECORD_KEY = "rerank"
"""Where the reranking's record goes in the sample's `codecrucible` metadata."""
CANDIDATES_KEY = "candidates"
"""Where the candidates go in the sample's `codecrucible` metadata."""
REWARD_MODEL_ROLE = "reward_model"
"""The Inspect model role the reward model is taken from when `reward_model` is not given."""

Criterion = Literal["public_tests", "logprobs", "reward_model"]
CRITERIA: tuple[Criterion, ...] = ("public_tests", "logprobs", "reward_model")
TIE_BREAK_ORDER: tuple[Criterion, ...] = ("public_tests", "logprobs")
"""The criteria that separate equals after those `by` names (the reward model only when named)."""
RewardMode = Literal["judge", "classifier"]
LogprobReduction = Literal["mean", "sum"]
OrmProd = Literal["none", "normalized", "unnormalized"]

JUDGE_TOP_LOGPROBS = 5
"""Alternatives asked for at each answer token (Yes and No are among the first few)."""
JUDGE_TEMPLATE = """\
You are reviewing a candidate solution to a programming problem.

# Problem

{statement}
{starter_code}{public_tests}
# Candidate program

{code}

Is this program correct: does it produce the expected result for every valid input \
of the problem, within its limits? Answer with a single word: Yes or No."""
"""The judge's prompt: `str.format` fields statement, starter_code, public_tests,
language and code (the candidate in a fenced block)."""

_YES = frozenset({"yes", "true", "correct"})
_NO = frozenset({"no", "false", "incorrect"})
_THINKING = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)
_LEADING_VERDICT = re.compile(r"^[\W_]*(yes|no)\b", re.IGNORECASE)
_ANY_VERDICT = re.compile(r"\b(yes|no)\b", re.IGNORECASE)
_PROBABILITY = re.compile(r"(?<![\w.])(?:0?\.\d+|1\.0+)(?![\w.])")
"""A probability written with a decimal point (a bare 1 is more often a test's number)."""
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def rank_candidates(
    candidates: Sequence[Mapping[str, Any]],
    criteria: Sequence[str],
    *,
    logprob_reduction: LogprobReduction = "mean",
    orm_prod: OrmProd = "none",
) -> list[int]:
    """Order recorded candidates best first, as the solver does: the indices into `candidates`.

    A candidate without a program ranks below every program; then each criterion
    in turn (a missing value ranks below any value); then the first generated.
    Works on the records the solver leaves in the log (`codecrucible.candidates`),
    so a metric can rank any subset of them (rm@{n,k}).
    """
    apply_prod = orm_prod != "none" and _all_have_logprobs(candidates)

    def key(position: int) -> tuple[float, ...]:
        candidate = candidates[position]
        values = [1.0 if candidate.get("code") is not None else 0.0]
        for criterion in criteria:
            value = criterion_value(
                candidate,
                criterion,
                logprob_reduction=logprob_reduction,
                orm_prod=orm_prod if apply_prod else "none",
            )
            values.append(-math.inf if value is None else value)
        values.append(-float(position))
        return tuple(values)

    return sorted(range(len(candidates)), key=key, reverse=True)


def criterion_value(
    candidate: Mapping[str, Any],
    criterion: str,
    *,
    logprob_reduction: LogprobReduction = "mean",
    orm_prod: OrmProd = "none",
) -> float | None:
    """A recorded candidate's value for one criterion (higher is better; None: unknown)."""
    if criterion == "public_tests":
        passed = candidate.get("public_tests_passed")
        return None if passed is None else float(passed)
    if criterion == "logprobs":
        return _logprob(candidate, logprob_reduction)
    if criterion == "reward_model":
        reward = candidate.get("reward")
        if reward is None:
            return None
        if orm_prod == "none":
            return float(reward)
        logprob = _logprob(candidate, "mean" if orm_prod == "normalized" else "sum")
        return float(reward) if logprob is None else float(reward) * math.exp(logprob)
    raise ValueError(f"unknown criterion {criterion!r}")


def _logprob(candidate: Mapping[str, Any], reduction: LogprobReduction) -> float | None:
    value = candidate.get("logprob_mean" if reduction == "mean" else "logprob_sum")
    return None if value is None else float(value)


def _all_have_logprobs(candidates: Sequence[Mapping[str, Any]]) -> bool:
    return all(c.get("logprob_sum") is not None for c in candidates if c.get("code") is not None)


def logprob_stats(logprobs: Logprobs | None) -> tuple[float | None, int | None]:
    """The sum of a completion's token log-probabilities and its token count.

    None when not given, or when the sum is not a finite log-probability (NaN,
    infinite or positive).
    """
    if logprobs is None or not logprobs.content:
        return None, None
    total = sum(token.logprob for token in logprobs.content)
    if not math.isfinite(total) or total > 0:  # not a log-probability: unknown, not sorted
        return None, None
    return total, len(logprobs.content)


def judge_probability(output: ModelOutput) -> tuple[float | None, str]:
    """P(pass) from a judge's Yes/No answer, and where it was read from.

    From the log-probabilities where the provider returns them: at the first
    answer token that is Yes or No, P(Yes) / (P(Yes) + P(No)) over that token and
    its top alternatives (`logprobs`; a NaN or +inf there makes them unread, and a
    positive log-probability counts as probability 1). Otherwise from the text (`text`): a leading
    Yes (1) or No (0), else a probability written as a decimal number (the last one),
    else the last Yes or No. None (`unparsed`) when the answer says neither.
    """
    choice = output.choices[0] if output.choices else None
    if choice is not None and choice.logprobs is not None:
        probability = _yes_probability(choice.logprobs)
        if probability is not None and math.isfinite(probability):
            return min(1.0, max(0.0, probability)), "logprobs"
    text = _THINKING.sub("", output.completion).strip()
    leading = _LEADING_VERDICT.match(text)
    if leading:
        return (1.0 if leading[1].lower() == "yes" else 0.0), "text"
    if text in ("0", "1"):
        return float(text), "text"
    numbers = _PROBABILITY.findall(text)
    if numbers:
        return float(numbers[-1]), "text"
    verdicts = _ANY_VERDICT.findall(text)
    if verdicts:
        return (1.0 if verdicts[-1].lower() == "yes" else 0.0), "text"
    return None, "unparsed"


def _verdict_word(token: str) -> str | None:
    word = token.strip().strip("*_`'\".:,!").lower()
    if word in _YES:
        return "yes"
    if word in _NO:
        return "no"
    return None


def _probability(logprob: float) -> float:
    """exp(logprob), at most 1: a positive log-probability (a provider's rounding) reads as 1."""
    return math.exp(min(logprob, 0.0))


def _yes_probability(logprobs: Logprobs) -> float | None:
    for position in logprobs.content:
        if _verdict_word(position.token) is None:
            continue
        seen: dict[str, float] = {position.token: position.logprob}
        for alternative in position.top_logprobs or []:
            seen.setdefault(alternative.token, alternative.logprob)
        if any(math.isnan(logprob) or logprob == math.inf for logprob in seen.values()):
            return None  # no log-probabilities (-inf is one: probability 0)
        mass = {"yes": 0.0, "no": 0.0}
        for token, logprob in seen.items():
            word = _verdict_word(token)
            if word is not None:
                mass[word] += _probability(logprob)
        if mass["yes"] + mass["no"] <= 0.0:
            return None
        if not position.top_logprobs:  # the chosen token only: its complement is the other
            chosen = _probability(position.logprob)
            return chosen if _verdict_word(position.token) == "yes" else 1.0 - chosen
        return mass["yes"] / (mass["yes"] + mass["no"])
    return None


def classifier_score(output: ModelOutput) -> tuple[float | None, str]:
    """P(pass) as a classifier served behind a provider answers it: a number (`number`).

    A number outside [0, 1] is clamped into it; `nan` or `inf` is no score
    (`unparsed`), so it can never reach the ranking.
    """
    text = output.completion.strip()
    try:
        value = float(text)
    except ValueError:
        match = _NUMBER.search(text)
        if match is None:
            return None, "unparsed"
        value = float(match[0])
    if not math.isfinite(value):
        return None, "unparsed"
    return min(1.0, max(0.0, value)), "number"


def coderm_orm_input(problem: CodeProblem, code: str) -> str:
    """CodeRM's ORM input (`coderm.prompts.py_prompt`): the statement as a docstring, the code."""
    question = problem.statement.replace('"""', r"\"\"\"")
    return f'"""\n{question}\n"""\n{code}'.strip()


def judge_prompt(template: str, problem: CodeProblem, code: str) -> str:
    """The judge's prompt for one candidate."""
    language, _ = language_names(problem.language)
    starter = (
        f"\nStarter code:\n{fence(problem.starter_code, problem.language).rstrip()}\n"
        if problem.starter_code
        else ""
    )
    examples = render_public_tests(problem)
    return template.format(
        statement=problem.statement.strip(),
        starter_code=starter,
        public_tests=f"\n{examples}" if examples else "",
        language=language,
        code=fence(code, problem.language).rstrip(),
    )


def _criteria(by: str | Sequence[str]) -> tuple[list[Criterion], list[Criterion]]:
    """The criteria `by` names, and those with the tie-breaking ones after them."""
    named = by.split(",") if isinstance(by, str) else list(by)
    chosen: list[Criterion] = []
    for name in named:
        name = name.strip()
        if name not in CRITERIA:
            raise InputError(
                f"rerank: by must name {', '.join(CRITERIA)} (or several, comma-separated), "
                f"not {name!r}"
            )
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise InputError("rerank: by must name at least one criterion")
    return chosen, chosen + [c for c in TIE_BREAK_ORDER if c not in chosen]


def _check_choice(name: str, value: object, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise InputError(f"rerank: {name} must be one of {', '.join(allowed)}, not {value!r}")


class _Candidate:
    """One generated answer and what is known of it (a plain class: see seidr.py's note)."""

    def __init__(self, index: int, output: ModelOutput, choice: ChatCompletionChoice) -> None:
        self.index = index
        self.output = output
        self.choice = choice
        self.code: str | None = None
        self.public_passed: int | None = None
        self.public_total = 0
        self.public_verdicts: dict[str, int] = {}
        self.logprob_sum: float | None = None
        self.num_tokens: int | None = None
        self.reward: float | None = None
        self.reward_source: str | None = None

    @property
    def logprob_mean(self) -> float | None:
        if self.logprob_sum is None or not self.num_tokens:
            return None
        return self.logprob_sum / self.num_tokens

    def record(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "code": self.code,
            "public_tests_passed": self.public_passed,
            "public_tests_total": self.public_total,
            "public_passed": (
                None
                if self.public_passed is None or not self.public_total
                else self.public_passed == self.public_total
            ),
            "public_verdicts": self.public_verdicts,
            "logprob_sum": _rounded(self.logprob_sum),
            "num_tokens": self.num_tokens,
            "logprob_mean": _rounded(self.logprob_mean),
            "reward": _rounded(self.reward),
            "reward_source": self.reward_source,
        }

    def chosen_output(self) -> ModelOutput:
        """The output the sample keeps: this candidate's choice alone."""
        if len(self.output.choices) == 1:
            return self.output
        return ModelOutput(
            model=self.output.model,
            choices=[self.choice],
            usage=self.output.usage,
            time=self.output.time,
        )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _summary_table(records: Sequence[Mapping[str, Any]], reward: bool) -> str:
    head = "| # | program | public tests | mean logprob |" + (" reward |" if reward else "")
    head += " rank |"
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for record in records:
        public = (
            f"{record['public_tests_passed']}/{record['public_tests_total']}"
            if record["public_tests_passed"] is not None
            else "-"
        )
        mean = record["logprob_mean"]
        row = (
            f"| {record['index']}{' (chosen)' if record['chosen'] else ''} "
            f"| {'yes' if record['code'] is not None else 'no'} | {public} "
            f"| {'-' if mean is None else f'{mean:.4f}'} |"
        )
        if reward:
            value = record["reward"]
            row += f" {'-' if value is None else f'{value:.4f}'} |"
        lines.append(row + f" {record['rank']} |")
    return "\n".join(lines)


@solver
def rerank(
    n: int = 10,
    by: str | list[str] = "public_tests",
    reward_model: str | Model | None = None,
    reward_mode: RewardMode = "judge",
    temperature: float | None = 0.8,
    top_p: float | None = None,
    num_choices: bool = False,
    logprobs: bool | None = None,
    logprob_reduction: LogprobReduction = "mean",
    orm_prod: OrmProd = "none",
    judge_template: str | list[str] | None = None,
    score_all_candidates: bool = False,
    system_prompt_id: str = "default",
    prompt_template: str | list[str] | None = None,
) -> Solver:
    """Sample n programs and keep the best by public tests, log-probability or a reward model.

    Args:
        n: Candidates to generate per sample (the seed's replication: 100; rm@{n,k}
            curves use subsets of them).
        by: The criterion that chooses: `public_tests` (tests passed), `logprobs`
            (the generator's log-probability) or `reward_model` (an outcome reward
            model's P(pass)); or several, comma-separated, in order. Equal candidates
            are separated by public tests, then log-probability, then the first
            generated.
        reward_model: The reward model, an Inspect model name (e.g. `openai/gpt-4o`,
            `hf/...`, `vllm/...`); by default the model bound to the `reward_model`
            role (`--model-role reward_model=...`), else the model under evaluation.
        reward_mode: `judge` asks the reward model whether the program is correct
            and reads P(Yes) (log-probabilities where returned, else the text);
            `classifier` sends CodeRM's ORM input and reads the answer as P(pass) (a
            sequence classifier behind a provider that answers with its score;
            Inspect's `hf` provider cannot serve one).
        temperature: Sampling temperature of the candidates (the seed's
            replication: 0.8); null leaves the model's default.
        top_p: Nucleus sampling of the candidates (CodeRM's default: 0.9); null
            leaves the model's default.
        num_choices: Ask for the candidates with `num_choices` in one call where the
            provider supports it (the remainder with more calls where it returns
            fewer); otherwise one call per candidate.
        logprobs: Ask the generator for log-probabilities (and the judge for its
            answer's top alternatives). Default: only where something reads them (the
            generator's when `by` names `logprobs` or `orm_prod` is not `none`, the
            judge's whenever it judges), since some providers refuse the request;
            `true` records the generator's anyway (for ml@ afterwards), `false` never
            asks. Where none come back the log says so and
            the criterion ranks all candidates equal.
        logprob_reduction: `mean` (per token) or `sum` (CodeRM's `ml@`, the
            cumulative log-probability) for the `logprobs` criterion.
        orm_prod: Multiply the reward by the generator's likelihood: `normalized`
            (exp of the mean log-probability) or `unnormalized` (exp of the sum), as
            CodeRM's `--orm-prod`; `none` uses the reward alone.
        judge_template: The judge's prompt, a `str.format` template over
            `statement`, `starter_code`, `public_tests`, `language` and `code`.
        score_all_candidates: After the choice, run every candidate's hidden tests
            and record which pass (`hidden_passed`), for rm@{n,k} and analysis. Never
            used for the choice; the log flags it as post-hoc.
        system_prompt_id: Id of the system prompt (see `codecrucible.prompts.SYSTEM_PROMPTS`;
            `none` for no system message), added when the task's messages have none.
        prompt_template: Render the user prompt with this template (an id or literal
            text) instead of the task's.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"rerank: n must be a whole number of at least 1, not {n!r}")
    named, criteria = _criteria(by)
    _check_choice("reward_mode", reward_mode, ("judge", "classifier"))
    _check_choice("logprob_reduction", logprob_reduction, ("mean", "sum"))
    _check_choice("orm_prod", orm_prod, ("none", "normalized", "unnormalized"))
    for name, flag in (
        ("num_choices", num_choices),
        ("logprobs", True if logprobs is None else logprobs),
        ("score_all_candidates", score_all_candidates),
    ):
        if not isinstance(flag, bool):
            raise InputError(f"rerank: {name} must be true or false, not {flag!r}")
    if "logprobs" in named and logprobs is False:
        raise InputError("rerank: by=logprobs needs log-probabilities; drop logprobs=false")
    if temperature is not None and (isinstance(temperature, bool) or temperature < 0):
        raise InputError(f"rerank: temperature must be at least 0, not {temperature!r}")
    if top_p is not None and not 0 < top_p <= 1:
        raise InputError(f"rerank: top_p must be in (0, 1], not {top_p!r}")
    template = template_argument(judge_template, "rerank", "judge_template") or JUDGE_TEMPLATE
    user_template = template_argument(prompt_template, "rerank", "prompt_template")
    system_text = system_prompt(system_prompt_id)
    uses_reward = "reward_model" in criteria
    # asked for only where something reads them (some providers refuse the request)
    wants_logprobs = logprobs if logprobs is not None else "logprobs" in named or orm_prod != "none"
    judge_logprobs = uses_reward and reward_mode == "judge" and logprobs is not False
    parameters: dict[str, Any] = {
        "n": n,
        "by": named,
        "reward_model": (reward_model.name if isinstance(reward_model, Model) else reward_model),
        "reward_mode": reward_mode,
        "temperature": temperature,
        "top_p": top_p,
        "num_choices": num_choices,
        "logprobs": wants_logprobs,
        "judge_logprobs": judge_logprobs,
        "logprob_reduction": logprob_reduction,
        "orm_prod": orm_prod,
        "score_all_candidates": score_all_candidates,
    }

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        problem = problem_for(state.metadata, state.sample_id)
        if user_template is not None:
            state.messages = [ChatMessageUser(content=render_prompt(user_template, problem))]
        if system_text and not any(isinstance(m, ChatMessageSystem) for m in state.messages):
            state.messages.insert(0, ChatMessageSystem(content=system_text))
        record = solver_record(state)
        fallbacks: list[str] = []

        candidates = await _generate(state, problem, n)
        await _public_tests(state, problem, candidates, fallbacks)
        _note_logprobs(candidates, wants_logprobs, fallbacks)
        if uses_reward:
            await _rewards(state, problem, candidates, fallbacks)

        records = [candidate.record() for candidate in candidates]
        ranking_criteria: list[str] = list(criteria)
        if orm_prod != "none" and uses_reward and not _all_have_logprobs(records):
            fallbacks.append(
                f"orm_prod={orm_prod}: some candidates have no log-probabilities, so the "
                "reward alone ranks them"
            )
        async with span("select", type="rerank"):
            order = rank_candidates(
                records, ranking_criteria, logprob_reduction=logprob_reduction, orm_prod=orm_prod
            )
            chosen = candidates[order[0]]
            for rank, position in enumerate(order, start=1):
                records[position]["rank"] = rank
                records[position]["chosen"] = position == chosen.index
            decided_by = _decided_by(records, order, ranking_criteria, logprob_reduction, orm_prod)
            for note in fallbacks:
                transcript().info(f"fallback: {note}", source="rerank")
            transcript().info(
                f"chose candidate {chosen.index} of {len(candidates)} (by "
                f"{', '.join(ranking_criteria)}; decided by {decided_by})\n\n"
                + _summary_table(records, uses_reward),
                source="rerank",
            )

        if score_all_candidates:
            await _post_hoc_hidden_tests(state, problem, candidates, records)

        record[CANDIDATES_KEY] = records
        record[RECORD_KEY] = {
            "parameters": parameters,
            "criteria": ranking_criteria,
            "candidates": len(candidates),
            "with_program": sum(c.code is not None for c in candidates),
            "chosen": chosen.index,
            "decided_by": decided_by,
            "fallbacks": fallbacks,
            "post_hoc_hidden_tests": score_all_candidates,
        }
        record[ORACLE_KEY] = False  # the choice never saw a hidden test (post-hoc runs aside)
        state.output = chosen.chosen_output()
        state.messages.append(chosen.choice.message)
        set_code(state, chosen.code)
        return state

    async def _generate(state: TaskState, problem: CodeProblem, count: int) -> list[_Candidate]:
        model = solver_model("rerank")
        candidates: list[_Candidate] = []
        async with stage(state, "generate") as current:
            while len(candidates) < count:
                wanted = count - len(candidates)
                config = GenerateConfig(
                    temperature=temperature,
                    top_p=top_p,
                    logprobs=True if wants_logprobs else None,
                    num_choices=wanted if num_choices and wanted > 1 else None,
                )
                # each candidate its own draw: --cache would answer all n with the first
                output = await current.generate(model, state.messages, config, draw=len(candidates))
                choices = output.choices[:wanted] or [  # no choice: a candidate without a program
                    ChatCompletionChoice(message=ModelOutput.from_content(output.model, "").message)
                ]
                for choice in choices:
                    candidate = _Candidate(len(candidates), output, choice)
                    candidate.code = extract_code(
                        choice.message.text, problem.language, problem.entry_point
                    )
                    candidate.logprob_sum, candidate.num_tokens = logprob_stats(choice.logprobs)
                    candidates.append(candidate)
        return candidates

    async def _public_tests(
        state: TaskState,
        problem: CodeProblem,
        candidates: Sequence[_Candidate],
        fallbacks: list[str],
    ) -> None:
        tests = problem.public_tests
        if not tests:
            fallbacks.append(
                "public_tests: the problem has no public tests, so they rank every program equal"
            )
            for candidate in candidates:
                if candidate.code is not None:
                    candidate.public_passed = 0
            return
        runs: dict[str, tuple[int, dict[str, int]]] = {}
        async with stage(state, "execute"):
            for candidate in candidates:
                candidate.public_total = len(tests)
                if candidate.code is None:
                    continue
                if candidate.code not in runs:  # the same program runs once
                    result = await run_tests(state, problem, candidate.code, tests)
                    runs[candidate.code] = (result.tests_passed, result.counts)
                candidate.public_passed, candidate.public_verdicts = runs[candidate.code]

    async def _rewards(
        state: TaskState,
        problem: CodeProblem,
        candidates: Sequence[_Candidate],
        fallbacks: list[str],
    ) -> None:
        model = (
            get_model(reward_model)
            if reward_model is not None
            else get_model(role=REWARD_MODEL_ROLE)
        )
        if reward_mode == "judge":
            config = GenerateConfig(
                temperature=0.0,
                logprobs=True if judge_logprobs else None,
                top_logprobs=JUDGE_TOP_LOGPROBS if judge_logprobs else None,
            )
        else:
            config = GenerateConfig(temperature=0.0)
        async with stage(state, "reward_model") as current:
            for candidate in candidates:
                if candidate.code is None:
                    continue  # nothing to judge: it ranks below every program anyway
                prompt = (
                    judge_prompt(template, problem, candidate.code)
                    if reward_mode == "judge"
                    else coderm_orm_input(problem, candidate.code)
                )
                output = await current.generate(model, [ChatMessageUser(content=prompt)], config)
                candidate.reward, candidate.reward_source = (
                    judge_probability(output)
                    if reward_mode == "judge"
                    else classifier_score(output)
                )
        with_code = [c for c in candidates if c.code is not None]
        unread = [c for c in with_code if c.reward is None]
        if unread:
            fallbacks.append(
                f"reward_model: no score could be read from the answer for {len(unread)} of "
                f"{len(with_code)} programs; they rank below the scored ones"
            )
        if judge_logprobs:
            from_text = [c for c in with_code if c.reward_source == "text"]
            if from_text:
                fallbacks.append(
                    f"reward_model: no Yes/No log-probabilities for {len(from_text)} of "
                    f"{len(with_code)} programs; their score was read from the answer's text"
                )

    return solve


def _note_logprobs(candidates: Sequence[_Candidate], requested: bool, fallbacks: list[str]) -> None:
    with_code = [c for c in candidates if c.code is not None]
    missing = [c for c in with_code if c.logprob_sum is None]
    if requested and missing:
        fallbacks.append(
            f"logprobs: the provider returned no log-probabilities for {len(missing)} of "
            f"{len(with_code)} programs; those rank below the others on this criterion "
            "(all equal when none came back)"
        )


def _decided_by(
    records: Sequence[Mapping[str, Any]],
    order: Sequence[int],
    criteria: Sequence[str],
    logprob_reduction: LogprobReduction,
    orm_prod: OrmProd,
) -> str:
    """The first criterion on which the chosen candidate beats the runner-up."""
    if len(order) < 2:
        return "only_candidate"
    best, second = records[order[0]], records[order[1]]
    if (best["code"] is None) != (second["code"] is None):
        return "has_program"
    if best["code"] is not None:
        apply_prod = orm_prod if _all_have_logprobs(records) else "none"
        for criterion in criteria:
            values = [
                criterion_value(
                    record, criterion, logprob_reduction=logprob_reduction, orm_prod=apply_prod
                )
                for record in (best, second)
            ]
            if values[0] != values[1]:
                return criterion
    return "first_generated"


async def _post_hoc_hidden_tests(
    state: TaskState,
    problem: CodeProblem,
    candidates: Sequence[_Candidate],
    records: list[dict[str, Any]],
) -> None:
    """Every candidate's hidden-test result, after the choice: analysis, not selection."""
    sets = list((state.metadata.get("scoring") or {}).get("tests") or ["private", "generated"])
    hidden = problem.tests(sets)
    transcript().info(
        f"post-hoc analysis (score_all_candidates=true): the hidden tests ({'/'.join(sets)}, "
        f"{len(hidden)} tests) of every candidate run after the choice; never used to choose",
        source="rerank",
    )
    results: dict[str, bool] = {}
    async with stage(state, "post_hoc_hidden_tests"):
        for candidate, record in zip(candidates, records, strict=True):
            if candidate.code is None or not hidden:
                record["hidden_passed"] = None if not hidden else False
                continue
            if candidate.code not in results:
                result = await run_tests(
                    state, problem, candidate.code, hidden, stop_on_failure=True
                )
                results[candidate.code] = result.passed
            record["hidden_passed"] = results[candidate.code]
