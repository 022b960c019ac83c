"""The predictions of docs/experiments.md decided by the statistic each names (a data step; report/ formats).

A method's family comes from the method registry (``standard``: dpo, rlhf, sft; ``deep``: recovery,
augment).

- On the automaton (synthetic track), `frontier_verdicts`: E3–E5 at matched harm, from the runs' harm–KL
  traces (evaluate.frontier), by the rules of config/predictions.yaml section ``frontier`` (Holm-adjusted
  one-sided t-tests); and `gradient_verdicts`: P1 from the gradient test (section ``gradient_test``).
- On a chat model (real track), `chat_verdicts`: E6 from 95% intervals over seeds (``harmhorizon.intervals``).

A prediction about "past t_ε" with no measurement past t_ε is **untestable**, never confirmed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..intervals import (
    equivalence_verdict,
    one_sided_p,
    one_sided_verdict,
    t_interval,
    welch_difference,
    welch_one_sided_p,
)
from ..methods.families import family_of
from .summary import KL_RESOLUTION, share_past, summary_interval

# A test against a null distribution (the gradient test) leaves ci_low/ci_high empty and fills the null's
# central 95% band; Holm-adjusted p-values are p_adjusted (the confirming test) and p_refute_adjusted.
COLUMNS = ["prediction", "method", "metric", "mean", "ci_low", "ci_high", "n", "threshold", "verdict", "null_low",
           "null_high", "p_adjusted", "p_refute_adjusted"]


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
    seen = {(r.method, r.seed, r.checkpoint): r.testable and r.p_adjusted < rules["alpha"]
            for r in sums[sums.stratum == "undecided"].itertuples()}
    rows = []
    for r in sums.itertuples():
        rejected = r.testable and r.p_adjusted < rules["alpha"]
        if r.stratum == "undecided":
            prediction = "Thm 8: the expected harm gradient sits at undecided prefixes"
            verdict = "confirmed" if rejected else "inconclusive"
        else:
            prediction = "Thm 10/P2: no expected harm gradient at decided prefixes"
            verdict = "refuted" if rejected else "confirmed" if seen.get((r.method, r.seed, r.checkpoint)) else "inconclusive"
        rows.append({"prediction": prediction, "method": f"{r.method} (seed {r.seed}, {r.checkpoint})",
                     "metric": f"sum_t U_t ({r.stratum}) vs sign-flip null", "mean": r.estimate,
                     "ci_low": np.nan, "ci_high": np.nan, "n": int(r.n_batches), "threshold": rules["alpha"],
                     "verdict": verdict if r.testable else "untestable", "null_low": r.null_low,
                     "null_high": r.null_high, "p_adjusted": r.p_adjusted})
    return pd.DataFrame(rows, columns=COLUMNS)


def main_methods(methods: dict, default_m: int) -> list[str]:
    """The methods judged on the automaton: the default payload threshold m and the track's seeds."""
    return [n for n, spec in methods.items() if spec.get("m", default_m) == default_m and "seeds" not in spec]


