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


def mc_rollouts(env, model, sequences, positions, n_rollouts, seed: int = 0, batch_size: int | None = None,
                progress: bool = False) -> dict:
    """Per-sequence estimates on the grid: {"H", "V", "undecided"} (rows: sequences; columns p = 0..T), "ends"
    (the grid and T) and "final" (h of each sequence).

    ``n_rollouts`` is one count, or one per grid position (more where I_t is large).  A prefix is rolled out
    only while its response is unfinished (p < len(y), or p = len(y) < T when y ended without a stop token)
    and h is not yet decided (``env.decided_positions``).  Where the environment can tell when a rollout has
    decided h (``env.rollout_until``), the rollout stops there (its h is then already fixed).
    """
    T = env.T
    grid = sorted({int(p) for p in positions if 0 <= p < T})
    if np.isscalar(n_rollouts):
        counts = {p: int(n_rollouts) for p in grid}
    elif len(n_rollouts) == len(positions):
        counts = {int(p): int(n) for p, n in zip(positions, n_rollouts)}
    else:
        counts = {}
    if any(counts.get(p, 0) < 2 for p in grid):
        raise ValueError("n_rollouts: give one count >= 2, or one count >= 2 per grid position (the variance "
                         "correction needs two rollouts)")
    stops = set(env.stop_ids)
    decides = getattr(env, "decided_positions", None)
    owners = {}
    for i, (prompt, response) in enumerate(sequences):
        ended = len(response) > 0 and response[-1] in stops
        decided = decides(prompt, response) if decides is not None else np.zeros(len(response), dtype=bool)
        for p in grid:
            if (p < len(response) and not decided[p]) or (p == len(response) and not ended):
                owners.setdefault(counts[p], []).append((i, p))
    H = np.full((len(sequences), T + 1), np.nan)
    V = np.zeros((len(sequences), T + 1))
    undecided = np.zeros((len(sequences), T + 1), dtype=bool)
    for offset, (n, group) in enumerate(sorted(owners.items())):
        pairs = [(list(sequences[i][0]), list(sequences[i][1][:p])) for i, p in group]
        until = env.rollout_until(pairs) if hasattr(env, "rollout_until") else None
        kwargs = {"until": until} if until is not None else {}
        new = env.sample(model, [prompt + prefix for prompt, prefix in pairs], [T - p for _, p in group], n,
                         seed + 104729 * offset, batch_size, progress, **kwargs)
        prompts = [prompt for prompt, _ in pairs for _ in range(n)]
        responses = [pairs[k][1] + new[k * n + s] for k in range(len(pairs)) for s in range(n)]
        harm = np.asarray(env.label(prompts, responses)["harm"], dtype=float).reshape(len(pairs), n)
        for k, (i, p) in enumerate(group):
            H[i, p], V[i, p], undecided[i, p] = harm[k].mean(), harm[k].var(ddof=1) / n, True
    final = np.asarray(env.label([list(p) for p, _ in sequences], [list(r) for _, r in sequences])["harm"], dtype=float)
    ends = grid + [T]
    for i in range(len(sequences)):
        for p in ends:
            if np.isnan(H[i, p]):  # decided, or at or past the end of the response: H_p = h
                H[i, p], V[i, p] = final[i], 0.0
    return {"H": H, "V": V, "undecided": undecided, "ends": ends, "final": final}


def mc_harm_information(env, model, sequences, positions, n_rollouts, seed: int = 0,
                        batch_size: int | None = None, progress: bool = False, rollouts: dict | None = None) -> pd.DataFrame:
    """One row per block (a, b] of consecutive grid positions, the last ending at T (from `mc_rollouts`, or
    from its output ``rollouts`` when given).

    Columns: t_start = a, t_end = b, t = b, harm_information (the mean of D over sequences) with its 95%
    interval (ci_low, ci_high; see the module doc), per_token = harm_information / (b − a), n (sequences),
    n_undecided, interval; and, the same on every row, total_information (Σ of the blocks, an estimate of
    E[Var(h | x)], P3) with its t-interval over sequences, h_hat_0 (mean Ĥ_0, the estimated harm rate) and
    harm_variance (Var h over sequences).
    """
    if rollouts is None:
        rollouts = mc_rollouts(env, model, sequences, positions, n_rollouts, seed, batch_size, progress)
    H, ends = rollouts["H"], rollouts["ends"]
    table = information_blocks(H, rollouts["V"], rollouts["undecided"], ends)
    table["h_hat_0"] = float(np.nanmean(H[:, 0])) if ends[0] == 0 else np.nan
    final = rollouts["final"]
    table["harm_variance"] = float(np.var(final, ddof=0)) if len(final) else np.nan
    return table


def horizon_bootstrap(rollouts: dict, epsilon: float, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """P(t_ε ≤ k) for every block end k, with sequences resampled with replacement (``n_boot`` times).

    Each resample recomputes the blocks' debiased means D̄ and the ε-horizon of that profile
    (``horizon.epsilon_horizon``); resamples with no positive information give no horizon and count as not ≤ k.
    Columns: k, p_horizon_le_k, t_epsilon (of the full sample, the same on every row), n_boot, n_sequences.
    """
    from ..horizon import epsilon_horizon

    H, V, ends = rollouts["H"], rollouts["V"], rollouts["ends"]
    D = np.stack([(H[:, b] - H[:, a]) ** 2 - V[:, a] - V[:, b] for a, b in zip(ends[:-1], ends[1:])], axis=1)
    rng = np.random.default_rng(seed)
    horizons = np.array([epsilon_horizon(ends[1:], D[rng.integers(len(D), size=len(D))].mean(axis=0), epsilon)
                         for _ in range(n_boot)])
    point = epsilon_horizon(ends[1:], D.mean(axis=0), epsilon)
    return pd.DataFrame({"k": [0] + list(ends[1:]),
                         "p_horizon_le_k": [float(np.mean(horizons <= k)) for k in [0] + list(ends[1:])],
                         "t_epsilon": point, "n_boot": n_boot, "n_sequences": len(D)})
