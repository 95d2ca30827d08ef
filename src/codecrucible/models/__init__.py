"""Model providers codecrucible adds to Inspect's (registered on import by `_registry`).

`hf_classifier/<name>`: a transformers sequence classifier served through Inspect's
model API, answering each prompt with its P(pass) as text: the outcome reward
model of `rerank -S reward_mode=classifier`. Needs the `local-model` extra (torch,
transformers).
"""

from __future__ import annotations

from inspect_ai.model import ModelAPI, modelapi

from codecrucible.errors import InputError


@modelapi(name="hf_classifier")
def hf_classifier() -> type[ModelAPI]:
    """The provider class, imported only when a model of it is asked for."""
    try:
        from codecrucible.models.hf_classifier import HFClassifierAPI
    except ImportError as error:
        raise InputError(
            f"hf_classifier needs torch and transformers ({error.name} is missing); "
            "pip install -e '.[local-model]'"
        ) from None
    return HFClassifierAPI
