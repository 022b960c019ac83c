"""The synthetic track's aggregation, figures (seaborn), tables, numbers and computed verdicts.

Summary metrics per run (then a 95% t-interval over seeds, docs/experiments.md E3–E5):
- ``harm_rate``, ``refusal_rate``: fresh samples on harmful prompts, no attack;
- ``total_kl``: Σ_t KL_t along the fixed base trajectories; ``kl_past_horizon``: Σ_{t>t_ε} KL_t / Σ_t KL_t
  with t_ε the exact ε-horizon of I_t for the method's m;
- ``kl_mean_position``: Σ_t t KL_t / Σ_t KL_t (E3);
- ``grad_past_horizon``: Σ_{t>t_ε} g_t² / Σ_t g_t² of the per-position logit gradient, summed over recorded steps;
- ``recovery_gain_past_horizon``: mean over prefill depths k ≥ t_ε - 1 of (recovery rate - base recovery rate, same seed);
- ``alignment_depth``: the largest prefill depth k at which recovery exceeds the base's by ``depth_margin``
  (-1 when at no depth);
- benign costs: ``benign_refusal_rate``, ``benign_recovery_rate``, ``benign_kl``.

Verdict rules (``verdicts``): a run whose benign KL exceeds ``collapse_benign_kl`` is flagged collapsed and
left out.  With [lo, hi] the 95% interval over seeds of a method's metric:
- "standard methods are shallow" (E5), per standard method (dpo, rlhf, sft) and measure (KL, gradient):
  confirmed if hi ≤ shallow_fraction, refuted if lo > shallow_fraction, else inconclusive;
- "standard methods equal the base past the horizon under prefill" (E4/P6), an equivalence test: confirmed
  if -depth_margin < lo and hi < depth_margin, refuted if lo ≥ depth_margin or hi ≤ -depth_margin;
- "recovery penalty and augmentation are deep" (E5/P6): confirmed if lo > depth_margin, refuted if hi < depth_margin;
- "KL mass moves with the horizon" (E3): the KL mean position of rlhf at the smaller m against the default m;
  confirmed if the Welch 95% interval of the difference lies below 0, refuted if above, else inconclusive.
"""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from scipy import stats  # noqa: E402

from ..theory.automaton import Automaton, base_policy, epsilon_horizon, harm_information  # noqa: E402
from ..theory.experiments import harmful_prefill_weights, with_m  # noqa: E402
from ..theory.automaton import harm_values, per_position_kl, recovery_eventual  # noqa: E402
from ..theory.gibbs import Objective, optimal_policy  # noqa: E402
from ..intervals import equivalence_verdict, one_sided_verdict, t_interval, welch_difference  # noqa: E402
from .latex import booktabs_table, fmt, fmt_interval, macro_words, number_word  # noqa: E402

STANDARD = ("dpo", "rlhf", "sft")
DEEP = ("recovery", "augment")


def horizon(automaton: Automaton, m: int, epsilon: float) -> int:
    return epsilon_horizon(harm_information(base_policy(with_m(automaton, m))), epsilon)


def run_metrics(method: str, seed: int, m: int, kl: pd.DataFrame, prefill: pd.DataFrame, base_prefill: pd.DataFrame,
                grad: pd.DataFrame, metrics: dict, t_eps: int, margin: float) -> dict:
    """The per-run summary metrics of the module docstring."""
    total = kl.kl.sum()
    row = {"method": method, "seed": seed, "m": m, "t_epsilon": t_eps, **metrics}
    row["kl_past_horizon"] = kl.kl[kl.t > t_eps].sum() / total if total > 0 else np.nan
    row["kl_mean_position"] = (kl.t * kl.kl).sum() / total if total > 0 else np.nan
    if len(grad):
        g2 = grad.assign(g2=grad.grad_norm**2).groupby("t").g2.sum()
        row["grad_past_horizon"] = g2[g2.index > t_eps].sum() / g2.sum() if g2.sum() > 0 else np.nan
    else:
        row["grad_past_horizon"] = np.nan
    joined = prefill.merge(base_prefill[["k", "recovery_rate"]], on="k", suffixes=("", "_base"))
    gain = joined.recovery_rate - joined.recovery_rate_base
    past = joined.k >= t_eps - 1
    row["recovery_gain_past_horizon"] = gain[past].mean() if past.any() else np.nan
    deep = joined.k[gain > margin]
    row["alignment_depth"] = float(deep.max()) if len(deep) else -1.0
    return row


