"""Young's leading-order formulas and his recovery information, on the prefix tree with tabular logits
(docs/theory.md, "Tested as written"; docs/experiments.md E8).

Parametrisation. At every prefix y the policy has its own logits z_y over the four continuation tokens with
the FILLER logit fixed at 0 (softmax is invariant to a common shift), so that the Fisher matrix of a prefix,
F_y = diag(π_F) − π_F π_Fᵀ over the free tokens F = {PAYLOAD, RECOVER, EOS}, is positive definite. The score
of token b is ∂ log π(b|y)/∂z_a = 1[b = a] − π_a, so for any function f of the next token

    Cov_{b∼π(·|y)}(f(b), score) = F_y (f_F − f_FILLER),        f-covariance quadratic form = Var_π(f).

Prefixes have their own coordinates, so position t's gradient is a concatenation of per-prefix blocks and
every norm below is a sum over the prefixes y of level t − 1.

- **Thm 19, eq. 45**: D_t(θ*) = ½‖λG_t + μγ^{t−1}G̃_t‖²_{F̄_t⁻¹} + O((λ+μ)³), with G_t = E_{y<t∼base}[Cov(h_t,
  score)] (Thm 8), G̃_t = −E_{y<t∼Q}[Cov(1[y_t ∈ R], score)] (Def 18), F̄_t = E_{y<t∼base}[F_y]: per prefix the
  block w_y = λ p(y) C^h_y − μγ^{t−1} q(y) C^R_y and the norm Σ_y w_yᵀ F_y⁻¹ w_y / p(y). Q's weight q(y) against
  the base's p(y) makes eq. 45 carry Remark 9's ratio q/p at leading order. At μ = 0 it is eq. 42, ½λ²I_t.
- **Prop 29, eq. 84**: within the horizon P*(y_t|y<t) ∝ P_base(y_t|y<t)·exp(−λh_t(y≤t) + μγ^{t−1}1[y_t ∈ R]),
  h_t the base's harm martingale after y_t; with Remark 9's weight [ours] the recovery tilt is μγ^{t−1}q/p.
- **Def 18 and Lemma 28**: J_t = E_Q[p_t(1 − p_t)], p_t = π(R|y<t); eq. 61 ‖G̃_t‖² ≤ E_Q[tr F_t]·J_t and, under
  a uniform bound F̄ ≥ tr F_t(y), ‖G̃_t‖² ≤ F̄·J_t. Also for log-linear policies whose parameters are shared
  across positions (theory/shared.py): the score of W[:, a] is φ(y)(1[b = a] − π_a), so C_y = φ(y) ⊗ C^R_y and
  G̃_t = −Σ_y q(y) φ(y) ⊗ C^R_y, tr F_y = ‖φ(y)‖² Σ_{a∈F} π_a(1 − π_a).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logsumexp

from .automaton import FILLER, RECOVER, bernoulli_kl
from .prefix_tree import PrefixTree, base_row, base_tree_policy, harm_martingale, log_reach, position_kl

FREE = [a for a in range(4) if a != FILLER]


def free_fisher(probs: np.ndarray) -> np.ndarray:
    """F_y over the free tokens for every row of ``probs`` (n, 4): (n, 3, 3)."""
    free = probs[:, FREE]
    return np.einsum("na,ab->nab", free, np.eye(len(FREE))) - np.einsum("na,nb->nab", free, free)


def covariance_with_score(probs: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Cov_{b∼π(·|y)}(f(b), ∂ log π(b|y)/∂z_F) = π_a (f_a − E_π f) for a ∈ F, per row: (n, 3)."""
    mean = (probs * values).sum(axis=1, keepdims=True)
    return (probs * (values - mean))[:, FREE]


def recovery_covariance(probs: np.ndarray) -> np.ndarray:
    """C^R_y = Cov(1[b ∈ R], score) per row: (n, 3)."""
    indicator = np.zeros_like(probs)
    indicator[:, RECOVER] = 1.0
    return covariance_with_score(probs, indicator)


