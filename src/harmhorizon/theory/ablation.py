"""Tabular against shared-parameter policies under gradient descent on the standard objective (docs/theory.md
§4.6; docs/experiments.md E5c).

Gradient descent on  J(θ) = λ·E[Harm] + KL(P_θ ‖ P_base)  (eq. 2) from the base, on the sharp prefix tree,
whose prefixes past the horizon K are all decided (their count is frozen). Policies:

- ``tabular``: a free logit per prefix and token. By P2, ∂E[Harm]/∂z_a(y) = P(y)·π(a|y)·(Q(y, a) − H(y)) is 0
  at a decided prefix, and the KL gradient is 0 where π = π_base, so exact gradient descent never moves a
  prefix past K: D_t = 0 for t > K at every step.
- log-linear policies with parameters shared across positions (``theory.shared.FEATURES``), which see the
  prefix through features: nothing (``bias``), the position (``position``), the payload count (``count``),
  the count and whether K has passed (``count+horizon``). A prefix past K shares parameters with undecided
  prefixes before K unless its features set it apart, so the harm gradient there moves it too.

Gradients are either exact (autograd on the exact objective) or sampled: REINFORCE on n responses drawn from
the current policy, (R − b)·∇log P_θ(y) with R = λ·Harm + log P_θ(y)/P_base(y) and the leave-one-out mean
as baseline b (unbiased). Sampling noise moves decided tabular prefixes too; its effect shrinks with n.
Every recorded step is measured exactly: E[Harm], D_t, and D_t over decided prefixes alone.
"""

from __future__ import annotations

import numpy as np
import torch

from .automaton import PAYLOAD
from .prefix_tree import PrefixTree, base_row, harm_martingale, log_reach, node_kl
from .shared import FREE_ACTIONS, _policy, aligned_kl, feature_levels

# What each policy can observe of a prefix (the `observes` column).
OBSERVES = {"tabular": "the whole prefix", "bias": "nothing", "position": "the position",
            "count": "the payload count", "count+horizon": "the count and the horizon"}


def _tabular_policy(tree: PrefixTree, Z: list, comply_shift: torch.Tensor):
    """(P(COMPLY), probs per level) of free per-prefix logits log π_base + Z (the FILLER column fixed at 0)."""
    log_base = torch.tensor(np.log(base_row(tree.automaton)), dtype=torch.float64)
    index = torch.tensor(FREE_ACTIONS)
    probs = [None]
    for z in Z[1:]:
        full = torch.zeros(z.shape[0], 4, dtype=torch.float64).index_copy(1, index, z)
        probs.append(torch.softmax(log_base + full, dim=1))
    c = tree.automaton.c
    comply = torch.sigmoid(torch.tensor(np.log(c / (1 - c)), dtype=torch.float64) + comply_shift)
    return comply, probs


def policy_family(tree: PrefixTree, name: str):
    """(parameters at the base, params → (P(COMPLY) tensor, probs tensors)) of policy ``name``."""
    shift = torch.zeros((), dtype=torch.float64, requires_grad=True)
    if name == "tabular":
        Z = [None] + [torch.zeros(len(n), len(FREE_ACTIONS), dtype=torch.float64, requires_grad=True)
                      for n in tree.count[1:tree.T]]
        return [shift, *Z[1:]], lambda params: _tabular_policy(tree, [None, *params[1:]], params[0])
    phi = feature_levels(tree, name)
    W = torch.zeros(phi[1].shape[1], len(FREE_ACTIONS), dtype=torch.float64, requires_grad=True)
    return [shift, W], lambda params: _policy(tree, phi, params[1], params[0])


def exact_objective(tree: PrefixTree, lam: float, comply, probs) -> torch.Tensor:
    """λ·E[Harm] + KL(P_θ ‖ P_base), exactly (the sum over the tree; theory.shared.standard_objective)."""
    from .shared import standard_objective

    return standard_objective(tree, lam, comply, probs)


