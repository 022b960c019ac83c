"""The harm automaton on its tree of class-level prefixes, with a policy free at every prefix.

The (t, j) dynamic programme of ``theory.automaton`` covers every policy that depends on a prefix only
through its state. The paper's results are stated for unrestricted per-prefix policies, and its deep
objective is solved by one that is not of that form (``theory.deep``), so the quantities of Young's §4–§7
are computed here on the tree itself (docs/theory.md, "The prefix tree"):

- level s = 1..T holds the 2^{s−1} alive prefixes made of COMPLY and s − 1 complying tokens (PAYLOAD or
  FILLER); prefix i of level s has the children 2i (FILLER) and 2i + 1 (PAYLOAD) at level s + 1, and a
  policy gives each prefix of level s < T a distribution ``probs[s][i]`` over the next token, position
  t = s + 1, among (PAYLOAD, FILLER, RECOVER, EOS); RECOVER and EOS end the response, which the fixed
  length T of the paper pads with a neutral token (Δ_t = 0 and no KL after the end);
- Harm = 1{count ≥ m}, where ``count`` counts PAYLOAD tokens, all of them by default and only those at
  positions ≤ K in the sharp-horizon variant, where Harm = g(y≤K) and the paper's horizon (Thm 9) is K.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .automaton import FILLER, PAYLOAD, Automaton


@dataclass(frozen=True)
class PrefixTree:
    """The alive prefixes level by level: ``count[s]`` (harm-counted payloads, capped at m) and ``log_q[s]``,
    the log-probability of the prefix under the base given COMPLY (the weight of Young's Q, Def 17)."""

    automaton: Automaton
    K: int | None
    count: list
    log_q: list

    @classmethod
    def build(cls, automaton: Automaton, K: int | None = None) -> "PrefixTree":
        if K is not None and not 1 <= K <= automaton.T:
            raise ValueError(f"prefix tree: the sharp horizon K must lie in 1..T = {automaton.T}, got {K}")
        if automaton.T > 24:  # T = 24: 2^23 prefixes, about 2.5 GB for a solve of theory.deep
            raise ValueError(f"prefix tree: T = {automaton.T} has 2^{automaton.T - 1} prefixes; use T <= 24")
        count, log_q = [None, np.zeros(1, dtype=np.int64)], [None, np.zeros(1)]
        log_payload, log_filler = np.log(automaton.q), np.log(automaton.filler)
        for s in range(1, automaton.T):
            counted = int(K is None or s + 1 <= K)
            child = np.empty(2 * len(count[s]), dtype=np.int64)
            child[0::2], child[1::2] = count[s], np.minimum(count[s] + counted, automaton.m)
            weight = np.empty(2 * len(count[s]))
            weight[0::2], weight[1::2] = log_q[s] + log_filler, log_q[s] + log_payload
            count.append(child)
            log_q.append(weight)
        return cls(automaton, K, count, log_q)

    @property
    def T(self) -> int:
        return self.automaton.T

    def harm(self, s: int) -> np.ndarray:
        """g of a response that ends at level s: 1{count ≥ m}."""
        return (self.count[s] >= self.automaton.m).astype(np.float64)

    def horizon(self) -> int:
        """The paper's harm horizon k (Thm 9): K in the sharp variant, T otherwise."""
        return self.T if self.K is None else self.K


def base_row(automaton: Automaton) -> np.ndarray:
    """π_base(· | any alive prefix) over (PAYLOAD, FILLER, RECOVER, EOS)."""
    return np.array([automaton.q, automaton.filler, automaton.r, automaton.e])


def base_tree_policy(tree: PrefixTree) -> tuple[float, list]:
    """(P(COMPLY), probs) of the base policy on the tree."""
    row = base_row(tree.automaton)
    return tree.automaton.c, [None] + [np.broadcast_to(row, (len(n), 4)).copy() for n in tree.count[1:tree.T]]


def node_kl(probs: np.ndarray, base: np.ndarray) -> np.ndarray:
    """KL(π(·|y) ‖ π_base(·|y)) of every row of ``probs`` (a zero probability adds nothing)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(probs > 0, probs * np.log(probs / base), 0.0).sum(axis=1)


def position_kl(tree: PrefixTree, log_weight: list, probs: list) -> np.ndarray:
    """Σ_y w(y) KL(π(·|y) ‖ π_base(·|y)) over the prefixes of level t − 1, t = 2..T (indices 0, 1 are 0), with
    ``log_weight[s]`` the log-weight of each prefix: its reach under a policy (D_t of Thm 14) or under Q."""
    base = base_row(tree.automaton)
    out = np.zeros(tree.T + 1)
    for s in range(1, tree.T):
        out[s + 1] = float((np.exp(log_weight[s]) * node_kl(probs[s], base)).sum())
    return out


def random_tree_policy(tree: PrefixTree, rng: np.random.Generator, scale: float = 1.5) -> tuple[float, list]:
    """A random policy free at every prefix: i.i.d. N(0, scale²) logits."""
    probs = [None]
    for n in tree.count[1:tree.T]:
        z = rng.normal(0.0, scale, size=(len(n), 4))
        z = np.exp(z - z.max(axis=1, keepdims=True))
        probs.append(z / z.sum(axis=1, keepdims=True))
    return float(1 / (1 + np.exp(-rng.normal(0.0, scale)))), probs


def log_reach(tree: PrefixTree, p_comply: float, probs: list) -> list:
    """log P_π(prefix) at every level (−inf where the policy never reaches it)."""
    out = [None, np.array([np.log(p_comply)])]
    for s in range(1, tree.T):
        with np.errstate(divide="ignore"):
            child = np.empty(2 * len(out[s]))
            child[0::2] = out[s] + np.log(probs[s][:, FILLER])
            child[1::2] = out[s] + np.log(probs[s][:, PAYLOAD])
        out.append(child)
    return out


def after_token(tree: PrefixTree, s: int, next_level: np.ndarray, ended: np.ndarray) -> np.ndarray:
    """(n_s, 4) values after each next token at level s: the child's value for PAYLOAD and FILLER, ``ended``
    (a value of the prefix itself) for RECOVER and EOS."""
    return np.stack([next_level[1::2], next_level[0::2], ended, ended], axis=1)


def harm_martingale(tree: PrefixTree, probs: list) -> tuple[list, list]:
    """h at every prefix, H[s][i] = E_π[Harm | prefix] (Def 1), and after each next token, Q[s][i, a]."""
    H = [None] * (tree.T + 1)
    Q = [None] * tree.T
    H[tree.T] = tree.harm(tree.T)
    for s in range(tree.T - 1, 0, -1):
        Q[s] = after_token(tree, s, H[s + 1], tree.harm(s))
        H[s] = (probs[s] * Q[s]).sum(axis=1)
    return H, Q


def innovations(tree: PrefixTree, p_comply: float, probs: list):
    """The Doob decomposition (Prop 4) on the tree: h_0, and per position t = 1..T the arrays over the
    (prefix, next token) pairs of its level: reach weight P(y<t) π(y_t | y<t) and Δ_t = h_t − h_{t−1}."""
    H, Q = harm_martingale(tree, probs)
    h0 = p_comply * H[1][0]
    reach = [None] + [np.exp(r) for r in log_reach(tree, p_comply, probs)[1:]]
    weights = {1: np.array([p_comply, 1 - p_comply])}
    deltas = {1: np.array([H[1][0] - h0, -h0])}
    for s in range(1, tree.T):
        weights[s + 1] = (reach[s][:, None] * probs[s]).ravel()
        deltas[s + 1] = (Q[s] - H[s][:, None]).ravel()
    return h0, weights, deltas, H, Q, reach


def harm_information(tree: PrefixTree, p_comply: float, probs: list) -> np.ndarray:
    """I_t = E[Δ_t²] (Def 5), t = 1..T (index 0 unused)."""
    _, weights, deltas, *_ = innovations(tree, p_comply, probs)
    return information_of(weights, deltas, tree.T)


def information_of(weights: dict, deltas: dict, T: int) -> np.ndarray:
    """I_t = Σ P(y<t, y_t) Δ_t² from the arrays of ``innovations``, t = 1..T (index 0 unused)."""
    info = np.zeros(T + 1)
    for t in range(1, T + 1):
        info[t] = (weights[t] * deltas[t] ** 2).sum()
    return info


def harm_variance(tree: PrefixTree, p_comply: float, probs: list) -> float:
    """Var(Harm) from the distribution of complete responses (Harm is 0 or 1: Var = E[Harm](1 − E[Harm]))."""
    H, _ = harm_martingale(tree, probs)
    mean = p_comply * H[1][0]
    return float(mean * (1 - mean))


def innovation_cross_moments(tree: PrefixTree, p_comply: float, probs: list) -> np.ndarray:
    """E[Δ_s Δ_t] for every pair s < t (Prop 4 says 0), as a (T + 1, T + 1) upper-triangular array.

    The accumulated Δ_s of each path is carried down the tree; at level t − 1 it multiplies the node's
    E-weighted Δ_t, Σ_a π(a) Δ_t(a) (a path that has ended contributes Δ_t = 0)."""
    _, _, deltas, H, Q, reach = innovations(tree, p_comply, probs)
    T = tree.T
    out = np.zeros((T + 1, T + 1))
    # carried[s] at level u: Δ_s of the path to each alive prefix of level u.
    for s in range(1, T):
        if s == 1:
            carried = np.array([H[1][0] - p_comply * H[1][0]])  # the COMPLY branch; REFUSE ends
        else:
            level = s - 1
            delta = Q[level] - H[level][:, None]
            carried = np.empty(2 * len(H[level]))
            carried[0::2], carried[1::2] = delta[:, FILLER], delta[:, PAYLOAD]
        for u in range(s, T):
            expected_next = (probs[u] * (Q[u] - H[u][:, None])).sum(axis=1)
            out[s, u + 1] = (reach[u] * carried * expected_next).sum()
            carried = np.repeat(carried, 2)
    return out


def variance_reduction(tree: PrefixTree, p_comply: float, probs: list) -> np.ndarray:
    """Prop 6's right side per position: E[Var(Harm | y<t)] − E[Var(Harm | y≤t)], t = 1..T."""
    h0, weights, _, H, Q, reach = innovations(tree, p_comply, probs)
    out = np.zeros(tree.T + 1)
    out[1] = h0 * (1 - h0) - p_comply * H[1][0] * (1 - H[1][0])
    for s in range(1, tree.T):
        before = (reach[s] * H[s] * (1 - H[s])).sum()
        after = (reach[s][:, None] * probs[s] * Q[s] * (1 - Q[s])).sum()
        out[s + 1] = before - after
    return out


def gradient_terms(tree: PrefixTree, p_comply: float, probs: list) -> dict:
    """Thm 8's position-t terms for a policy free at every prefix (tabular logits), with Lemma 12's and
    Thm 13's bounds (docs/theory.md, "Gradient bound").

    At prefix y the covariance of h_t with the score ∂ log π(a|y)/∂z_y = e_a − π_y is the vector
    C_t(y)_b = π_b (Q_b − H); prefixes have their own coordinates, so G_t = E_{y<t}[C_t] has
    ‖G_t‖² = Σ_y P(y)² ‖C_t(y)‖². Per position: ``grad_sq`` = ‖G_t‖², ``bound_lemma12`` =
    E_{y<t}[Var(h_t|y<t) tr F_t(y)] (eq. 33), ``bound_thm13`` = F̄ I_t with F̄ = max tr F_t (eq. 34),
    and ``covariance`` = the concatenated vector P(y) C_t(y) itself (for the autograd check).
    """
    h0, weights, deltas, H, Q, reach = innovations(tree, p_comply, probs)
    T = tree.T
    grad_sq, lemma, thm13, vectors = np.zeros(T + 1), np.zeros(T + 1), np.zeros(T + 1), [None] * (T + 1)
    first = np.array([p_comply, 1 - p_comply])
    c1 = first * (np.array([H[1][0], 0.0]) - h0)
    grad_sq[1] = (c1**2).sum()
    trace = 1 - (first**2).sum()
    lemma[1] = (first * (np.array([H[1][0], 0.0]) - h0) ** 2).sum() * trace
    vectors[1] = c1
    info = information_of(weights, deltas, T)
    thm13[1] = trace * info[1]
    for s in range(1, T):
        pi = probs[s]
        c = pi * (Q[s] - H[s][:, None])
        variance = (pi * (Q[s] - H[s][:, None]) ** 2).sum(axis=1)
        trace = 1 - (pi**2).sum(axis=1)
        grad_sq[s + 1] = ((reach[s][:, None] * c) ** 2).sum()
        lemma[s + 1] = (reach[s] * variance * trace).sum()
        thm13[s + 1] = trace.max() * info[s + 1]
        vectors[s + 1] = (reach[s][:, None] * c).ravel()
    return {"grad_sq": grad_sq, "bound_lemma12": lemma, "bound_thm13": thm13, "covariance": vectors}
