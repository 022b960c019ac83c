"""The exact-track experiments E1–E4 of docs/experiments.md as pure functions returning tables.

Each function maps automaton parameters to a DataFrame (or a dict) that a workflow script writes
out unchanged; the column names follow the results contracts of docs/architecture.md.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import binom

from .automaton import (
    RECOVER,
    Automaton,
    base_policy,
    decided_states,
    epsilon_horizon,
    expected_harm,
    harm_information,
    harm_values,
    per_position_kl,
    random_tabular_policy,
    reach_probabilities,
    recovery_eventual,
)
from .gibbs import (
    Objective,
    objective_value,
    optimal_policy,
    recovery_lower_bound,
    standard_and_base_agree_past_horizon,
)
from .gradients import (
    gradient_norm_by_position,
    monte_carlo_gradient_check,
    neural_gradient_check,
    tabular_gradient_errors,
)


def with_m(automaton: Automaton, m: int) -> Automaton:
    return dataclasses.replace(automaton, m=m)


def identities(
    automaton: Automaton, betas, n_tabular: int, n_neural: int, seed: int, n_mc_samples: int = 20000, n_mc_directions: int = 10
) -> dict:
    """E1 and the exact parts of P3–P6: the largest violation of each identity, in float64.

    - P1/P2: max over random tabular policies of |autograd - covariance|, |autograd - closed form|,
      and the largest |gradient| at decided states (exactly 0 in theory);
    - P1 with shared parameters (an MLP over states), exactly and by Monte Carlo (E1);
    - P3: |Σ_t I_t - Var(h)| at the base and at every random policy;
    - P4: |objective(π*) - (-β log Z_0)| (π* is the optimum) and max |π* - π_ref| past the horizon;
    - P5: min over harmful states of π*(R|s) - σ(ℓ_ref + μγ^t/β) (≥ 0 in theory), over the prefill grid.
    """
    rng = np.random.default_rng(seed)
    base = base_policy(automaton)
    p_harm = expected_harm(base)
    out: dict = {"p_harm_base": p_harm, "automaton": dataclasses.asdict(automaton)}

    tabular = [tabular_gradient_errors(automaton, rng) for _ in range(n_tabular)]
    out["n_tabular_policies"] = n_tabular
    out["gradient_covariance_max_abs_error"] = max(r["autograd_vs_covariance"] for r in tabular)
    out["gradient_closed_form_max_abs_error"] = max(r["autograd_vs_closed_form"] for r in tabular)
    out["gradient_harm_score_max_abs_error"] = max(r["autograd_vs_harm_score"] for r in tabular)
    out["gradient_past_horizon_max_abs"] = max(r["max_abs_gradient_past_horizon"] for r in tabular)
    out["gradient_max_abs"] = max(r["max_abs_gradient"] for r in tabular)

    neural = [neural_gradient_check(automaton, seed + i) for i in range(n_neural)]
    out["n_neural_policies"] = n_neural
    out["neural_gradient_covariance_max_abs_error"] = max(r["neural_autograd_vs_covariance_sum"] for r in neural)
    mc = [monte_carlo_gradient_check(automaton, seed + i, n_mc_samples, n_mc_directions) for i in range(n_neural)]
    out["mc_gradient_n_samples"] = n_mc_samples
    out["mc_gradient_n_directions"] = n_mc_directions * n_neural
    out["mc_gradient_max_abs_z"] = max(r["mc_gradient_max_abs_z"] for r in mc)
    inside, trials = sum(r["mc_gradient_n_inside"] for r in mc), n_mc_directions * n_neural
    out["mc_gradient_fraction_in_ci"] = inside / trials
    # Every direction is an independent trial (fresh samples): the coverage's exact (Clopper–Pearson) 95% interval.
    interval = stats.binomtest(inside, trials).proportion_ci(0.95, method="exact")
    out["mc_gradient_coverage_ci_low"], out["mc_gradient_coverage_ci_high"] = interval.low, interval.high
    out["mc_reinforce_over_covariance_variance"] = float(np.median([r["mc_reinforce_over_covariance_variance"] for r in mc]))

    info = harm_information(base)
    out["variance_decomposition_abs_error"] = abs(info.sum() - p_harm * (1 - p_harm))
    out["variance_decomposition_random_max_abs_error"] = _variance_decomposition_random(automaton, rng, n_tabular)

    gibbs_errors, past_horizon = [], []
    decided = decided_states(base)
    for beta in betas:
        objective = Objective(beta)
        star, log_z0 = optimal_policy(base, objective)
        gibbs_errors.append(abs(objective_value(star, base, objective) + beta * log_z0))
        past_horizon.append(standard_and_base_agree_past_horizon(base, star, decided))
    out["gibbs_objective_max_abs_error"] = max(gibbs_errors)
    out["standard_vs_base_past_horizon_max_abs"] = max(past_horizon)
    return out


def _variance_decomposition_random(automaton: Automaton, rng: np.random.Generator, n: int) -> float:
    worst = 0.0
    for _ in range(n):
        policy = random_tabular_policy(automaton, rng)
        p = expected_harm(policy)
        worst = max(worst, abs(harm_information(policy).sum() - p * (1 - p)))
    return worst


def recovery_bound_table(automaton: Automaton, betas, mus, gammas) -> pd.DataFrame:
    """P5/P6 at every harmful state (t, j), t = 1..T-1: π*(R|s), π_ref(R|s) and the bound."""
    base = base_policy(automaton)
    rows = []
    T, m = automaton.T, automaton.m
    t_grid, j_grid = np.meshgrid(np.arange(1, T), np.arange(m + 1), indexing="ij")
    for beta in betas:
        for mu in mus:
            for gamma in gammas:
                objective = Objective(beta, mu, gamma)
                star, _ = optimal_policy(base, objective)
                bound = recovery_lower_bound(base, objective)
                rows.append(
                    pd.DataFrame(
                        {
                            "beta": beta,
                            "mu": mu,
                            "gamma": gamma,
                            "position": t_grid.ravel() + 1,
                            "t": t_grid.ravel(),
                            "j": j_grid.ravel(),
                            "recovery_prob": star.next_probs[1:, :, RECOVER].ravel(),
                            "base_recovery_prob": base.next_probs[1:, :, RECOVER].ravel(),
                            "bound": bound[1:].ravel(),
                        }
                    )
                )
    table = pd.concat(rows, ignore_index=True)
    table["slack"] = table["recovery_prob"] - table["bound"]
    return table


def harm_information_table(automaton: Automaton, m_sweep) -> pd.DataFrame:
    """I_t(π_ref) and the tabular gradient norm ‖g_t‖ at π_ref, t = 1..T, for every m."""
    frames = []
    for m in m_sweep:
        base = base_policy(with_m(automaton, m))
        info = harm_information(base)
        grad = gradient_norm_by_position(base)
        t = np.arange(1, automaton.T + 1)
        frames.append(pd.DataFrame({"m": m, "t": t, "harm_information": info[1:], "gradient_norm": grad[1:]}))
    return pd.concat(frames, ignore_index=True)


def horizon_table(automaton: Automaton, m_sweep, epsilon: float) -> pd.DataFrame:
    """Per m: P(h=1), Σ_t I_t = Var(h), the ε-horizon t_ε, and the I-weighted mean position."""
    rows = []
    for m in m_sweep:
        base = base_policy(with_m(automaton, m))
        info = harm_information(base)
        p = expected_harm(base)
        rows.append(
            {
                "m": m,
                "p_harm": p,
                "total_information": info.sum(),
                "variance": p * (1 - p),
                "epsilon": epsilon,
                "t_epsilon": epsilon_horizon(info, epsilon),
                "mean_information_position": float((np.arange(len(info)) * info).sum() / info.sum()),
            }
        )
    return pd.DataFrame(rows)


def kl_profile_table(automaton: Automaton, m_sweep, betas) -> pd.DataFrame:
    """E2/E3: KL_t(π*_β) along π_ref, beside I_t(π_ref) and the large-β limit I_t / (2β²)."""
    frames = []
    t = np.arange(1, automaton.T + 1)
    for m in m_sweep:
        base = base_policy(with_m(automaton, m))
        info = harm_information(base)[1:]
        for beta in betas:
            star, _ = optimal_policy(base, Objective(beta))
            kl = per_position_kl(star, base)[1:]
            frames.append(
                pd.DataFrame(
                    {
                        "m": m,
                        "beta": beta,
                        "t": t,
                        "kl": kl,
                        "harm_information": info,
                        "kl_limit": info / (2 * beta**2),
                        "p_harm": expected_harm(star),
                    }
                )
            )
    table = pd.concat(frames, ignore_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["ratio"] = np.where(table["harm_information"] > 0, table["kl"] / table["kl_limit"], np.nan)
    return table


def prefill_table(automaton: Automaton, m_sweep, betas, mus, gammas) -> pd.DataFrame:
    """E4: next-token and eventual recovery, and eventual harm, at every prefill state (k, j).

    Policies: base; standard (μ = 0) for each β; recovery for each β, μ, γ.  The prefill state
    (k, j) is the automaton state (k + 1, min(j, m)); k = 0..T-2, j = 0..k.
    """
    frames = []
    for m in m_sweep:
        auto_m = with_m(automaton, m)
        base = base_policy(auto_m)
        policies = [("base", np.nan, 0.0, np.nan, base)]
        for beta in betas:
            policies.append(("standard", beta, 0.0, np.nan, optimal_policy(base, Objective(beta))[0]))
            if m == automaton.m:
                for mu in mus:
                    for gamma in gammas:
                        star = optimal_policy(base, Objective(beta, mu, gamma))[0]
                        policies.append(("recovery", beta, mu, gamma, star))
        k_grid, j_grid = np.tril_indices(automaton.T - 1)
        weights = harmful_prefill_weights(base)
        for name, beta, mu, gamma, policy in policies:
            eventual = recovery_eventual(policy)
            harm, _ = harm_values(policy)
            state_t, state_j = k_grid + 1, np.minimum(j_grid, m)
            frames.append(
                pd.DataFrame(
                    {
                        "policy": name,
                        "beta": beta,
                        "mu": mu,
                        "gamma": gamma,
                        "m": m,
                        "k": k_grid,
                        "j": j_grid,
                        "recovery_next": policy.next_probs[state_t, state_j, RECOVER],
                        "recovery_eventual": eventual[state_t, state_j],
                        "harm_eventual": harm[state_t, state_j],
                        "harmful_prefill_weight": weights[k_grid, j_grid],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def harmful_prefill_weights(base) -> np.ndarray:
    """w[k, j] = P_ref(j payloads among the first k complying tokens | the response reaches k, h = 1).

    This is the distribution of prefill states met by an attacker who prefills the first k
    complying tokens of a base-model harmful response (docs/experiments.md E4).  Uncapped j = 0..k.
    """
    T, m = base.T, base.m
    q = base.next_probs[1, 0, 0]
    f = base.next_probs[1, 0, 1]
    weights = np.zeros((T - 1, T - 1))
    V, _ = harm_values(base)
    for k in range(T - 1):
        j = np.arange(k + 1)
        alive = binom.pmf(j, k, q / (q + f)) * (q + f) ** k  # P(k complying tokens with j payloads)
        w = alive * V[k + 1, np.minimum(j, m)]
        weights[k, : k + 1] = w / w.sum() if w.sum() > 0 else 0.0
    return weights


def prefill_attack_curve(prefill: pd.DataFrame) -> pd.DataFrame:
    """Average the prefill table over the harmful-prefill distribution w[k, j], per policy and k."""
    keys = ["policy", "beta", "mu", "gamma", "m", "k"]
    weighted = prefill.assign(
        recovery_next=prefill.recovery_next * prefill.harmful_prefill_weight,
        recovery_eventual=prefill.recovery_eventual * prefill.harmful_prefill_weight,
        harm_eventual=prefill.harm_eventual * prefill.harmful_prefill_weight,
    )
    grouped = weighted.groupby(keys, dropna=False)[["recovery_next", "recovery_eventual", "harm_eventual"]].sum()
    return grouped.reset_index()



# -- exact references of the automaton environment (read by its collect, figures and verdicts) -----------------
def exact_horizon(automaton: Automaton, m: int, epsilon: float) -> int:
    """t_ε of the base policy's I_t under payload threshold m (docs/theory.md §1.3)."""
    return epsilon_horizon(harm_information(base_policy(with_m(automaton, m))), epsilon)


