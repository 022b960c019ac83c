"""One chat template for base and aligned models (sampling is the one sampler of ``harmhorizon.evaluate.sampling``).

**How the template is applied.** Every prompt x is rendered once by the *base* model's tokenizer
(saved in the imported folder and copied unchanged beside every aligned adapter) as

    apply_chat_template([{"role": "user", "content": x}], add_generation_prompt=True)

— for SmolLM2 this is ChatML with its default system line — and tokenised with
``add_special_tokens=False``. A response is the list of token ids that follows, ending with the end-of-turn
token (``<|im_end|>`` for SmolLM2) when the model stopped. Base and aligned models are always scored and
sampled on these same token ids, so that per-position quantities compare the same prefixes; text is only
decoded (special tokens skipped) to be judged.
"""

from __future__ import annotations

import numpy as np


def render_prompts(tokenizer, prompts: list[str]) -> list[str]:
    """Each prompt as a single user turn rendered by the chat template, ending with the assistant header."""
    return [tokenizer.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True,
                                          tokenize=False) for prompt in prompts]


def prompt_ids(tokenizer, prompts: list[str]) -> list[list[int]]:
    """Token ids of each prompt rendered by the chat template (`render_prompts`)."""
    return [tokenizer(text, add_special_tokens=False)["input_ids"] for text in render_prompts(tokenizer, prompts)]


def text_ids(tokenizer, text: str) -> list[int]:
    """Token ids of a piece of response text (no special tokens added)."""
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def decode(tokenizer, ids_list) -> list[str]:
    return tokenizer.batch_decode([list(ids) for ids in ids_list], skip_special_tokens=True)


def stop_ids(tokenizer) -> list[int]:
    """Token ids that end a response: the tokenizer's EOS (the end-of-turn token for chat models)."""
    ids = {tokenizer.eos_token_id}
    ids.update(token for token in np.atleast_1d(getattr(tokenizer, "eos_token_id", [])) if token is not None)
    return sorted(int(token) for token in ids if token is not None)
