"""The predictions of docs/experiments.md decided from 95% intervals over seeds (a data step; report/ formats).

A method's family comes from the method registry (``standard``: dpo, rlhf, sft; ``deep``: recovery,
augment).  With [lo, hi] the interval of a method's metric (``evaluate.summary``), the rules of
``harmhorizon.intervals`` decide:

- E5/E6 "a standard method puts its KL before t_ε": confirmed if hi ≤ shallow_fraction, refuted if
  lo > shallow_fraction (the gradient's share past t_ε, a minibatch norm that sampling noise makes positive,
  is reported in the summary and never judged: `gradient_verdicts` tests P1 with the statistic it names);
- E4/P6 "a standard method recovers like the base past the horizon": an equivalence test with margin
  ``depth_margin``;
- E5/P6 "a deep method recovers more than the base past the horizon": confirmed if lo > depth_margin,
  refuted if hi < depth_margin;
- E3 "KL mass moves with the horizon": Welch interval of the KL mean position of rlhf at a smaller m
  minus the default m; confirmed if it lies below 0.

A prediction about "past t_ε" with no measurement past t_ε is **untestable**, never confirmed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..intervals import equivalence_verdict, one_sided_verdict, welch_difference
from ..methods.families import family_of
from .summary import summarise, summary_interval

# A test against a null distribution (the gradient test) leaves ci_low/ci_high empty and fills the null's
# central 95% band and its Holm-adjusted p-value instead.
COLUMNS = ["prediction", "method", "metric", "mean", "ci_low", "ci_high", "n", "threshold", "verdict", "null_low",
           "null_high", "p_adjusted"]


def decide(rule, low: float, high: float, n: int) -> str:
    """``rule(low, high)``, or "untestable" when no run measured the quantity (n = 0)."""
    return rule(low, high) if n > 0 else "untestable"


def automaton_verdicts(runs: pd.DataFrame, methods: dict, default_m: int, shallow_fraction: float,
                       margin: float) -> pd.DataFrame:
    """E3–E5 on the automaton: one row per (prediction, method, measure); collapsed runs are left out.

    Only the main methods (default m, every seed) are judged; the E3 sweep compares rlhf at each smaller m.
    """
    clean = runs[~runs.collapsed]
    summary = summarise(clean)
    rows = []
    main = [n for n, spec in methods.items() if spec.get("m", default_m) == default_m and "seeds" not in spec]
    for name in main:
        family = family_of(methods[name])
        if family == "standard":
            mean, low, high, n = summary_interval(summary, name, "kl_past_horizon")
            rows.append({"prediction": "E5: KL mass of a standard method lies before $t_\\varepsilon$",
                         "method": name, "metric": "kl_past_horizon", "mean": mean, "ci_low": low, "ci_high": high,
                         "n": n, "threshold": shallow_fraction,
                         "verdict": decide(lambda lo, hi: one_sided_verdict(lo, hi, shallow_fraction, True), low, high, n)})
            mean, low, high, n = summary_interval(summary, name, "recovery_gain_past_horizon")
            rows.append({"prediction": "E4/P6: a standard method recovers like the base past the horizon",
                         "method": name, "metric": "recovery_gain_past_horizon", "mean": mean, "ci_low": low,
                         "ci_high": high, "n": n, "threshold": margin,
                         "verdict": decide(lambda lo, hi: equivalence_verdict(lo, hi, margin), low, high, n)})
        elif family == "deep":
            mean, low, high, n = summary_interval(summary, name, "recovery_gain_past_horizon")
            rows.append({"prediction": "E5/P6: recovery penalty and augmentation are deep", "method": name,
                         "metric": "recovery_gain_past_horizon", "mean": mean, "ci_low": low, "ci_high": high, "n": n,
                         "threshold": margin,
                         "verdict": decide(lambda lo, hi: one_sided_verdict(lo, hi, margin, False), low, high, n)})
    rlhf = [n for n, spec in methods.items() if spec["objective"] == "rlhf"]
    sweep = [n for n in rlhf if methods[n].get("m", default_m) < default_m]
    reference = [n for n in main if n in rlhf]
    for name in sweep:
        if not reference:
            break
        a = clean[clean.method == name].kl_mean_position.dropna()
        b = clean[clean.method == reference[0]].kl_mean_position.dropna()
        if len(a) >= 2 and len(b) >= 2:
            diff, low, high, _ = welch_difference(a, b)
        else:
            diff = low = high = np.nan
        rows.append({"prediction": "E3: KL mass moves with the horizon (smaller m, earlier KL)",
                     "method": f"{name} - {reference[0]}", "metric": "kl_mean_position difference", "mean": diff,
                     "ci_low": low, "ci_high": high, "n": min(len(a), len(b)), "threshold": 0.0,
                     "verdict": one_sided_verdict(low, high, 0.0, True)})
    return pd.DataFrame(rows, columns=COLUMNS)


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values (NaN stays NaN and is not counted)."""
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    order = finite[np.argsort(p[finite], kind="stable")]
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * p[i]))
        out[i] = running
    return out


