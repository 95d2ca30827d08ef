"""rerank: n candidates, one chosen by public tests, log-probability or a reward model."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import Task, eval
from inspect_ai._util.config import parse_cli_args
from inspect_ai.log import EvalSample, resolve_sample_attachments
from inspect_ai.model import (
    ChatCompletionChoice,
    ChatMessage,
    ChatMessageAssistant,
    GenerateConfig,
    Logprob,
    Logprobs,
    Model,
    ModelOutput,
    ModelUsage,
    TopLogprob,
    get_model,
)
from inspect_ai.tool import ToolChoice, ToolInfo

from codecrucible.errors import InputError
from codecrucible.solvers.rerank import (
    classifier_score,
    judge_probability,
    logprob_stats,
    rank_candidates,
    rerank,
)
from codecrucible.tasks.humaneval import humaneval
from tests.conftest import (
    errored_sample,
    example_task,
    failing_model,
    fenced_answer,
    info_texts,
    model_events,
    requires_bwrap,
    score_of,
    scripted_output,
)

# sum-of-pairs (stdin): public "2\n1 2\n3 4\n" -> "3\n7\n"; a private test has "-1 -2" -> "-3"
PAIRS_HEAD = "n = int(input())\nfor _ in range(n):\n    a, b = map(int, input().split())\n"
PAIRS_WRONG = fenced_answer(PAIRS_HEAD + "    print(a - b)\n")  # public 0/1
PAIRS_ABS = fenced_answer(PAIRS_HEAD + "    print(abs(a + b))\n")  # public 1/1, hidden fails
PAIRS_RIGHT = fenced_answer(PAIRS_HEAD + "    print(a + b)\n")
NO_CODE = "I would add the two numbers on each line."
STATEMENT = "Print a + b for each line."


def _code(completion: str) -> str:
    return completion.split("```python\n", 1)[1].rsplit("```", 1)[0]


def _with_logprobs(content: str, values: list[float]) -> ModelOutput:
    """A scripted answer whose tokens carry these log-probabilities."""
    output = scripted_output(content)
    output.choices[0].logprobs = Logprobs(
        content=[Logprob(token=f"t{i}", logprob=value) for i, value in enumerate(values)]
    )
    return output


def _judge(p_yes: float, answer: str = "Yes") -> ModelOutput:
    """A judge's answer with Yes/No alternatives at the answer token."""
    output = scripted_output(answer)
    chosen = "Yes" if answer.startswith("Yes") else "No"
    top = [
        TopLogprob(token="Yes", logprob=math.log(p_yes * 0.98)),
        TopLogprob(token="No", logprob=math.log((1 - p_yes) * 0.98)),
        TopLogprob(token="Maybe", logprob=math.log(0.02)),
    ]
    output.choices[0].logprobs = Logprobs(
        content=[
            Logprob(
                token=chosen,
                logprob=next(t.logprob for t in top if t.token == chosen),
                top_logprobs=top,
            )
        ]
    )
    return output


def _model(*outputs: str | ModelOutput) -> Model:
    return get_model(
        "mockllm/model",
        custom_outputs=[o if isinstance(o, ModelOutput) else scripted_output(o) for o in outputs],
        memoize=False,
    )


def _run(
    task: Task,
    model: Model,
    log_dir: Path,
    model_roles: dict[str, str | Model] | None = None,
    **parameters: Any,
) -> EvalSample:
    [log] = eval(
        task,
        model=model,
        model_roles=model_roles,
        solver=rerank(**parameters),
        limit=1,
        log_dir=str(log_dir),
        display="none",
    )
    assert log.status == "success", log.error
    assert log.samples
    return resolve_sample_attachments(log.samples[0])


def _record(sample: EvalSample) -> dict[str, Any]:
    record = sample.metadata["codecrucible"]["rerank"]
    assert isinstance(record, dict)
    return record


def _candidates(sample: EvalSample) -> list[dict[str, Any]]:
    candidates = sample.metadata["codecrucible"]["candidates"]
    assert isinstance(candidates, list)
    return candidates


def _calls(sample: EvalSample, stage: str) -> int:
    stages = sample.metadata["codecrucible"]["stages"]
    return int(stages[stage]["calls"]) if stage in stages else 0


