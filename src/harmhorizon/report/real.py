"""Figures, table and LaTeX numbers of the real-model track (results/real/<model>/)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from .figures import save_figure  # noqa: F401  (re-exported for the scripts)
from .latex import booktabs_table, fmt, fmt_interval

METHOD_ORDER = ["base", "dpo", "rlhf", "sft", "recovery", "recovery_discounted", "augment"]
NUMBER_WORDS = {0: "Zero", 1: "One", 2: "Two", 4: "Four", 5: "Five", 8: "Eight", 10: "Ten", 16: "Sixteen",
                20: "Twenty", 32: "ThirtyTwo", 40: "Forty", 64: "SixtyFour"}


def method_order(methods) -> list[str]:
    known = [m for m in METHOD_ORDER if m in set(methods)]
    return known + sorted(set(methods) - set(known))


def method_palette(methods) -> dict:
    """One fixed colour per method name, the same in every figure (base in grey)."""
    names = METHOD_ORDER + sorted(set(methods) - set(METHOD_ORDER))
    colours = sns.color_palette("tab10", 10) * (len(names) // 10 + 1)
    return {m: ("0.3" if m == "base" else colours[names.index(m) - 1]) for m in set(methods)}


def kl_profile_figure(kl: pd.DataFrame, information: pd.DataFrame) -> plt.Figure:
    """Left: KL_t by method (mean over seeds, 95% band from seeds). Right: the base's Monte Carlo I_t per token."""
    aligned = kl[kl.method != "base"]
    palette = method_palette(aligned.method.unique())
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 2.8))
    sns.lineplot(aligned, x="t", y="kl", hue="method", hue_order=method_order(aligned.method.unique()), palette=palette,
                 errorbar=("ci", 95) if aligned.seed.nunique() > 1 else None, ax=axes[0])
    axes[0].set(yscale="log", xlabel="response position $t$", ylabel=r"KL$_t(\pi_\theta \| \pi_{ref})$",
                title="per-token KL along base harmful responses")
    axes[0].legend(title=None, fontsize=6)
    centre = (information.t_start + information.t_end) / 2
    width = information.t_end - information.t_start
    low = (information.ci_low / width).clip(lower=0)
    high = information.ci_high / width
    axes[1].bar(information.t_start, information.per_token, width=width, align="edge", color="tab:purple", alpha=0.6)
    axes[1].errorbar(centre, information.per_token, yerr=[information.per_token - low, high - information.per_token],
                     fmt="none", color="black", linewidth=0.8)
    axes[1].set(xlabel="response position $t$", ylabel=r"$\hat I_t$ per token (block mean)", title="base harm information (MC)")
    fig.tight_layout()
    return fig


def prefill_figure(prefill: pd.DataFrame) -> plt.Figure:
    """Harm rate and recovery rate against the number of prefilled tokens k, per method (95% band over seeds)."""
    palette = method_palette(prefill.method.unique())
    order = method_order(prefill.method.unique())
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 2.8), sharex=True)
    band = ("ci", 95) if prefill.seed.nunique() > 1 else None
    for ax, column, label in zip(axes, ["harm_rate", "recovery_rate"], ["harm rate (judge)", "recovery rate"]):
        sns.lineplot(prefill, x="k", y=column, hue="method", hue_order=order, palette=palette, style="method",
                     markers=True, dashes=False, errorbar=band, ax=ax, legend=ax is axes[0])
        ax.set(xlabel="prefilled tokens $k$", ylabel=label, ylim=(-0.03, 1.03))
    axes[0].legend(title=None, fontsize=6)
    fig.tight_layout()
    return fig


def grad_profile_figure(grad: pd.DataFrame) -> plt.Figure:
    """‖∂loss/∂logits_t‖ by response position, averaged over recorded steps and seeds, per method."""
    palette = method_palette(grad.method.unique())
    data = grad[grad.grad_norm > 0]
    fig, ax = plt.subplots(figsize=(4.2, 2.8))
    sns.lineplot(data, x="t", y="grad_norm", hue="method", hue_order=method_order(data.method.unique()),
                 palette=palette, errorbar=None, ax=ax)
    ax.set(yscale="log", xlabel="response position $t$", ylabel=r"$\|\partial \mathcal{L} / \partial z_t\|$",
           title="gradient by position during training")
    ax.legend(title=None, fontsize=6)
    fig.tight_layout()
    return fig


def _cell(row) -> str:
    if row is None or not np.isfinite(row["mean"]):
        return "--"
    digits = 3 if max(abs(row["mean"]), abs(row["ci_high"]) if np.isfinite(row["ci_high"]) else 0) >= 10 else 2
    if row["n_seeds"] > 1 and np.isfinite(row["ci_low"]):
        return f"${fmt_interval(row['mean'], row['ci_low'], row['ci_high'], digits)}$"
    return f"${fmt(row['mean'], digits)}$"


