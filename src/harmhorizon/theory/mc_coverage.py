"""Coverage of the Monte Carlo I_t estimator, by exact simulation on the automaton (docs/experiments.md,
"Monte Carlo I_t").

``evaluate.harm_information.mc_harm_information`` rolls out n continuations from every undecided prefix of N
base responses.  Under the exact base policy the rollouts' mean harm at a prefix in state (p, j) is
Binomial(n, V[p, j]) / n, so the estimator's whole distribution can be drawn at the level of classes, in
numpy, thousands of times: the same statistic (``information_blocks``) on simulated (Ĥ, v̂), against the exact
I_t.  This separates the estimator's coverage from the neural model's fidelity, which the synthetic track
reads by running the same estimator on the network.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..evaluate.harm_information import information_blocks
from ..intervals import clopper_pearson
from .automaton import EOS, PAYLOAD, RECOVER, Automaton, base_policy, decided_states, harm_information, harm_values


def simulated_estimates(automaton: Automaton, n_sequences: int, n_rollouts: int, rng: np.random.Generator):
    """(H, V, undecided), each (N, T + 1), of one run of the Monte Carlo estimator on N base responses.

    Prefix length p = 0 is the empty response (H_0 = c · V[1, 0]); a response refuses at p = 1 with
    probability 1 − c (h = 0) and otherwise continues in state (p, j) until RECOVER, EOS or T.  Decided or
    finished prefixes have Ĥ = h exactly; undecided ones Ĥ = Binomial(n, V[p, j]) / n and v̂ = Ĥ(1 − Ĥ)/(n − 1).
    """
    policy = base_policy(automaton)
    Vals, _ = harm_values(policy)
    decided = decided_states(policy)
    T, m, N = automaton.T, automaton.m, n_sequences
    true_H = np.zeros((N, T + 1))
    undecided = np.zeros((N, T + 1), dtype=bool)
    true_H[:, 0] = policy.p_comply * Vals[1, 0]
    undecided[:, 0] = True
    alive = rng.random(N) < policy.p_comply
    j = np.zeros(N, dtype=int)
    h = np.zeros(N)  # the final harm, filled in when a response stops
    stopped_at = np.where(alive, T, 1)  # the prefix length at which the response is finished
    for p in range(1, T + 1):
        now = alive.copy()
        true_H[now, p] = Vals[p, j[now]]
        if p < T:
            undecided[now, p] = ~decided[p, j[now]]
            probs = policy.next_probs[p, j]
            u = rng.random(N)
            action = (u[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)
            stop = now & ((action == RECOVER) | (action == EOS))
            h[stop] = (j[stop] >= m).astype(float)
            stopped_at[stop] = p + 1
            j = np.where(now & (action == PAYLOAD), np.minimum(j + 1, m), j)
            alive = now & ~stop
        else:
            h[now] = (j[now] >= m).astype(float)
    positions = np.arange(T + 1)[None, :]
    finished = positions >= stopped_at[:, None]
    true_H = np.where(finished, h[:, None], true_H)
    undecided &= ~finished
    k = rng.binomial(n_rollouts, np.clip(true_H, 0.0, 1.0))
    H_hat = np.where(undecided, k / n_rollouts, true_H)
    V_hat = np.where(undecided, H_hat * (1 - H_hat) / (n_rollouts - 1), 0.0)
    return H_hat, V_hat, undecided


def mc_information_coverage(automaton: Automaton, designs, replications: int, seed) -> pd.DataFrame:
    """Per design (n_sequences, n_rollouts) and position t: how often the 95% interval of
    ``information_blocks`` holds the exact I_t over ``replications`` simulated runs, with its Clopper–Pearson
    interval; the same for the plain Student-t interval (``t_coverage``), the mean estimate and u (undecided
    sequences at t − 1), and the share of runs that used the binomial bound."""
    exact = harm_information(base_policy(automaton))
    T = automaton.T
    ends = list(range(T + 1))
    rows = []
    for design_index, design in enumerate(designs):
        n, r = int(design["n_sequences"]), int(design["n_rollouts"])
        rng = np.random.default_rng([*np.atleast_1d(seed).tolist(), design_index])
        hits = np.zeros(T, dtype=int)
        t_hits = np.zeros(T, dtype=int)
        bound = np.zeros(T, dtype=int)
        estimate = np.zeros(T)
        undecided_count = np.zeros(T)
        for _ in range(replications):
            table = information_blocks(*simulated_estimates(automaton, n, r, rng), ends)
            truth = exact[table.t.to_numpy()]
            hits += ((table.ci_low <= truth) & (truth <= table.ci_high)).to_numpy()
            t_hits += ((table.t_ci_low <= truth) & (truth <= table.t_ci_high)).to_numpy()
            bound += (table.interval != "t").to_numpy()
            estimate += table.harm_information.to_numpy()
            undecided_count += table.n_undecided.to_numpy()
        low, high = clopper_pearson(hits, replications)
        rows.append(pd.DataFrame({
            "n_sequences": n, "n_rollouts": r, "t": np.arange(1, T + 1), "exact": exact[1:],
            "mean_estimate": estimate / replications, "mean_undecided": undecided_count / replications,
            "coverage": hits / replications, "coverage_ci_low": low, "coverage_ci_high": high,
            "t_coverage": t_hits / replications, "bound_share": bound / replications, "replications": replications,
        }))
    return pd.concat(rows, ignore_index=True)