@requires_bwrap
def test_public_tests_pick_the_passing_candidate_among_failing_ones(tmp_path: Path) -> None:
    sample = _run(
        example_task("sum-of-pairs", tmp_path),
        _model(PAIRS_WRONG, NO_CODE, PAIRS_RIGHT, PAIRS_WRONG, PAIRS_RIGHT),
        tmp_path,
        n=4,
    )
    record = _record(sample)
    assert record["chosen"] == 2 and record["decided_by"] == "public_tests"
    assert record["criteria"] == ["public_tests", "logprobs"]
    assert record["parameters"]["by"] == ["public_tests"]
    assert record["candidates"] == 4 and record["with_program"] == 3
    assert record["post_hoc_hidden_tests"] is False
    assert sample.metadata["codecrucible"]["oracle"] is False
    candidates = _candidates(sample)
    assert [c["index"] for c in candidates] == [0, 1, 2, 3]
    assert [c["code"] for c in candidates] == [
        _code(PAIRS_WRONG),
        None,
        _code(PAIRS_RIGHT),
        _code(PAIRS_WRONG),
    ]
    assert [c["public_tests_passed"] for c in candidates] == [0, None, 1, 0]
    assert [c["public_tests_total"] for c in candidates] == [1, 1, 1, 1]
    assert [c["public_passed"] for c in candidates] == [False, None, True, False]
    assert candidates[0]["public_verdicts"] == {"wrong_answer": 1}
    assert [c["chosen"] for c in candidates] == [False, False, True, False]
    # the passing one, then the failing programs in order, then the answer without one
    assert [c["rank"] for c in candidates] == [2, 4, 1, 3]
    assert all(c["logprob_mean"] is None and c["reward"] is None for c in candidates)
    # nothing reads log-probabilities here, so none are asked for (and none are missed)
    assert record["parameters"]["logprobs"] is False and record["fallbacks"] == []
    # exactly n generations, each with the task's prompt, sampled at the default temperature
    events = model_events(sample)
    assert len(events) == 4 and _calls(sample, "generate") == 4
    assert _calls(sample, "reward_model") == 0
    assert all(e.config.temperature == 0.8 and e.config.logprobs is None for e in events)
    assert all([m.role for m in e.input] == ["system", "user"] for e in events)
    assert STATEMENT in events[0].input[1].text
    # the sample reads as the prompt and the chosen answer; the scorer scores its program
    assert sample.output.completion == PAIRS_RIGHT
    assert isinstance(sample.messages[-1], ChatMessageAssistant)
    assert sample.messages[-1].text == PAIRS_RIGHT and len(sample.messages) == 3
    assert score_of(sample) == "C"
    spans = {e.name for e in sample.events if e.event == "span_begin"}  # type: ignore[union-attr]
    assert {"generate", "execute", "select"} <= spans and "reward_model" not in spans
    [choice] = [i for i in info_texts(sample) if i.startswith("chose candidate 2 of 4")]
    assert "| 2 (chosen) | yes | 1/1 | - | 1 |" in choice


@requires_bwrap
def test_equal_public_results_are_separated_by_mean_logprob(tmp_path: Path) -> None:
    outputs = [
        _with_logprobs(PAIRS_ABS, [-0.5, -0.5]),  # mean -0.5, sum -1.0
        _with_logprobs(PAIRS_WRONG, [-0.01]),  # best likelihood, fails the public test
        _with_logprobs(PAIRS_RIGHT, [-0.1] * 10),  # mean -0.1, sum -1.0
    ]
    sample = _run(example_task("sum-of-pairs", tmp_path), _model(*outputs), tmp_path, n=3)
    record = _record(sample)
    assert record["chosen"] == 2 and record["decided_by"] == "logprobs"
    assert record["fallbacks"] == []
    candidates = _candidates(sample)
    assert [c["num_tokens"] for c in candidates] == [2, 1, 10]
    assert [c["logprob_sum"] for c in candidates] == [-1.0, -0.01, -1.0]
    assert [c["logprob_mean"] for c in candidates] == [-0.5, -0.01, -0.1]
    assert score_of(sample) == "C"