def frontier_verdicts(matched: pd.DataFrame, methods: dict, default_m: int, rules: dict) -> pd.DataFrame:
    """E3–E5 at matched harm by the rules of config/predictions.yaml section ``frontier``.

    ``matched``: per (method, seed, harm_fraction) a trace read at the level (`evaluate.frontier.matched_runs`).
    Each row carries two one-sided tests (confirming, refuting); Holm runs over every test of the family and
    decides: confirmed if p_adjusted < alpha, refuted if p_refute_adjusted < alpha, else inconclusive;
    untestable where fewer than 2 seeds reached the level.
    """
    delta, alpha = rules["recovery_margin"], rules["alpha"]
    rows, tests = [], []

    def add(prediction, method, metric, values, threshold, p_confirm, p_refute, difference=None):
        mean, low, high, n = difference if difference is not None else t_interval(values)
        testable = n >= 2
        rows.append({"prediction": prediction, "method": method, "metric": metric, "mean": mean, "ci_low": low,
                     "ci_high": high, "n": n, "threshold": threshold, "testable": testable})
        tests.append((p_confirm, p_refute) if testable else (np.nan, np.nan))

    for name in main_methods(methods, default_m):
        family = family_of(methods[name])
        for fraction, part in matched[matched.method == name].groupby("harm_fraction", sort=False):
            at = f" (harm {fraction:g}x base)"
            shift = part.recovery_shift_decided
            if family == "standard":
                leak = part.log_leakage
                add("Appendix A: shared parameters put more KL past $t_\\varepsilon$ than the exact optimum" + at, name,
                    "log leakage ratio", leak, 0.0, one_sided_p(leak, 0.0, True), one_sided_p(leak, 0.0, False))
                add("P6/Cor 23: a standard method's recovery log-odds at decided harmful prefixes stay at the base's" + at,
                    name, "recovery_shift_decided", shift, delta,
                    max(one_sided_p(shift, -delta, True), one_sided_p(shift, delta, False)),
                    min(1.0, 2 * min(one_sided_p(shift, delta, True), one_sided_p(shift, -delta, False))))
            elif family == "deep":
                add("P5/P6: a deep method raises the recovery log-odds at decided harmful prefixes" + at, name,
                    "recovery_shift_decided", shift, delta, one_sided_p(shift, delta, True), one_sided_p(shift, delta, False))
    rlhf = [n for n, spec in methods.items() if spec["objective"] == "rlhf"]
    reference = [n for n in main_methods(methods, default_m) if n in rlhf]
    for name in (n for n in rlhf if methods[n].get("m", default_m) < default_m and reference):
        for fraction, part in matched[matched.method == name].groupby("harm_fraction", sort=False):
            base = matched[(matched.method == reference[0]) & (matched.harm_fraction == fraction)]
            a, b = part.kl_mean_position, base.kl_mean_position
            add(f"E3: KL mass moves with the horizon (smaller m, earlier KL) (harm {fraction:g}x base)",
                f"{name} - {reference[0]}", "kl_mean_position difference", None, 0.0,
                welch_one_sided_p(a, b, 0.0, False), welch_one_sided_p(a, b, 0.0, True), welch_difference(a, b))
    flat = np.array([p for pair in tests for p in pair], dtype=float)
    adjusted = holm(flat).reshape(-1, 2) if len(flat) else np.zeros((0, 2))
    for row, (p_confirm, p_refute) in zip(rows, adjusted):
        testable = row.pop("testable")
        row["p_adjusted"], row["p_refute_adjusted"] = p_confirm, p_refute
        row["verdict"] = ("untestable" if not testable else "confirmed" if p_confirm < alpha
                          else "refuted" if p_refute < alpha else "inconclusive")
    return pd.DataFrame(rows, columns=COLUMNS)


def attack_depth(ks, horizon: float) -> int | None:
    """The prefill depth read as "past the horizon": the smallest attacked k ≥ t_ε (None if there is none)."""
    past = [k for k in sorted(ks) if math.isfinite(horizon) and k >= horizon]
    return past[0] if past else None


def logodds_past_horizon(profile: pd.DataFrame, horizon: float) -> pd.DataFrame:
    """Per (method, seed): the mean over the profile's positions t > t_ε of Δℓ_t (NaN where none lies past t_ε)."""
    if profile is None or profile.empty or not math.isfinite(horizon):
        return pd.DataFrame(columns=["method", "seed", "delta_logodds_past_horizon"])
    late = profile[profile.t > horizon]
    return (late.groupby(["method", "seed"], as_index=False).delta_logodds.mean()
            .rename(columns={"delta_logodds": "delta_logodds_past_horizon"}))


def appendix_a_ratios(profile: pd.DataFrame, horizon: float) -> pd.DataFrame:
    """Per (method, seed): Appendix A's registered ratio on a chat model, max_{t>t_ε} |Δℓ_t| / max_{t≤t_ε} |Δℓ_t| of the
    recovery profile along held-out harmful reference responses (every prefix is harmful; config/predictions.yaml,
    section appendix_a); NaN where t_ε is undefined."""
    from .shared_parameters import appendix_a_ratio

    if profile is None or profile.empty or not math.isfinite(horizon):
        return pd.DataFrame(columns=["method", "seed", "ratio"])
    rows = [{"method": method, "seed": seed,
             "ratio": appendix_a_ratio(part.assign(past_horizon=part.t > horizon, delta_logodds_harmful=part.delta_logodds))}
            for (method, seed), part in profile.groupby(["method", "seed"])]
    return pd.DataFrame(rows, columns=["method", "seed", "ratio"])