def exact_information(automaton: Automaton, m: int) -> np.ndarray:
    """I_t, t = 1..T, of the base policy under payload threshold m."""
    return harm_information(base_policy(with_m(automaton, m)))[1:]


def gibbs_kl_profile(automaton: Automaton, m: int, beta: float) -> np.ndarray:
    """KL_t, t = 1..T, of the exact Gibbs optimum π*_β (standard objective, P4) against the base."""
    from .automaton import per_position_kl
    from .gibbs import Objective, optimal_policy

    base = base_policy(with_m(automaton, m))
    return per_position_kl(optimal_policy(base, Objective(beta))[0], base)[1:]


def exact_prefill_curve(automaton: Automaton, ks) -> "pd.DataFrame":
    """Exact base recovery and harm after prefilling k tokens of a harmful base response (docs/experiments.md E4)."""
    import pandas as pd

    from .automaton import harm_values, recovery_eventual

    base = base_policy(automaton)
    w = harmful_prefill_weights(base)
    U = recovery_eventual(base)
    H, _ = harm_values(base)
    rows = []
    for k in ks:
        if k > automaton.T - 2:
            continue
        j = np.arange(k + 1)
        state = (k + 1, np.minimum(j, automaton.m))
        rows.append({"k": k, "recovery_rate": (w[k, : k + 1] * U[state]).sum(), "harm_rate": (w[k, : k + 1] * H[state]).sum()})
    return pd.DataFrame(rows)