@requires_bwrap
def test_by_logprobs_ranks_by_the_mean_or_by_the_sum(tmp_path: Path) -> None:
    def outputs() -> list[ModelOutput]:
        return [
            _with_logprobs(PAIRS_WRONG, [-1.0] * 4),  # mean -1.0, sum -4.0
            _with_logprobs(PAIRS_RIGHT, [-0.2] * 10),  # mean -0.2, sum -2.0
            _with_logprobs(PAIRS_ABS, [-0.75] * 2),  # mean -0.75, sum -1.5
        ]

    task = example_task("sum-of-pairs", tmp_path)
    mean = _run(task, _model(*outputs()), tmp_path / "mean", n=3, by="logprobs")
    assert _record(mean)["chosen"] == 1 and _record(mean)["decided_by"] == "logprobs"
    assert _record(mean)["criteria"] == ["logprobs", "public_tests"]
    assert [c["rank"] for c in _candidates(mean)] == [3, 1, 2]
    assert score_of(mean) == "C"
    # CodeRM's ml@: the cumulative log-probability, which favours the short completion
    total = _run(
        task, _model(*outputs()), tmp_path / "sum", n=3, by="logprobs", logprob_reduction="sum"
    )
    assert _record(total)["chosen"] == 2 and score_of(total) == "I"


@requires_bwrap
def test_missing_logprobs_fall_back_to_the_next_criterion_and_say_so(tmp_path: Path) -> None:
    sample = _run(
        example_task("sum-of-pairs", tmp_path),
        _model(PAIRS_WRONG, PAIRS_RIGHT),
        tmp_path,
        n=2,
        by="logprobs",
    )
    record = _record(sample)
    assert record["chosen"] == 1 and record["decided_by"] == "public_tests"
    [note] = record["fallbacks"]
    assert note.startswith("logprobs: the provider returned no log-probabilities for 2 of 2")
    assert f"fallback: {note}" in info_texts(sample)
    assert score_of(sample) == "C"


@requires_bwrap
def test_a_judge_reward_chooses_and_costs_one_call_per_program(tmp_path: Path) -> None:
    # the task's own model generates, then judges: n generations, then one judgement each
    model = _model(
        PAIRS_RIGHT,
        PAIRS_ABS,
        PAIRS_WRONG,
        _judge(0.2, "No"),
        _judge(0.9),
        "No.",  # no log-probabilities: read from the text
        PAIRS_RIGHT,  # never asked for
    )
    sample = _run(example_task("sum-of-pairs", tmp_path), model, tmp_path, n=3, by="reward_model")
    record = _record(sample)
    assert record["chosen"] == 1 and record["decided_by"] == "reward_model"
    assert record["criteria"] == ["reward_model", "public_tests", "logprobs"]
    candidates = _candidates(sample)
    assert [c["reward"] for c in candidates] == [pytest.approx(0.2), pytest.approx(0.9), 0.0]
    assert [c["reward_source"] for c in candidates] == ["logprobs", "logprobs", "text"]
    assert any(
        f.startswith("reward_model: no Yes/No log-probabilities for 1 of 3")
        for f in record["fallbacks"]
    )
    assert score_of(sample) == "I"  # the judge preferred the program that fails hidden tests
    events = model_events(sample)
    assert len(events) == 6
    assert _calls(sample, "generate") == 3 and _calls(sample, "reward_model") == 3
    assert sample.metadata["codecrucible"]["totals"]["calls"] == 6
    judge = events[3]
    assert [m.role for m in judge.input] == ["user"]
    prompt = judge.input[0].text
    assert STATEMENT in prompt and _code(PAIRS_RIGHT) in prompt
    assert "## Public tests" in prompt and prompt.endswith("Answer with a single word: Yes or No.")
    assert judge.config.temperature == 0.0 and judge.config.top_logprobs == 5
    assert events[4].input[0].text.count(_code(PAIRS_ABS)) == 1
    spans = {e.name for e in sample.events if e.event == "span_begin"}  # type: ignore[union-attr]
    assert "reward_model" in spans