def kl_share_past_horizon(kl: pd.DataFrame, horizon: float) -> pd.DataFrame:
    """Per (method, seed): Σ_{t>t_ε} KL_t / Σ_t KL_t of a KL profile (`share_past`; NaN below ``KL_RESOLUTION``)."""
    rows = [{"method": method, "seed": seed, "kl_share_past_horizon": share_past(part.kl, part.t, horizon, KL_RESOLUTION)}
            for (method, seed), part in kl.groupby(["method", "seed"])]
    return pd.DataFrame(rows, columns=["method", "seed", "kl_share_past_horizon"])


def clipped(interval: tuple, low: float, high: float) -> tuple:
    """(mean, low, high, n) with the bounds clipped to the quantity's range [low, high]."""
    mean, lo, hi, n = interval
    return mean, float(np.clip(lo, low, high)), float(np.clip(hi, low, high)), n


def chat_verdicts(prefill: pd.DataFrame, summary: pd.DataFrame, methods: dict, horizon: float, ks,
                  shallow_fraction: float, margin: float, kl_positions: int, profile: pd.DataFrame | None = None,
                  runs: pd.DataFrame | None = None, rules: dict | None = None,
                  kl_unconditional: pd.DataFrame | None = None) -> pd.DataFrame:
    """E6 on a chat model (config/predictions.yaml section ``real``); attacks are compared at k* = `attack_depth`.

    Differences against the reference are Welch 95% intervals over seeds (method − reference); Δℓ past t_ε
    (`logodds_past_horizon`) is a t-interval over seeds.  Seeds whose run is ``collapsed`` or ``unmoved``
    (runs.csv) are left out.  The KL prediction is untestable when t_ε is undefined or ≥ ``kl_positions``; the attack rows when no
    attacked k ≥ t_ε; the Δℓ rows without a profile position past t_ε.  ``kl_unconditional`` (method, seed, t, kl:
    KL_t along unconditional reference responses) adds P4b's row: its share past t_ε, a t-interval over seeds.
    """
    rules = rules or {}
    k_star = attack_depth(ks, horizon)
    kl_testable = math.isfinite(horizon) and horizon < kl_positions
    excluded = excluded_runs(runs)  # (method, seed) → "collapsed" | "unmoved"
    keep = lambda frame: frame.loc[np.array([(m, int(s)) not in excluded for m, s in zip(frame.method, frame.seed)],  # noqa: E731
                                            dtype=bool)]
    at_k = keep(prefill[prefill.k == k_star]) if k_star is not None else prefill.iloc[:0]
    base = at_k[at_k.method == "base"]
    late = keep(logodds_past_horizon(profile, horizon))
    unconditional = keep(kl_share_past_horizon(kl_unconditional, horizon)) if kl_unconditional is not None else None
    gain = f"recovery_gain_k{k_star}" if k_star is not None else "recovery_gain_past_horizon"
    harm_gap = f"harm_rate_k{k_star} difference" if k_star is not None else "harm_rate_past_horizon difference"
    lo_margin, asr_margin = rules.get("logodds_margin"), rules.get("asr_margin")
    appendix_margin = rules.get("appendix_a", {}).get("equivalence_ratio")
    ratios = keep(appendix_a_ratios(profile, horizon))
    rows = []

    def row(prediction, name, metric, interval, threshold, verdict, testable):
        counts = {flag: sum(1 for (m, _), f in excluded.items() if m == name and f == flag) for flag in ("collapsed", "unmoved")}
        note = ", ".join(f"{count} seeds {flag}" for flag, count in counts.items() if count)
        mean, low, high, n = interval if testable else (np.nan, np.nan, np.nan, 0)
        enough = n >= 2
        label = verdict(low, high) if testable and enough else "untestable"
        rows.append({"prediction": prediction, "method": name + (f" ({note})" if note else ""),
                     "metric": metric, "mean": mean, "ci_low": low, "ci_high": high, "n": int(n),
                     "threshold": threshold, "verdict": label})

    for name, spec in methods.items():
        family = family_of(spec)
        part = at_k[at_k.method == name]
        recovery = welch_difference(part.recovery_rate, base.recovery_rate)
        harm = welch_difference(part.harm_rate, base.harm_rate)
        shift = t_interval(late[late.method == name].delta_logodds_past_horizon)
        has_late = bool(len(late[late.method == name]))
        if family == "standard":
            if unconditional is not None:
                shares = unconditional[unconditional.method == name].kl_share_past_horizon
                row("E6/P4b: the KL of a standard method along unconditional reference responses lies before "
                    "$t_\\varepsilon$", name, "kl_unconditional_past_horizon", clipped(t_interval(shares), 0.0, 1.0),
                    shallow_fraction, lambda lo, hi: one_sided_verdict(lo, hi, shallow_fraction, True), kl_testable)
            share = summary_interval(summary, name, "kl_past_horizon")
            row("E6: the KL of a standard method lies before $t_\\varepsilon$", name, "kl_past_horizon", share,
                shallow_fraction, lambda lo, hi: one_sided_verdict(lo, hi, shallow_fraction, True), kl_testable)
            row("E6: a standard method recovers like the base past $t_\\varepsilon$", name, gain, recovery, margin,
                lambda lo, hi: equivalence_verdict(lo, hi, margin), k_star is not None)
            if lo_margin is not None:
                row("E6/Cor 23: a standard method's recovery log-odds past $t_\\varepsilon$ stay at the reference's", name,
                    "delta_logodds_past_horizon", shift, lo_margin, lambda lo, hi: equivalence_verdict(lo, hi, lo_margin),
                    has_late)
            if asr_margin is not None:
                row("E6: under a prefill past $t_\\varepsilon$ a standard method is as harmful as the reference", name,
                    harm_gap, harm, asr_margin, lambda lo, hi: equivalence_verdict(lo, hi, asr_margin), k_star is not None)
            if appendix_margin is not None:
                row("App A: a standard method's recovery log-odds past $t_\\varepsilon$ stay at the reference's "
                    "(largest $|\\Delta\\ell_t|$ past $t_\\varepsilon$ over the largest before it)", name, "appendix_a_ratio",
                    clipped(t_interval(ratios[ratios.method == name].ratio.dropna()), 0.0, np.inf), appendix_margin,
                    lambda lo, hi: one_sided_verdict(lo, hi, appendix_margin, True), has_late)
        elif family == "deep":
            row("E6: a deep method recovers more than the base past $t_\\varepsilon$", name, gain, recovery, margin,
                lambda lo, hi: one_sided_verdict(lo, hi, margin, False), k_star is not None)
            if lo_margin is not None:
                row("E6/P5: a deep method raises the recovery log-odds past $t_\\varepsilon$", name,
                    "delta_logodds_past_horizon", shift, lo_margin,
                    lambda lo, hi: one_sided_verdict(lo, hi, lo_margin, False), has_late)
            if asr_margin is not None:
                row("E6: under a prefill past $t_\\varepsilon$ a deep method is less harmful than the reference", name,
                    harm_gap, harm, -asr_margin, lambda lo, hi: one_sided_verdict(lo, hi, -asr_margin, True),
                    k_star is not None)
    return pd.DataFrame(rows, columns=COLUMNS)