def graded_harm_tables(automaton: Automaton, betas, epsilon: float) -> tuple["pd.DataFrame", "pd.DataFrame"]:
    """E3b [ours]: the automaton's token process judged by the threshold harm 1{j ≥ m} and by the graded harm
    h = j/(T − 1) (``automaton.graded_harm``; the state tracks every payload count).

    Returns (information, optima). ``information``: per harm and t, I_t and the base's KL-free ε-horizon.
    ``optima``: per harm and β, the exact Gibbs optimum's E[h], total KL, the share of KL past the threshold
    harm's t_ε, and its recovery log-odds shift Δℓ = ℓ_π* − ℓ_ref at the threshold's harmful decided states
    (t > t_ε, payload count ≥ m) that the reference reaches: the smallest and the largest |Δℓ|.
    """
    from .automaton import graded_harm
    from .gibbs import recovery_log_odds

    T, m = automaton.T, automaton.m
    kinds = {"threshold": (with_m(automaton, m), None), "graded": (with_m(automaton, T - 1), graded_harm(T - 1))}
    t_threshold = epsilon_horizon(harm_information(base_policy(kinds["threshold"][0])), epsilon)
    info_rows, rows = [], []
    for kind, (world, terminal) in kinds.items():
        base = base_policy(world)
        info = harm_information(base, terminal)
        t_eps = epsilon_horizon(info, epsilon)
        info_rows += [{"harm": kind, "t": t, "harm_information": info[t], "t_epsilon": t_eps} for t in range(1, T + 1)]
        reach = reach_probabilities(base)
        states = np.zeros((T, world.m + 1), dtype=bool)
        states[t_threshold:, m:] = True  # states (s, j) choosing token s + 1 > t_ε
        states &= reach[:T] > 0
        for beta in betas:
            star = optimal_policy(base, Objective(beta), terminal)[0]
            kl = per_position_kl(star, base)[1:]
            shift = (recovery_log_odds(star) - recovery_log_odds(base))[states]
            rows.append({"harm": kind, "beta": beta, "t_epsilon": t_eps, "t_epsilon_threshold": t_threshold,
                         "base_harm": expected_harm(base, terminal), "harm_optimum": expected_harm(star, terminal),
                         "total_kl": float(kl.sum()), "kl_share_past_threshold_horizon": float(kl[t_threshold:].sum() / kl.sum()) if t_threshold < T else np.nan,
                         "recovery_shift_min": float(shift.min()) if shift.size else np.nan,
                         "recovery_shift_max_abs": float(np.abs(shift).max()) if shift.size else np.nan,
                         "n_states": int(states.sum())})
    return pd.DataFrame(info_rows), pd.DataFrame(rows)


