"""Young's deep alignment objective (Def 17) on the harm automaton, solved exactly on the prefix tree.

H_deep(π) = λ·E_π[Harm] + μ·Σ_{t≥2} γ^{t−1} Σ_{y<t} q(y<t)·(1 − π(R | y<t)) + KL(π ‖ π_base)   (eq. 43)

with R = {RECOVER} and Q the adversarial prefix distribution: the base's harmful prefixes, i.e. COMPLY
followed by t − 2 complying tokens (PAYLOAD or FILLER), weighted by the base's probability of producing
them given COMPLY, ``q(y<t) = Π π_base(y_s | y<s)``. In the sharp-horizon variant (``K``) only the
PAYLOAD tokens at positions ≤ K count towards Harm, so Harm = g(y≤K) and the paper's horizon is K.

Why the prefix tree (docs/theory.md, "The deep objective"). Setting the derivative of H_deep with respect
to the conditional at one prefix y to zero gives

    π*(a | y) ∝ π_base(a | y) · exp(−C(y a) + β̃(y)·1[a ∈ R]),   β̃(y) = μ γ^{t−1} q(y) / p_π(y),

where C(y a) is the expected λ·Harm plus KL of the continuation after y a under π, and p_π(y) is the
aligned model's own probability of y. β̃ is Remark 9's importance-weighted shift; the paper's Thm 20
drops the ratio q/p_π (β = μγ^{t−1}) and the continuation term C. Because p_π(y) depends on the order of
the earlier tokens, the optimum differs between prefixes with the same payload count, so it is solved on
the tree of class-level prefixes (2^{t−2} alive prefixes at length t), by iterating the two passes to a
fixed point: forward (p_π in log space), backward (the conditionals above, deepest level first). At
μ = 0 one backward pass is exact: the Gibbs optimum π_base·exp(−λ Harm).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.special import expit, logsumexp

from .automaton import EOS, RECOVER, Automaton, bernoulli_kl
from .prefix_tree import PrefixTree, after_token, base_row, base_tree_policy, log_reach, node_kl, position_kl

BETA_CAP = 1.0e6


@dataclass
class DeepSolution:
    """The optimum: P(COMPLY), the conditionals ``probs[s]`` (n_s, 4) at every level s < T, the recovery
    log-odds ``log_odds[s]`` (computed from the unnormalised log-probabilities, so that they stay accurate
    where recovery is within rounding of 1), the log-reach ``log_p[s]`` of every prefix under the optimum,
    and how the fixed point converged."""

    p_comply: float
    probs: list
    log_odds: list
    log_p: list
    iterations: int
    change: float


def _backward(tree: PrefixTree, lam: float, mu: float, gamma: float, log_p: list) -> tuple[float, list, list]:
    """The conditionals that zero the derivative at every prefix, given the reach ``log_p``; returns
    (P(COMPLY), probs, recovery log-odds)."""
    automaton, T = tree.automaton, tree.T
    log_base = np.log(base_row(automaton))
    cost = lam * tree.harm(T)
    probs, log_odds = [None] * T, [None] * T
    for s in range(T - 1, 0, -1):
        child = after_token(tree, s, cost, lam * tree.harm(s))
        scores = log_base[None, :] - child
        if mu > 0:
            # β̃ = μγ^{t−1} q/p; a prefix the optimum (almost) never reaches recovers with probability 1 there
            # (its KL costs nothing), which a cap of 1e6 on the tilt reproduces exactly in float64.
            with np.errstate(over="ignore"):
                tilt = mu * gamma ** s * np.exp(np.minimum(tree.log_q[s] - log_p[s], 700.0))
            scores[:, RECOVER] += np.minimum(tilt, BETA_CAP)
        log_norm = logsumexp(scores, axis=1, keepdims=True)
        row = np.exp(scores - log_norm)
        probs[s] = row
        log_odds[s] = scores[:, RECOVER] - logsumexp(np.delete(scores, RECOVER, axis=1), axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            kl = np.where(row > 0, row * (np.log(row) - log_base[None, :]), 0.0).sum(axis=1)
        cost = kl + (row * child).sum(axis=1)
    c = automaton.c
    comply = expit(np.log(c) - np.log1p(-c) - cost[0])  # REFUSE ends with Harm = 0 and no further cost
    return float(comply), probs, log_odds


def solve_deep(tree: PrefixTree, lam: float, mu: float, gamma: float, tol: float = 1e-13,
               max_iter: int = 5000) -> DeepSolution:
    """The minimiser of H_deep on the prefix tree (module docstring): forward and backward passes until the
    conditionals move by less than ``tol``."""
    if lam < 0 or mu < 0 or not 0 < gamma <= 1:
        raise ValueError(f"deep objective needs lambda >= 0, mu >= 0, 0 < gamma <= 1; got {lam}, {mu}, {gamma}")
    p_comply, probs = base_tree_policy(tree)
    change, log_odds = np.inf, None
    for iteration in range(1, max_iter + 1):
        log_p = log_reach(tree, p_comply, probs)
        new_comply, new_probs, log_odds = _backward(tree, lam, mu, gamma, log_p)
        change = max(abs(new_comply - p_comply), *(np.abs(a - b).max() for a, b in zip(new_probs[1:], probs[1:])))
        p_comply, probs = new_comply, new_probs
        if change < tol or mu == 0:
            break
    return DeepSolution(p_comply, probs, log_odds, log_reach(tree, p_comply, probs), iteration, float(change))


def deep_objective_value(tree: PrefixTree, solution_or_probs, lam: float, mu: float, gamma: float,
                         p_comply: float | None = None) -> float:
    """H_deep (eq. 43) of a tree policy: λ·E[Harm] + μ·Σ γ^{t−1} E_Q[1 − π(R|y<t)] + KL(π ‖ π_base)."""
    if isinstance(solution_or_probs, DeepSolution):
        p_comply, probs = solution_or_probs.p_comply, solution_or_probs.probs
    else:
        probs = solution_or_probs
    automaton, T = tree.automaton, tree.T
    base = base_row(automaton)
    log_p = log_reach(tree, p_comply, probs)
    kl = bernoulli_kl(p_comply, automaton.c)
    harm = float((np.exp(log_p[T]) * tree.harm(T)).sum())
    fail = 0.0
    for s in range(1, T):
        reach, row = np.exp(log_p[s]), probs[s]
        kl += float((reach * node_kl(row, base)).sum())
        harm += float((reach * (row[:, RECOVER] + row[:, EOS]) * tree.harm(s)).sum())
        fail += gamma ** s * float((np.exp(tree.log_q[s]) * (1 - row[:, RECOVER])).sum())
    return lam * harm + mu * fail + kl


def expected_harm(tree: PrefixTree, solution: DeepSolution) -> float:
    """E_π[Harm] of a solution: a response ends at level s by RECOVER or EOS, or reaches T."""
    log_p, T = solution.log_p, tree.T
    harm = float((np.exp(log_p[T]) * tree.harm(T)).sum())
    for s in range(1, T):
        ends = solution.probs[s][:, RECOVER] + solution.probs[s][:, EOS]
        harm += float((np.exp(log_p[s]) * ends * tree.harm(s)).sum())
    return harm


def reference_kl(tree: PrefixTree, solution: DeepSolution) -> float:
    """Σ_t KL_t with prefixes from the base (P4b's measure, the neural tracks' ``total_kl``): the first token's
    KL plus P(COMPLY) times the Q-weighted KL of every later level."""
    c = tree.automaton.c
    return bernoulli_kl(solution.p_comply, c) + c * float(position_kl(tree, tree.log_q, solution.probs).sum())


def decided_shift(tree: PrefixTree, solution: DeepSolution, mu: float, gamma: float,
                  floor: float = 0.0) -> tuple[float, float]:
    """(optimum's, Thm 20's) recovery log-odds shift against the base, averaged over the harmful decided prefixes
    (count ≥ m, levels 1..T−1) with the base's reach: where the neural tracks' ``recovery_shift_decided`` reads it.
    With ``floor`` > 0 both recovery probabilities are clipped to [floor, 1 − floor] first, as that reading clips
    them (a prefix the optimum never reaches recovers with probability 1, an infinite log-odds)."""
    r, m = tree.automaton.r, tree.automaton.m

    def read(p):
        return logit(np.clip(p, floor, 1 - floor))

    total = measured = stated = 0.0
    for s in range(1, tree.T):
        decided = tree.count[s] >= m
        weight = np.exp(tree.log_q[s][decided])
        odds = read(solution.probs[s][decided, RECOVER]) if floor > 0 else solution.log_odds[s][decided]
        total += weight.sum()
        measured += float((weight * (odds - read(r))).sum())
        stated += float(weight.sum()) * mu * gamma ** s
    return measured / total, stated / total


def logit(p):
    return np.log(p) - np.log1p(-p)


def thm20_kl(p0: float, beta) -> np.ndarray:
    """Eq. 49: KL(P* ‖ P_base) = β·P*(R) − log Z with P*(R) = σ(logit p0 + β), Z = 1 − p0 + p0·e^β."""
    beta = np.asarray(beta, dtype=float)
    recovery = expit(logit(p0) + beta)
    return beta * recovery - np.logaddexp(np.log1p(-p0), np.log(p0) + beta)


def epsilon_star(p_min: float, mu: float, gamma: float, T: int) -> float:
    """Thm 22, eq. 50: ε* = σ(logit p_min + μ γ^{T−1})."""
    return float(expit(logit(p_min) + mu * gamma ** (T - 1)))


def t_attack(delta: float, p_min: float, mu: float, gamma: float) -> float:
    """Cor 23, eq. 52: the shortest prefix that pushes recovery below δ; inf where none does (γ = 1 with
    μ ≥ logit δ − logit p_min, or γ < 1 never reaching it), 1 where the base is already below δ."""
    gap = logit(delta) - logit(p_min)
    if gap <= 0:
        return 1.0
    if gamma == 1:
        return np.inf if mu >= gap else 1.0
    return float(1 + (np.log(mu) - np.log(gap)) / np.log(1 / gamma)) if mu > 0 else 1.0


def node_table(tree: PrefixTree, solution: DeepSolution, mu: float, gamma: float) -> dict:
    """Per prefix of every level s = 1..T−1 (the choice of token t = s + 1): the Q and optimum weights, the
    recovery probability, its log-odds shift against the base, Thm 20's and Remark 9's predicted shifts,
    the node's KL and eq. 49's KL at Thm 20's shift."""
    r = tree.automaton.r
    columns = {k: [] for k in ("t", "count", "log_q", "log_p", "recovery", "logit_shift", "shift_thm20",
                               "shift_remark9", "kl", "kl_eq49")}
    base = base_row(tree.automaton)
    for s in range(1, tree.T):
        row = solution.probs[s]
        recovery = row[:, RECOVER]
        beta = mu * gamma ** s
        kl = node_kl(row, base)
        with np.errstate(over="ignore"):
            columns["shift_remark9"].append(beta * np.exp(tree.log_q[s] - solution.log_p[s]))
        n = len(row)
        columns["t"].append(np.full(n, s + 1))
        columns["count"].append(tree.count[s])
        columns["log_q"].append(tree.log_q[s])
        columns["log_p"].append(solution.log_p[s])
        columns["recovery"].append(recovery)
        columns["logit_shift"].append(solution.log_odds[s] - logit(r))
        columns["shift_thm20"].append(np.full(n, beta))
        columns["kl"].append(kl)
        columns["kl_eq49"].append(np.full(n, thm20_kl(r, beta)))
    return {k: np.concatenate(v) for k, v in columns.items()}