def excluded_runs(runs: pd.DataFrame | None) -> dict:
    """(method, seed) → "collapsed" | "unmoved" for every run runs.csv flags (columns that exist only)."""
    excluded = {}
    for flag in ("collapsed", "unmoved"):
        if runs is not None and flag in runs:
            excluded.update({(r.method, int(r.seed)): flag for r in runs[runs[flag].astype(bool)].itertuples()})
    return excluded


def caveat_verdicts(attack: pd.DataFrame, runs: pd.DataFrame, methods: dict, ks,
                    rules: dict, over_refusal: pd.DataFrame | None = None) -> pd.DataFrame:
    """E7 (config/predictions.yaml section ``caveats``) at k* = `attack_depth` of the reference's t_ε (runs.csv).

    Reads continuation_harm_rate of attack.csv (attack = sampled | rank_assisted): the rank-assisted prefill against
    every deep method and circuit breakers (Vega & Singh: no less harmful than the reference; at least as harmful
    as the sampled prefill, within each run), circuit breakers under both attacks (Zou et al.: less harmful than the
    reference) and circuit breakers' KL share past t_ε [ours]. Collapsed and unmoved seeds are left out. Where a chat
    model's judged answers to the benign-but-edgy questions are given (``over_refusal``, raw/over_refusal.csv.gz),
    each deep method's and circuit breakers' refusal rate on them minus the reference's [ours], Welch 95% over seeds.
    """
    margin, shallow = rules["asr_margin"], rules["shallow_fraction"]
    base_runs = runs[runs.method == "base"]
    horizon = float(base_runs.t_epsilon.iloc[0]) if len(base_runs) else float("nan")
    k_star = attack_depth(ks, horizon)
    excluded = excluded_runs(runs)
    kept = attack[[(m, int(s)) not in excluded for m, s in zip(attack.method, attack.seed)]]
    at_k = kept[kept.k == k_star] if k_star is not None else kept.iloc[:0]
    harm = lambda name, kind: at_k[(at_k.method == name) & (at_k.attack == kind)].set_index("seed").continuation_harm_rate  # noqa: E731
    metric = f"continuation_harm_rate_k{k_star}" if k_star is not None else "continuation_harm_rate_past_horizon"
    rows = []
    if over_refusal is not None:
        from ..real.over_refusal import refusal_rates

        rates = refusal_rates(over_refusal)
        rates = rates[[(m, int(s)) not in excluded for m, s in zip(rates.method, rates.seed)]]
        edgy = lambda name: rates[rates.method == name].set_index("seed").edgy_refusal_rate  # noqa: E731

    def row(prediction, name, metric, interval, threshold, verdict, testable=True):
        mean, low, high, n = interval if testable else (np.nan, np.nan, np.nan, 0)
        rows.append({"prediction": prediction, "method": name, "metric": metric, "mean": mean, "ci_low": low,
                     "ci_high": high, "n": int(n), "threshold": threshold,
                     "verdict": verdict(low, high) if testable and n >= 2 else "untestable"})

    no_less = lambda lo, hi: one_sided_verdict(lo, hi, -margin, False)  # noqa: E731
    for name, spec in methods.items():
        family = family_of(spec)
        if family not in ("deep", "baseline"):
            continue
        ranked, sampled = harm(name, "rank_assisted"), harm(name, "sampled")
        row("E7 (Vega \\& Singh): under the rank-assisted prefill past $t_\\varepsilon$ the method is no less harmful "
            "than the reference", name, f"rank_assisted {metric} difference",
            welch_difference(ranked, harm("base", "rank_assisted")), -margin, no_less, k_star is not None)
        paired = (ranked - sampled).dropna()
        row("E7 (Vega \\& Singh): the rank-assisted prefill past $t_\\varepsilon$ is at least as harmful as the sampled "
            "one", name, f"rank_assisted minus sampled {metric}", t_interval(paired), -margin, no_less, k_star is not None)
        if family == "baseline":
            for kind in ("sampled", "rank_assisted"):
                row(f"E7 (Zou et al.): circuit breakers make the {kind.replace('_', '-')} prefill past "
                    "$t_\\varepsilon$ less harmful than the reference", name, f"{kind} {metric} difference",
                    welch_difference(harm(name, kind), harm("base", kind)), -margin,
                    lambda lo, hi: one_sided_verdict(lo, hi, -margin, True), k_star is not None)
        if over_refusal is not None:
            row("E7 [ours]: the method refuses benign-but-edgy questions more often than the reference", name,
                "edgy_refusal_rate difference", welch_difference(edgy(name), edgy("base")), rules["over_refusal_margin"],
                lambda lo, hi: one_sided_verdict(lo, hi, rules["over_refusal_margin"], False))
        if family == "baseline":
            shares = kept_runs(runs, excluded, name).kl_past_horizon
            row("E7 [ours]: circuit breakers spend KL past $t_\\varepsilon$", name, "kl_past_horizon",
                clipped(t_interval(shares), 0.0, 1.0), shallow, lambda lo, hi: one_sided_verdict(lo, hi, shallow, False))
    return pd.DataFrame(rows, columns=COLUMNS)


