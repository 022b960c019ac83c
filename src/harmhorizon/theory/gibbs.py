"""KL-regularised optima on the automaton: the standard Gibbs measure (P4) and the recovery optimum (P5).

Both minimise  E_π[h] + β KL(π ‖ π_ref) + μ Σ_t γ^t E_π[1{harmful(y_<t)} 1{y_t ∉ R}]
(μ = 0 is standard alignment).  The optimum is the Gibbs measure
π*(y) ∝ π_ref(y) exp(-(h(y) + μ Σ_t γ^t 1{harmful} 1{y_t ∉ R}) / β), whose conditionals follow from
the soft Bellman recursion in log space

    log Z(s) = logsumexp_a [ log π_ref(a|s) - c(s, a)/β + log Z(s a) ],
    π*(a|s)  = π_ref(a|s) exp(-c(s, a)/β) Z(s a) / Z(s),

with log Z = -h/β when the response ends.  R = {RECOVER}; harmful(y_<t) holds at every alive state
(t, j) (the prefix has complied and not recovered), so a token at position t+1 chosen at (t, j)
costs c = μ γ^{t+1} 1{a ≠ RECOVER}.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logsumexp

from .automaton import (
    N_ACTIONS,
    RECOVER,
    Policy,
    bernoulli_kl,
    continuation_values,
    decided_harm,
)


@dataclass(frozen=True)
class Objective:
    """β > 0 (KL weight), μ ≥ 0 (recovery penalty), γ ∈ (0, 1] (its discount); docs/theory.md §P4, §4.1."""

    beta: float
    mu: float = 0.0
    gamma: float = 1.0

    def __post_init__(self):
        if self.beta <= 0:
            raise ValueError(f"beta must be > 0, got {self.beta}")
        if self.mu < 0:
            raise ValueError(f"mu must be >= 0, got {self.mu}")
        if not 0 < self.gamma <= 1:
            raise ValueError(f"gamma must lie in (0, 1], got {self.gamma}")


def recovery_penalty_costs(T: int, m: int, objective: Objective) -> np.ndarray:
    """c[t, j, a] = μ γ^{t+1} 1{a ∉ R} at every alive (hence harmful) state (t, j), t = 1..T-1."""
    cost = np.zeros((T, m + 1, N_ACTIONS))
    positions = np.arange(T) + 1.0
    cost[1:] = (objective.mu * objective.gamma ** positions[1:])[:, None, None]
    cost[:, :, RECOVER] = 0.0
    cost[0] = 0.0
    return cost


def optimal_policy(reference: Policy, objective: Objective, terminal: np.ndarray | None = None) -> tuple[Policy, float]:
    """The Gibbs optimum π* and log Z_0 (so that the optimal objective value is -β log Z_0); h = ``terminal[j]``
    at the end (default the threshold harm 1{j ≥ m})."""
    T, m, beta = reference.T, reference.m, objective.beta
    cost = recovery_penalty_costs(T, m, objective)
    log_terminal = -(decided_harm(m) if terminal is None else terminal) / beta
    # log Z after each token: continuation_values with terminal log Z is not linear, so recurse here.
    log_Z = np.zeros((T + 1, m + 1))
    log_Z[T] = log_terminal
    probs = np.full_like(reference.next_probs, np.nan)
    with np.errstate(divide="ignore"):
        log_ref = np.log(reference.next_probs)
    for t in range(T - 1, 0, -1):
        after = np.empty((m + 1, N_ACTIONS))
        after[:, 0] = np.concatenate([log_Z[t + 1, 1:], log_Z[t + 1, m:]])
        after[:, 1] = log_Z[t + 1]
        after[:, 2] = log_terminal
        after[:, 3] = log_terminal
        scores = log_ref[t] - cost[t] / beta + after
        log_Z[t] = logsumexp(scores, axis=-1)
        probs[t] = np.exp(scores - log_Z[t][:, None])
    # Position 1 carries no penalty (the empty prefix is not harmful); REFUSE ends with h = 0.
    first = np.array([np.log(reference.p_comply) + log_Z[1, 0], np.log1p(-reference.p_comply)])
    log_Z0 = float(logsumexp(first))
    p_comply = float(np.exp(first[0] - log_Z0))
    return Policy(p_comply=p_comply, next_probs=probs), log_Z0


def objective_value(policy: Policy, reference: Policy, objective: Objective) -> float:
    """E_π[h] + β KL(π ‖ π_ref) + μ Σ_t γ^t E_π[1{harmful} 1{y_t ∉ R}], evaluated exactly.

    Computed by one backward recursion with per-step reward β log(π/π_ref) + c and terminal h,
    independently of the soft Bellman recursion in `optimal_policy`.
    """
    cost = recovery_penalty_costs(reference.T, reference.m, objective)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.where(policy.next_probs > 0, np.log(policy.next_probs / reference.next_probs), 0.0)
    step = objective.beta * log_ratio + cost
    step[0] = 0.0
    V, _ = continuation_values(policy, decided_harm(reference.m), step_reward=step)
    first_kl = bernoulli_kl(policy.p_comply, reference.p_comply)
    return float(policy.p_comply * V[1, 0] + objective.beta * first_kl)


def recovery_log_odds(policy: Policy) -> np.ndarray:
    """ℓ[t, j] = log π(R | t, j) - log π(not R | t, j) at every state, t = 1..T-1."""
    p = policy.next_probs[:, :, RECOVER]
    return np.log(p) - np.log1p(-p)


def recovery_lower_bound(reference: Policy, objective: Objective) -> np.ndarray:
    """P5/P6 bound at each harmful state: σ(ℓ_ref(t, j) + μ γ^{t+1} / β) ≤ π*(R | t, j)."""
    T = reference.T
    positions = np.arange(T) + 1.0
    shift = objective.mu * objective.gamma**positions / objective.beta
    return expit(recovery_log_odds(reference) + shift[:, None])


def standard_and_base_agree_past_horizon(reference: Policy, standard: Policy, decided: np.ndarray) -> float:
    """max |π*(a|s) - π_ref(a|s)| over the decided states s (docs/theory.md §P4, P4(a); exactly 0 in theory)."""
    diff = np.abs(standard.next_probs - reference.next_probs).max(axis=-1)
    return float(diff[decided].max()) if decided.any() else 0.0

