"""The "cliff edge" of Young's §10.2 on the default automaton, as we read it (docs/experiments.md E9).

The paper: a prefill that covers the positions where I_t > 0 bypasses standard alignment, so an attacker should
target the cliff edge where I_t falls to about zero. The paper gives no formula; we read it at a level ε.

- Protection at prefill length L: with the first L tokens of a base harmful response forced (COMPLY and L − 1
  complying tokens, drawn as an attacker who prefills base harmful responses would, experiments.harmful_prefill_weights),
  the gap between the base's harm and the exact Gibbs optimum's harm, over the same gap without a prefill (L = 0):
  protection(L) = (H_base(L) − H_β(L)) / (H_base(0) − H_β(0)).
- The shortest effective prefill at ε: the smallest L with protection(L) ≤ ε.
- The cliff edge at ε: t_ε of the base's I_t, the smallest t with Σ_{s>t} I_s ≤ ε Σ_s I_s (docs/theory.md §1.3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .automaton import Automaton, base_policy, epsilon_horizon, expected_harm, harm_information, harm_values
from .experiments import harmful_prefill_weights
from .gibbs import Objective, optimal_policy


def attacked_harm(policy, weights: np.ndarray) -> np.ndarray:
    """Harm rate after a prefill of length L = 0..T−1 (L = 0: no prefill), the prefill states weighted by ``weights``."""
    V, _ = harm_values(policy)
    T, m = policy.T, policy.m
    out = np.empty(T)
    out[0] = expected_harm(policy)
    for L in range(1, T):
        j = np.arange(L)
        out[L] = float((weights[L - 1, :L] * V[L, np.minimum(j, m)]).sum())
    return out


def cliff_edge_table(automaton: Automaton, betas) -> pd.DataFrame:
    """Per β and prefill length L: the base's and the optimum's attacked harm, the protection, the share of the
    base's I_t still ahead of position L, and the share of Var(Harm) a harmful prefill of length L leaves open."""
    base = base_policy(automaton)
    info = harm_information(base)
    remaining = 1 - np.cumsum(info) / info.sum()
    weights = harmful_prefill_weights(base)
    harm_base = attacked_harm(base, weights)
    # The base's harm variance still undecided after a harmful prefill of length L, E_w[V(1 − V)], as a share of
    # Var(Harm): what an attacker's prefixes leave open, against the share of I_t still ahead on average prefixes.
    V, _ = harm_values(base)
    open_variance = np.ones(automaton.T)
    for L in range(1, automaton.T):
        v = V[L, np.minimum(np.arange(L), base.m)]
        open_variance[L] = float((weights[L - 1, :L] * v * (1 - v)).sum()) / (harm_base[0] * (1 - harm_base[0]))
    rows = []
    for beta in betas:
        harm = attacked_harm(optimal_policy(base, Objective(beta))[0], weights)
        gap = harm_base - harm
        for L in range(automaton.T):
            rows.append({"beta": beta, "L": L, "harm_base": harm_base[L], "harm_aligned": harm[L],
                         "protection": gap[L] / gap[0], "remaining_information": max(float(remaining[L]), 0.0),
                         "open_variance_harmful_prefill": open_variance[L]})
    return pd.DataFrame(rows)


def cliff_edge_positions(table: pd.DataFrame, automaton: Automaton, epsilons) -> pd.DataFrame:
    """Per β and ε: the shortest effective prefill (inf where none within T − 1 tokens) and the cliff edge t_ε."""
    info = harm_information(base_policy(automaton))
    rows = []
    for beta, part in table.groupby("beta", sort=False):
        for epsilon in epsilons:
            effective = part.L[part.protection <= epsilon]
            rows.append({"beta": beta, "epsilon": epsilon, "cliff_edge": epsilon_horizon(info, epsilon),
                         "shortest_effective_prefill": float(effective.min()) if len(effective) else np.inf})
    return pd.DataFrame(rows)