@requires_bwrap
def test_public_tests_first_then_the_reward_model(tmp_path: Path) -> None:
    # CodeRM's orm+public: only programs that pass the public tests compete on reward
    model = _model(PAIRS_WRONG, PAIRS_ABS, PAIRS_RIGHT, _judge(0.99), _judge(0.6), _judge(0.8))
    sample = _run(
        example_task("sum-of-pairs", tmp_path),
        model,
        tmp_path,
        n=3,
        by=["public_tests", "reward_model"],  # `-S by=public_tests,reward_model`
    )
    record = _record(sample)
    assert record["criteria"] == ["public_tests", "reward_model", "logprobs"]
    assert record["chosen"] == 2 and record["decided_by"] == "reward_model"
    assert [c["rank"] for c in _candidates(sample)] == [3, 2, 1]
    assert score_of(sample) == "C"


@requires_bwrap
def test_a_separate_reward_model_gets_only_the_judgements(tmp_path: Path) -> None:
    generator = _model(PAIRS_WRONG, PAIRS_RIGHT, PAIRS_ABS, "never")
    judge = _model(_judge(0.1), _judge(0.7), _judge(0.3), "never")
    sample = _run(
        example_task("sum-of-pairs", tmp_path),
        generator,
        tmp_path,
        n=3,
        by="reward_model",
        reward_model=judge,
    )
    assert _record(sample)["chosen"] == 1 and score_of(sample) == "C"
    events = model_events(sample)
    assert len(events) == 6
    assert [e.output.completion for e in events[3:]] == ["Yes", "Yes", "Yes"]
    assert "never" not in [e.output.completion for e in events]

    # the same through the model role
    generator = _model(PAIRS_WRONG, PAIRS_RIGHT, PAIRS_ABS, "never")
    judge = _model(_judge(0.1), _judge(0.7), _judge(0.3), "never")
    sample = _run(
        example_task("sum-of-pairs", tmp_path),
        generator,
        tmp_path / "role",
        model_roles={"reward_model": judge},
        n=3,
        by="reward_model",
    )
    assert _record(sample)["chosen"] == 1 and len(model_events(sample)) == 6


@requires_bwrap
def test_an_always_wrong_model_makes_exactly_n_plus_one_judgement_per_program(
    tmp_path: Path,
) -> None:
    outputs: list[str | ModelOutput] = [PAIRS_WRONG, NO_CODE, PAIRS_WRONG, PAIRS_WRONG, NO_CODE]
    outputs += [_judge(0.5)] * 3 + [PAIRS_RIGHT] * 3  # a further generation would pass
    sample = _run(
        example_task("sum-of-pairs", tmp_path), _model(*outputs), tmp_path, n=5, by="reward_model"
    )
    assert _calls(sample, "generate") == 5
    assert _calls(sample, "reward_model") == 3  # answers without a program are not judged
    assert len(model_events(sample)) == 8
    assert sample.metadata["codecrucible"]["totals"]["calls"] == 8
    record = _record(sample)
    assert record["chosen"] == 0 and record["decided_by"] == "first_generated"
    assert [c["reward"] for c in _candidates(sample)] == [0.5, None, 0.5, 0.5, None]
    assert score_of(sample) == "I"


@requires_bwrap
def test_a_classifier_reward_model_answers_with_its_score(tmp_path: Path) -> None:
    model = _model(PAIRS_WRONG, PAIRS_RIGHT, PAIRS_ABS, "0.12", "0.93", "label: positive")
    sample = _run(
        example_task("sum-of-pairs", tmp_path),
        model,
        tmp_path,
        n=3,
        by="reward_model",
        reward_mode="classifier",
    )
    record = _record(sample)
    assert record["chosen"] == 1 and score_of(sample) == "C"
    candidates = _candidates(sample)
    assert [c["reward"] for c in candidates] == [0.12, 0.93, None]
    assert [c["reward_source"] for c in candidates] == ["number", "number", "unparsed"]
    assert any(
        f.startswith("reward_model: no score could be read from the answer for 1 of 3")
        for f in record["fallbacks"]
    )
    orm_input = model_events(sample)[3].input[0].text
    assert orm_input.startswith('"""\nThe first line holds n.')
    assert orm_input.endswith('"""\n' + _code(PAIRS_WRONG).strip())