def eq45_profile(tree: PrefixTree, lam: float, mu: float, gamma: float) -> np.ndarray:
    """½‖λG_t + μγ^{t−1}G̃_t‖²_{F̄_t⁻¹} at the base, t = 1..T (index 0 unused; module docstring)."""
    p_comply, probs = base_tree_policy(tree)
    H, Q = harm_martingale(tree, probs)
    reach = log_reach(tree, p_comply, probs)
    out = np.zeros(tree.T + 1)
    # First token: one free logit (COMPLY against REFUSE, whose harm is 0); no recovery penalty acts there.
    out[1] = 0.5 * lam**2 * p_comply * (1 - p_comply) * H[1][0] ** 2
    for s in range(1, tree.T):
        p, q = np.exp(reach[s]), np.exp(tree.log_q[s])
        w = lam * p[:, None] * covariance_with_score(probs[s], Q[s]) - mu * gamma**s * q[:, None] * recovery_covariance(probs[s])
        solved = np.linalg.solve(free_fisher(probs[s]), w[:, :, None])[:, :, 0]
        out[s + 1] = 0.5 * float(((w * solved).sum(axis=1) / p).sum())
    return out


def aligned_and_base_kl(tree: PrefixTree, p_comply: float, probs: list) -> tuple[np.ndarray, np.ndarray]:
    """D_t with prefixes from the aligned policy (the paper's) and from the base, t = 1..T."""
    c = tree.automaton.c
    base_comply, base_probs = base_tree_policy(tree)
    aligned = position_kl(tree, log_reach(tree, p_comply, probs), probs)
    base = position_kl(tree, log_reach(tree, base_comply, base_probs), probs)
    aligned[1] = base[1] = bernoulli_kl(p_comply, c)
    return aligned, base


def prop29_errors(tree: PrefixTree, p_comply: float, probs: list, lam: float, mu: float, gamma: float) -> dict:
    """Prop 29 within the horizon (t ≤ k): max|P* − eq. 84| over every prefix and token, as stated and with
    Remark 9's weight q/p_base on the recovery tilt, and max|P* − P_base| (the first-order change itself)."""
    base_comply, base_probs = base_tree_policy(tree)
    H, Q = harm_martingale(tree, base_probs)
    base_reach = log_reach(tree, base_comply, base_probs)
    c = tree.automaton.c
    stated_comply = float(expit(np.log(c) - np.log1p(-c) - lam * H[1][0]))
    errors = {"stated": abs(p_comply - stated_comply), "remark9": abs(p_comply - stated_comply),
              "change": abs(p_comply - c)}
    log_base = np.log(base_row(tree.automaton))
    for s in range(1, min(tree.horizon(), tree.T)):
        scores = log_base[None, :] - lam * Q[s]
        weight = np.exp(tree.log_q[s] - base_reach[s])
        for name, tilt in (("stated", np.full(len(weight), mu * gamma**s)), ("remark9", mu * gamma**s * weight)):
            tilted = scores.copy()
            tilted[:, RECOVER] += tilt
            predicted = np.exp(tilted - logsumexp(tilted, axis=1, keepdims=True))
            errors[name] = max(errors[name], float(np.abs(probs[s] - predicted).max()))
        errors["change"] = max(errors["change"], float(np.abs(probs[s] - base_probs[s]).max()))
    return errors


def shared_gradient_terms(tree: PrefixTree, p_comply: float, probs: list, features: list) -> dict:
    """Thm 8's position-t terms for a log-linear policy whose parameters W are shared across positions (the score
    of W[:, a] is φ(y)(1[b = a] − π_a), a free), with Lemma 12's and Thm 13's bounds, t = 2..T (the first token has
    a parameter of its own; indices 0, 1 are 0): ``grad_sq`` ‖G_t‖² = ‖Σ_y P(y) φ(y) ⊗ C_t(y)‖², ``bound_lemma12``
    E[Var(h_t|y<t) tr F_t] (eq. 33), ``bound_thm13`` F̄ I_t (eq. 34), and ``lemma12_excess`` the largest
    ‖φ(y) ⊗ C_t(y)‖² − Var(h_t|y) tr F_t(y) over the level's prefixes (Lemma 12 says ≤ 0)."""
    from .prefix_tree import harm_information

    H, Q = harm_martingale(tree, probs)
    reach = log_reach(tree, p_comply, probs)
    info = harm_information(tree, p_comply, probs)
    T = tree.T
    out = {k: np.zeros(T + 1) for k in ("grad_sq", "bound_lemma12", "bound_thm13", "lemma12_excess")}
    for s in range(1, T):
        pi, p, phi = probs[s], np.exp(reach[s]), features[s]
        C = covariance_with_score(pi, Q[s])
        variance = (pi * (Q[s] - H[s][:, None]) ** 2).sum(axis=1)
        trace = (pi[:, FREE] * (1 - pi[:, FREE])).sum(axis=1) * (phi**2).sum(axis=1)
        out["grad_sq"][s + 1] = float((np.einsum("n,ni,na->ia", p, phi, C) ** 2).sum())
        out["bound_lemma12"][s + 1] = float((p * variance * trace).sum())
        out["bound_thm13"][s + 1] = float(trace[p > 0].max()) * info[s + 1]
        out["lemma12_excess"][s + 1] = float(((phi**2).sum(axis=1) * (C**2).sum(axis=1) - variance * trace).max())
    return out