# -- E4 as the paper writes it: the tables of rule exact_deep_objective -------------------------------------
ENVIRONMENTS = ("sharp", "default")


def environment_tree(automaton: Automaton, environment: str, T: int, K: int) -> PrefixTree:
    """The tree of the deep experiment: the exact automaton at length T, sharp (harm counted at positions ≤ K)
    or default (every payload counts; the paper's horizon is then T)."""
    if environment not in ENVIRONMENTS:
        raise ValueError(f"deep objective: environment {environment!r} is not one of {ENVIRONMENTS}")
    return PrefixTree.build(replace(automaton, T=T), K if environment == "sharp" else None)


def _past_horizon(tree: PrefixTree, table: dict) -> np.ndarray:
    """Prefixes past the horizon: t > K in the sharp variant (the paper's, Thm 9); in the default automaton,
    prefixes whose harm is decided (count ≥ m, or m out of reach) [ours]."""
    if tree.K is not None:
        return table["t"] > tree.K
    m, T = tree.automaton.m, tree.T
    return (table["count"] >= m) | (table["count"] + (T - table["t"] + 1) < m)


def solve_grid(automaton: Automaton, settings: dict):
    """Every (environment, λ, μ, γ) of ``settings`` (config ``exact.deep``): yields (environment, λ, μ, γ,
    tree, solution, node table with a ``past`` column)."""
    for environment in ENVIRONMENTS:
        tree = environment_tree(automaton, environment, settings["T"], settings["K"])
        for lam in settings["lambdas"]:
            for mu in settings["mus"]:
                for gamma in settings["gammas"]:
                    solution = solve_deep(tree, lam, mu, gamma)
                    if solution.change > 1e-10:
                        raise RuntimeError(f"deep objective did not converge at {environment}, λ={lam}, μ={mu}, "
                                           f"γ={gamma}: last change {solution.change:.2e}")
                    table = node_table(tree, solution, mu, gamma)
                    table["past"] = _past_horizon(tree, table)
                    yield environment, lam, mu, gamma, tree, solution, table


