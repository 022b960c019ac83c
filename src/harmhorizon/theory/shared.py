"""Young's Appendix A on the exact automaton: standard alignment of log-linear policies whose parameters are
shared across positions (docs/theory.md §4.5; docs/experiments.md E5b).

A policy of this family gives the next token at prefix y (level s of the prefix tree, position t = s + 1)
the logits  log π_base(a) + φ(y)ᵀ W[:, a],  with features φ(y) shared by every position and W[:, FILLER]
fixed at 0 (softmax is invariant to a common shift, so the Fisher matrix is positive definite); the
first token (COMPLY or REFUSE) has a logit of its own. ``FEATURES`` names the feature sets: whether the
policy can see the payload count (and so tell that harm is decided) and whether it can see that the
horizon has passed. The standard objective λ·E[Harm] + KL(P_θ ‖ P_base) (eq. 2) is minimised exactly
(torch, float64, L-BFGS to a gradient below 1e-10), and set beside Prop 25's first-order solution and
eq. 58's per-position KL with its split into eq. 59's functional and incidental parts.
"""

from __future__ import annotations

import numpy as np
import torch

from .automaton import FILLER, RECOVER, bernoulli_kl
from .leading_order import covariance_with_score, free_fisher
from .prefix_tree import PrefixTree, base_row, base_tree_policy, harm_martingale, log_reach, position_kl

FREE_ACTIONS = [a for a in range(4) if a != FILLER]

FEATURES = {
    # A bias per token: the policy sees nothing of the prefix.
    "bias": lambda tree, s, count: np.ones((len(count), 1)),
    # The position, one-hot: the policy can tell where in the response it is, not what it has said.
    "position": lambda tree, s, count: np.eye(tree.T)[np.full(len(count), s)],
    # The payload count, one-hot (which contains the bias): the policy can tell whether harm is decided.
    "count": lambda tree, s, count: np.eye(tree.automaton.m + 1)[count],
    # The count and whether the horizon has passed: the policy can also tell where harm is decided.
    "count+horizon": lambda tree, s, count: np.concatenate(
        [np.eye(tree.automaton.m + 1)[count], np.full((len(count), 1), float(tree.K is not None and s + 1 > tree.K))],
        axis=1),
}


def feature_levels(tree: PrefixTree, name: str) -> list:
    """φ(y) for every prefix of every level s = 1..T−1 (the choice of token s + 1)."""
    if name not in FEATURES:
        raise ValueError(f"shared-parameter policy {name!r} is not one of {sorted(FEATURES)}")
    return [None] + [FEATURES[name](tree, s, tree.count[s]) for s in range(1, tree.T)]


def _policy(tree: PrefixTree, phi: list, W: torch.Tensor, comply_shift: torch.Tensor):
    """(P(COMPLY), [probs per level]) of the log-linear policy as torch tensors."""
    log_base = torch.tensor(np.log(base_row(tree.automaton)), dtype=torch.float64)
    full = torch.zeros(W.shape[0], 4, dtype=torch.float64)
    full = full.index_copy(1, torch.tensor(FREE_ACTIONS), W)
    probs = [None] + [torch.softmax(log_base + torch.tensor(phi[s]) @ full, dim=1) for s in range(1, tree.T)]
    c = tree.automaton.c
    comply = torch.sigmoid(torch.tensor(np.log(c / (1 - c)), dtype=torch.float64) + comply_shift)
    return comply, probs


def random_log_linear_policy(tree: PrefixTree, name: str, rng: np.random.Generator, scale: float = 1.5):
    """A random policy of the family ``name``: i.i.d. N(0, scale²) entries of W. Returns (P(COMPLY), probs,
    features)."""
    phi = feature_levels(tree, name)
    W = torch.tensor(rng.normal(0.0, scale, size=(phi[1].shape[1], len(FREE_ACTIONS))), dtype=torch.float64)
    with torch.no_grad():
        comply, probs = _policy(tree, phi, W, torch.tensor(0.0, dtype=torch.float64))
    return float(comply), [None] + [p.numpy() for p in probs[1:]], phi


def standard_objective(tree: PrefixTree, lam: float, comply, probs):
    """λ·E[Harm] + KL(P_θ ‖ P_base) (eq. 2) of a tree policy given as torch tensors."""
    base = torch.tensor(base_row(tree.automaton), dtype=torch.float64)
    c = tree.automaton.c
    kl = comply * torch.log(comply / c) + (1 - comply) * torch.log((1 - comply) / (1 - c))
    reach, harm = comply.reshape(1), 0.0
    for s in range(1, tree.T):
        row = probs[s]
        kl = kl + (reach * (row * torch.log(row / base)).sum(1)).sum()
        harm = harm + (reach * (row[:, 2] + row[:, 3]) * torch.tensor(tree.harm(s))).sum()
        reach = torch.stack([reach * row[:, 1], reach * row[:, 0]], dim=1).reshape(-1)
    return lam * (harm + (reach * torch.tensor(tree.harm(tree.T))).sum()) + kl