def recovery_gradient_terms(tree: PrefixTree, probs: list, features: list | None = None) -> dict:
    """Def 18 and Lemma 28 per position t = 2..T (indices 0, 1 are 0): ``recovery_grad_sq`` ‖G̃_t‖²,
    ``recovery_information`` J_t, ``bound_eq61`` E_Q[tr F_t]·J_t, ``bound_uniform`` F̄·J_t with F̄ the largest
    tr F_t(y) over Q's prefixes. Tabular logits when ``features`` is None, else the log-linear policy's shared
    parameters with features[s] = φ(y) of every prefix of level s (module docstring)."""
    T = tree.T
    out = {k: np.zeros(T + 1) for k in ("recovery_grad_sq", "recovery_information", "bound_eq61", "bound_uniform")}
    for s in range(1, T):
        pi, q = probs[s], np.exp(tree.log_q[s])
        recovery = pi[:, RECOVER]
        C = recovery_covariance(pi)
        trace = (pi[:, FREE] * (1 - pi[:, FREE])).sum(axis=1)
        if features is None:
            grad_sq = float(((q[:, None] * C) ** 2).sum())
        else:
            phi = features[s]
            grad_sq = float((np.einsum("n,ni,na->ia", q, phi, C) ** 2).sum())
            trace = trace * (phi**2).sum(axis=1)
        J = float((q * recovery * (1 - recovery)).sum())
        out["recovery_grad_sq"][s + 1] = grad_sq
        out["recovery_information"][s + 1] = J
        out["bound_eq61"][s + 1] = float((q * trace).sum()) * J
        out["bound_uniform"][s + 1] = float(trace[q > 0].max()) * J
    return out


def leading_order_solves(automaton, settings: dict):
    """The dedicated solves of config ``exact.deep.leading_order`` (registered in config/predictions.yaml): per
    environment, scale s and γ of ``settings["gammas"]`` the H_deep optimum at (sλ, sμ, γ), and per environment and s
    the standard optimum (μ = 0). Yields (environment, tree, λ, μ, γ, s, solution)."""
    from .deep import ENVIRONMENTS, environment_tree, solve_deep

    spec = settings["leading_order"]
    for environment in ENVIRONMENTS:
        tree = environment_tree(automaton, environment, settings["T"], settings["K"])
        for s in spec["scales"]:
            lam = s * spec["lambda"]
            yield environment, tree, lam, 0.0, 1.0, s, solve_deep(tree, lam, 0.0, 1.0)
            for gamma in settings["gammas"]:
                solution = solve_deep(tree, lam, s * spec["mu"], gamma)
                if solution.change > 1e-10:
                    raise RuntimeError(f"deep objective did not converge at {environment}, λ={lam}, μ={s * spec['mu']}, "
                                       f"γ={gamma}: last change {solution.change:.2e}")
                yield environment, tree, lam, s * spec["mu"], gamma, s, solution