def aggregate(runs: list[dict], automaton: Automaton, methods: dict, epsilon: float, margin: float,
              collapse_benign_kl: float):
    """runs: dicts with method, seed, kl, prefill, grad (DataFrames), metrics (dict). Returns the contract tables."""
    base_prefill = {r["seed"]: r["prefill"] for r in runs if r["method"] == "base"}
    kl_rows, prefill_rows, grad_rows, run_rows = [], [], [], []
    for r in runs:
        m = methods.get(r["method"], {}).get("m", automaton.m)
        t_eps = horizon(automaton, m, epsilon)
        kl_rows.append(r["kl"].assign(method=r["method"], seed=r["seed"], m=m))
        prefill_rows.append(r["prefill"].assign(method=r["method"], seed=r["seed"], m=m))
        if len(r["grad"]):
            grad_rows.append(r["grad"].assign(method=r["method"], seed=r["seed"]))
        run_rows.append(run_metrics(r["method"], r["seed"], m, r["kl"], r["prefill"], base_prefill[r["seed"]],
                                    r["grad"], r["metrics"], t_eps, margin))
    kl = pd.concat(kl_rows, ignore_index=True)
    half = stats.t.ppf(0.975, np.maximum(kl.n - 1, 1)) * kl.kl_sd.fillna(0) / np.sqrt(kl.n)
    kl = kl.assign(ci_low=kl.kl - half, ci_high=kl.kl + half)
    # Exact I_t and the exact Gibbs-optimum KL_t are joined in by the figure/numbers code (they need β).
    info = {m: harm_information(base_policy(with_m(automaton, m)))[1:] for m in kl.m.unique()}
    kl["harm_information"] = [info[m][t - 1] for m, t in zip(kl.m, kl.t)]
    # The exact Gibbs optimum's KL_t at the method's β (trl's β where the method has one; NaN otherwise).
    gibbs = {}
    for name in kl.method.unique():
        beta = methods.get(name, {}).get("hp", {}).get("beta")
        m = methods.get(name, {}).get("m", automaton.m)
        if beta is not None:
            base = base_policy(with_m(automaton, m))
            gibbs[name] = per_position_kl(optimal_policy(base, Objective(beta))[0], base)[1:]
    kl["gibbs_kl"] = [gibbs[n][t - 1] if n in gibbs else np.nan for n, t in zip(kl.method, kl.t)]
    kl = kl[["method", "seed", "m", "t", "kl", "ci_low", "ci_high", "n", "harm_information", "gibbs_kl"]]
    prefill = pd.concat(prefill_rows, ignore_index=True)[["method", "seed", "m", "k", "recovery_rate", "harm_rate", "n"]]
    grad = (pd.concat(grad_rows, ignore_index=True)[["method", "seed", "step", "t", "grad_norm"]]
            if grad_rows else pd.DataFrame(columns=["method", "seed", "step", "t", "grad_norm"]))
    runs_table = pd.DataFrame(run_rows)
    runs_table["collapsed"] = runs_table.benign_kl > collapse_benign_kl
    summary = summarise(runs_table)
    return kl, prefill, grad, runs_table, summary


SUMMARY_METRICS = ["harm_rate", "refusal_rate", "total_kl", "kl_past_horizon", "kl_mean_position", "grad_past_horizon",
                   "recovery_gain_past_horizon", "alignment_depth", "benign_refusal_rate", "benign_recovery_rate",
                   "benign_kl"]