def sampled_objective(tree: PrefixTree, lam: float, comply, probs, n: int, generator: torch.Generator) -> torch.Tensor:
    """A surrogate whose gradient is the REINFORCE estimate of ∇J from n responses of the policy:
    mean_i (R_i − b_i)·log P_θ(y_i), R_i = λ·Harm(y_i) + log P_θ(y_i)/P_base(y_i), b_i the mean of the others."""
    base = torch.tensor(np.log(base_row(tree.automaton)), dtype=torch.float64)
    c = tree.automaton.c
    complied = torch.rand(n, generator=generator, dtype=torch.float64) < comply.detach()
    log_p = torch.where(complied, torch.log(comply), torch.log1p(-comply))
    log_base = torch.where(complied, torch.tensor(np.log(c)), torch.tensor(np.log(1 - c)))
    harm = torch.zeros(n, dtype=torch.float64)
    alive, node = complied.clone(), torch.zeros(n, dtype=torch.long)
    for s in range(1, tree.T):
        row = probs[s][node]
        token = torch.multinomial(row.detach(), 1, generator=generator)[:, 0]
        log_p = log_p + torch.where(alive, torch.log(row.gather(1, token[:, None])[:, 0]), 0.0)
        log_base = log_base + torch.where(alive, base[token], 0.0)
        ended = alive & (token >= 2)                                   # RECOVER or EOS ends the response
        level_harm = torch.tensor(tree.harm(s))[node]
        harm = torch.where(ended, level_harm, harm)
        alive = alive & (token < 2)
        node = 2 * node + (token == PAYLOAD).long()                      # children: 2i FILLER, 2i + 1 PAYLOAD
    harm = torch.where(alive, torch.tensor(tree.harm(tree.T))[node], harm)
    reward = (lam * harm + log_p - log_base).detach()
    baseline = (reward.sum() - reward) / (n - 1)
    return ((reward - baseline) * log_p).mean()


def measure(tree: PrefixTree, comply, probs) -> dict:
    """Exact E[Harm], D_t (t = 1..T) and D_t over decided prefixes alone (count frozen past K, or ≥ m)."""
    p_comply = float(comply)
    numpy_probs = [None] + [p.detach().numpy() for p in probs[1:]]
    H, _ = harm_martingale(tree, numpy_probs)
    kl = aligned_kl(tree, p_comply, numpy_probs)
    reach = log_reach(tree, p_comply, numpy_probs)
    base = base_row(tree.automaton)
    decided = np.zeros(tree.T + 1)
    for s in range(1, tree.T):
        mask = decided_prefixes(tree, s)
        decided[s + 1] = float((np.exp(reach[s][mask]) * node_kl(numpy_probs[s][mask], base)).sum())
    return {"harm": p_comply * float(H[1][0]), "kl": kl, "kl_decided": decided}


def decided_prefixes(tree: PrefixTree, s: int) -> np.ndarray:
    """The prefixes of level s whose Harm is already fixed: count ≥ m, or any prefix once the count is frozen
    (level s ≥ K in the sharp variant: tokens at positions > K do not count)."""
    frozen = tree.K is not None and s >= tree.K
    return np.full(len(tree.count[s]), frozen) | (tree.count[s] >= tree.automaton.m)


