"""The harm automaton of docs/theory.md §3, solved exactly by dynamic programming in float64.

State convention.  A response that has complied and is still alive after ``t`` tokens, ``j`` of
them PAYLOAD, is the state ``(t, j)`` with ``t = 1..T`` (token 1 is COMPLY) and ``j`` capped at
``m`` (once ``j >= m`` harm is decided, docs/theory.md §3).  A policy is a first-token comply
probability plus a table ``next_probs[t, j, a]`` = π(y_{t+1} = a | state (t, j)) over the four
continuation tokens ``PAYLOAD, FILLER, RECOVER, EOS`` for ``t = 1..T-1`` (row 0 is unused).
Every policy that the theory needs (base, random tabular, Gibbs optimum, recovery optimum) is of
this form, because h depends on the prefix only through (t, j).

The prefill state (k, j) of docs/theory.md §3 (COMPLY then k complying tokens) is the state (k + 1, j).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PAYLOAD, FILLER, RECOVER, EOS = 0, 1, 2, 3
CONTINUATION_TOKENS = ("PAYLOAD", "FILLER", "RECOVER", "EOS")
N_ACTIONS = 4


@dataclass(frozen=True)
class Automaton:
    """Parameters of the harmful-prompt automaton (docs/theory.md §3)."""

    T: int = 24
    c: float = 0.7
    q: float = 0.35
    r: float = 0.03
    e: float = 0.02
    m: int = 3

    def __post_init__(self):
        if self.T < 2:
            raise ValueError(f"automaton.T must be >= 2, got {self.T}")
        if self.m < 1:
            raise ValueError(f"automaton.m must be >= 1, got {self.m}")
        for name in ("c", "q", "r", "e"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"automaton.{name} must lie in [0, 1], got {value}")
        if self.q + self.r + self.e > 1.0:
            raise ValueError(
                f"automaton.q + r + e must be <= 1 (FILLER takes the rest), got {self.q + self.r + self.e}"
            )

    @property
    def filler(self) -> float:
        return 1.0 - self.q - self.r - self.e


@dataclass(frozen=True)
class Policy:
    """A (t, j)-Markov policy on the automaton: P(COMPLY) and next_probs[t, j, a] (see module doc)."""

    p_comply: float
    next_probs: np.ndarray = field(repr=False)

    @property
    def T(self) -> int:
        return self.next_probs.shape[0]

    @property
    def m(self) -> int:
        return self.next_probs.shape[1] - 1


def base_policy(automaton: Automaton) -> Policy:
    """π_ref of docs/theory.md §3: i.i.d. continuation tokens with probabilities (q, 1-q-r-e, r, e)."""
    row = np.array([automaton.q, automaton.filler, automaton.r, automaton.e], dtype=np.float64)
    table = np.broadcast_to(row, (automaton.T, automaton.m + 1, N_ACTIONS)).copy()
    table[0] = np.nan
    return Policy(p_comply=float(automaton.c), next_probs=table)


def softmax_policy(comply_logits: np.ndarray, logits: np.ndarray) -> Policy:
    """Tabular policy from logits: comply_logits (2,) = (COMPLY, REFUSE), logits (T, m+1, 4)."""
    z = comply_logits - comply_logits.max()
    p_comply = float(np.exp(z[0]) / np.exp(z).sum())
    shifted = logits - logits.max(axis=-1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=-1, keepdims=True)
    probs[0] = np.nan
    return Policy(p_comply=p_comply, next_probs=probs)


def random_tabular_policy(automaton: Automaton, rng: np.random.Generator, scale: float = 1.5) -> Policy:
    """A random tabular policy: i.i.d. N(0, scale²) logits at every state."""
    return softmax_policy(
        rng.normal(0.0, scale, size=2), rng.normal(0.0, scale, size=(automaton.T, automaton.m + 1, N_ACTIONS))
    )


def _shift_payload(values: np.ndarray, m: int) -> np.ndarray:
    """values[j] -> values[min(j + 1, m)]: the state reached by one more PAYLOAD."""
    return np.concatenate([values[1:], values[m:]])


def decided_harm(m: int) -> np.ndarray:
    """h of a response that ends in payload count j (capped): 1{j >= m}, for j = 0..m."""
    out = np.zeros(m + 1)
    out[m] = 1.0
    return out


def graded_harm(m: int) -> np.ndarray:
    """E3b's graded h of a response that ends in payload count j: j/m for j = 0..m (with m = T − 1 no count is
    capped, so every payload token adds harm and nothing is decided before the end)."""
    return np.arange(m + 1) / m


def continuation_values(
    policy: Policy, terminal: np.ndarray, step_reward: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Backward recursion for a quantity paid when the response ends.

    ``terminal[j]`` is paid when the response stops (RECOVER, EOS or the cut at T) at payload count
    j; ``step_reward[t, j, a]`` (optional) is paid on taking token a at state (t, j).  Returns
    ``V[t, j]`` (expected total from state (t, j), t = 1..T) and ``Q[t, j, a]`` (the same after
    token a, t = 1..T-1).  With terminal = 1{j >= m} this is the Doob martingale H of docs/theory.md §1.2:
    V = E[h | y_≤t] and Q = E[h | y_≤t, a].
    """
    T, m = policy.T, policy.m
    V = np.zeros((T + 1, m + 1))
    Q = np.zeros((T, m + 1, N_ACTIONS))
    V[T] = terminal
    for t in range(T - 1, 0, -1):
        Q[t, :, PAYLOAD] = _shift_payload(V[t + 1], m)
        Q[t, :, FILLER] = V[t + 1]
        Q[t, :, RECOVER] = terminal
        Q[t, :, EOS] = terminal
        if step_reward is not None:
            Q[t] += step_reward[t]
        V[t] = (policy.next_probs[t] * Q[t]).sum(axis=-1)
    V[0] = np.nan
    return V, Q