def summarise(runs_table: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for method, part in runs_table.groupby("method", sort=False):
        for metric in SUMMARY_METRICS:
            mean, low, high, n = t_interval(part[metric])
            rows.append({"method": method, "metric": metric, "mean": mean, "ci_low": low, "ci_high": high,
                         "n_seeds": n, "n_collapsed": int(part.collapsed.sum())})
    return pd.DataFrame(rows)


def exact_prefill_curve(automaton: Automaton, ks) -> pd.DataFrame:
    """Exact base recovery and harm after prefilling k tokens of a harmful base response (docs/experiments.md E4)."""
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


# -- figures --------------------------------------------------------------------------------------------------
def _horizon_line(ax, t_eps, label=True):
    ax.axvline(t_eps, color="black", linestyle="--", linewidth=0.8, label=r"$t_\varepsilon$" if label else None)


def fidelity_figure(mc: pd.DataFrame, fidelity: dict) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(4.6, 2.8))
    ax.fill_between(mc.t, mc.ci_low, mc.ci_high, alpha=0.3, color="tab:blue")
    ax.plot(mc.t, mc.harm_information, "o-", markersize=3, color="tab:blue", label="Monte Carlo (base model)")
    ax.plot(mc.t, mc.exact, "k--", label="exact (automaton)")
    ax.set(xlabel="position $t$", ylabel="$I_t$", yscale="symlog", title=f"TV max {fidelity['tv_state_max']:.3f}")
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def kl_profile_figure(kl: pd.DataFrame, t_eps: int, default_m: int) -> plt.Figure:
    data = kl[(kl.m == default_m) & (kl.method != "base")]
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 2.8))
    sns.lineplot(data, x="t", y="kl", hue="method", errorbar=("ci", 95), ax=axes[0])
    axes[0].set(yscale="log", xlabel="position $t$", ylabel=r"KL$_t$ (nats)", title="KL by position (harmful prompts)")
    _horizon_line(axes[0], t_eps)
    share = data.assign(share=data.kl / data.groupby(["method", "seed"]).kl.transform("sum"))
    sns.lineplot(share, x="t", y="share", hue="method", legend=False, ax=axes[1])
    info = data.drop_duplicates("t")
    axes[1].plot(info.t, info.harm_information / info.harm_information.sum(), "k--", label=r"$I_t/\sum I$ (exact)")
    _horizon_line(axes[1], t_eps, label=False)
    axes[1].set(xlabel="position $t$", ylabel="share of total", title=r"KL$_t$ share vs. exact $I_t$ share")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def grad_profile_figure(grad: pd.DataFrame, t_eps: int) -> plt.Figure:
    methods = list(dict.fromkeys(grad.method))
    cols = min(4, len(methods))
    rows = int(np.ceil(len(methods) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.9 * cols + 0.6, 1.9 * rows + 0.4), sharex=True, squeeze=False)
    for ax, method in zip(axes.flat, methods):
        part = grad[grad.method == method].groupby(["step", "t"], as_index=False).grad_norm.mean()
        part = part.assign(grad_norm=part.grad_norm.where(part.grad_norm > 0))  # exact zeros are not drawn on log axes
        sns.lineplot(part, x="t", y="grad_norm", hue="step", palette="viridis", legend=False, ax=ax)
        _horizon_line(ax, t_eps, label=False)
        ax.set(title=method, xlabel="$t$", ylabel=r"$\|\partial L/\partial z_t\|$", yscale="log")
    for ax in list(axes.flat)[len(methods):]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def prefill_figure(prefill: pd.DataFrame, exact: pd.DataFrame, t_eps: int, default_m: int) -> plt.Figure:
    data = prefill[prefill.m == default_m]
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 2.8), sharex=True)
    for ax, column, name in zip(axes, ["recovery_rate", "harm_rate"], ["P(recover eventually)", "P(h = 1)"]):
        sns.lineplot(data, x="k", y=column, hue="method", errorbar=("ci", 95), marker="o", markersize=3, ax=ax,
                     legend=ax is axes[0])
        ax.plot(exact.k, exact[column], "k--", label="exact base")
        ax.axvline(t_eps - 1, color="black", linestyle=":", linewidth=0.8)
        ax.set(xlabel="prefill depth $k$", ylabel=name)
    axes[0].legend(fontsize=6, ncol=2)
    fig.tight_layout()
    return fig


