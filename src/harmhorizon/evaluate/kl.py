"""Per-position KL and next-token distributions along fixed sequences (docs/theory.md §1.5; E5, E6).

``per_position_kl`` computes, for every sequence (prompt, response) and response position
t = 1..len(response), KL(π_θ(·|x, y_<t) ‖ π_ref(·|x, y_<t)) over the full vocabulary, with one
forward pass of each model per batch (right padding; causal models ignore it).  Only the logits that
predict a response token are normalised: they are gathered into one packed (tokens, V) matrix per model
before the log-softmax, so neither the prompt positions nor the padding cost anything past the forward.
Averaging the returned matrix with zeros past each response's end gives KL_t of docs/theory.md §1.5 when
the sequences are samples of π_ref.
"""

from __future__ import annotations

import numpy as np
import torch


def batches(sequences, batch_size, pad_id):
    """(start, chunk, ids, mask) of right-padded batches of (prompt, response) sequences."""
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


def _response_index(chunk, width: int, extra: int):
    """Row and column of every logit that predicts response token t = 1..len(r) (+ extra) of each row.

    Returns (rows, columns, lengths): lengths[b] positions of row b, in order, packed row after row.
    """
    rows, columns, lengths = [], [], []
    for b, (p, r) in enumerate(chunk):
        n = max(min(len(r) + extra, width - len(p) + 1), 0)
        rows.append(torch.full((n,), b, dtype=torch.long))
        columns.append(torch.arange(len(p) - 1, len(p) - 1 + n))
        lengths.append(n)
    return torch.cat(rows), torch.cat(columns), lengths


def _packed_logprobs(model, ids, mask, rows, columns):
    """log π(·|x, y_<t) at the packed (rows, columns) positions: (tokens, V) in float32 on the CPU."""
    device = next(model.parameters()).device
    logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
    return torch.log_softmax(logits[rows.to(device), columns.to(device)].float(), dim=-1).cpu()


@torch.no_grad()
def per_position_kl(model, reference, sequences, batch_size: int = 512, pad_id: int = 0) -> np.ndarray:
    """kl[i, t-1] = KL(model ‖ reference) at response position t of sequence i; NaN past its end."""
    max_len = max(len(r) for _, r in sequences)
    out = np.full((len(sequences), max_len), np.nan)
    for start, chunk, ids, mask in batches(sequences, batch_size, pad_id):
        rows, columns, lengths = _response_index(chunk, ids.shape[1], 0)
        lp = _packed_logprobs(model, ids, mask, rows, columns)
        lq = _packed_logprobs(reference, ids, mask, rows, columns)
        kl = (lp.exp() * (lp - lq)).sum(-1).clamp(min=0).numpy()
        offset = 0
        for b, n in enumerate(lengths):
            out[start + b, :n] = kl[offset : offset + n]
            offset += n
    return out


@torch.no_grad()
def next_token_probs(model, sequences, batch_size: int = 512, pad_id: int = 0, include_last: bool = True) -> list[np.ndarray]:
    """probs[i][t-1] = π(·|x, y_<t) for t = 1..len(r) (+1 with include_last: after the whole response)."""
    out = []
    for _, chunk, ids, mask in batches(sequences, batch_size, pad_id):
        rows, columns, lengths = _response_index(chunk, ids.shape[1], int(include_last))
        logp = _packed_logprobs(model, ids, mask, rows, columns)
        for part in torch.split(logp, lengths):
            out.append(part.exp().numpy())
    return out


def kl_by_position(kl: np.ndarray, T: int) -> np.ndarray:
    """(N, T) matrix of per-sequence KL at t = 1..T with 0 past each sequence's end (docs/theory.md §1.5);
    its column means are KL_t."""
    padded = np.zeros((kl.shape[0], T))
    width = min(T, kl.shape[1])
    padded[:, :width] = np.nan_to_num(kl[:, :width], nan=0.0)
    return padded


@torch.no_grad()
def response_nll(model, sequences, batch_size: int = 8, pad_id: int = 0) -> np.ndarray:
    """−Σ_t log π(y_t | x, y_<t) of every (prompt, response) sequence's response tokens: (N,) in nats."""
    out = []
    for _, chunk, ids, mask in batches(sequences, batch_size, pad_id):
        rows, columns, lengths = _response_index(chunk, ids.shape[1], 0)
        logp = _packed_logprobs(model, ids, mask, rows, columns)
        targets = torch.cat([torch.as_tensor(list(r)[:n], dtype=torch.long) for (_, r), n in zip(chunk, lengths)])
        chosen = logp.gather(1, targets[:, None])[:, 0]
        out += [-float(part.sum()) for part in torch.split(chosen, lengths)]
    return np.array(out)