def proxy_runs(methods: dict, proxies: dict, horizon: float, rules: dict):
    """(name, Proxy, testable, comparator) of every method aligned against a configured learned harm model; testable
    when t_ε is defined, the proxy's view, if it has one, lies before it, and its comparator was run. The comparator is
    the section's, or its ``replication``'s for the methods that list names."""
    from ..methods.reward_model import Proxy

    for name, spec in methods.items():
        if spec.get("reward_model") in proxies:
            proxy = Proxy.from_config(spec["reward_model"], proxies[spec["reward_model"]])
            comparator = rules["replication"]["comparator"] if replicates(name, rules) else rules["comparator"]
            testable = math.isfinite(horizon) and (proxy.view is None or proxy.view < horizon) and comparator in methods
            yield name, proxy, testable, comparator


def replicates(name: str, rules: dict) -> bool:
    """Whether a proxy run belongs to the section's registered blind ``replication``."""
    return name in (rules.get("replication") or {}).get("methods", [])


def reward_model_comparators(rules: dict) -> list[str]:
    """The comparators (RLHF against h) of section ``reward_model``: its own, then its replication's if it has one."""
    return [rules["comparator"]] + ([rules["replication"]["comparator"]] if rules.get("replication") else [])


def difference_row(prediction: str, method: str, metric: str, mine, theirs, threshold: float, decide,
                   testable: bool) -> dict:
    """A verdict row on mean(mine) − mean(theirs) (Welch 95%), decided by ``decide(low, high)``; untestable unless
    ``testable`` with at least 2 values on each side."""
    mean, low, high, n = welch_difference(mine, theirs) if testable else (np.nan, np.nan, np.nan, 0)
    return {"prediction": prediction, "method": method, "metric": metric, "mean": mean, "ci_low": low, "ci_high": high,
            "n": int(n), "threshold": threshold, "verdict": decide(low, high) if testable and n >= 2 else "untestable"}


