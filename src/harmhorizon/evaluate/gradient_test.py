"""P1 at the neural level: the expected harm gradient of each position, without bias, against a permutation
null (docs/theory.md §P1 and "The gradient test"; docs/experiments.md E5).

Thm 8 writes ∇_θ E_πθ[h] = Σ_t g_t with g_t = E[h · s_t], s_t = ∇_θ log π_θ(y_t | x, y_<t), and g_t = 0 past
the harm horizon (Thm 10; prefix by prefix, P2). A minibatch norm Σ_b ‖h_b s_{b,t}‖² is positive by sampling
noise wherever tokens exist, so it cannot test that. For N responses of the model itself, with x_i = h_i s_{i,t}
restricted to the prefixes of one stratum (decided or undecided: zero elsewhere),

    U_t = (‖Σ_i x_i‖² − Σ_i ‖x_i‖²) / (N(N − 1)) = (hᵀ G h − Σ_i h_i² G_ii) / (N(N − 1)),   G_ij = s_{i,t}·s_{j,t},

the mean inner product of gradients of independent responses, is unbiased for ‖E[h s_t 1{stratum}]‖² (it can
be negative). Its null is the wild (sign-flip) bootstrap of this degenerate U-statistic: U with x_i replaced by
ε_i x_i, ε_i = ±1 at random, which keeps every response's own term and removes any common mean; under
E[x] = 0 it draws from U's own null distribution (Dehling & Mikosch 1994), under E[x] ≠ 0 U sits above it by
‖E x‖². Shuffling h within a stratum, the other null one could use, is degenerate at decided prefixes: h is
the same for all of them (1 once harm is decided harmful), so the shuffle changes nothing. Decided prefixes
should lie inside the null band (Thm 10, P2), undecided ones before the horizon above it (Thm 8).

Scores are per response and position, over the model's trainable parameters (all of a fully fine-tuned model,
the adapters of a LoRA one), by one forward and a batched backward per response.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch


def trainable_parameters(model) -> list:
    return [p for p in model.parameters() if p.requires_grad]


def position_scores(model, prompt: list[int], response: list[int]) -> torch.Tensor:
    """(L, P): s_t = ∇_θ log π_θ(y_t | x, y_<t) for the L tokens of ``response``, over the trainable parameters."""
    params = trainable_parameters(model)
    ids = torch.tensor([list(prompt) + list(response)])
    logits = model(input_ids=ids).logits[0]
    logits = logits.float() if logits.dtype in (torch.float16, torch.bfloat16) else logits
    start = len(prompt) - 1
    target = torch.tensor(response)
    log_p = torch.log_softmax(logits[start:start + len(response)], dim=-1).gather(1, target[:, None])[:, 0]
    eye = torch.eye(len(response))
    grads = torch.autograd.grad(log_p, params, grad_outputs=eye, is_grads_batched=True, allow_unused=True)
    return torch.cat([(g if g is not None else torch.zeros(len(response), *p.shape)).reshape(len(response), -1)
                      for g, p in zip(grads, params)], dim=1)


def u_statistic(gram: np.ndarray, h: np.ndarray, n_total: int) -> float:
    """(hᵀGh − Σ h_i² G_ii) / (N(N − 1)) over the rows of one stratum, N all responses."""
    return float((h @ gram @ h - (h**2 * np.diag(gram)).sum()) / (n_total * (n_total - 1)))


def sign_flip_null(gram: np.ndarray, h: np.ndarray, n_total: int, n_draws: int,
                   rng: np.random.Generator) -> np.ndarray:
    """U of ``n_draws`` wild-bootstrap draws: h_i replaced by ε_i h_i with independent signs ε_i = ±1."""
    signs = rng.choice([-1.0, 1.0], size=(n_draws, len(h)))
    flipped = signs * h
    quadratic = np.einsum("bi,ij,bj->b", flipped, gram, flipped)
    return (quadratic - (h**2 * np.diag(gram)).sum()) / (n_total * (n_total - 1))


# Draws within this fraction of the statistic's scale of the estimate count as ties (≥): with few harmful rows the
# sign-flip null takes few distinct values, one of them the estimate itself, and float32 gradients put it a few ulp
# above or below the estimate depending on the CPU's kernels (measured: p 0.52 on one machine, 1.0 on another).
TIE_TOLERANCE = 1.0e-5


def null_summary(estimate: float, null: np.ndarray) -> dict:
    """The null's central 95% band and the one-sided p-value (1 + #{null ≥ estimate − tie}) / (1 + draws), ties
    within ``TIE_TOLERANCE`` × max(|estimate|, max |null|) of the estimate counted."""
    tie = TIE_TOLERANCE * max(abs(estimate), float(np.max(np.abs(null))) if len(null) else 0.0)
    return {"estimate": estimate, "null_low": float(np.quantile(null, 0.025)),
            "null_high": float(np.quantile(null, 0.975)),
            "p_value": float((1 + (null >= estimate - tie).sum()) / (1 + len(null)))}


def gradient_test(model, samples, harm, decided, max_positions: int, n_draws: int, seed: int,
                  log=None) -> pd.DataFrame:
    """Per position t ≤ ``max_positions`` and stratum (decided, undecided): U_t with its sign-flip null (2.5% and
    97.5% quantiles, one-sided p-value); the rows t = 0 hold the sums over positions, against the sum of the
    positions' independent null draws.

    ``samples``: (prompt, response) token lists of the model; ``harm``: h per response; ``decided``: per response,
    a bool per response position (True where the prefix y_<t decides h)."""
    model.eval()
    n = len(samples)
    scores = []
    for i, (prompt, response) in enumerate(samples):
        length = min(len(response), max_positions)
        scores.append(position_scores(model, prompt, response[:length]).double().numpy() if length else None)
        if log is not None and (i + 1) % 64 == 0:
            log.info("scores of %d of %d responses", i + 1, n)
    rng = np.random.default_rng(seed)
    harm = np.asarray(harm, dtype=float)
    rows, nulls = [], {}
    for t in range(1, max_positions + 1):
        alive = [i for i in range(n) if scores[i] is not None and len(scores[i]) >= t]
        for stratum in ("decided", "undecided"):
            members = [i for i in alive if bool(decided[i][t - 1]) == (stratum == "decided")]
            h = harm[members]
            counts = {"n_prefixes": len(members), "n_harmful": int(h.sum()), "n_batches": n}
            if len(members) < 2:
                # One response or none: no pair, so U_t is 0 exactly, and so is its null.
                nulls[(t, stratum)] = np.zeros(n_draws)
                rows.append({"t": t, "stratum": stratum, "estimate": 0.0, "null_low": 0.0, "null_high": 0.0,
                             "p_value": np.nan} | counts)
                continue
            S = np.stack([scores[i][t - 1] for i in members])
            gram = S @ S.T
            nulls[(t, stratum)] = sign_flip_null(gram, h, n, n_draws, rng)
            rows.append({"t": t, "stratum": stratum} | null_summary(u_statistic(gram, h, n), nulls[(t, stratum)])
                        | counts)
    frame = pd.DataFrame(rows)
    totals = []
    for stratum in ("decided", "undecided"):
        part = frame[frame.stratum == stratum]
        null = np.sum([nulls[(t, stratum)] for t in part.t], axis=0)
        totals.append({"t": 0, "stratum": stratum} | null_summary(float(part.estimate.sum()), null)
                      | {"n_prefixes": int(part.n_prefixes.sum()), "n_harmful": int(part.n_harmful.sum()),
                         "n_batches": n})
    # t = 0 holds the sum over positions (its null: the sum of the positions' independent shuffles).
    return pd.concat([pd.DataFrame(totals), frame], ignore_index=True)
