"""A sequence classifier behind Inspect's model API: the answer is P(label) as text.

Inspect's own `hf` provider loads causal language models and calls `generate()`,
which a sequence classifier (an outcome reward model such as CodeRM's
`codegenning/starcoder2-3b-orm-v0`) does not have. This provider loads
`AutoModelForSequenceClassification` and answers every request with the softmax
probability of the positive class, formatted `0.123456`, which is what `rerank
-S reward_mode=classifier` reads:

    -S by=reward_model -S reward_mode=classifier -S reward_model=hf_classifier/<folder>

(with `inspect eval ... --solver codecrucible/rerank`). The model name is the
classifier's local folder or hub id. Model args (`get_model(..., key=value)`, or
the `model_args` of a `--model-role reward_model=...`): `model_path` (a folder or
hub id; default the model name), `device` (default `cpu`), `positive_label` (the
class index read as P(pass), default 1), `max_length` (tokens kept, from the end
of the text, default the tokenizer's limit). The prompt is the text of the
request's messages, joined by blank lines. Usage is counted from the tokenizer
(one output token), so no tokenizer download is needed to count it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import torch
from inspect_ai.model import (
    ChatCompletionChoice,
    ChatMessage,
    ChatMessageAssistant,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
)
from inspect_ai.tool import ToolChoice, ToolInfo
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from codecrucible.errors import InputError


class HFClassifierAPI(ModelAPI):
    """Serves one sequence classifier; every generate() is one forward pass."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),
        **model_args: Any,
    ) -> None:
        super().__init__(model_name=model_name, base_url=base_url, api_key=api_key, config=config)
        path = str(model_args.pop("model_path", None) or model_name)
        self.device = str(model_args.pop("device", None) or "cpu")
        self.positive_label = int(model_args.pop("positive_label", 1))
        max_length = model_args.pop("max_length", None)
        if model_args:
            raise InputError(
                f"hf_classifier: unknown model args {', '.join(sorted(model_args))}; "
                "known: model_path, device, positive_label, max_length"
            )
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModelForSequenceClassification.from_pretrained(path).to(self.device)
        self.model.eval()
        labels = int(self.model.config.num_labels)
        if not 0 <= self.positive_label < labels:
            raise InputError(
                f"hf_classifier: positive_label {self.positive_label} is not a class of "
                f"{path} (it has {labels})"
            )
        self.max_length = int(max_length or min(self.tokenizer.model_max_length, 1 << 16))
        self.tokenizer.truncation_side = "left"  # keep the end: the program under judgement
        self._lock = asyncio.Lock()  # one forward pass at a time: torch uses every core

    def probability(self, text: str) -> tuple[float, int]:
        """P(positive class) for a text, and the number of tokens the model read."""
        encoded = self.tokenizer(
            text, return_tensors="pt", truncation=True, max_length=self.max_length
        ).to(self.device)
        with torch.no_grad():
            logits = self.model(**encoded).logits[0]
        probabilities = torch.softmax(logits.float(), dim=-1)
        return float(probabilities[self.positive_label]), int(encoded["input_ids"].shape[-1])

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        text = "\n\n".join(message.text for message in input)
        started = time.monotonic()
        async with self._lock:
            probability, tokens = await asyncio.to_thread(self.probability, text)
        answer = f"{probability:.6f}"
        return ModelOutput(
            model=self.model_name,
            choices=[
                ChatCompletionChoice(
                    message=ChatMessageAssistant(content=answer, model=self.model_name),
                    stop_reason="stop",
                )
            ],
            usage=ModelUsage(input_tokens=tokens, output_tokens=1, total_tokens=tokens + 1),
            time=time.monotonic() - started,
        )

    def max_connections(self) -> int:
        return 1