def horizon_sweep_figure(kl: pd.DataFrame, methods: dict, horizons: dict) -> plt.Figure:
    kinds = {name: spec["kind"] for name, spec in methods.items()}
    data = kl[kl.method.map(kinds) == "rlhf"]
    data = data.assign(share=data.kl / data.groupby(["method", "seed"]).kl.transform("sum"), m=data.m.astype(str))
    fig, ax = plt.subplots(figsize=(4.2, 2.8))
    order = sorted(data.m.unique(), key=int)
    palette = dict(zip(order, sns.color_palette()))
    sns.lineplot(data, x="t", y="share", hue="m", hue_order=order, palette=palette, errorbar=("ci", 95), ax=ax)
    for m, t_eps in horizons.items():
        if str(m) in palette:
            ax.axvline(t_eps, color=palette[str(m)], linestyle="--", linewidth=0.8)
    ax.set(xlabel="position $t$", ylabel=r"KL$_t$ / $\sum_s$ KL$_s$", title="rlhf aligned against $h_m$ (dashed: $t_\\varepsilon$)")
    fig.tight_layout()
    return fig


# -- verdicts, numbers, tables --------------------------------------------------------------------------------
def _interval(summary: pd.DataFrame, method: str, metric: str):
    row = summary[(summary.method == method) & (summary.metric == metric)]
    return (np.nan, np.nan, np.nan, 0) if row.empty else tuple(row.iloc[0][["mean", "ci_low", "ci_high", "n_seeds"]])


def verdicts(runs_table: pd.DataFrame, methods: dict, default_m: int, shallow_fraction: float, margin: float) -> pd.DataFrame:
    """One row per (prediction, method, measure), by the rules of the module docstring (collapsed runs excluded)."""
    kinds = {name: spec["kind"] for name, spec in methods.items()}
    clean = runs_table[~runs_table.collapsed]
    summary = summarise(clean)
    rows = []
    main = [n for n, spec in methods.items() if spec["m"] == default_m and "seeds" not in spec]
    for name in main:
        kind = kinds[name]
        if kind in STANDARD:
            for measure, label in (("kl_past_horizon", "KL"), ("grad_past_horizon", "gradient")):
                mean, low, high, n = _interval(summary, name, measure)
                rows.append({"prediction": f"E5: {label} mass of a standard method lies before $t_\\varepsilon$",
                             "method": name, "metric": measure, "mean": mean, "ci_low": low, "ci_high": high, "n": n,
                             "threshold": shallow_fraction, "verdict": one_sided_verdict(low, high, shallow_fraction, True)})
            mean, low, high, n = _interval(summary, name, "recovery_gain_past_horizon")
            rows.append({"prediction": "E4/P6: a standard method recovers like the base past the horizon",
                         "method": name, "metric": "recovery_gain_past_horizon", "mean": mean, "ci_low": low,
                         "ci_high": high, "n": n, "threshold": margin, "verdict": equivalence_verdict(low, high, margin)})
        elif kind in DEEP:
            mean, low, high, n = _interval(summary, name, "recovery_gain_past_horizon")
            rows.append({"prediction": "E5/P6: recovery penalty and augmentation are deep", "method": name,
                         "metric": "recovery_gain_past_horizon", "mean": mean, "ci_low": low, "ci_high": high, "n": n,
                         "threshold": margin, "verdict": one_sided_verdict(low, high, margin, False)})
    sweep = [n for n, spec in methods.items() if kinds[n] == "rlhf" and spec["m"] < default_m]
    reference = [n for n in main if kinds[n] == "rlhf"]
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
    return pd.DataFrame(rows)