def solve_shared(tree: PrefixTree, name: str, lam: float, tol: float = 1e-10, max_iter: int = 1000):
    """The minimiser of eq. 2 over the log-linear family ``name`` (L-BFGS from the base, float64):
    (P(COMPLY), probs as numpy, W, the final largest partial derivative)."""
    phi = feature_levels(tree, name)
    W = torch.zeros(phi[1].shape[1], len(FREE_ACTIONS), dtype=torch.float64, requires_grad=True)
    shift = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([W, shift], lr=1.0, max_iter=max_iter, tolerance_grad=tol, tolerance_change=0.0,
                                  history_size=20, line_search_fn="strong_wolfe")

    def closure():
        optimiser.zero_grad()
        value = standard_objective(tree, lam, *_policy(tree, phi, W, shift))
        value.backward()
        return value

    optimiser.step(closure)
    # L-BFGS stops where float rounding of the line search does, which depends on the CPU's code paths; a few
    # Newton steps with the exact Hessian (a handful of parameters) take the optimum to rounding everywhere.
    x = torch.cat([W.detach().ravel(), shift.detach().reshape(1)])
    shape = W.shape

    def objective(v):
        return standard_objective(tree, lam, *_policy(tree, phi, v[:-1].reshape(shape), v[-1]))

    for _ in range(8):
        point = x.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(objective(point), point)
        if grad.abs().max().item() < 1e-14:
            break
        x = x - torch.linalg.solve(torch.autograd.functional.hessian(objective, x), grad)
    point = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(objective(point), point)
    with torch.no_grad():
        comply, probs = _policy(tree, phi, x[:-1].reshape(shape), x[-1])
    return float(comply), [None] + [p.numpy() for p in probs[1:]], x[:-1].reshape(shape).numpy(), grad.abs().max().item()


def first_order_kl(tree: PrefixTree, name: str, lam: float) -> dict:
    """Prop 25 and eq. 58–59 at the base: per position t, the predicted D_t, its functional and incidental
    parts, with G_t and F̄_t the harm gradient and Fisher matrix of position t in the shared parameters
    (the first token's own parameter is a separate block)."""
    phi = feature_levels(tree, name)
    p_comply, probs = base_tree_policy(tree)
    H, Q = harm_martingale(tree, probs)
    reach = [None] + [np.exp(r) for r in log_reach(tree, p_comply, probs)[1:]]
    d = phi[1].shape[1] * len(FREE_ACTIONS)
    G, F = np.zeros((tree.T + 1, d)), np.zeros((tree.T + 1, d, d))
    for s in range(1, tree.T):
        pi = probs[s]
        c = covariance_with_score(pi, Q[s])                           # Cov(h_t, e_a − π), free actions
        G[s + 1] = np.einsum("n,ni,na->ia", reach[s], phi[s], c).ravel()
        block = free_fisher(pi)
        F[s + 1] = np.einsum("n,ni,nj,nab->iajb", reach[s], phi[s], phi[s], block).reshape(d, d)
    total = np.linalg.inv(F.sum(axis=0))
    step = -lam * total @ G.sum(axis=0)                                  # Prop 25, eq. 57
    predicted = np.array([0.5 * step @ F[t] @ step for t in range(tree.T + 1)])
    functional = np.array([0.5 * lam**2 * (total @ G[t]) @ F[t] @ (total @ G[t]) for t in range(tree.T + 1)])
    return {"kl_eq58": predicted, "functional": functional, "incidental": predicted - functional}


def recovery_shift(tree: PrefixTree, probs: list, harmful_only: bool) -> np.ndarray:
    """Δℓ_t: the Q-weighted mean over prefixes of level t − 1 of logit π(R|y) − logit π_base(R|y), over the
    prefixes whose harm is decided harmful (count ≥ m) when ``harmful_only``, NaN where there are none."""
    r = tree.automaton.r
    out = np.full(tree.T + 1, np.nan)
    for s in range(1, tree.T):
        keep = tree.count[s] >= tree.automaton.m if harmful_only else np.ones(len(tree.count[s]), dtype=bool)
        if not keep.any():
            continue
        recovery = probs[s][keep, RECOVER]
        shift = np.log(recovery / (1 - recovery)) - np.log(r / (1 - r))
        weight = np.exp(tree.log_q[s][keep])
        out[s + 1] = float((shift * weight).sum() / weight.sum())
    return out


def aligned_kl(tree: PrefixTree, p_comply: float, probs: list) -> np.ndarray:
    """D_t = E_{y<t ∼ P_θ}[KL(P_θ(·|y<t) ‖ P_base(·|y<t))], t = 1..T (ended responses add nothing)."""
    out = position_kl(tree, log_reach(tree, p_comply, probs), probs)
    out[1] = bernoulli_kl(p_comply, tree.automaton.c)
    return out


def shared_parameter_table(tree: PrefixTree, lambdas, policies) -> "pd.DataFrame":
    """E5b on the exact automaton: per policy ("tabular" is the Gibbs optimum, free at every prefix), λ and
    position t: the measured D_t, eq. 58's prediction and its functional part, and the recovery log-odds shift
    at Q-prefixes (all, and decided harmful)."""
    import pandas as pd

    from .deep import solve_deep

    rows = []
    for lam in lambdas:
        for policy in ["tabular", *policies]:
            if policy == "tabular":
                solution = solve_deep(tree, lam, 0.0, 1.0)
                p_comply, probs, grad = solution.p_comply, solution.probs, 0.0
                first = None
            else:
                p_comply, probs, _, grad = solve_shared(tree, policy, lam)
                first = first_order_kl(tree, policy, lam)
            kl = aligned_kl(tree, p_comply, probs)
            every, harmful = recovery_shift(tree, probs, False), recovery_shift(tree, probs, True)
            for t in range(1, tree.T + 1):
                # Exact: no seed, and an interval of zero width (the columns every track's table shares).
                rows.append({"policy": policy, "lambda": lam, "seed": 0, "t": t, "past_horizon": t > tree.horizon(),
                             "kl_t": kl[t], "delta_logodds": every[t], "ci_low": every[t], "ci_high": every[t],
                             "delta_logodds_harmful": harmful[t],
                             "kl_eq58": first["kl_eq58"][t] if first else np.nan,
                             "kl_functional": first["functional"][t] if first else np.nan, "grad_norm": grad})
    return pd.DataFrame(rows)

