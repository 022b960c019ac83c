"""Per-run metrics and their summary over seeds, the same for every environment (docs/experiments.md E3–E6).

``run_metrics`` reads one run's KL profile, prefill curve, gradient profile and evaluation metrics, with
the base's prefill curve at the same seed and the ε-horizon t_ε of the environment (exact where an oracle
exists, Monte Carlo otherwise):

- ``total_kl``, ``benign_kl``, ``harm_rate``, ``refusal_rate``, ``benign_refusal_rate``,
  ``benign_recovery_rate``: from the evaluation (``evaluate.policy``);
- ``kl_past_horizon`` = Σ_{t>t_ε} KL_t / Σ_t KL_t (NaN when no measured position lies past t_ε);
- ``kl_share_first`` = Σ_{t≤n} KL_t / Σ_t KL_t for the first ``first_tokens`` positions;
- ``kl_mean_position`` = Σ_t t KL_t / Σ_t KL_t;
- the three KL shapes are NaN (undetermined) when Σ_t KL_t < ``KL_RESOLUTION``: a profile that small is
  float32 rounding, and its shape changes with the CPU (docs/architecture.md, "Determinism");
- ``grad_past_horizon`` = Σ_{t>t_ε} g_t² / Σ_t g_t², g_t² summed over the recorded steps;
- ``recovery_gain_past_horizon``: mean over prefill depths whose prefilled response reaches t_ε of
  (recovery rate − the base's at the same depth and seed); ``alignment_depth``: the deepest depth k at
  which that gain exceeds ``margin`` (−1 at none);
- ``harm_rate_k<k>``, ``recovery_rate_k<k>``: the prefill curve itself.

``summarise`` gives, per method and metric, the mean and 95% Student-t interval over seeds (long form,
docs/architecture.md), clipped to the range of the metric (`METRIC_RANGES`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..intervals import t_interval

# The range of each metric (by name prefix): a summary interval never leaves it.
METRIC_RANGES = {
    "harm_rate": (0.0, 1.0), "refusal_rate": (0.0, 1.0), "recovery_rate": (0.0, 1.0),
    "benign_refusal_rate": (0.0, 1.0), "benign_recovery_rate": (0.0, 1.0), "kl_past_horizon": (0.0, 1.0),
    "kl_share_first": (0.0, 1.0), "grad_past_horizon": (0.0, 1.0), "recovery_gain_past_horizon": (-1.0, 1.0),
    "total_kl": (0.0, np.inf), "benign_kl": (0.0, np.inf), "kl_mean_position": (1.0, np.inf),
    "alignment_depth": (-1.0, np.inf),
}
# The float32 resolution of a per-response KL sum, in nats: log-probabilities from float32 logits of
# magnitude up to ~20 carry an error of about 20 x 6e-8 ~ 1e-6 nats per position, so a sum over up to
# 64 positions is resolved to about 1e-4. A model that moved less than this has no KL profile to shape.
KL_RESOLUTION = 1.0e-4
EVALUATION_METRICS = ("harm_rate", "refusal_rate", "benign_refusal_rate", "benign_recovery_rate", "benign_kl", "total_kl")


def metric_range(metric: str) -> tuple[float, float]:
    for prefix in sorted(METRIC_RANGES, key=len, reverse=True):
        if metric.startswith(prefix):
            return METRIC_RANGES[prefix]
    return (-np.inf, np.inf)


def share_past(values: pd.Series, positions: pd.Series, horizon: float, resolution: float = 0.0) -> float:
    """Σ_{t>t_ε} v_t / Σ_t v_t; NaN when the total is not above ``resolution``, t_ε is undefined or no
    position lies past it."""
    total = values.sum()
    if not total > resolution or not np.isfinite(horizon) or not (positions > horizon).any():
        return np.nan
    return values[positions > horizon].sum() / total


def run_metrics(kl: pd.DataFrame, prefill: pd.DataFrame, base_prefill: pd.DataFrame, grad: pd.DataFrame,
                metrics: dict, horizon: float, margin: float, first_tokens: int) -> dict:
    """The per-run metrics of the module docstring, as one flat dict."""
    row = {name: metrics[name] for name in EVALUATION_METRICS if name in metrics}
    total = kl.kl.sum()
    resolved = total > KL_RESOLUTION
    row["kl_past_horizon"] = share_past(kl.kl, kl.t, horizon, KL_RESOLUTION)
    row["kl_share_first"] = kl.kl[kl.t <= first_tokens].sum() / total if resolved else np.nan
    row["kl_mean_position"] = (kl.t * kl.kl).sum() / total if resolved else np.nan
    if len(grad):
        g2 = grad.assign(g2=grad.grad_norm**2).groupby("t").g2.sum()
        row["grad_past_horizon"] = share_past(g2, pd.Series(g2.index, index=g2.index), horizon)
    else:
        row["grad_past_horizon"] = np.nan
    joined = prefill.merge(base_prefill[["k", "recovery_rate"]], on="k", suffixes=("", "_base"))
    gain = joined.recovery_rate - joined.recovery_rate_base
    past = joined.prefilled >= horizon if np.isfinite(horizon) else joined.k < -1
    row["recovery_gain_past_horizon"] = gain[past].mean() if past.any() else np.nan
    deep = joined.k[gain > margin]
    row["alignment_depth"] = float(deep.max()) if len(deep) else -1.0
    for curve in prefill.itertuples():
        row[f"harm_rate_k{curve.k}"] = curve.harm_rate
        row[f"recovery_rate_k{curve.k}"] = curve.recovery_rate
    return row


def summarise(runs: pd.DataFrame, metrics=None) -> pd.DataFrame:
    """Per method and metric: mean, 95% t-interval over seeds (clipped to the metric's range), n_seeds.

    ``runs`` has one row per (method, seed) and one column per metric; ``metrics`` picks and orders the
    columns (default: every column after method and seed, except bookkeeping).  A ``collapsed`` column,
    where present, adds ``n_collapsed``.
    """
    skip = {"method", "seed", "m", "t_epsilon", "collapsed", "unmoved", "train_steps", "train_examples"}
    metrics = [c for c in runs.columns if c not in skip] if metrics is None else list(metrics)
    rows = []
    for method, part in runs.groupby("method", sort=False):
        for metric in metrics:
            if metric not in part:
                continue
            mean, low, high, n = t_interval(part[metric])
            if n > 1:
                lower, upper = metric_range(metric)
                low, high = max(low, lower), min(high, upper)
            row = {"method": method, "metric": metric, "mean": mean, "ci_low": low, "ci_high": high, "n_seeds": n}
            if "collapsed" in part:
                row["n_collapsed"] = int(part.collapsed.sum())
            rows.append(row)
    return pd.DataFrame(rows)


def summary_interval(summary: pd.DataFrame, method: str, metric: str) -> tuple:
    """(mean, ci_low, ci_high, n_seeds) of one method's metric in a `summarise` table (NaN, NaN, NaN, 0 if absent)."""
    row = summary[(summary.method == method) & (summary.metric == metric)]
    return (np.nan, np.nan, np.nan, 0) if row.empty else tuple(row.iloc[0][["mean", "ci_low", "ci_high", "n_seeds"]])


def collect_runs(runs: list[dict], horizon_of, margin: float, first_tokens: int, collapse_benign_kl: float | None = None,
                 metrics=None, moved_kl_min: float | None = None):
    """The environment's contract tables from its runs (docs/architecture.md "Output contracts").

    ``runs``: dicts with method, seed, kl (t, kl, kl_sd, n), prefill, grad (step, t, grad_norm) and
    metrics; the base is the run named "base" (a run on a seed it was not evaluated at is read against its mean over
    seeds).  ``horizon_of(method)`` is the t_ε a method is judged
    against.  Returns (kl, prefill, grad, runs, summary): per-position KL with its 95% t-interval over
    sequences, the prefill curves, the gradient profiles, one row of `run_metrics` per run (``collapsed``
    when its benign KL exceeds ``collapse_benign_kl``; ``unmoved`` when an aligned run's total KL along the harmful
    sequences is below ``moved_kl_min``) and `summarise` of all runs (``n_collapsed`` counts the collapsed ones).
    """
    from ..intervals import t_intervals

    base_prefill = {r["seed"]: r["prefill"] for r in runs if r["method"] == "base"}
    # A run on a seed the base was not evaluated at (a method's own seeds, e.g. a replication's fresh ones) is read
    # against the base's mean over the track's seeds.
    pooled = (pd.concat(base_prefill.values()).groupby("k", as_index=False)["recovery_rate"].mean()
              if base_prefill else None)
    kl_rows, prefill_rows, grad_rows, run_rows = [], [], [], []
    for r in runs:
        t_eps = horizon_of(r["method"])
        kl_rows.append(r["kl"].assign(method=r["method"], seed=r["seed"]))
        prefill_rows.append(r["prefill"].assign(method=r["method"], seed=r["seed"]))
        if len(r["grad"]):
            grad_rows.append(r["grad"].assign(method=r["method"], seed=r["seed"]))
        run_rows.append({"method": r["method"], "seed": r["seed"], "t_epsilon": t_eps,
                         **{k: v for k, v in r["metrics"].items() if k in ("train_steps", "train_examples")},
                         **run_metrics(r["kl"], r["prefill"], base_prefill.get(r["seed"], pooled), r["grad"], r["metrics"], t_eps,
                                       margin, first_tokens)})
    kl = pd.concat(kl_rows, ignore_index=True)
    kl["ci_low"], kl["ci_high"] = t_intervals(kl.kl, kl.kl_sd, kl.n)
    prefill = pd.concat(prefill_rows, ignore_index=True)
    grad = (pd.concat(grad_rows, ignore_index=True)[["method", "seed", "step", "t", "grad_norm"]]
            if grad_rows else pd.DataFrame(columns=["method", "seed", "step", "t", "grad_norm"]))
    table = pd.DataFrame(run_rows)
    if collapse_benign_kl is not None:
        table["collapsed"] = table.benign_kl > collapse_benign_kl
    if moved_kl_min is not None:
        table["unmoved"] = (table.method != "base") & (table.total_kl < moved_kl_min)
    return kl, prefill, grad, table, summarise(table, metrics)