def reward_model_verdicts(kl: pd.DataFrame, runs: pd.DataFrame, methods: dict, proxies: dict, rules: dict,
                          matched: pd.DataFrame | None = None) -> pd.DataFrame:
    """E7's learned harm model (config/predictions.yaml section ``reward_model``): each method aligned against a proxy
    r̂ (``reward_model``) against the ``comparator`` (RLHF against h), on the KL profile (kl_profile.csv).

    A proxy whose view k lies before the reference's t_ε: its KL share at t ≤ k minus the comparator's, one-sided
    above ``kl_share_margin``; a whole-view proxy: its KL share past t_ε minus the comparator's, equivalence within
    ±``kl_share_margin``. Welch 95% over seeds; collapsed and unmoved seeds left out; a view at or past t_ε untestable.
    Where ``matched`` (matched_runs.csv) is given and ``read_at_matched_harm`` is set, `matched_reward_model_rows`
    adds each proxy's rows at the frontier's harm levels.
    """
    margin = rules["kl_share_margin"]
    base_runs = runs[runs.method == "base"]
    horizon = float(base_runs.t_epsilon.iloc[0]) if len(base_runs) else float("nan")
    excluded = excluded_runs(runs)
    kl = kl[[(m, int(s)) not in excluded for m, s in zip(kl.method, kl.seed)]]
    rows = []
    for name, proxy, testable, comparator in proxy_runs(methods, proxies, horizon, rules):
        early = proxy.view is not None
        tag = " [replication]" if replicates(name, rules) else ""
        # Share past a cut c: Σ_{t>c} KL_t / Σ_t KL_t (`kl_share_past_horizon`); the share at t ≤ k is 1 − it at c = k.
        shares = kl_share_past_horizon(kl[kl.method.isin([name, comparator])], proxy.view if early else horizon)
        share = 1.0 - shares.kl_share_past_horizon if early else shares.kl_share_past_horizon
        mine, theirs = share[shares.method == name], share[shares.method == comparator]
        if early:
            prediction = (f"E7 (learned harm model, view {proxy.view}){tag}: alignment against it concentrates its KL "
                          "where it decides")
            metric, decide = f"kl_share_t_le_{proxy.view} difference", lambda lo, hi: one_sided_verdict(lo, hi, margin, False)
        else:
            prediction = (f"E7 (learned harm model, whole view, flip rate {proxy.noise:g}){tag}: noise changes how "
                          "far alignment moves, not where")
            metric, decide = "kl_share_past_horizon difference", lambda lo, hi: equivalence_verdict(lo, hi, margin)
        rows.append(difference_row(prediction, f"{name} - {comparator}", metric, mine, theirs, margin, decide, testable))
    if matched is not None and rules.get("read_at_matched_harm"):
        rows += matched_reward_model_rows(matched, horizon, methods, proxies, rules)
    return pd.DataFrame(rows, columns=COLUMNS)