def gradient_verdicts(table: pd.DataFrame, rules: dict) -> pd.DataFrame:
    """P1 on the neural model from the gradient test's sums over positions (rows t = 0 of gradient_test.csv),
    by the rules of config/predictions.yaml section ``gradient_test`` (Holm across this family):

    - Thm 8, undecided prefixes: confirmed if p_adjusted < alpha, else inconclusive;
    - Thm 10 / P2, decided prefixes: refuted if p_adjusted < alpha; confirmed if not and the checkpoint's
      undecided stratum is confirmed; inconclusive otherwise;
    - untestable (both) with fewer than ``min_harmful`` harmful responses.
    """
    sums = table[table.t == 0].reset_index(drop=True)
    testable = sums.n_harmful_responses >= rules["min_harmful"]
    adjusted = holm(np.where(testable, sums.p_value, np.nan))
    sums = sums.assign(p_adjusted=adjusted, testable=testable)
    seen = {(r.method, r.seed): r.testable and r.p_adjusted < rules["alpha"]
            for r in sums[sums.stratum == "undecided"].itertuples()}
    rows = []
    for r in sums.itertuples():
        rejected = r.testable and r.p_adjusted < rules["alpha"]
        if r.stratum == "undecided":
            prediction = "Thm 8: the expected harm gradient sits at undecided prefixes"
            verdict = "confirmed" if rejected else "inconclusive"
        else:
            prediction = "Thm 10/P2: no expected harm gradient at decided prefixes"
            verdict = "refuted" if rejected else "confirmed" if seen.get((r.method, r.seed)) else "inconclusive"
        rows.append({"prediction": prediction, "method": f"{r.method} (seed {r.seed})",
                     "metric": f"sum_t U_t ({r.stratum}) vs sign-flip null", "mean": r.estimate,
                     "ci_low": np.nan, "ci_high": np.nan, "n": int(r.n_batches), "threshold": rules["alpha"],
                     "verdict": verdict if r.testable else "untestable", "null_low": r.null_low,
                     "null_high": r.null_high, "p_adjusted": r.p_adjusted})
    return pd.DataFrame(rows, columns=COLUMNS)


def attack_depth(ks, horizon: float) -> int | None:
    """The prefill depth read as "past the horizon": the smallest attacked k ≥ t_ε (None if there is none)."""
    past = [k for k in sorted(ks) if math.isfinite(horizon) and k >= horizon]
    return past[0] if past else None


def chat_verdicts(prefill: pd.DataFrame, summary: pd.DataFrame, methods: dict, horizon: float, ks,
                  shallow_fraction: float, margin: float, kl_positions: int) -> pd.DataFrame:
    """E6 on a chat model, by the same rules; recovery is compared at one depth k* = `attack_depth`.

    Δ = the Welch 95% interval of (method − base) recovery rate at k* over seeds.  The KL prediction is
    untestable when t_ε is undefined or ≥ ``kl_positions``; the recovery ones when no attacked k ≥ t_ε.
    """
    k_star = attack_depth(ks, horizon)
    kl_testable = math.isfinite(horizon) and horizon < kl_positions
    at_k = prefill[prefill.k == k_star] if k_star is not None else prefill.iloc[:0]
    base = at_k[at_k.method == "base"].recovery_rate
    gain = f"recovery_gain_k{k_star}" if k_star is not None else "recovery_gain_past_horizon"
    rows = []

    def row(prediction, name, metric, interval, threshold, verdict, testable):
        mean, low, high, n = interval if testable else (np.nan, np.nan, np.nan, 0)
        return {"prediction": prediction, "method": name, "metric": metric, "mean": mean, "ci_low": low,
                "ci_high": high, "n": int(n), "threshold": threshold,
                "verdict": verdict(low, high) if testable else "untestable"}

    for name, spec in methods.items():
        family = family_of(spec)
        difference = welch_difference(at_k[at_k.method == name].recovery_rate, base)
        if family == "standard":
            share = summary_interval(summary, name, "kl_past_horizon")
            rows.append(row("E6: the KL of a standard method lies before $t_\\varepsilon$", name,
                            "kl_past_horizon", share, shallow_fraction,
                            lambda lo, hi: one_sided_verdict(lo, hi, shallow_fraction, True), kl_testable))
            rows.append(row("E6: a standard method recovers like the base past $t_\\varepsilon$", name, gain,
                            difference, margin, lambda lo, hi: equivalence_verdict(lo, hi, margin), k_star is not None))
        elif family == "deep":
            rows.append(row("E6: a deep method recovers more than the base past $t_\\varepsilon$", name, gain,
                            difference, margin, lambda lo, hi: one_sided_verdict(lo, hi, margin, False), k_star is not None))
    return pd.DataFrame(rows, columns=COLUMNS)


def decide_verdicts(env: str, runs: pd.DataFrame, prefill: pd.DataFrame, summary: pd.DataFrame, methods: dict,
                    settings: dict) -> pd.DataFrame:
    """The verdicts of one environment's runs: E3–E5 on the automaton (``synthetic``), E6 on a chat model (``real``)."""
    if env == "synthetic":
        return automaton_verdicts(runs, methods, settings["default_m"], settings["shallow_fraction"],
                                  settings["depth_margin"])
    horizon = float(runs.t_epsilon.iloc[0]) if len(runs) else float("nan")
    return chat_verdicts(prefill, summary, methods, horizon, settings["ks"], settings["shallow_fraction"],
                         settings["depth_margin"], settings["kl_positions"])