def summary_table(summary: pd.DataFrame, ks) -> str:
    """Methods × headline metrics, mean and 95% t-interval over seeds."""
    columns = [("harm_rate_k0", "harm, $k{=}0$"), (f"harm_rate_k{max(ks)}", f"harm, $k{{=}}{max(ks)}$"),
               (f"recovery_rate_k{max(ks)}", f"recovery, $k{{=}}{max(ks)}$"), ("kl_total", r"$\sum_t$ KL$_t$"),
               ("over_refusal", "over-refusal"), ("benign_kl", "benign KL")]
    index = summary.set_index(["method", "metric"])
    rows = []
    for method in method_order(summary.method.unique()):
        cells = {"method": method.replace("_", r"\_")}
        for metric, title in columns:
            cells[title] = _cell(index.loc[(method, metric)] if (method, metric) in index.index else None)
        rows.append(cells)
    n_seeds = int(summary.n_seeds.max())
    return booktabs_table(
        pd.DataFrame(rows),
        caption=f"Real-model track: mean and 95\\% t-interval over $n={n_seeds}$ seeds (rule \\texttt{{table\\_real\\_summary}}).",
        label="tab:real-summary",
        column_format="l" + "r" * len(columns),
    )


def macro_word(name: str) -> str:
    """'recovery_discounted' → 'RecoveryDiscounted' (letters only, for macro names)."""
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_") if part.isalpha())


def real_numbers(summary, prefill, information, counts, model, prompts, real, epsilon) -> dict:
    """Every number of the real-model section, as LaTeX text keyed by macro name (prefix ``Real``)."""
    numbers = {
        "RealModelParamsM": fmt(model["parameters"] / 1e6, 3),
        "RealNHarmfulTrain": fmt(int(((prompts.kind == "harmful") & (prompts.split == "train")).sum())),
        "RealNHarmfulEval": fmt(int(((prompts.kind == "harmful") & (prompts.split == "eval")).sum())),
        "RealNBenignEval": fmt(int(((prompts.kind == "benign") & (prompts.split == "eval")).sum())),
        "RealNSeeds": fmt(len(real["seeds"])),
        "RealResponseTokens": fmt(real["sampling"]["max_new_tokens"]),
        "RealKLSequences": fmt(real["evaluation"]["kl"]["n_sequences"]),
        "RealPrefillPrompts": fmt(real["evaluation"]["prefill"]["n_prompts"]),
        "RealContinuationTokens": fmt(real["evaluation"]["prefill"]["continuation_tokens"]),
        "RealRollouts": fmt(real["evaluation"]["information"]["n_rollouts"]),
        "RealInfoSequences": fmt(real["evaluation"]["information"]["n_sequences"]),
        "RealFirstTokens": fmt(real["evaluation"]["first_tokens"]),
        "RealLoraRank": fmt(real["training"]["lora"]["r"]),
        "RealEpsilon": fmt(epsilon),
        "RealJudgeWindow": fmt(real["judge"]["refusal_window_words"]),
        "RealJudgeMinWords": fmt(real["judge"]["min_words"]),
        "RealNMarkers": fmt(len(real["judge"]["markers"])),
    }
    for name, method in real["methods"].items():
        word = macro_word(name)
        numbers[f"Real{word}Steps"] = fmt(method["hp"]["max_steps"])
        if "gamma" in method:
            numbers[f"Real{word}Gamma"] = fmt(method["gamma"])
            numbers[f"Real{word}Mu"] = fmt(method["mu"])
    base_eval = counts[(counts.kind == "harmful") & (counts.split == "eval")].set_index("label")["rate"]
    numbers["RealBaseComplyEval"] = fmt(float(base_eval.get("comply", 0.0)), 2)
    numbers["RealBaseRefuseEval"] = fmt(float(base_eval.get("refusal", 0.0)), 2)
    total = information.information.clip(lower=0).sum()
    numbers["RealInfoTotal"] = fmt(total, 2)
    numbers["RealHarmVariance"] = fmt(float(information.harm_variance.iloc[0]), 2)
    first = information[information.t_end <= real["evaluation"]["first_tokens"]].information.clip(lower=0).sum()
    numbers["RealInfoShareFirst"] = fmt(first / total, 2) if total > 0 else r"\text{n/a}"
    from ..real.track import epsilon_horizon_from_blocks

    horizon = epsilon_horizon_from_blocks(information, epsilon)
    numbers["RealHorizon"] = fmt(horizon) if math.isfinite(horizon) else r"\text{n/a}"
    k_max = max(real["evaluation"]["prefill"]["ks"])
    numbers["RealPrefillKmax"] = fmt(k_max)
    for method in ["base", *real["methods"]]:  # defined even when a metric is undefined for a run
        numbers[f"Real{macro_word(method)}KlShareBeyondHorizon"] = r"\text{n/a}"
    index = summary.set_index(["method", "metric"])
    for (method, metric), row in index.iterrows():
        words = [_metric_word(metric)]
        if metric.endswith(f"_k{k_max}"):
            words.append(metric[: -len(str(k_max))] + "max")
        for word in words:
            key = f"Real{macro_word(method)}{macro_word(word)}"
            numbers[key] = _cell(row).strip("$") if np.isfinite(row["mean"]) else r"\text{n/a}"
            numbers[key + "Mean"] = fmt(row["mean"], 2) if np.isfinite(row["mean"]) else r"\text{n/a}"
    return numbers


def _metric_word(metric: str) -> str:
    """'harm_rate_k40' → 'harm_rate_kForty'; 'kl_share_first_5' → 'kl_share_first'."""
    parts = []
    for part in metric.split("_"):
        if part.startswith("k") and part[1:].isdigit():
            parts.append("k" + NUMBER_WORDS.get(int(part[1:]), "N"))
        elif part.isdigit():
            continue
        else:
            parts.append(part)
    return "_".join(parts)