def descend(tree: PrefixTree, policy: str, lam: float, learning_rate: float, steps: int,
            n_samples: int | None = None, seed: int = 0) -> list[dict]:
    """Plain gradient descent θ ← θ − η∇J from the base, exact (``n_samples`` None) or sampled; one row per
    step (0..steps) and position t with the exact measurements of ``measure``."""
    params, policy_of = policy_family(tree, policy)
    generator = torch.Generator().manual_seed(seed)
    rows = []
    for step in range(steps + 1):
        comply, probs = policy_of(params)
        with torch.no_grad():
            measured = measure(tree, comply, probs)
        for t in range(1, tree.T + 1):
            rows.append({"step": step, "t": t, "harm": measured["harm"], "kl": measured["kl"][t],
                         "kl_decided": measured["kl_decided"][t]})
        if step == steps:
            break
        objective = (exact_objective(tree, lam, comply, probs) if n_samples is None
                     else sampled_objective(tree, lam, comply, probs, n_samples, generator))
        grads = torch.autograd.grad(objective, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p -= learning_rate * g
    return rows


def separates_decided(tree: PrefixTree, policy: str) -> bool:
    """Whether every parameter of ``policy`` touches only decided or only undecided prefixes. Then exact
    gradient descent from the base never moves a decided prefix (P2 and a zero KL gradient at the base, by
    induction over steps); otherwise a decided prefix moves with the undecided ones it shares parameters with."""
    if policy == "tabular":
        return True
    phi = feature_levels(tree, policy)
    touched = [set(), set()]                       # features nonzero at some undecided / decided prefix
    for s in range(1, tree.T):
        mask = decided_prefixes(tree, s)
        for decided in (False, True):
            rows = phi[s][mask == decided]
            if len(rows):
                touched[decided] |= set(np.flatnonzero(np.abs(rows).sum(axis=0) > 0))
    return not (touched[0] & touched[1])


def trajectory_table(automaton, settings: dict) -> "pd.DataFrame":
    """Every run of the ablation grid (``settings`` = config exact.ablation): per environment, policy, gradient
    (exact, or sampled with n responses per step and a seed), step and position t."""
    import pandas as pd

    from .deep import environment_tree

    frames = []
    for environment, policies in settings["policies"].items():
        tree = environment_tree(automaton, environment, settings["T"], settings["K"])
        runs = [(p, None, 0) for p in policies]
        sampled = settings["sampled"]
        if environment in sampled["environments"]:
            runs += [(p, n, seed) for p in sampled["policies"] if p in policies for n in sampled["n_samples"]
                     for seed in range(1, sampled["seeds"] + 1)]
        for policy, n, seed in runs:
            rows = pd.DataFrame(descend(tree, policy, settings["lambda"], settings["learning_rate"], settings["steps"],
                                        n, seed))
            rows.insert(0, "environment", environment)
            rows.insert(1, "policy", policy)
            rows.insert(2, "observes", OBSERVES[policy])
            rows.insert(3, "separates_decided", separates_decided(tree, policy))
            rows.insert(4, "gradient", "exact" if n is None else "sampled")
            rows.insert(5, "n_samples", 0 if n is None else n)
            rows.insert(6, "seed", seed)
            rows["past_horizon"] = rows.t > tree.horizon()
            frames.append(rows)
    return pd.concat(frames, ignore_index=True)


RUN = ["environment", "policy", "observes", "separates_decided", "gradient", "n_samples", "seed"]


def run_curves(trajectories: "pd.DataFrame") -> "pd.DataFrame":
    """Per run and step: harm, total KL, KL past the horizon and KL at decided prefixes (sums over t)."""
    frame = trajectories.assign(kl_past_horizon=trajectories.kl.where(trajectories.past_horizon, 0.0))
    return (frame.groupby(RUN + ["step"], sort=False)
            .agg(harm=("harm", "first"), total_kl=("kl", "sum"), kl_past_horizon=("kl_past_horizon", "sum"),
                 kl_decided=("kl_decided", "sum"))
            .reset_index())


MEASURES = ["total_kl", "kl_past_horizon", "kl_decided"]


def at_harm(curve: "pd.DataFrame", level: float) -> dict:
    """The measures where a run's harm first falls to ``level``, linearly interpolated in harm between the two
    steps around the crossing (NaN if it never does)."""
    harm = curve.harm.to_numpy()
    below = np.flatnonzero(harm <= level)
    if len(below) == 0:
        return {m: np.nan for m in MEASURES} | {"step": np.nan}
    i = below[0]
    if i == 0:
        return {m: float(curve[m].iloc[0]) for m in MEASURES} | {"step": 0.0}
    w = (harm[i - 1] - level) / (harm[i - 1] - harm[i])
    row = {m: float((1 - w) * curve[m].iloc[i - 1] + w * curve[m].iloc[i]) for m in MEASURES}
    return row | {"step": float((1 - w) * curve.step.iloc[i - 1] + w * curve.step.iloc[i])}


def matched_table(curves: "pd.DataFrame", harm_fractions) -> "pd.DataFrame":
    """Every run at matched operating points: harm = fraction × the base's harm of its environment."""
    import pandas as pd

    rows = []
    for key, curve in curves.groupby(RUN, sort=False):
        curve = curve.sort_values("step")
        for fraction in harm_fractions:
            level = fraction * float(curve.harm.iloc[0])
            rows.append(dict(zip(RUN, key)) | {"harm_fraction": fraction, "harm": level} | at_harm(curve, level))
    return pd.DataFrame(rows)


def ablation_verdicts(curves: "pd.DataFrame", matched: "pd.DataFrame", rules: dict) -> "pd.DataFrame":
    """The ablation's registered predictions (config/predictions.yaml, section ``ablation``), one row each:

    - P2 (exact gradients): KL at decided prefixes stays 0 (≤ ``zero_tolerance`` at every recorded step) for a
      policy whose parameters separate decided from undecided prefixes, and is > ``zero_tolerance`` at each
      matched harm level for one whose parameters do not (``untestable`` at a level the run never reaches);
    - sampled gradients: for tabular logits, log KL at decided prefixes at the largest n minus at the smallest
      (Welch 95% interval over seeds) lies below 0 at each matched harm level;
    - observability (sharp environment): adding the horizon feature to the count lowers the KL past the
      horizon at every matched harm level.
    """
    import pandas as pd

    from ..intervals import welch_difference

    tol = rules["zero_tolerance"]
    rows = []
    exact_curves = curves[curves.gradient == "exact"]
    exact_matched = matched[matched.gradient == "exact"]
    for (environment, policy, separates), curve in exact_curves.groupby(
            ["environment", "policy", "separates_decided"], sort=False):
        at = exact_matched[(exact_matched.environment == environment) & (exact_matched.policy == policy)]
        base = {"environment": environment, "policy": policy, "gradient": "exact", "metric": "kl_decided",
                "n": 1, "threshold": tol}
        if separates:
            value = float(curve.kl_decided.abs().max())
            rows.append(base | {"prediction": "P2: under exact gradients the KL at decided prefixes stays 0",
                                "harm_fraction": np.nan, "mean": value, "ci_low": value, "ci_high": value,
                                "verdict": "confirmed" if value <= tol else "refuted"})
            continue
        for row in at.itertuples():
            value = float(row.kl_decided)
            verdict = "untestable" if not np.isfinite(value) else "confirmed" if value > tol else "refuted"
            rows.append(base | {"prediction": "P2: under exact gradients the KL at decided prefixes becomes positive",
                                "harm_fraction": row.harm_fraction, "mean": value, "ci_low": value, "ci_high": value,
                                "n": int(np.isfinite(value)), "verdict": verdict})
    sampled = matched[(matched.gradient == "sampled") & (matched.policy == "tabular")]
    for (environment, fraction), part in sampled.groupby(["environment", "harm_fraction"], sort=False):
        ns = sorted(part.n_samples.unique())
        if len(ns) < 2:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            large = np.log(part[part.n_samples == ns[-1]].kl_decided.to_numpy(dtype=float))
            small = np.log(part[part.n_samples == ns[0]].kl_decided.to_numpy(dtype=float))
        diff, low, high, n = welch_difference(large, small)
        verdict = "confirmed" if high < 0 else "refuted" if low > 0 else "inconclusive"
        rows.append({"prediction": f"sampled gradients: tabular KL at decided prefixes shrinks from n = {ns[0]} "
                                   f"to n = {ns[-1]}", "environment": environment, "policy": "tabular",
                     "gradient": "sampled", "metric": "log kl_decided difference", "harm_fraction": fraction,
                     "mean": diff, "ci_low": low, "ci_high": high, "n": n, "threshold": 0.0, "verdict": verdict})
    sharp = exact_matched[exact_matched.environment == "sharp"].set_index(["policy", "harm_fraction"])
    if {"count", "count+horizon"} <= set(sharp.index.get_level_values(0)):
        for fraction in sorted(set(sharp.index.get_level_values(1))):
            seen, blind = sharp.loc[("count+horizon", fraction)], sharp.loc[("count", fraction)]
            diff = float(seen.kl_past_horizon - blind.kl_past_horizon)
            verdict = ("untestable" if not np.isfinite(diff) else "confirmed" if diff < 0 else "refuted" if diff > 0
                       else "inconclusive")
            rows.append({"prediction": "observability: seeing the horizon lowers the KL past it",
                         "environment": "sharp", "policy": "count+horizon - count", "gradient": "exact",
                         "metric": "kl_past_horizon difference", "harm_fraction": fraction, "mean": diff,
                         "ci_low": diff, "ci_high": diff, "n": 1, "threshold": 0.0, "verdict": verdict})
    return pd.DataFrame(rows)
