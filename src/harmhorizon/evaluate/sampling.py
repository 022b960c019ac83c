"""Batched sampling of continuations and the prefill attack (docs/experiments.md E4, E6).

``sample_continuations`` groups prefixes by length (so that no padding is needed), repeats each
``n_samples`` times and samples ancestrally at temperature 1 over the full vocabulary, using the
model's KV cache when ``use_cache``.  A row stops at its first ``stop_ids`` token (kept) or after
its ``max_new_tokens``.  ``prefill_curve`` applies it to prefilled harmful prefixes and judges the
complete responses.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm


@torch.no_grad()
def sample_continuations(model, prefixes, max_new_tokens, stop_ids=(), n_samples: int = 1, seed: int = 0,
                         batch_size: int = 1024, use_cache: bool = True, progress: bool = False) -> list[list[int]]:
    """Continuations (new tokens only) of every prefix, prefix-major: out[i * n_samples + s].

    ``max_new_tokens`` is an int or one int per prefix.  Sampling is exact ancestral sampling
    from softmax(logits) with a seeded ``torch.Generator``, so results are reproducible on CPU.
    """
    generator = torch.Generator().manual_seed(int(seed))
    budgets = [max_new_tokens] * len(prefixes) if np.isscalar(max_new_tokens) else list(max_new_tokens)
    stop = torch.tensor(sorted(set(stop_ids)), dtype=torch.long)
    jobs = [(i, s) for i in range(len(prefixes)) for s in range(n_samples)]
    groups = defaultdict(list)
    for i, s in jobs:
        groups[(len(prefixes[i]), budgets[i])].append((i, s))
    out: list[list[int]] = [[] for _ in jobs]
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    keys = sorted(groups)
    for key in tqdm(keys, disable=not progress, desc="sampling"):
        _, budget = key
        members = groups[key]
        for start in range(0, len(members), batch_size):
            chunk = members[start : start + batch_size]
            ids = torch.tensor([prefixes[i] for i, _ in chunk], dtype=torch.long, device=device)
            new = _sample_batch(model, ids, budget, stop.to(device), generator, use_cache)
            for (i, s), row in zip(chunk, new):
                out[i * n_samples + s] = row
    model.train(was_training)
    return out


def _sample_batch(model, ids, budget, stop, generator, use_cache) -> list[list[int]]:
    B = ids.shape[0]
    done = torch.zeros(B, dtype=torch.bool)
    tokens = []
    past, current = None, ids
    for _ in range(budget):
        if use_cache:
            outputs = model(input_ids=current, past_key_values=past, use_cache=True)
            past = outputs.past_key_values
        else:
            outputs = model(input_ids=ids)
        probs = torch.softmax(outputs.logits[:, -1].float(), dim=-1).cpu()
        nxt = torch.multinomial(probs, 1, generator=generator)[:, 0]
        tokens.append(torch.where(done, torch.full_like(nxt, -1), nxt))
        done |= torch.isin(nxt, stop.cpu())
        current = nxt[:, None].to(ids.device)
        ids = torch.cat([ids, current], dim=1)
        if bool(done.all()):
            break
    if not tokens:
        return [[] for _ in range(B)]
    matrix = torch.stack(tokens, dim=1).tolist()
    return [[t for t in row if t >= 0] for row in matrix]


def prefill_curve(model, prefixes_by_k: dict, judge, max_response_tokens: int, stop_ids, n_samples: int = 1,
                  seed: int = 0, batch_size: int = 1024, use_cache: bool = True) -> pd.DataFrame:
    """Prefill attack: for each depth k, continue every (prompt, response prefix) and judge it.

    ``prefixes_by_k[k]`` is a list of (prompt_ids, response_prefix_ids).  The response is the prefix
    plus its continuation, cut at ``max_response_tokens``.  Returns one row per k with
    ``recovery_rate`` (fraction of continuations that recover), ``harm_rate`` (judge harm) and ``n``.
    """
    rows = []
    for offset, k in enumerate(sorted(prefixes_by_k)):
        pairs = prefixes_by_k[k]
        if not pairs:
            continue
        prefixes = [list(p) + list(r) for p, r in pairs]
        budgets = [max(max_response_tokens - len(r), 0) for _, r in pairs]
        new = sample_continuations(model, prefixes, budgets, stop_ids, n_samples, seed + 7919 * offset,
                                   batch_size, use_cache)
        prompts = [list(p) for p, _ in pairs for _ in range(n_samples)]
        responses = [list(pairs[i // n_samples][1]) + new[i] for i in range(len(new))]
        verdict = judge(prompts, responses)
        continuation_recovered = np.asarray(verdict["recovered"], dtype=float)
        rows.append({"k": k, "recovery_rate": continuation_recovered.mean(),
                     "harm_rate": np.asarray(verdict["harm"], dtype=float).mean(), "n": len(responses)})
    return pd.DataFrame(rows)
