"""The one sampler of every environment: seeded ancestral sampling from token-id prefixes (docs/architecture.md).

``sample_continuations`` repeats every prefix ``n_samples`` times, orders the rows by decreasing budget
and then by prefix length, and samples each run of equal budget in batches of ``batch_size`` rows, with the
model's KV cache.  Rows of one batch that differ in length are left-padded (attention mask and position
ids follow the padding); a batch of equal lengths runs without either.  Tokens are drawn from
softmax(logits / temperature), restricted to the top-p nucleus when top_p < 1, by ``torch.multinomial``
with one seeded ``torch.Generator``, so the output is a pure function of the inputs, the seed, the batch
size and the thread count.  A row stops at its first ``stop_ids`` token (kept) or after its budget.
``use_cache=False`` feeds the whole sequence at every step (for models without a KV cache, such as the
exact automaton policy ``synthetic.model.AutomatonLM``).

``until(i, tokens) -> bool`` (optional) also ends row i (the index of its prefix) once its new tokens decide
what the caller wants to know, e.g. a judge that has already decided h; finished rows then leave the batch
(and its KV cache), so a batch costs what its unfinished rows cost.  The draws then differ from a run
without ``until``; the output is still a pure function of the same inputs.
"""

from __future__ import annotations

import numpy as np
import torch
from tqdm.auto import tqdm


def never(i: int, tokens) -> bool:
    """An ``until`` that ends no row early: sampling through the path that shares one prompt forward among the copies
    of a prefix (many rollouts of one prefix, none of which can stop before its budget)."""
    return False


@torch.no_grad()
def sample_continuations(model, prefixes, max_new_tokens, stop_ids=(), n_samples: int = 1, seed: int = 0,
                         batch_size: int = 1024, pad_id: int = 0, temperature: float = 1.0, top_p: float = 1.0,
                         progress: bool = False, use_cache: bool = True, until=None) -> list[list[int]]:
    """Continuations (new tokens only) of every prefix, prefix-major: out[i * n_samples + s].

    ``max_new_tokens`` is an int or one int per prefix; ``pad_id`` fills the left of shorter prefixes.
    """
    generator = torch.Generator().manual_seed(int(seed))
    budgets = [max_new_tokens] * len(prefixes) if np.isscalar(max_new_tokens) else list(max_new_tokens)
    stop = torch.tensor(sorted(set(stop_ids)), dtype=torch.long)
    jobs = sorted((-int(budgets[i]), len(prefixes[i]), i, s) for i in range(len(prefixes)) for s in range(n_samples))
    chunks = []
    for start in range(len(jobs)):
        if start == 0 or jobs[start][0] != jobs[start - 1][0] or len(chunks[-1]) == batch_size:
            chunks.append([])
        chunks[-1].append(jobs[start])
    out: list[list[int]] = [[] for _ in jobs]
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    for chunk in tqdm(chunks, disable=not progress, desc="sampling"):
        budget = -chunk[0][0]
        if budget <= 0:
            continue
        rows = [prefixes[i] for _, _, i, _ in chunk]
        if until is None:
            new = _sample_batch(model, rows, budget, stop, generator, pad_id, temperature, top_p, device, use_cache)
        else:
            owners = [i for _, _, i, _ in chunk]
            new = _sample_batch_until(model, rows, budget, stop, generator, pad_id, temperature, top_p, device,
                                      lambda b, tokens: until(owners[b], tokens))
        for (_, _, i, s), row in zip(chunk, new):
            out[i * n_samples + s] = row
    model.train(was_training)
    return out


def _next_token(logits, generator, temperature: float, top_p: float):
    probs = torch.softmax(logits.float() / temperature if temperature != 1.0 else logits.float(), dim=-1).cpu()
    if top_p < 1.0:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        outside = sorted_probs.cumsum(-1) - sorted_probs > top_p  # keep the smallest set with mass ≥ top_p
        probs = probs.scatter(-1, order, sorted_probs.masked_fill(outside, 0.0))
    return torch.multinomial(probs, 1, generator=generator)[:, 0]