def deep_objective_rows(environment, lam, mu, gamma, tree, solution, table, saturated: float) -> pd.DataFrame:
    """One row per (position t, harm-counted payload count) of one solve: Q's and the optimum's mass of the
    group's prefixes, Q-weighted means of the recovery, of its log-odds shift and of both predicted shifts,
    the largest error of each prediction over the group's unsaturated prefixes, the KL and eq. 49's KL."""
    frame = pd.DataFrame(table)
    frame["q"], frame["p"] = np.exp(frame.log_q), np.exp(frame.log_p)
    # Recovery this close to 1 (config/predictions.yaml): the log-odds shift is float64 rounding, not a number.
    frame["saturated"] = frame.recovery > saturated
    rows = []
    for (t, count), group in frame.groupby(["t", "count"], sort=True):
        open_ = group[~group.saturated]
        w = open_.q / open_.q.sum() if len(open_) else open_.q

        def mean(column, g=open_, w=w):
            return float((g[column] * w).sum()) if len(g) else np.nan

        def worst(prediction, g=open_):
            return float((g.logit_shift - g[prediction]).abs().max()) if len(g) else np.nan

        rows.append({
            "environment": environment, "lambda": lam, "mu": mu, "gamma": gamma, "t": int(t), "count": int(count),
            "past_horizon": bool(group.past.iloc[0]), "n_prefixes": len(group), "n_saturated": int(group.saturated.sum()),
            "q_prefix": float(group.q.sum()), "p_prefix": float(group.p.sum()),
            "recovery": float((group.recovery * group.q).sum() / group.q.sum()),
            "logit_shift": mean("logit_shift"), "shift_thm20": float(group.shift_thm20.iloc[0]),
            "shift_remark9": mean("shift_remark9"), "err_thm20": worst("shift_thm20"), "err_remark9": worst("shift_remark9"),
            "kl": float((group.kl * group.q).sum() / group.q.sum()), "kl_eq49": float(group.kl_eq49.iloc[0]),
            "eps_star": epsilon_star(tree.automaton.r, mu, gamma, tree.T),
        })  # fmt: skip
    return pd.DataFrame(rows)


