"""One chat template for base and aligned models, and batched sampling with left padding.

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
import torch
from tqdm.auto import tqdm


def prompt_ids(tokenizer, prompts: list[str]) -> list[list[int]]:
    """Token ids of each prompt rendered by the chat template, ending with the assistant header."""
    out = []
    for prompt in prompts:
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=False
        )
        out.append(tokenizer(text, add_special_tokens=False)["input_ids"])
    return out


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


@torch.no_grad()
def sample_batched(model, tokenizer, prefixes, max_new_tokens: int, n_samples: int = 1, seed: int = 0,
                   batch_size: int = 32, temperature: float = 1.0, top_p: float = 1.0,
                   progress: bool = False) -> list[list[int]]:
    """Continuations (new token ids, the stop token kept if reached) of every prefix, prefix-major.

    Prefixes of different lengths share a batch through left padding (``generate`` builds the position
    ids from the attention mask). Rows are sorted by length to limit padding; batch b is sampled after
    ``torch.manual_seed(seed + b)``, so the output is a pure function of the inputs and the seed on CPU.
    """
    jobs = sorted(((len(prefixes[i]), i, s) for i in range(len(prefixes)) for s in range(n_samples)))
    out: list[list[int]] = [[] for _ in range(len(prefixes) * n_samples)]
    if max_new_tokens <= 0:
        return out
    device = next(model.parameters()).device
    stops = stop_ids(tokenizer)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else stops[0]
    was_training = model.training
    model.eval()
    starts = list(range(0, len(jobs), batch_size))
    for batch_index, start in enumerate(tqdm(starts, disable=not progress, desc="sampling")):
        chunk = jobs[start:start + batch_size]
        width = max(length for length, _, _ in chunk)
        ids = torch.full((len(chunk), width), pad, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, (length, i, _) in enumerate(chunk):
            if length:
                ids[row, width - length:] = torch.tensor(prefixes[i])
                mask[row, width - length:] = 1
        torch.manual_seed(seed + batch_index)
        generated = model.generate(
            input_ids=ids.to(device), attention_mask=mask.to(device), max_new_tokens=max_new_tokens,
            do_sample=True, temperature=temperature, top_p=top_p, top_k=0, pad_token_id=pad,
            eos_token_id=stops,
        )[:, width:].cpu().tolist()
        for (_, i, s), row in zip(chunk, generated):
            cut = next((j + 1 for j, token in enumerate(row) if token in stops), len(row))
            out[i * n_samples + s] = row[:cut]
    model.train(was_training)
    return out