def synthetic_numbers(summary: pd.DataFrame, runs_table: pd.DataFrame, verdict_table: pd.DataFrame, mc: pd.DataFrame,
                      fidelity: dict, automaton: Automaton, epsilon: float, synthetic: dict) -> dict[str, str]:
    """Every synthetic-track number the paper cites, as LaTeX text keyed by macro name (prefix Syn)."""
    n = {
        "SynTVMax": fmt(fidelity["tv_state_max"]), "SynTVMean": fmt(fidelity["tv_state_mean"]),
        "SynTVStates": fmt(fidelity["n_states"]), "SynPComply": fmt(fidelity["p_comply_model"]),
        "SynPHarmSampled": fmt_interval(fidelity["p_harm_sampled"], fidelity["p_harm_ci_low"], fidelity["p_harm_ci_high"], 3),
        "SynPHarmExact": fmt(fidelity["p_harm_exact"], 4), "SynPoolN": fmt(int(fidelity["n_samples"])),
        "SynHorizon": fmt(horizon(automaton, automaton.m, epsilon)),
        "SynNSeeds": fmt(len(synthetic["seeds"])), "SynMarginDepth": fmt(synthetic["evaluation"]["depth_margin"]),
        "SynShallowFraction": fmt(synthetic["evaluation"]["shallow_fraction"]),
        "SynCollapseKL": fmt(synthetic["evaluation"]["collapse_benign_kl"]),
        "SynNCollapsed": fmt(int(runs_table.collapsed.sum())), "SynNRuns": fmt(len(runs_table)),
        "SynMCSequences": fmt(int(mc.n.iloc[0])), "SynMCRollouts": fmt(synthetic["evaluation"]["mc"]["n_rollouts"]),
        "SynCorpusN": fmt(synthetic["corpus"]["n"]), "SynParams": fmt(int(fidelity["n_parameters"])),
        "SynLayers": fmt(synthetic["model"]["n_layer"]), "SynWidth": fmt(synthetic["model"]["n_embd"]),
        "SynBaseSteps": fmt(synthetic["base_hp"]["max_steps"]),
        "SynMinCount": fmt(synthetic["evaluation"]["fidelity_min_count"]),
        "SynNKLSequences": fmt(synthetic["evaluation"]["n_kl_sequences"]),
    }
    inside = ((mc.exact >= mc.ci_low) & (mc.exact <= mc.ci_high)).mean()
    n["SynMCCoverage"] = fmt(100 * inside, 3) + r"\%"
    missed = ~((mc.exact >= mc.ci_low) & (mc.exact <= mc.ci_high))
    n["SynMCMisses"] = fmt(int(missed.sum()))
    n["SynMCMissesLate"] = fmt(int((missed & (mc.t > horizon(automaton, automaton.m, epsilon))).sum()))
    n["SynMCTotal"] = fmt(mc.harm_information.sum())
    n["SynExactTotal"] = fmt(mc.exact.sum())
    for m in sorted({spec["m"] for spec in synthetic["methods"].values()}):
        n[f"SynHorizonM{number_word(m)}"] = fmt(horizon(automaton, m, epsilon))
    words = macro_words(["base", *synthetic["methods"]])
    for method in summary.method.unique():
        key = words[method]
        for metric, short, digits in (("harm_rate", "Harm", 2), ("total_kl", "KL", 2), ("kl_past_horizon", "KLPast", 2),
                                      ("grad_past_horizon", "GradPast", 2), ("recovery_gain_past_horizon", "RecGain", 2),
                                      ("benign_kl", "BenignKL", 2), ("kl_mean_position", "KLPos", 3)):
            mean, low, high, _ = _interval(summary, method, metric)
            n[f"Syn{key}{short}"] = fmt_interval(mean, low, high, digits) if np.isfinite(low) else fmt(mean, digits)
    for method, spec in synthetic["methods"].items():
        key = words[method]
        n[f"Syn{key}LR"] = fmt(spec["hp"]["learning_rate"])
        n[f"Syn{key}Steps"] = fmt(spec["hp"]["max_steps"])
        for field, short in (("beta", "Beta"),):
            if field in spec["hp"]:
                n[f"Syn{key}{short}"] = fmt(spec["hp"][field])
        for field, short in (("mu", "Mu"), ("gamma", "Gamma")):
            if field in spec:
                n[f"Syn{key}{short}"] = fmt(spec[field])
    verdict_e3 = verdict_table[verdict_table.prediction.str.startswith("E3")]
    if len(verdict_e3):
        row = verdict_e3.iloc[0]
        n["SynEThreeDiff"] = fmt_interval(row["mean"], row.ci_low, row.ci_high) if np.isfinite(row.ci_low) else fmt(row["mean"])
    counts = verdict_table.verdict.value_counts()
    for verdict in ("confirmed", "refuted", "inconclusive"):
        n[f"SynVerdict{verdict.capitalize()}"] = fmt(int(counts.get(verdict, 0)))
    return n


