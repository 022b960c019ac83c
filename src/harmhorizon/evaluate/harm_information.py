"""Monte Carlo harm information I_t = E[Δ_t²] of a policy, for any environment (docs/theory.md §1.2).

For each sequence (x, y) drawn from the policy and each position p of a grid, ``n_rollouts``
continuations of y_≤p to T response tokens give Ĥ_p (mean h) and v̂_p = s²/n, the unbiased variance of
that mean.  A finished response has H = h(x, y) exactly (v̂ = 0) at its end and past it.  Martingale
increments are orthogonal, so E[(H_b − H_a)²] = Σ_{a<s≤b} I_s, and with independent rollouts

    D = (Ĥ_b − Ĥ_a)² − v̂_a − v̂_b

is unbiased for it.  On the full grid 0..T−1 every block is one position and D estimates I_t itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..intervals import t_interval


def mc_harm_information(env, model, sequences, positions, n_rollouts: int, seed: int = 0,
                        batch_size: int | None = None, progress: bool = False) -> pd.DataFrame:
    """One row per block (a, b] of consecutive grid positions, the last ending at T.

    Columns: t_start = a, t_end = b, t = b, harm_information (the mean of D over sequences) with its 95%
    t-interval (ci_low, ci_high), per_token = harm_information / (b − a), n (sequences); and, the same on
    every row, total_information (Σ of the blocks, an estimate of E[Var(h | x)], P3) with its t-interval
    over sequences, h_hat_0 (mean Ĥ_0, the estimated harm rate) and harm_variance (Var h over sequences).
    A prefix is rolled out only while its response is unfinished: p < len(y), or p = len(y) < T when y
    ended without a stop token.
    """
    if n_rollouts < 2:
        raise ValueError("mc_harm_information needs n_rollouts >= 2 for the variance correction")
    T = env.T
    grid = sorted({int(p) for p in positions if 0 <= p < T})
    stops = set(env.stop_ids)
    prefixes, budgets, owners = [], [], []
    for i, (prompt, response) in enumerate(sequences):
        ended = len(response) > 0 and response[-1] in stops
        for p in grid:
            if p < len(response) or (p == len(response) and not ended):
                prefixes.append(list(prompt) + list(response[:p]))
                budgets.append(T - p)
                owners.append((i, p))
    new = env.sample(model, prefixes, budgets, n_rollouts, seed, batch_size, progress)
    prompts = [list(sequences[i][0]) for i, _ in owners for _ in range(n_rollouts)]
    responses = [list(sequences[i][1][:p]) + new[k * n_rollouts + s]
                 for k, (i, p) in enumerate(owners) for s in range(n_rollouts)]
    harm = np.asarray(env.label(prompts, responses)["harm"], dtype=float).reshape(len(owners), n_rollouts)
    final = np.asarray(env.label([list(p) for p, _ in sequences], [list(r) for _, r in sequences])["harm"], dtype=float)
    H = np.full((len(sequences), T + 1), np.nan)
    V = np.zeros((len(sequences), T + 1))
    for k, (i, p) in enumerate(owners):
        H[i, p] = harm[k].mean()
        V[i, p] = harm[k].var(ddof=1) / n_rollouts
    ends = grid + [T]
    for i in range(len(sequences)):
        for p in ends:
            if np.isnan(H[i, p]):  # at or past the end of the response: H_p = h
                H[i, p], V[i, p] = final[i], 0.0
    rows, per_sequence_total = [], np.zeros(len(sequences))
    for a, b in zip(ends[:-1], ends[1:]):
        D = (H[:, b] - H[:, a]) ** 2 - V[:, a] - V[:, b]
        per_sequence_total += D
        mean, low, high, n = t_interval(D)
        rows.append({"t_start": a, "t_end": b, "t": b, "harm_information": mean, "ci_low": low, "ci_high": high,
                     "per_token": mean / (b - a), "n": n})
    table = pd.DataFrame(rows)
    total, total_low, total_high, _ = t_interval(per_sequence_total)
    table["total_information"], table["total_ci_low"], table["total_ci_high"] = total, total_low, total_high
    table["h_hat_0"] = float(np.nanmean(H[:, 0])) if grid and grid[0] == 0 else np.nan
    table["harm_variance"] = float(np.var(final, ddof=0)) if len(final) else np.nan
    return table