def left_padded(rows, pad_id) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids, attention mask) of token-id rows left-padded with ``pad_id`` to the longest row."""
    B, width = len(rows), max(len(row) for row in rows)
    ids = torch.full((B, width), pad_id, dtype=torch.long)
    mask = torch.zeros((B, width), dtype=torch.long)
    for b, row in enumerate(rows):
        ids[b, width - len(row):] = torch.tensor(row, dtype=torch.long)
        mask[b, width - len(row):] = 1
    return ids, mask


def _sample_batch(model, rows, budget, stop, generator, pad_id, temperature, top_p, device, use_cache) -> list[list[int]]:
    B = len(rows)
    ids, mask = left_padded(rows, pad_id)
    padded = bool((mask == 0).any())
    mask = mask if padded else None
    done = torch.zeros(B, dtype=torch.bool)
    tokens = []
    past, current = None, ids.to(device)
    positions = (mask.cumsum(-1) - 1).clamp(min=0) if padded else None
    for _ in range(budget):
        if not use_cache:
            if padded:
                raise ValueError("sampling without a KV cache needs prefixes of one length per batch")
            outputs = model(input_ids=ids.to(device))
        elif padded:
            outputs = model(input_ids=current, attention_mask=mask.to(device), position_ids=positions.to(device),
                            past_key_values=past, use_cache=True)
        else:
            outputs = model(input_ids=current, past_key_values=past, use_cache=True)
        past = getattr(outputs, "past_key_values", None)
        nxt = _next_token(outputs.logits[:, -1], generator, temperature, top_p)
        tokens.append(torch.where(done, torch.full_like(nxt, -1), nxt))
        done |= torch.isin(nxt, stop)
        current = nxt[:, None].to(device)
        ids = torch.cat([ids, nxt[:, None]], dim=1)
        if padded:
            mask = torch.cat([mask, torch.ones((B, 1), dtype=torch.long)], dim=1)
            positions = positions[:, -1:] + 1
        if bool(done.all()):
            break
    if not tokens:
        return [[] for _ in range(B)]
    matrix = torch.stack(tokens, dim=1).tolist()
    return [[t for t in row if t >= 0] for row in matrix]


def _sample_batch_until(model, rows, budget, stop, generator, pad_id, temperature, top_p, device, until) -> list[list[int]]:
    """`_sample_batch` with the KV cache, where a row also ends when ``until(b, its new tokens)``; ended rows
    are dropped from the batch and the cache.

    Rows with the same prefix (the ``n_samples`` copies of one prefix) share one prompt forward: the cache and the
    first logits of each distinct prefix are computed once and repeated, which divides the prompt cost (the larger
    part of a short rollout's cost) by the number of copies; the prompt forward runs the output head on its last
    position only.
    """
    B = len(rows)
    distinct: dict[tuple, int] = {}
    copy_of = torch.tensor([distinct.setdefault(tuple(row), len(distinct)) for row in rows], dtype=torch.long)
    ids, mask = left_padded([list(row) for row in distinct], pad_id)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    outputs = model(input_ids=ids.to(device), attention_mask=mask.to(device), position_ids=positions.to(device),
                    use_cache=True, logits_to_keep=1)  # the head on the last position only
    past, logits = outputs.past_key_values, outputs.logits[:, -1]
    if len(distinct) < B:
        past.batch_select_indices(copy_of.to(device))
        logits, mask, positions = logits[copy_of.to(logits.device)], mask[copy_of], positions[copy_of]
    stops = set(stop.tolist())
    out: list[list[int]] = [[] for _ in range(B)]
    active = torch.arange(B)
    for step in range(budget):
        if step:
            outputs = model(input_ids=current.to(device), attention_mask=mask.to(device),
                            position_ids=positions.to(device), past_key_values=past, use_cache=True)
            past, logits = outputs.past_key_values, outputs.logits[:, -1]
        nxt = _next_token(logits, generator, temperature, top_p)
        keep = []
        for j, (b, token) in enumerate(zip(active.tolist(), nxt.tolist())):
            out[b].append(token)
            if not (token in stops or until(b, out[b])):
                keep.append(j)
        if not keep:
            break
        if len(keep) < len(active):
            index = torch.tensor(keep, dtype=torch.long)
            active, nxt, mask, positions = active[index], nxt[index], mask[index], positions[index]
            past.batch_select_indices(index.to(device))
        current = nxt[:, None]
        mask = torch.cat([mask, torch.ones((len(active), 1), dtype=torch.long)], dim=1)
        positions = positions[:, -1:] + 1
    return out