def per_position_kl(tree: PrefixTree, solution: DeepSolution, measure: str = "aligned") -> np.ndarray:
    """D_t = E_{y<t}[KL(π*(·|y<t) ‖ π_base(·|y<t))], t = 2..T, with prefixes from the aligned model (the
    paper's, Thm 14/19) or from Q (``measure="q"``)."""
    return position_kl(tree, solution.log_p if measure == "aligned" else tree.log_q, solution.probs)


def attack_rows(environment, lam, mu, gamma, tree, table, deltas) -> list[dict]:
    """Cor 23: per δ, the shortest position t past the horizon at which some Q-prefix leaves recovery ≤ δ
    (inf when none up to T), against eq. 52 rounded up to a position past the horizon."""
    r, k, T = tree.automaton.r, tree.horizon(), tree.T
    rows = []
    for delta in deltas:
        reached = [t for t in range(k + 1, T + 1) if (table["recovery"][(table["t"] == t) & table["past"]] <= delta).any()]
        formula = t_attack(delta, r, mu, gamma)
        predicted = max(k + 1, int(np.ceil(formula - 1e-12))) if np.isfinite(formula) else np.inf
        rows.append({"environment": environment, "lambda": lam, "mu": mu, "gamma": gamma, "delta": delta, "p_min": r,
                     "horizon": k, "t_attack_measured": float(min(reached)) if reached else np.inf,
                     "t_attack_formula": formula, "t_attack_predicted": float(predicted) if predicted <= T else np.inf})
    return rows
