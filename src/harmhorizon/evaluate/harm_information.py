"""Monte Carlo harm information I_t = E[Δ_t²] of a policy, for any environment (docs/theory.md §1.2).

For each sequence (x, y) drawn from the policy and each position p of a grid, ``n_rollouts``
continuations of y_≤p to T response tokens give Ĥ_p (mean h) and v̂_p = s²/n, the unbiased variance of
that mean.  Where the environment can tell that a prefix already decides h (``decided_positions``: the
automaton's j ≥ m or m out of reach) H_p = h exactly and nothing is rolled out; so does a finished
response at its end and past it.  Martingale increments are orthogonal, so E[(H_b − H_a)²] = Σ_{a<s≤b} I_s,
and with independent rollouts

    D = (Ĥ_b − Ĥ_a)² − v̂_a − v̂_b

is unbiased for it.  On the full grid 0..T−1 every block is one position and D estimates I_t itself.

Interval (docs/experiments.md, "Monte Carlo I_t"): D is 0 on every sequence whose prefix at a is decided, so
a block's mean rests on the u sequences still undecided at a.  With u ≥ ``MIN_UNDECIDED`` it is the
Student-t interval of the mean over sequences, its lower end clipped at 0 (I ≥ 0).  With fewer the t-interval
can collapse to [0, 0] while I > 0, and the interval is instead [0, ¼ · CP⁺(u, N)]: the block's information is
E[1{undecided at a} · Var(H_b | y_≤a)] ≤ P(undecided at a) / 4 for h ∈ [0, 1], and CP⁺ is the upper
Clopper–Pearson 95% limit of that probability from u of N sequences.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..intervals import clopper_pearson, t_interval

# Undecided sequences at a block's start below which the t-interval is replaced by the binomial bound.
MIN_UNDECIDED = 100


def undecided_bound(u: int, n: int, confidence: float = 0.95) -> float:
    """¼ · the upper Clopper–Pearson limit of P(undecided) from u of n: a bound on the block's information."""
    return 0.25 * float(clopper_pearson(u, n, confidence)[1])


def information_blocks(H: np.ndarray, V: np.ndarray, undecided: np.ndarray, ends: list[int]) -> pd.DataFrame:
    """The blocks (a, b] of consecutive ``ends`` from per-sequence estimates (rows: sequences; columns: p = 0..T).

    ``H[i, p]`` is Ĥ_p, ``V[i, p]`` its variance v̂_p, ``undecided[i, p]`` whether H_p was estimated by rollouts.
    Columns as ``mc_harm_information``: ``n_undecided`` is u, ``interval`` names the interval used (``t`` or
    ``undecided_bound``) and t_ci_low, t_ci_high are the plain Student-t interval, kept for comparison.
    """
    rows, per_sequence_total = [], np.zeros(len(H))
    for a, b in zip(ends[:-1], ends[1:]):
        D = (H[:, b] - H[:, a]) ** 2 - V[:, a] - V[:, b]
        per_sequence_total += D
        u = int(undecided[:, a].sum())
        mean, t_low, t_high, n = t_interval(D)
        if u >= MIN_UNDECIDED:
            kind, low, high = "t", max(t_low, 0.0), t_high
        else:
            kind, low, high = "undecided_bound", 0.0, undecided_bound(u, n)
        rows.append({"t_start": a, "t_end": b, "t": b, "harm_information": mean, "ci_low": low, "ci_high": high,
                     "per_token": mean / (b - a), "n": n, "n_undecided": u, "interval": kind,
                     "t_ci_low": t_low, "t_ci_high": t_high})
    table = pd.DataFrame(rows)
    total, total_low, total_high, _ = t_interval(per_sequence_total)
    table["total_information"], table["total_ci_low"], table["total_ci_high"] = total, max(total_low, 0.0), total_high
    return table


def mc_harm_information(env, model, sequences, positions, n_rollouts: int, seed: int = 0,
                        batch_size: int | None = None, progress: bool = False) -> pd.DataFrame:
    """One row per block (a, b] of consecutive grid positions, the last ending at T.

    Columns: t_start = a, t_end = b, t = b, harm_information (the mean of D over sequences) with its 95%
    interval (ci_low, ci_high; see the module doc), per_token = harm_information / (b − a), n (sequences),
    n_undecided, interval; and, the same on every row, total_information (Σ of the blocks, an estimate of
    E[Var(h | x)], P3) with its t-interval over sequences, h_hat_0 (mean Ĥ_0, the estimated harm rate) and
    harm_variance (Var h over sequences).  A prefix is rolled out only while its response is unfinished
    (p < len(y), or p = len(y) < T when y ended without a stop token) and h is not yet decided.
    """
    if n_rollouts < 2:
        raise ValueError("mc_harm_information needs n_rollouts >= 2 for the variance correction")
    T = env.T
    grid = sorted({int(p) for p in positions if 0 <= p < T})
    stops = set(env.stop_ids)
    decides = getattr(env, "decided_positions", None)
    prefixes, budgets, owners = [], [], []
    for i, (prompt, response) in enumerate(sequences):
        ended = len(response) > 0 and response[-1] in stops
        decided = decides(prompt, response) if decides is not None else np.zeros(len(response), dtype=bool)
        for p in grid:
            if (p < len(response) and not decided[p]) or (p == len(response) and not ended):
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
    undecided = np.zeros((len(sequences), T + 1), dtype=bool)
    for k, (i, p) in enumerate(owners):
        H[i, p] = harm[k].mean()
        V[i, p] = harm[k].var(ddof=1) / n_rollouts
        undecided[i, p] = True
    ends = grid + [T]
    for i in range(len(sequences)):
        for p in ends:
            if np.isnan(H[i, p]):  # decided, or at or past the end of the response: H_p = h
                H[i, p], V[i, p] = final[i], 0.0
    table = information_blocks(H, V, undecided, ends)
    table["h_hat_0"] = float(np.nanmean(H[:, 0])) if grid and grid[0] == 0 else np.nan
    table["harm_variance"] = float(np.var(final, ddof=0)) if len(final) else np.nan
    return table