@requires_bwrap
def test_num_choices_asks_once_where_the_provider_returns_them(tmp_path: Path) -> None:
    answers = [PAIRS_WRONG, PAIRS_ABS, PAIRS_RIGHT, PAIRS_WRONG]

    def several(
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        count = config.num_choices or 1
        return ModelOutput(
            model="mockllm/model",
            choices=[
                ChatCompletionChoice(message=ChatMessageAssistant(content=answer))
                for answer in answers[:count]
            ],
            usage=ModelUsage(input_tokens=10, output_tokens=80, total_tokens=90),
        )

    model = get_model("mockllm/model", custom_outputs=several, memoize=False)
    task = example_task("sum-of-pairs", tmp_path)
    sample = _run(task, model, tmp_path, n=4, num_choices=True)
    events = model_events(sample)
    assert len(events) == 1 and events[0].config.num_choices == 4
    assert _calls(sample, "generate") == 1
    assert [c["code"] for c in _candidates(sample)] == [_code(a) for a in answers]
    assert _record(sample)["chosen"] == 1  # the first that passes the public test
    assert sample.output.completion == PAIRS_ABS and len(sample.output.choices) == 1

    # a provider that returns one choice a call: the remainder is asked for, call by call
    sample = _run(task, _model(*answers, "never"), tmp_path / "one", n=4, num_choices=True)
    events = model_events(sample)
    assert [e.config.num_choices for e in events] == [4, 3, 2, None]
    assert _calls(sample, "generate") == 4 and len(_candidates(sample)) == 4


@requires_bwrap
def test_score_all_candidates_records_hidden_passes_after_the_choice(tmp_path: Path) -> None:
    sample = _run(
        example_task("sum-of-pairs", tmp_path),
        _model(PAIRS_ABS, NO_CODE, PAIRS_RIGHT, PAIRS_WRONG),
        tmp_path,
        n=4,
        score_all_candidates=True,
    )
    record = _record(sample)
    assert record["post_hoc_hidden_tests"] is True
    assert record["chosen"] == 0 and record["decided_by"] == "first_generated"  # not the oracle
    assert sample.metadata["codecrucible"]["oracle"] is False
    assert [c["hidden_passed"] for c in _candidates(sample)] == [False, False, True, False]
    assert score_of(sample) == "I"
    assert any(
        i.startswith("post-hoc analysis (score_all_candidates=true)") for i in info_texts(sample)
    )
    spans = {e.name for e in sample.events if e.event == "span_begin"}  # type: ignore[union-attr]
    assert "post_hoc_hidden_tests" in spans
    assert len(model_events(sample)) == 4

    plain = _run(
        example_task("sum-of-pairs", tmp_path),
        _model(PAIRS_ABS, NO_CODE, PAIRS_RIGHT, PAIRS_WRONG),
        tmp_path / "plain",
        n=4,
    )
    assert all("hidden_passed" not in c for c in _candidates(plain))


FAMILIES = {
    "longest-run": (
        fenced_answer("def longest_run(values):\n    return len(values)\n"),
        fenced_answer(
            "def longest_run(values):\n    best = run = 0\n    prev = object()\n"
            "    for v in values:\n        run = run + 1 if v == prev else 1\n"
            "        prev = v\n        best = max(best, run)\n    return best\n"
        ),
    ),
    "is-palindrome": (
        fenced_answer("def is_palindrome(text):\n    return text == text[::-1]\n"),
        fenced_answer(
            "def is_palindrome(text):\n    kept = [c.lower() for c in text if c.isalnum()]\n"
            "    return kept == kept[::-1]\n"
        ),
    ),
    "sum-of-pairs": (PAIRS_WRONG, PAIRS_RIGHT),
}


@requires_bwrap
@pytest.mark.parametrize("problem_id", sorted(FAMILIES))
@pytest.mark.parametrize("by", ["public_tests", "reward_model"])
def test_every_family_end_to_end(problem_id: str, by: str, tmp_path: Path) -> None:
    wrong, right = FAMILIES[problem_id]
    outputs: list[str | ModelOutput] = [wrong, right, wrong]
    if by == "reward_model":  # the judge prefers the wrong one: the reward decides
        outputs += [_judge(0.3), _judge(0.8), _judge(0.2)]
    sample = _run(example_task(problem_id, tmp_path), _model(*outputs), tmp_path, n=3, by=by)
    record = _record(sample)
    assert record["chosen"] == 1 and record["decided_by"] == by
    assert [c["public_tests_passed"] for c in _candidates(sample)] == [0, 1, 0]
    assert len(model_events(sample)) == (6 if by == "reward_model" else 3)
    assert score_of(sample) == "C"


@requires_bwrap
def test_a_problem_without_public_tests_is_ranked_by_the_judge(tmp_path: Path) -> None:
    right = fenced_answer(
        "def has_close_elements(numbers, threshold):\n    return any(\n"
        "        abs(a - b) < threshold\n        for i, a in enumerate(numbers)\n"
        "        for b in numbers[i + 1:]\n    )\n"
    )
    wrong = fenced_answer("def has_close_elements(numbers, threshold):\n    return False\n")
    tmp = tmp_path
    plain = _run(humaneval(docstring_tests=False), _model(wrong, right), tmp / "plain", n=2)
    assert _record(plain)["chosen"] == 0 and _record(plain)["decided_by"] == "first_generated"
    assert any(
        f.startswith("public_tests: the problem has no public tests")
        for f in _record(plain)["fallbacks"]
    )
    assert [c["public_tests_total"] for c in _candidates(plain)] == [0, 0]
    assert [c["public_passed"] for c in _candidates(plain)] == [None, None]
    assert score_of(plain) == "I"

    judged = _run(
        humaneval(docstring_tests=False),
        _model(wrong, right, _judge(0.1, "No"), _judge(0.95)),
        tmp / "judged",
        n=2,
        by="reward_model",
    )
    assert _record(judged)["chosen"] == 1 and score_of(judged) == "C"
    prompt = model_events(judged)[2].input[0].text
    assert "Starter code:\n```python\nfrom typing import List" in prompt
    assert "## Public tests" not in prompt


@requires_bwrap
def test_judge_template_from_the_command_line_keeps_its_commas(tmp_path: Path) -> None:
    sample = _run(
        example_task("sum-of-pairs", tmp_path),
        _model(PAIRS_WRONG, _judge(0.4)),
        tmp_path,
        n=1,
        by="reward_model",
        system_prompt_id="none",
        # Inspect's CLI parsing: YAML, then split at the comma into a list
        **parse_cli_args(['judge_template="Judge this, carefully: {code}"']),
    )
    assert model_events(sample)[1].input[0].text.startswith("Judge this, carefully: ```python")
    assert [m.role for m in model_events(sample)[0].input] == ["user"]
    assert _record(sample)["decided_by"] == "only_candidate"


def _output_with(logprobs: Logprobs | None, text: str) -> ModelOutput:
    output = ModelOutput.from_content(model="m", content=text)
    output.choices[0].logprobs = logprobs
    return output


def test_judge_probability_reads_the_answer_token_then_the_text() -> None:
    decorated = Logprobs(
        content=[
            Logprob(
                token="**", logprob=-0.01, top_logprobs=[TopLogprob(token="**", logprob=-0.01)]
            ),
            Logprob(
                token="No",
                logprob=math.log(0.6),
                top_logprobs=[
                    TopLogprob(token="No", logprob=math.log(0.6)),
                    TopLogprob(token=" yes", logprob=math.log(0.2)),
                    TopLogprob(token="Yes", logprob=math.log(0.1)),
                ],
            ),
        ]
    )
    probability, source = judge_probability(_output_with(decorated, "**No**"))
    assert source == "logprobs" and probability == pytest.approx(0.3 / 0.9)
    chosen_only = Logprobs(content=[Logprob(token="No", logprob=math.log(0.8))])
    assert judge_probability(_output_with(chosen_only, "No")) == (pytest.approx(0.2), "logprobs")
    assert judge_probability(_output_with(None, "Yes, it is correct.")) == (1.0, "text")
    assert judge_probability(_output_with(None, "no")) == (0.0, "text")
    assert judge_probability(_output_with(None, "P(pass) = 0.7")) == (0.7, "text")
    assert judge_probability(
        _output_with(None, "<think>yes, maybe</think>\nAfter review: the answer is No")
    ) == (0.0, "text")
    no_verdict = Logprobs(content=[Logprob(token="Hmm", logprob=-0.1)])
    assert judge_probability(_output_with(no_verdict, "Hmm, hard to say")) == (None, "unparsed")
    assert classifier_score(_output_with(None, " 0.25\n")) == (0.25, "number")
    assert classifier_score(_output_with(None, "score=1e-3")) == (0.001, "number")
    assert classifier_score(_output_with(None, "positive")) == (None, "unparsed")
    assert logprob_stats(decorated) == (pytest.approx(-0.01 + math.log(0.6)), 2)
    assert logprob_stats(None) == (None, None)
    assert logprob_stats(Logprobs(content=[])) == (None, None)


def test_non_finite_log_probabilities_never_reach_the_ranking() -> None:
    nan_verdict = Logprobs(content=[Logprob(token="Yes", logprob=math.nan)])
    # the log-probabilities say nothing: the text decides
    assert judge_probability(_output_with(nan_verdict, "Yes")) == (1.0, "text")
    above_one = Logprobs(content=[Logprob(token="No", logprob=0.5)])  # exp > 1: clamped
    assert judge_probability(_output_with(above_one, "No")) == (0.0, "logprobs")
    infinite = Logprobs(
        content=[
            Logprob(
                token="Yes",
                logprob=math.inf,
                top_logprobs=[TopLogprob(token="No", logprob=math.inf)],
            )
        ]
    )
    assert judge_probability(_output_with(infinite, "No")) == (0.0, "text")
    assert logprob_stats(nan_verdict) == (None, None)
    assert logprob_stats(above_one) == (None, None)
    impossible = Logprobs(content=[Logprob(token="x", logprob=-math.inf)])
    assert logprob_stats(impossible) == (None, None)


def test_out_of_range_judge_log_probabilities_are_read_without_overflow() -> None:
    # exp(1000) overflows: a positive log-probability counts as probability 1
    huge = Logprobs(content=[Logprob(token="Yes", logprob=1000.0)])
    assert judge_probability(_output_with(huge, "No")) == (1.0, "logprobs")
    against = Logprobs(
        content=[
            Logprob(token="Yes", logprob=-1.0, top_logprobs=[TopLogprob(token="No", logprob=800.0)])
        ]
    )
    probability, source = judge_probability(_output_with(against, "Yes"))
    assert source == "logprobs" and probability == pytest.approx(math.exp(-1) / (1 + math.exp(-1)))
    # -inf is a log-probability (of 0), not a missing one
    impossible_no = Logprobs(
        content=[
            Logprob(
                token="Yes",
                logprob=-0.5,
                top_logprobs=[TopLogprob(token="No", logprob=-math.inf)],
            )
        ]
    )
    assert judge_probability(_output_with(impossible_no, "No")) == (1.0, "logprobs")


def test_rank_candidates_orders_recorded_candidates_as_the_solver_does() -> None:
    def candidate(
        code: str | None,
        public: int | None,
        mean: float | None,
        reward: float | None,
        tokens: int = 10,
    ) -> dict[str, Any]:
        return {
            "code": code,
            "public_tests_passed": public,
            "logprob_mean": mean,
            "logprob_sum": None if mean is None else mean * tokens,
            "reward": reward,
        }

    records = [
        candidate(None, None, -0.1, 0.99),  # no program: last whatever its values
        candidate("a", 1, -0.5, 0.6),
        candidate("b", 1, -0.2, 0.5),
        candidate("c", 0, None, None),
        candidate("d", 1, -0.2, 0.5),
    ]
    assert rank_candidates(records, ["public_tests", "logprobs"]) == [2, 4, 1, 3, 0]
    assert rank_candidates(records, ["reward_model"]) == [1, 2, 4, 3, 0]
    # times the likelihood (CodeRM's --orm-prod normalized): 0.6 e^-0.5 < 0.5 e^-0.2
    assert rank_candidates(records[:3], ["reward_model"], orm_prod="normalized") == [2, 1, 0]
    # a program without log-probabilities: the product is not applied to any
    assert rank_candidates(records[1:4], ["reward_model"], orm_prod="normalized")[0] == 0
    assert rank_candidates(records, ["logprobs"], logprob_reduction="sum") == [2, 4, 1, 3, 0]


@pytest.mark.parametrize(
    "parameters",
    [
        {"n": 0},
        {"n": True},
        {"by": "vibes"},
        {"by": []},
        {"by": "logprobs", "logprobs": False},
        {"reward_mode": "regression"},
        {"logprob_reduction": "max"},
        {"orm_prod": "yes"},
        {"num_choices": "yes"},
        {"score_all_candidates": 1},
        {"temperature": -1.0},
        {"top_p": 0.0},
        {"system_prompt_id": "nope"},
    ],
)
def test_bad_parameters_say_what_is_wrong(parameters: dict[str, Any]) -> None:
    with pytest.raises(InputError):
        rerank(**parameters)


def test_a_template_read_as_yaml_structure_is_refused_with_the_fix() -> None:
    for parameter in ("judge_template", "prompt_template"):
        arguments = parse_cli_args([f"{parameter}=Is this right: {{code}}"])
        assert isinstance(arguments[parameter], dict)
        with pytest.raises(InputError, match="quote the whole template"):
            rerank(**arguments)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("0.25", (0.25, "number")),
        ("score: 0.7", (0.7, "number")),
        ("1.5", (1.0, "number")),  # clamped into [0, 1]
        ("-2", (0.0, "number")),
        ("nan", (None, "unparsed")),  # never reaches the sort
        ("inf", (None, "unparsed")),
        ("-infinity", (None, "unparsed")),
        ("no idea", (None, "unparsed")),
    ],
)
def test_classifier_scores_are_probabilities_or_nothing(
    answer: str, expected: tuple[float | None, str]
) -> None:
    assert classifier_score(ModelOutput.from_content("m", answer)) == expected