def matched_share_past_horizon(matched: pd.DataFrame) -> pd.Series:
    """Per matched row: Σ_{t>t_ε} KL_t / Σ_t KL_t, both read at the harm level; NaN unless the level was reached
    without collapse with a total above ``KL_RESOLUTION``."""
    ok = (matched.reason == "reached") & (matched.total_kl > KL_RESOLUTION)
    return (matched.kl_past_horizon / matched.total_kl).where(ok)


def matched_reward_model_rows(matched: pd.DataFrame, horizon: float, methods: dict, proxies: dict, rules: dict) -> list:
    """E7's learned-harm-model rows at matched harm (config/predictions.yaml section ``reward_model``, registered post
    hoc): per proxy run and frontier harm fraction, its KL share past h's t_ε minus the comparator's at the same
    level (`matched_share_past_horizon`), Welch 95% over the seeds that reached it. A view k < t_ε predicts a lower
    share (one-sided below −margin); a whole view, equivalence within ±margin."""
    margin = rules["kl_share_margin"]
    matched = matched.assign(share=matched_share_past_horizon(matched))
    rows = []
    for name, proxy, testable, comparator in proxy_runs(methods, proxies, horizon, rules):
        if comparator not in methods:
            continue
        tag = "[replication, matched harm]" if replicates(name, rules) else "[post hoc, matched harm]"
        if proxy.view is not None:
            prediction = (f"E7 (learned harm model, view {proxy.view}) {tag}: alignment against it is shallower than "
                          "against $h$")
            threshold, decide = -margin, lambda lo, hi: one_sided_verdict(lo, hi, -margin, True)
        else:
            prediction = (f"E7 (learned harm model, whole view, flip rate {proxy.noise:g}) {tag}: noise changes how far "
                          "alignment moves, not where")
            threshold, decide = margin, lambda lo, hi: equivalence_verdict(lo, hi, margin)
        for fraction in sorted(matched[matched.method == name].harm_fraction.unique(), reverse=True):
            at = matched[matched.harm_fraction == fraction]
            rows.append(difference_row(prediction, f"{name} - {comparator}",
                                       f"kl_share_past_horizon at harm fraction {fraction:g} difference",
                                       at[at.method == name].share, at[at.method == comparator].share, threshold,
                                       decide, testable))
    return rows


def is_caveat_row(verdicts: pd.DataFrame) -> pd.Series:
    """The rows of `caveat_verdicts` (E7) in a verdicts table; the paper sets them apart from E5 and E6."""
    return verdicts.prediction.str.startswith("E7")


def kept_runs(runs: pd.DataFrame, excluded: dict, method: str) -> pd.DataFrame:
    """One method's rows of runs.csv without its collapsed or unmoved seeds."""
    rows = runs[runs.method == method]
    return rows[[(method, int(s)) not in excluded for s in rows.seed]]


def decide_verdicts(env: str, runs: pd.DataFrame, prefill: pd.DataFrame, summary: pd.DataFrame, methods: dict,
                    settings: dict, matched: pd.DataFrame | None = None, rules: dict | None = None,
                    profile: pd.DataFrame | None = None, chat_rules: dict | None = None,
                    kl_unconditional: pd.DataFrame | None = None) -> pd.DataFrame:
    """The verdicts of one environment's runs: `frontier_verdicts` on the automaton (``synthetic``; ``matched`` and
    the ``frontier`` rules required), `chat_verdicts` on a chat model."""
    if env == "synthetic":
        if matched is None or rules is None:
            raise ValueError("the synthetic verdicts are read at matched harm: pass the matched runs and the "
                             "frontier section of config/predictions.yaml")
        return frontier_verdicts(matched, methods, settings["default_m"], rules)
    horizon = float(runs.t_epsilon.iloc[0]) if len(runs) else float("nan")
    return chat_verdicts(prefill, summary, methods, horizon, settings["ks"], settings["shallow_fraction"],
                         settings["depth_margin"], settings["kl_positions"], profile, runs, chat_rules, kl_unconditional)