def leading_order_table(solves) -> tuple["pd.DataFrame", "pd.DataFrame"]:
    """(profile, prop29): per solve and position t, D_t with aligned and with base prefixes, eq. 45's prediction,
    I_t and the ratio D_t / eq. 45 (where eq. 45 exceeds 1e-15); per solve, Prop 29's errors."""
    import pandas as pd

    from .prefix_tree import harm_information

    profile, prop29 = [], []
    for environment, tree, lam, mu, gamma, s, solution in solves:
        aligned, base = aligned_and_base_kl(tree, solution.p_comply, solution.probs)
        predicted = eq45_profile(tree, lam, mu, gamma)
        info = harm_information(tree, *base_tree_policy(tree))
        for t in range(1, tree.T + 1):
            profile.append({"environment": environment, "lambda": lam, "mu": mu, "gamma": gamma, "scale": s, "t": t,
                            "past_horizon": t > tree.horizon(), "kl_aligned": aligned[t], "kl_base_prefixes": base[t],
                            "kl_eq45": predicted[t], "harm_information": info[t],
                            "ratio": aligned[t] / predicted[t] if predicted[t] > 1e-15 else np.nan})
        errors = prop29_errors(tree, solution.p_comply, solution.probs, lam, mu, gamma)
        prop29.append({"environment": environment, "lambda": lam, "mu": mu, "gamma": gamma, "scale": s, **errors})
    return pd.DataFrame(profile), pd.DataFrame(prop29)


def recovery_gradient_table(automaton, settings: dict, seed: int) -> "pd.DataFrame":
    """Def 18 and Lemma 28 per position for the base, ``n_random_policies`` random tabular policies and as many
    random log-linear policies of every feature set of ``settings["shared"]["policies"]``, both environments."""
    import pandas as pd

    from .deep import ENVIRONMENTS, environment_tree
    from .prefix_tree import random_tree_policy
    from .shared import random_log_linear_policy

    rng = np.random.default_rng(seed)
    rows = []
    for environment in ENVIRONMENTS:
        tree = environment_tree(automaton, environment, settings["T"], settings["K"])
        policies = [("base", base_tree_policy(tree)[1], None)]
        policies += [(f"random{i}", random_tree_policy(tree, rng)[1], None) for i in range(settings["n_random_policies"])]
        for name in settings["shared"]["policies"]:
            for i in range(settings["n_random_policies"]):
                _, probs, phi = random_log_linear_policy(tree, name, rng)
                policies.append((f"{name}:random{i}", probs, phi))
        for policy, probs, phi in policies:
            terms = recovery_gradient_terms(tree, probs, phi)
            for t in range(2, tree.T + 1):
                bound = terms["bound_eq61"][t]
                rows.append({"environment": environment, "policy": policy, "parameters": "tabular" if phi is None else "shared",
                             "t": t, **{k: v[t] for k, v in terms.items()},
                             "tightness": terms["recovery_grad_sq"][t] / bound if bound > 1e-20 else np.nan})
    return pd.DataFrame(rows)


def shared_gradient_table(automaton, settings: dict, seed: int) -> "pd.DataFrame":
    """`shared_gradient_terms` per position for the base (W = 0) and ``n_random_policies`` random log-linear policies
    of every feature set of ``settings["shared"]["policies"]``, both environments: rows of gradient_bound.csv."""
    import pandas as pd

    from .deep import ENVIRONMENTS, environment_tree
    from .prefix_tree import harm_information
    from .shared import feature_levels, random_log_linear_policy

    rng = np.random.default_rng(seed)
    rows = []
    for environment in ENVIRONMENTS:
        tree = environment_tree(automaton, environment, settings["T"], settings["K"])
        for name in settings["shared"]["policies"]:
            base_comply, base_probs = base_tree_policy(tree)
            policies = [(f"{name}:base", base_comply, base_probs, feature_levels(tree, name))]
            for i in range(settings["n_random_policies"]):
                policies.append((f"{name}:random{i}", *random_log_linear_policy(tree, name, rng)))
            for policy, p_comply, probs, phi in policies:
                terms = shared_gradient_terms(tree, p_comply, probs, phi)
                info = harm_information(tree, p_comply, probs)
                for t in range(2, tree.T + 1):
                    bound = terms["bound_lemma12"][t]
                    rows.append({"policy": policy, "environment": environment, "t": t, "grad_sq": terms["grad_sq"][t],
                                 "bound_lemma12": bound, "bound_thm13": terms["bound_thm13"][t],
                                 "tightness": terms["grad_sq"][t] / bound if bound > 1e-20 else np.nan,
                                 "harm_information": info[t], "parameters": "shared",
                                 "lemma12_excess": terms["lemma12_excess"][t]})
    return pd.DataFrame(rows)
