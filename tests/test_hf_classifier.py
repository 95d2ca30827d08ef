"""The hf_classifier provider: a sequence classifier as rerank's outcome reward model.

A tiny random-weight BERT classifier and a word-level tokenizer are built here, offline;
the rewards rerank records must be the classifier's own softmax for the ORM input.
Skipped without the `local-model` extra (torch, transformers).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from inspect_ai import eval
from inspect_ai.log import resolve_sample_attachments
from inspect_ai.model import get_model

from codecrucible.errors import InputError
from codecrucible.solvers.rerank import rerank
from codecrucible.tasks.custom import custom
from tests.conftest import requires_bwrap, scripted_model

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

EXAMPLES = Path(__file__).parent.parent / "examples" / "problems.jsonl"


@pytest.fixture(scope="module")
def classifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BERT with two labels and a word-level tokenizer, saved."""
    folder = tmp_path_factory.mktemp("tiny-orm")
    words = "n int input for in range a b map split print return def if else + - * ( ) :"
    vocab = {"[PAD]": 0, "[UNK]": 1, **{word: i + 2 for i, word in enumerate(words.split())}}
    backend = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = tokenizers.pre_tokenizers.BertPreTokenizer()
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=backend, unk_token="[UNK]", pad_token="[PAD]", model_max_length=256
    )
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=256,
        num_labels=2,
        initializer_range=0.5,  # logits far enough apart to tell the programs apart
    )
    model = transformers.AutoModelForSequenceClassification.from_config(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _direct_probability(folder: Path, text: str) -> float:
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(folder).eval()
    with torch.no_grad():
        logits = model(**tokenizer(text, return_tensors="pt")).logits[0]
    return float(torch.softmax(logits, dim=-1)[1])


def _fenced(code: str) -> str:
    return f"```python\n{code}```"


@requires_bwrap
def test_rerank_reads_the_classifiers_probabilities(classifier: Path, tmp_path: Path) -> None:
    sums = "n = int(input())\nfor _ in range(n):\n    a, b = map(int, input().split())\n"
    programs = [sums + "    print(a + b)\n", sums + "    print(a - b)\n", "print(0)\n"]
    path = tmp_path / "pairs.jsonl"
    path.write_text(
        next(line for line in EXAMPLES.read_text().splitlines() if '"sum-of-pairs"' in line) + "\n"
    )
    reward_model = get_model("hf_classifier/tiny-orm", model_path=str(classifier))
    [log] = eval(
        custom(path=str(path)),
        model=scripted_model(*[_fenced(program) for program in programs]),
        solver=rerank(n=3, by="reward_model", reward_mode="classifier", reward_model=reward_model),
        log_dir=str(tmp_path),
        display="none",
    )
    assert log.status == "success", log.error
    [sample] = [resolve_sample_attachments(sample) for sample in log.samples or []]
    candidates = sample.metadata["codecrucible"]["candidates"]
    judged = [
        e for e in sample.events if e.event == "model" and e.model == "hf_classifier/tiny-orm"
    ]
    assert len(judged) == 3
    expected = [_direct_probability(classifier, event.input[0].text) for event in judged]
    rewards = [candidate["reward"] for candidate in candidates]
    assert rewards == [pytest.approx(p, abs=1e-6) for p in expected]
    assert all(candidate["reward_source"] == "number" for candidate in candidates)
    assert len(set(rewards)) == 3  # the three programs read differently
    best = max(range(3), key=lambda i: rewards[i])
    assert sample.metadata["codecrucible"]["rerank"]["chosen"] == best
    assert judged[0].output.usage is not None and judged[0].output.usage.output_tokens == 1


def test_bad_model_args_are_refused(classifier: Path) -> None:
    with pytest.raises(InputError, match="positive_label 5"):
        get_model("hf_classifier/x", model_path=str(classifier), positive_label=5)
    with pytest.raises(InputError, match="unknown model args temperature"):
        get_model("hf_classifier/y", model_path=str(classifier), temperature=1)


def test_the_model_name_is_the_classifiers_folder(classifier: Path) -> None:
    """`reward_model=hf_classifier/<folder>`, as `-S` gives it: no model args needed."""
    model = get_model(f"hf_classifier/{classifier}")
    text = "def f ( a , b ) :\nreturn a + b"
    output = asyncio.run(model.generate(text))
    assert float(output.completion) == pytest.approx(
        _direct_probability(classifier, text), abs=1e-6
    )
    assert output.usage is not None and output.usage.input_tokens > 1
