"""The teacher-forced recovery profile Δℓ_t (docs/experiments.md E6; the measurement Young's §10.1 recommends).

For a held-out harmful response y of the reference to a request x and every position t of a grid, the
recovery log-odds of a model θ at the prefix y_<t is

    ℓ_θ(t) = log P_θ(R | x, y_<t) − log(1 − P_θ(R | x, y_<t)),

with R the fixed recovery phrase (several tokens; P is the product of their conditional probabilities), and
Δℓ_t = ℓ_θ(t) − ℓ_ref(t).  Standard alignment predicts Δℓ_t ≈ 0 past the horizon (Cor 23); the deep objective
a constant (γ = 1) or a decay like γ^{t−1} (Thm 20).  The log-odds are taken from log P directly, without
clipping, because P(R) of a multi-token phrase is far below any probability floor.

One forward pass per sequence scores the phrase after every prefix at once: the input is x, y followed by
one copy of R per grid position; a 4-D attention mask lets copy t see x, y_<t and its own earlier tokens
only, and its position ids continue from |x| + t (`packed_phrase_inputs`).  A test checks it against one
forward per prefix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..intervals import t_interval


def packed_phrase_inputs(prompt: list[int], response: list[int], phrase: list[int], positions: list[int]):
    """(input ids (1, N), boolean attention mask (1, 1, N, N), position ids (1, N)) of x, y, R × |positions|."""
    base = list(prompt) + list(response)
    R, B = len(phrase), len(base)
    N = B + R * len(positions)
    mask = torch.zeros(N, N, dtype=torch.bool)
    mask[:B, :B] = torch.tril(torch.ones(B, B, dtype=torch.bool))
    ids, position_ids = base + list(phrase) * len(positions), list(range(B))
    causal = torch.tril(torch.ones(R, R, dtype=torch.bool))
    for k, t in enumerate(positions):
        start = B + k * R
        mask[start:start + R, :len(prompt) + t] = True
        mask[start:start + R, start:start + R] = causal
        position_ids += range(len(prompt) + t, len(prompt) + t + R)
    return torch.tensor([ids]), mask[None, None], torch.tensor([position_ids])


@torch.no_grad()
def phrase_logprobs(model, prompt, response, phrase, positions) -> np.ndarray:
    """log P_θ(R | x, y_<t) for every t of ``positions`` (each ≤ len(response)), from one forward pass."""
    ids, mask, position_ids = packed_phrase_inputs(prompt, response, phrase, positions)
    device = next(model.parameters()).device
    logp = model(input_ids=ids.to(device), attention_mask=mask.to(device),
                 position_ids=position_ids.to(device)).logits[0].float().log_softmax(-1).cpu()
    B, R = len(prompt) + len(response), len(phrase)
    out = []
    for k, t in enumerate(positions):
        start = B + k * R
        total = logp[len(prompt) + t - 1, phrase[0]]  # the first phrase token, predicted from y_<t itself
        total = total + sum(logp[start + j - 1, phrase[j]] for j in range(1, R))
        out.append(float(total))
    return np.asarray(out)


def log_odds(logp: np.ndarray) -> np.ndarray:
    """log p − log(1 − p) from log p, stable for p near 0 and 1."""
    logp = np.minimum(np.asarray(logp, dtype=float), -1e-12)
    return logp - np.log(-np.expm1(logp))


def recovery_log_odds(model, sequences, phrase, positions) -> np.ndarray:
    """(N, |positions|) recovery log-odds ℓ_θ(t); NaN where t exceeds the response's content length."""
    out = np.full((len(sequences), len(positions)), np.nan)
    for i, (prompt, response) in enumerate(sequences):
        inside = [t for t in positions if t <= len(response)]
        out[i, :len(inside)] = log_odds(phrase_logprobs(model, prompt, response, phrase, inside))
    return out


def profile_table(delta: np.ndarray, positions) -> pd.DataFrame:
    """Per t: the mean Δℓ_t over sequences with its 95% t-interval and n (one model, one seed)."""
    rows = []
    for k, t in enumerate(positions):
        mean, low, high, n = t_interval(delta[:, k][np.isfinite(delta[:, k])])
        rows.append({"t": int(t), "delta_logodds": mean, "ci_low": low, "ci_high": high, "n": n})
    return pd.DataFrame(rows)