def harm_values(policy: Policy, terminal: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """H_t as a function of the state: V[t, j] = E_π[h | state (t, j)], Q[t, j, a] = E_π[h | (t, j), a];
    h = ``terminal[j]`` at the end (default the threshold harm 1{j ≥ m})."""
    return continuation_values(policy, decided_harm(policy.m) if terminal is None else terminal)


def reach_probabilities(policy: Policy) -> np.ndarray:
    """Forward recursion: reach[t, j] = P_π(the response is alive in state (t, j)), t = 1..T."""
    T, m = policy.T, policy.m
    reach = np.zeros((T + 1, m + 1))
    reach[1, 0] = policy.p_comply
    for t in range(1, T):
        p = policy.next_probs[t]
        reach[t + 1] += reach[t] * p[:, FILLER]
        moved = reach[t] * p[:, PAYLOAD]
        reach[t + 1, 1:] += moved[:-1]
        reach[t + 1, m] += moved[m]
    return reach


def expected_harm(policy: Policy, terminal: np.ndarray | None = None) -> float:
    """E_π[h] = H_0 = P(COMPLY) · V[1, 0] (REFUSE gives h = 0)."""
    V, _ = harm_values(policy, terminal)
    return float(policy.p_comply * V[1, 0])


def harm_information(policy: Policy, terminal: np.ndarray | None = None) -> np.ndarray:
    """I_t = E_π[Δ_t²], t = 1..T (index 0 unused, set to 0) (docs/theory.md §1.2).

    Position 1: Δ_1 = H_1 - H_0 with H_1 = V[1, 0] after COMPLY and 0 after REFUSE.
    Position t ≥ 2: I_t = Σ_j reach[t-1, j] Σ_a π(a | t-1, j) (Q[t-1, j, a] - V[t-1, j])².
    """
    V, Q = harm_values(policy, terminal)
    reach = reach_probabilities(policy)
    T = policy.T
    info = np.zeros(T + 1)
    H0 = policy.p_comply * V[1, 0]
    info[1] = policy.p_comply * (V[1, 0] - H0) ** 2 + (1 - policy.p_comply) * H0**2
    for t in range(2, T + 1):
        s = t - 1
        innovation_sq = (policy.next_probs[s] * (Q[s] - V[s][:, None]) ** 2).sum(axis=-1)
        info[t] = (reach[s] * innovation_sq).sum()
    return info


def epsilon_horizon(info: np.ndarray, epsilon: float) -> int:
    """t_ε = min{t : Σ_{s>t} I_s ≤ ε Σ_s I_s} (docs/theory.md §1.3); info is indexed by t with info[0] = 0.

    ``harmhorizon.horizon.epsilon_horizon`` on blocks of one position; 0 when no harm is decided anywhere.
    """
    from ..horizon import epsilon_horizon as horizon_of_blocks

    value = horizon_of_blocks(np.arange(1, len(info)), info[1:], epsilon)
    return int(value) if np.isfinite(value) else 0


def decided_states(policy: Policy) -> np.ndarray:
    """mask[t, j] = True where harm is already decided at (t, j): Q[t, j, a] = V[t, j] for all a.

    Under any policy with full support these are the states with j ≥ m, or with too few positions
    left to reach m (j + T - t < m).  They are the prefixes past their harm horizon.
    """
    T, m = policy.T, policy.m
    t = np.arange(T)[:, None]
    j = np.arange(m + 1)[None, :]
    mask = (j >= m) | (j + (T - t) < m)
    mask[0] = False
    return mask


def per_position_kl(policy: Policy, reference: Policy) -> np.ndarray:
    """KL_t(π) = E_{y∼π_ref}[1{y reaches t} KL(π(·|y_<t) ‖ π_ref(·|y_<t))], t = 1..T (docs/theory.md §1.5)."""
    T = reference.T
    reach = reach_probabilities(reference)
    kl = np.zeros(T + 1)
    p, p0 = policy.p_comply, reference.p_comply
    kl[1] = bernoulli_kl(p, p0)
    for t in range(2, T + 1):
        s = t - 1
        pi, ref = policy.next_probs[s], reference.next_probs[s]
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(pi > 0, pi * (np.log(pi) - np.log(ref)), 0.0)
        kl[t] = (reach[s] * terms.sum(axis=-1)).sum()
    return kl


def bernoulli_kl(p: float, p0: float) -> float:
    out = 0.0
    if p > 0:
        out += p * np.log(p / p0)
    if p < 1:
        out += (1 - p) * np.log((1 - p) / (1 - p0))
    return float(out)


def recovery_eventual(policy: Policy) -> np.ndarray:
    """U[t, j] = P_π(RECOVER is emitted at some later position | state (t, j)), t = 1..T."""
    step = np.zeros((policy.T, policy.m + 1, N_ACTIONS))
    step[:, :, RECOVER] = 1.0
    V, _ = continuation_values(policy, np.zeros(policy.m + 1), step_reward=step)
    return V
