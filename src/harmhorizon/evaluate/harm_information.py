"""Monte Carlo estimate of the harm information I_t = E[Δ_t²] (docs/theory.md §1.2, docs/experiments.md E6).

For each sequence (x, y) drawn from the policy and each prefix length t = 0..L-1, ``n_rollouts``
continuations give Ĥ_t = mean judge harm of (y_≤t + continuation) and v̂_t = s²/n, the unbiased
variance of that mean.  The complete response has H_L = h(x, y) exactly (v̂_L = 0), and Δ_t = 0 past
the end.  With independent rollouts at t and t-1, E[(Ĥ_t - Ĥ_{t-1})²] = Δ_t² + Var Ĥ_t + Var Ĥ_{t-1}
given the sequence, so  D_t = (Ĥ_t - Ĥ_{t-1})² - v̂_t - v̂_{t-1}  is an unbiased estimate of Δ_t²
and its mean over sequences is an unbiased estimate of I_t.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .sampling import sample_continuations


def mc_harm_information(model, sequences, judge, T: int, n_rollouts: int, stop_ids, seed: int = 0,
                        batch_size: int = 2048, use_cache: bool = True, progress: bool = False,
                        sampler=sample_continuations) -> pd.DataFrame:
    """Per position t = 1..T: mean of D_t over sequences, its 95% t-interval, and n (sequences).

    ``sequences`` are (prompt_ids, response_ids) sampled from ``model``; responses are at most T
    tokens.  Also returns ``h_hat_0``, the mean Ĥ_0 (the estimated harm rate).  ``sampler`` has the
    signature of `sample_continuations` (the benchmark swaps in a per-sample ``generate`` loop).
    """
    if n_rollouts < 2:
        raise ValueError("mc_harm_information needs n_rollouts >= 2 for the variance correction")
    prefixes, budgets, owners = [], [], []
    for i, (p, r) in enumerate(sequences):
        for t in range(len(r)):
            prefixes.append(list(p) + list(r[:t]))
            budgets.append(T - t)
            owners.append((i, t))
    new = sampler(model, prefixes, budgets, stop_ids, n_rollouts, seed, batch_size, use_cache, progress)
    prompts = [list(sequences[i][0]) for i, _ in owners for _ in range(n_rollouts)]
    responses = [list(sequences[i][1][:t]) + new[k * n_rollouts + s]
                 for k, (i, t) in enumerate(owners) for s in range(n_rollouts)]
    harm = np.asarray(judge(prompts, responses)["harm"], dtype=float).reshape(len(owners), n_rollouts)
    final = np.asarray(judge([list(p) for p, _ in sequences], [list(r) for _, r in sequences])["harm"], dtype=float)
    H = np.full((len(sequences), T + 1), np.nan)
    V = np.zeros((len(sequences), T + 1))
    for k, (i, t) in enumerate(owners):
        H[i, t] = harm[k].mean()
        V[i, t] = harm[k].var(ddof=1) / n_rollouts
    D = np.zeros((len(sequences), T))
    for i, (_, r) in enumerate(sequences):
        L = len(r)
        H[i, L] = final[i]
        V[i, L] = 0.0
        t = np.arange(1, L + 1)
        D[i, :L] = (H[i, t] - H[i, t - 1]) ** 2 - V[i, t] - V[i, t - 1]
    n = len(sequences)
    mean = D.mean(axis=0)
    half = stats.t.ppf(0.975, n - 1) * D.std(axis=0, ddof=1) / np.sqrt(n)
    return pd.DataFrame({"t": np.arange(1, T + 1), "harm_information": mean, "ci_low": mean - half,
                         "ci_high": mean + half, "n": n, "h_hat_0": np.nanmean(H[:, 0])})