def summary_table(summary: pd.DataFrame) -> str:
    shown = {"harm_rate": "harm", "total_kl": r"$\sum_t$KL$_t$", "kl_past_horizon": r"KL past $t_\varepsilon$",
             "grad_past_horizon": r"grad.\ past $t_\varepsilon$", "recovery_gain_past_horizon": r"rec.\ gain past $t_\varepsilon$",
             "alignment_depth": "depth", "benign_refusal_rate": "benign refusal", "benign_kl": "benign KL"}
    rows = []
    for method in summary.method.unique():
        row = {"method": method.replace("_", r"\_")}
        for metric, label in shown.items():
            mean, low, high, _ = _interval(summary, method, metric)
            row[label] = f"${fmt_interval(mean, low, high)}$" if np.isfinite(low) else f"${fmt(mean, 2)}$"
        rows.append(row)
    return booktabs_table(pd.DataFrame(rows), caption=r"Synthetic track: every method, mean and 95\% $t$-interval over seeds "
                          r"(base: sampling seeds). Drawn by rule \texttt{synthetic\_numbers}.",
                          label="tab:synthetic-summary", column_format="l" + "r" * len(shown))


def verdict_table_tex(table: pd.DataFrame) -> str:
    frame = pd.DataFrame({
        "prediction": table.prediction,
        "method": table.method.str.replace("_", r"\_"),
        "evidence": [f"${fmt_interval(m, lo, hi)}$ vs.\\ ${fmt(th)}$" for m, lo, hi, th in
                     zip(table["mean"], table.ci_low, table.ci_high, table.threshold)],
        "verdict": table.verdict,
    })
    return booktabs_table(frame, caption=r"Predictions of \S\ref{sec:theory-experiments} on the synthetic track. "
                          r"Each verdict is computed "
                          r"by \texttt{harmhorizon.report.synthetic.verdicts} from the 95\% interval over seeds (collapsed "
                          r"runs excluded). Drawn by rule \texttt{synthetic\_numbers}.", label="tab:synthetic-verdicts",
                          column_format="p{5.2cm}lp{4.2cm}l")


def load_run(paths: dict, method: str, seed: int) -> dict:
    return {"method": method, "seed": seed, "kl": pd.read_csv(paths["kl"]), "prefill": pd.read_csv(paths["prefill"]),
            "grad": pd.read_csv(paths["grad"]), "metrics": json.loads(open(paths["metrics"]).read())}
