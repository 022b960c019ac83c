"""Per-position KL and next-token distributions along fixed sequences (docs/theory.md §1.5; E5, E6).

``per_position_kl`` computes, for every sequence (prompt, response) and response position
t = 1..len(response), KL(π_θ(·|x, y_<t) ‖ π_ref(·|x, y_<t)) over the full vocabulary, with one
forward pass of each model per batch (right padding; causal models ignore it).  Averaging the
returned matrix with zeros past each response's end gives KL_t of docs/theory.md §1.5 when the
sequences are samples of π_ref.
"""

from __future__ import annotations

import numpy as np
import torch


def _batches(sequences, batch_size, pad_id):
    for start in range(0, len(sequences), batch_size):
        chunk = sequences[start : start + batch_size]
        width = max(len(p) + len(r) for p, r in chunk)
        ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for b, (p, r) in enumerate(chunk):
            row = list(p) + list(r)
            ids[b, : len(row)] = torch.tensor(row)
            mask[b, : len(row)] = 1
        yield start, chunk, ids, mask


def _response_logprobs(model, ids, mask, chunk, max_len, extra: int):
    """log π(·|x, y_<t) for t = 1..len(r) (+ extra) of each row: (B, max_len + extra, V), NaN-free."""
    device = next(model.parameters()).device
    logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits.float().cpu()
    logp = torch.log_softmax(logits, dim=-1)
    out = torch.zeros((len(chunk), max_len + extra, logp.shape[-1]))
    for b, (p, r) in enumerate(chunk):
        n = min(len(r) + extra, max_len + extra, ids.shape[1] - len(p) + 1)
        out[b, :n] = logp[b, len(p) - 1 : len(p) - 1 + n]
    return out


@torch.no_grad()
def per_position_kl(model, reference, sequences, batch_size: int = 512, pad_id: int = 0) -> np.ndarray:
    """kl[i, t-1] = KL(model ‖ reference) at response position t of sequence i; NaN past its end."""
    max_len = max(len(r) for _, r in sequences)
    out = np.full((len(sequences), max_len), np.nan)
    for start, chunk, ids, mask in _batches(sequences, batch_size, pad_id):
        lp = _response_logprobs(model, ids, mask, chunk, max_len, 0)
        lq = _response_logprobs(reference, ids, mask, chunk, max_len, 0)
        kl = (lp.exp() * (lp - lq)).sum(-1).clamp(min=0).numpy()
        for b, (_, r) in enumerate(chunk):
            out[start + b, : len(r)] = kl[b, : len(r)]
    return out


@torch.no_grad()
def next_token_probs(model, sequences, batch_size: int = 512, pad_id: int = 0, include_last: bool = True) -> list[np.ndarray]:
    """probs[i][t-1] = π(·|x, y_<t) for t = 1..len(r) (+1 with include_last: after the whole response)."""
    extra = int(include_last)
    max_len = max(len(r) for _, r in sequences)
    out = []
    for _, chunk, ids, mask in _batches(sequences, batch_size, pad_id):
        lp = _response_logprobs(model, ids, mask, chunk, max_len, extra)
        for b, (_, r) in enumerate(chunk):
            out.append(lp[b, : len(r) + extra].exp().numpy())
    return out


def kl_by_position(kl: np.ndarray, T: int) -> np.ndarray:
    """(N, T) matrix of per-sequence KL at t = 1..T with 0 past each sequence's end (docs/theory.md §1.5);
    its column means are KL_t."""
    padded = np.zeros((kl.shape[0], T))
    width = min(T, kl.shape[1])
    padded[:, :width] = np.nan_to_num(kl[:, :width], nan=0.0)
    return padded
