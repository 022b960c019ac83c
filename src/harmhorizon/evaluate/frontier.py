"""Harm–KL frontiers of training runs and their comparison at matched harm (docs/experiments.md E5, "Frontiers").

A run's **trace** is its reference model (step 0) followed by snapshots along training (``save_steps``).
Every point of a trace is measured by `frontier_point` against the reference:

- ``harm``: the mean of h (the method's own judge) over fresh responses to harmful prompts;
- ``total_kl``, ``benign_kl``: Σ_t KL_t along the fixed reference responses to harmful and benign prompts (nats);
- ``kl_past_horizon`` = Σ_{t>t_ε} KL_t in nats (docs/theory.md §1.5), not a share;
- ``kl_decided`` = Σ_t E_ref[1{y_<t decided} KL(π_θ ‖ π_ref)(y_<t)]: the KL at prefixes whose harm is decided;
- ``recovery_shift_decided``: the mean over harmful decided prefixes y_<t (payload count ≥ m, alive) of the
  reference responses of ℓ_θ − ℓ_ref, ℓ = logit π(R | y_<t), the recovery log-odds shift of P6 / Appendix A;
  ``recovery_gain_decided`` is the same mean in probability, π_θ(R | y_<t) − π_ref(R | y_<t);
- ``kl_mean_position`` = Σ_t t KL_t / Σ_t KL_t (the E3 statistic).

`at_harm` reads a trace at a harm level by linear interpolation in harm on the first segment that crosses it;
`matched_runs` does so for every run and level, with the exact Gibbs optimum at the same harm (`gibbs_at_harm`)
as the comparator (leakage ratio = kl_past_horizon / the optimum's). A point is **collapsed** when its benign
KL or its harmful total KL exceeds the registered maxima (config/predictions.yaml, section ``frontier``); a
crossing whose bracketing points include a collapsed one is not read (``reason`` says why).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import logit

from .kl import next_token_probs
from .policy import kl_matrix

POINT_METRICS = ["harm", "total_kl", "benign_kl", "kl_past_horizon", "kl_decided", "recovery_shift_decided",
                 "recovery_gain_decided", "kl_mean_position"]
# The harm fractions (of the exact base's E[h]) at which the exact optimum's frontier is drawn.
OPTIMUM_FRACTIONS = tuple(np.round(np.linspace(0.05, 0.95, 19), 2))
# Probabilities are clipped this far from 0 and 1 before a logit (float32 softmax resolves about 1e-7).
PROBABILITY_FLOOR = 1.0e-7


def clipped_logit(p):
    """logit p with p clipped to [PROBABILITY_FLOOR, 1 − PROBABILITY_FLOOR]: how every recovery log-odds is read."""
    return logit(np.clip(p, PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR))


def recovery_at_decided(env, model, reference, sequences, m: int) -> tuple[float, float, int]:
    """(mean log-odds shift, mean probability gain, n prefixes) of π(R | y_<t) at harmful decided prefixes."""
    recover = env.recovery_token
    masks = [env.harmful_decided_positions(p, r, m) for p, r in sequences]
    if not any(mask.any() for mask in masks):
        return np.nan, np.nan, 0
    probs = next_token_probs(model, sequences, batch_size=env.kl_batch_size, pad_id=env.pad_id, include_last=False)
    probs0 = next_token_probs(reference, sequences, batch_size=env.kl_batch_size, pad_id=env.pad_id, include_last=False)
    p = np.concatenate([q[mask, recover] for q, mask in zip(probs, masks)])
    p0 = np.concatenate([q[mask, recover] for q, mask in zip(probs0, masks)])
    return float(np.mean(clipped_logit(p) - clipped_logit(p0))), float(np.mean(p - p0)), len(p)


def frontier_point(env, model, reference, seed: int, m: int, horizon: float, n_samples: int) -> dict:
    """The metrics of the module docstring for one model (``m``: the method's payload threshold)."""
    model.eval()
    harmful_sequences, benign_sequences = env.kl_sequences()
    kl_h = kl_matrix(env, model, reference, harmful_sequences)
    kl_b = kl_matrix(env, model, reference, benign_sequences)
    decided = np.zeros_like(kl_h, dtype=bool)
    for i, (p, r) in enumerate(harmful_sequences):
        mask = env.decided_positions(p, r, m)[: kl_h.shape[1]]
        decided[i, : len(mask)] = mask
    samples = env.sample_responses(model, True, n_samples, seed)
    harm = env.label([p for p, _ in samples], [r for _, r in samples], m=m)["harm"]
    shift, gain, n_prefixes = recovery_at_decided(env, model, reference, harmful_sequences, m)
    profile = kl_h.mean(axis=0)
    positions = np.arange(1, len(profile) + 1)
    total = float(profile.sum())
    return {"harm": float(np.mean(harm)), "n_samples": len(harm), "total_kl": total,
            "benign_kl": float(kl_b.sum(axis=1).mean()),
            "kl_past_horizon": float(profile[positions > horizon].sum()),
            "kl_decided": float((kl_h * decided).sum(axis=1).mean()),
            "recovery_shift_decided": shift, "recovery_gain_decided": gain, "n_decided_prefixes": n_prefixes,
            "kl_mean_position": float((positions * profile).sum() / total) if total > 0 else np.nan}


def collapsed(points: pd.DataFrame, benign_kl_max: float, harmful_kl_max: float) -> pd.Series:
    """A point is collapsed when its benign KL or its harmful total KL exceeds the registered maximum."""
    return (points.benign_kl > benign_kl_max) | (points.total_kl > harmful_kl_max)


def at_harm(trace: pd.DataFrame, level: float, metrics) -> tuple[dict, str]:
    """The trace (sorted by step) read at harm ``level``: linear interpolation in harm on the first segment
    whose end points bracket it (harm_i ≥ level ≥ harm_{i+1}).

    Returns (values, reason): reason is "reached", "not reached" (no segment crosses the level), or
    "collapsed" (a bracketing point is collapsed); values are NaN unless reached.
    """
    trace = trace.sort_values("step").reset_index(drop=True)
    harm = trace.harm.to_numpy()
    for i in range(len(trace) - 1):
        if harm[i] >= level >= harm[i + 1]:
            a, b = trace.iloc[i], trace.iloc[i + 1]
            if a.collapsed or b.collapsed:
                return {name: np.nan for name in metrics}, "collapsed"
            w = 0.0 if harm[i] == harm[i + 1] else (harm[i] - level) / (harm[i] - harm[i + 1])
            return {name: float((1 - w) * a[name] + w * b[name]) for name in metrics} | {"step": float((1 - w) * a.step + w * b.step)}, "reached"
    return {name: np.nan for name in metrics}, "not reached"


def gibbs_at_harm(automaton, m: int, harm: float, epsilon: float, tolerance: float = 1.0e-10) -> dict:
    """The exact Gibbs optimum π*_β (P4) of the automaton under payload threshold m whose E[h] equals ``harm``:
    β by bisection on log β; its total KL, KL past t_ε (the base's exact ε-horizon) and KL_t profile."""
    from ..theory.automaton import base_policy, expected_harm, per_position_kl
    from ..theory.experiments import exact_horizon, with_m
    from ..theory.gibbs import Objective, optimal_policy

    base = base_policy(with_m(automaton, m))
    if not 0 < harm < expected_harm(base):
        raise ValueError(f"harm level {harm} must lie in (0, {expected_harm(base):.4f}), the base's E[h] at m = {m}")
    low, high = np.log(1e-4), np.log(1e4)  # harm rises with β
    while high - low > tolerance:
        mid = 0.5 * (low + high)
        policy = optimal_policy(base, Objective(float(np.exp(mid))))[0]
        low, high = (mid, high) if expected_harm(policy) < harm else (low, mid)
    beta = float(np.exp(0.5 * (low + high)))
    profile = per_position_kl(optimal_policy(base, Objective(beta))[0], base)[1:]
    horizon = exact_horizon(automaton, m, epsilon)
    positions = np.arange(1, len(profile) + 1)
    return {"beta": beta, "total_kl": float(profile.sum()), "kl_past_horizon": float(profile[positions > horizon].sum()),
            "kl_decided": 0.0, "recovery_shift_decided": 0.0, "recovery_gain_decided": 0.0,
            "kl_mean_position": float((positions * profile).sum() / profile.sum())}


def matched_runs(frontier: pd.DataFrame, levels: dict, gibbs: dict) -> pd.DataFrame:
    """Per (method, seed, harm level): the trace read at the level (`at_harm`) and the leakage ratio.

    ``levels``: {method: [(fraction, harm), ...]} (the harm levels of the method's m); ``gibbs``: {(method,
    fraction): `gibbs_at_harm`}.  ``log_leakage`` = log(kl_past_horizon / the optimum's kl_past_horizon).
    """
    rows = []
    metrics = [name for name in POINT_METRICS if name not in ("harm", "kl_mean_position")] + ["kl_first_moment"]
    # kl_mean_position is a ratio, undefined at the reference (no KL): interpolate its numerator Σ_t t KL_t and
    # Σ_t KL_t, i.e. the KL profile itself, and divide.
    frontier = frontier.assign(kl_first_moment=(frontier.kl_mean_position * frontier.total_kl).where(frontier.total_kl > 0, 0.0))
    for (method, seed), trace in frontier.groupby(["method", "seed"], sort=False):
        for fraction, harm in levels[method]:
            values, reason = at_harm(trace, harm, metrics)
            moment = values.pop("kl_first_moment")
            values["kl_mean_position"] = moment / values["total_kl"] if values["total_kl"] > 0 else np.nan
            optimum = gibbs[(method, fraction)]
            # No ratio where the optimum puts no KL past t_ε (t_ε = T): nothing to leak relative to.
            leakage = values["kl_past_horizon"] / optimum["kl_past_horizon"] if optimum["kl_past_horizon"] > 0 else np.nan
            rows.append({"method": method, "seed": seed, "harm_fraction": fraction, "harm_level": harm, "reason": reason,
                         "step": values.get("step", np.nan), **values, "leakage_ratio": leakage,
                         "log_leakage": np.log(leakage) if leakage > 0 else np.nan})
    return pd.DataFrame(rows)


MATCHED_METRICS = ["total_kl", "kl_past_horizon", "kl_decided", "recovery_shift_decided", "recovery_gain_decided",
                   "kl_mean_position", "log_leakage"]


def matched_summary(matched: pd.DataFrame, gibbs: dict) -> pd.DataFrame:
    """Per method, harm level and metric: the mean and 95% t-interval over the seeds that reached the level
    (n; ``n_runs`` counts every seed), and the exact Gibbs optimum's value at the same harm (``method`` =
    "gibbs (exact, <method>)", n = 0: no interval)."""
    from ..intervals import t_interval

    rows = []
    for (method, fraction), part in matched.groupby(["method", "harm_fraction"], sort=False):
        level = float(part.harm_level.iloc[0])
        for metric in MATCHED_METRICS:
            mean, low, high, n = t_interval(part[metric])
            rows.append({"method": method, "harm_fraction": fraction, "harm_level": level, "metric": metric, "mean": mean,
                         "ci_low": low, "ci_high": high, "n": n, "n_runs": len(part),
                         "n_collapsed": int((part.reason == "collapsed").sum()),
                         "n_not_reached": int((part.reason == "not reached").sum())})
        optimum = gibbs[(method, fraction)]
        for metric in MATCHED_METRICS[:-1]:
            rows.append({"method": f"gibbs (exact, {method})", "harm_fraction": fraction, "harm_level": level,
                         "metric": metric, "mean": optimum[metric], "ci_low": np.nan, "ci_high": np.nan, "n": 0,
                         "n_runs": 0, "n_collapsed": 0, "n_not_reached": 0})
    return pd.DataFrame(rows)


def deep_optimum(automaton, m: int, beta: float, mu: float, gamma: float) -> dict:
    """The exact optimum of P5-on's objective (ours; ``recovery_rl``) E[h] + μ Σ_t γ^t P(harmful, y_t ∉ R) + β KL (theory.gibbs) at a method's
    own (β, μ, γ): its E[h], total KL and the recovery log-odds shift at harmful decided states (payload count
    ≥ m), averaged with the reference's reach, as `recovery_at_decided` averages over the reference's prefixes."""
    from ..theory.automaton import base_policy, expected_harm, per_position_kl, reach_probabilities
    from ..theory.experiments import with_m
    from ..theory.gibbs import Objective, optimal_policy, recovery_log_odds

    base = base_policy(with_m(automaton, m))
    star = optimal_policy(base, Objective(beta, mu, gamma))[0]
    weights = reach_probabilities(base)[1 : automaton.T, m]  # states (t, m), t = 1..T-1, choosing token t + 1
    shift = (recovery_log_odds(star) - recovery_log_odds(base))[1:, m]
    return {"beta": beta, "mu": mu, "gamma": gamma, "harm": expected_harm(star),
            "total_kl": float(per_position_kl(star, base)[1:].sum()),
            "recovery_shift_decided": float((weights * shift).sum() / weights.sum())}


def h_deep_optimum(automaton, m: int, beta: float, mu: float, gamma: float) -> dict:
    """The exact optimum of Young's H_deep (Def 17; ``theory.deep``) at a method's own (λ = 1/β, μ, γ), on the
    prefix tree of the automaton with payload threshold m: its E[h], total KL along the base's prefixes, and
    the recovery log-odds shift at harmful decided prefixes beside Thm 20's stated shift μγ^{t−1}, both
    averaged with the base's reach and read as `recovery_at_decided` reads a model (probabilities clipped
    at PROBABILITY_FLOOR, so a prefix where the optimum recovers surely reads about 16 nats, not infinity)."""
    from ..theory.deep import decided_shift, expected_harm, reference_kl, solve_deep
    from ..theory.experiments import with_m
    from ..theory.prefix_tree import PrefixTree

    tree = PrefixTree.build(with_m(automaton, m))
    solution = solve_deep(tree, 1.0 / beta, mu, gamma)
    if mu > 0 and solution.change > 1.0e-10:  # at μ = 0 one backward pass is exact (the Gibbs optimum)
        raise RuntimeError(f"h_deep optimum did not converge at beta={beta}, mu={mu}, gamma={gamma}: "
                           f"last change {solution.change:.2e}")
    shift, stated = decided_shift(tree, solution, mu, gamma, floor=PROBABILITY_FLOOR)
    return {"beta": beta, "mu": mu, "gamma": gamma, "harm": expected_harm(tree, solution),
            "total_kl": reference_kl(tree, solution), "recovery_shift_decided": shift, "shift_thm20": stated}
