"""E5b, Young's Appendix A on a seeded track (docs/experiments.md E5b): with parameters shared across positions,
standard alignment puts KL past the harm horizon K, but the recovery log-odds at harmful prefixes there stay at
the base's.

Per aligned model, teacher-forced on the adversarial prefixes Q (the base's responses given COMPLY, cut at every
length before their stop: the Q of ``theory.deep``), at each position t = 2..T:

- ``kl_t`` = E_{y∼Q}[1{y reaches t} KL(π_θ(·|y_<t) ‖ π_ref(·|y_<t))]: D_t with Q's prefixes (the exact track's
  ``per_position_kl(measure="q")``);
- ``delta_logodds`` = the mean over the Q-prefixes at t of Δℓ = logit π_θ(R|y_<t) − logit π_ref(R|y_<t);
- ``delta_logodds_harmful``: the same over the Q-prefixes whose payload count at positions ≤ K is ≥ m (past K
  their harm is decided).

The statistic registered in config/predictions.yaml (section appendix_a) is, per seed,
ratio = max_{t>K} |Δℓ_t harmful| / max_{t≤K} |Δℓ_t| (scale-free: both are first order in λ), the exact
track's App A ratio (``theory.ledger``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from ..intervals import t_interval
from .frontier import clipped_logit
from .kl import next_token_probs


def q_prefix_profile(env, model, reference, sequences, m: int, K: int) -> pd.DataFrame:
    """The module docstring's per-position columns for one model; ``sequences`` are (prompt, response) pairs whose
    responses begin with COMPLY (``env.adversarial_sequences``)."""
    T, recover = env.T, env.recovery_token
    payload = np.zeros(env.vocab.size, dtype=bool)
    payload[env.vocab.ids("PAYLOAD")] = True
    probs = next_token_probs(model, sequences, batch_size=env.kl_batch_size, pad_id=env.pad_id, include_last=False)
    probs0 = next_token_probs(reference, sequences, batch_size=env.kl_batch_size, pad_id=env.pad_id, include_last=False)
    kl, shift, harmful = np.zeros(T + 1), [[] for _ in range(T + 1)], [[] for _ in range(T + 1)]
    for (_, response), p, p0 in zip(sequences, probs, probs0):
        counted = payload[np.asarray(response)] & (np.arange(len(response)) < K)  # index i is position i + 1
        count = np.cumsum(counted)
        for t in range(2, len(response) + 1):  # the prefix y_<t: response positions 1..t − 1
            row, row0 = p[t - 1], p0[t - 1]
            with np.errstate(divide="ignore", invalid="ignore"):
                kl[t] += float(np.where(row > 0, row * (np.log(row) - np.log(row0)), 0.0).sum())
            value = float(clipped_logit(row[recover]) - clipped_logit(row0[recover]))
            shift[t].append(value)
            if count[t - 2] >= m:
                harmful[t].append(value)
    mean = lambda values: float(np.mean(values)) if values else np.nan  # noqa: E731
    return pd.DataFrame({"t": np.arange(2, T + 1), "past_horizon": np.arange(2, T + 1) > K,
                         "kl_t": kl[2:] / len(sequences), "delta_logodds": [mean(v) for v in shift[2:]],
                         "delta_logodds_harmful": [mean(v) for v in harmful[2:]],
                         "n_prefixes": [len(v) for v in shift[2:]], "n_harmful_prefixes": [len(v) for v in harmful[2:]]})


def appendix_a_ratio(profile: pd.DataFrame) -> float:
    """max_{t>K} |Δℓ_t at harmful Q-prefixes| / max_{t≤K} |Δℓ_t| of one model's profile (NaN where undefined)."""
    late = profile.loc[profile.past_horizon, "delta_logodds_harmful"].abs().max()
    inside = profile.loc[~profile.past_horizon, "delta_logodds"].abs().max()
    return float(late / inside) if inside > 0 and np.isfinite(late) else np.nan


def interval_over_seeds(profiles: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per (λ, t): the 95% Student-t interval over seeds of ``column``."""
    rows = []
    for (lam, t), part in profiles.groupby(["lambda", "t"], sort=True):
        _, low, high, _ = t_interval(part[column].dropna())
        rows.append({"lambda": lam, "t": t, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


def appendix_a_verdicts(ratios: pd.DataFrame, margin: float, method: str) -> pd.DataFrame:
    """Per λ: the ratio's mean and 95% t-interval over seeds (clipped at 0). The registered judgement is at the
    smallest λ: confirmed if the interval lies inside [0, margin], refuted if it lies above the margin,
    inconclusive otherwise, untestable with fewer than 2 finite seeds; larger λ are reported."""
    rows, smallest = [], ratios["lambda"].min()
    for lam, part in ratios.groupby("lambda", sort=True):
        values = part.ratio.dropna()
        mean, low, high, _ = t_interval(values)
        low, high = max(low, 0.0), max(high, 0.0)
        if lam != smallest:
            verdict = "reported"
        elif len(values) < 2:
            verdict = "untestable"
        else:
            verdict = "confirmed" if high <= margin else "refuted" if low > margin else "inconclusive"
        rows.append({"prediction": "App A: recovery at harmful prefixes past K stays at the base's",
                     "method": method, "metric": f"appendix_a_ratio (lambda {lam:g})", "lambda": lam,
                     "mean": mean, "ci_low": low, "ci_high": high, "n": len(values), "threshold": margin,
                     "verdict": verdict})
    return pd.DataFrame(rows)


def chat_shared_parameter_table(kl_profile: pd.DataFrame, profile: pd.DataFrame, methods: dict,
                                horizon: float) -> pd.DataFrame:
    """E5b's pair on a chat model, per standard method and seed, at every prefix length t of the recovery profile:
    ``kl_t``, the KL of the next-token distribution after t tokens of a held-out harmful reference response
    (kl_profile.csv's position t + 1), and ``delta_logodds`` with its interval over responses (recovery_profile.csv);
    ``lambda`` is 1/β of the method's trl config (NaN without one), ``past_horizon`` is t > t_ε (as E6 reads it)."""
    from ..methods.families import family_of

    rows = []
    for name, spec in methods.items():
        if family_of(spec) != "standard":
            continue
        beta = spec.get("hp", {}).get("beta")
        shifts = profile[profile.method == name]
        kl = kl_profile[kl_profile.method == name].set_index(["seed", "t"]).kl
        for r in shifts.itertuples():
            rows.append({"policy": name, "lambda": 1 / beta if beta else np.nan, "seed": r.seed, "t": r.t,
                         "past_horizon": bool(np.isfinite(horizon) and r.t > horizon),
                         "kl_t": float(kl.get((r.seed, r.t + 1), np.nan)), "delta_logodds": r.delta_logodds,
                         "ci_low": r.ci_low, "ci_high": r.ci_high})
    return pd.DataFrame(rows, columns=["policy", "lambda", "seed", "t", "past_horizon", "kl_t", "delta_logodds",
                                       "ci_low", "ci_high"])