@requires_bwrap
def test_candidates_are_distinct_draws_under_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --cache, n samples of one prompt must not all be the first one's answer."""
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    [log] = eval(
        example_task("sum-of-pairs", tmp_path),
        model=_model(PAIRS_WRONG, PAIRS_RIGHT, NO_CODE),
        solver=rerank(n=3),
        cache=True,
        log_dir=str(tmp_path),
        display="none",
    )
    assert log.status == "success", log.error
    [sample] = log.samples or []
    codes = [c["code"] for c in _candidates(sample)]
    assert codes == [_code(PAIRS_WRONG), _code(PAIRS_RIGHT), None]
    assert _record(sample)["chosen"] == 1


@requires_bwrap
@pytest.mark.parametrize(
    ("parameters", "generator", "judge"),
    [
        ({}, None, None),  # nothing reads them: not asked for
        ({"logprobs": True}, True, None),  # recorded on request
        ({"by": "logprobs"}, True, None),
        ({"by": "reward_model"}, None, True),  # the judge's P(Yes)
        ({"by": "reward_model", "orm_prod": "normalized"}, True, True),
        ({"by": "reward_model", "logprobs": False}, None, None),
    ],
)
def test_log_probabilities_are_asked_for_only_where_read(
    parameters: dict[str, Any], generator: bool | None, judge: bool | None, tmp_path: Path
) -> None:
    sample = _run(
        example_task("sum-of-pairs", tmp_path),
        _model(PAIRS_RIGHT, _judge(0.9)),
        tmp_path,
        n=1,
        **parameters,
    )
    events = model_events(sample)
    assert events[0].config.logprobs is generator
    if "by" in parameters and parameters["by"] == "reward_model":
        assert events[1].config.logprobs is judge


def test_a_reward_model_error_raises_rather_than_scoring(tmp_path: Path) -> None:
    """A failed judge call is the machinery's fault: the sample errors (Inspect retries)."""
    sample = errored_sample(
        example_task("sum-of-pairs", tmp_path),
        rerank(n=1, by="reward_model", reward_model=failing_model(message="judge down")),
        _model(PAIRS_RIGHT),
        tmp_path,
    )
    assert sample.error is not None and "RuntimeError: judge down" in sample.error.traceback