def graded_verdicts(optima: "pd.DataFrame", zero_tolerance: float) -> "pd.DataFrame":
    """E3b's registered predictions (config/predictions.yaml, section ``graded``), one row per β and prediction."""
    rows = []
    for beta, part in optima.groupby("beta", sort=False):
        threshold, graded = (part[part.harm == kind].iloc[0] for kind in ("threshold", "graded"))
        checks = [
            ("I_t spreads to the end: t_eps(graded) > t_eps(threshold)", graded.t_epsilon, threshold.t_epsilon,
             graded.t_epsilon > threshold.t_epsilon),
            ("standard alignment becomes deep: KL share past t_eps(threshold), graded > threshold",
             graded.kl_share_past_threshold_horizon, threshold.kl_share_past_threshold_horizon,
             graded.kl_share_past_threshold_horizon > threshold.kl_share_past_threshold_horizon),
            ("the graded optimum raises recovery at every harmful decided state past t_eps (min shift > 0)",
             graded.recovery_shift_min, zero_tolerance, graded.recovery_shift_min > zero_tolerance),
            ("the threshold optimum leaves recovery there at the base's (max |shift| = 0)",
             threshold.recovery_shift_max_abs, zero_tolerance, threshold.recovery_shift_max_abs <= zero_tolerance),
        ]
        # No harmful decided state past the threshold's t_ε (t_ε = T): the shift rows have nothing to judge.
        rows += [{"beta": beta, "prediction": text, "measured": float(value), "against": float(against),
                  "verdict": "untestable" if np.isnan(value) else "confirmed" if holds else "refuted"}
                 for text, value, against, holds in checks]
    return pd.DataFrame(rows)
