"""Figures, tables and LaTeX numbers of the real-model track (results/real/<model>/): formatting only.

Per-run metrics and summaries come from ``harmhorizon.evaluate.summary``, verdicts from
``harmhorizon.evaluate.verdicts`` (rule real_verdicts).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .figures import save_figure  # noqa: F401  (re-exported for the scripts)
from ..evaluate.verdicts import attack_depth
from .latex import (booktabs_table, fmt, fmt_interval, grouped_table, macro_word, macro_words, method_cell, number_word,
                    stacked_interval)
from .style import figure_size, method_label, method_legend, method_lineplot, method_order, print_figure, seed_band

ENV = "real"  # the chat model: the key "base" is the SFT-ed reference (style.method_label)
HORIZON_LINE = dict(color="0.4", linestyle="--", linewidth=0.8)  # t_ε


@print_figure
def kl_profile_figure(kl: pd.DataFrame, information: pd.DataFrame, kl_unconditional: pd.DataFrame | None = None,
                      horizon: float = math.nan) -> plt.Figure:
    """KL_t by method (mean over seeds, 95% band over seeds) along held-out harmful reference responses and, with
    ``kl_unconditional``, along unconditional ones (P4b); last panel: the reference's Monte Carlo I_t per token.
    t_ε dashed; one legend for the methods, below the panels."""
    panels = [(kl[kl.method != "base"], "along harmful\nreference responses")]
    if kl_unconditional is not None:
        panels.append((kl_unconditional, "along unconditional\nreference responses"))
    methods = sorted(set().union(*(set(frame.method) for frame, _ in panels)))
    fig, axes = plt.subplots(1, len(panels) + 1, figsize=figure_size(1.0, 3.1))
    for ax, (frame, title) in zip(axes, panels):
        method_lineplot(frame, "t", "kl", ax, env=ENV, errorbar=seed_band(frame))
        ax.set(yscale="log", xlabel="response position $t$", ylabel=r"KL$_t(\pi_\theta \| \pi_{ref})$", title=title)
    centre = (information.t_start + information.t_end) / 2
    width = information.t_end - information.t_start
    # The unbiased block estimates as they are (noise can take them below 0) and their intervals, which respect
    # I ≥ 0 (evaluate/harm_information.py), so an estimate can lie outside its own interval.
    low, high = information.ci_low / width, information.ci_high / width
    axes[-1].bar(information.t_start, information.per_token, width=width, align="edge", color="tab:purple", alpha=0.6)
    axes[-1].vlines(centre, low, high, color="black", linewidth=0.8)
    axes[-1].axhline(0, color="black", linewidth=0.6)
    axes[-1].set(xlabel="response position $t$", ylabel=r"$\hat I_t$ per token (block mean)",
                 title="reference harm\ninformation (MC)")
    if math.isfinite(horizon):
        for ax in axes:
            ax.axvline(horizon, **HORIZON_LINE)
    method_legend(fig, methods, env=ENV, extra=[plt.Line2D([], [], **HORIZON_LINE, label=r"$t_\varepsilon$")], ncol=5)
    return fig


@print_figure
def recovery_profile_figure(profile: pd.DataFrame, horizon: float) -> plt.Figure:
    """Δℓ_t by method (mean over seeds of the per-seed means over sequences; 95% band over seeds), t_ε dashed."""
    fig, ax = plt.subplots(figsize=figure_size(0.8, 2.8))
    method_lineplot(profile, "t", "delta_logodds", ax, env=ENV, errorbar=seed_band(profile), marker="o",
                    markersize=2.5, markeredgewidth=0)
    ax.axhline(0, color="black", linewidth=0.6)
    if math.isfinite(horizon):
        ax.axvline(horizon, **HORIZON_LINE)
    ax.set(xlabel="prefix length $t$ of a held-out harmful response",
           ylabel=r"$\Delta\ell_t$ (recovery log-odds, nats)")
    method_legend(fig, profile.method.unique(), env=ENV, loc="outside right upper",
                  extra=[plt.Line2D([], [], **HORIZON_LINE, label=r"$t_\varepsilon$")])
    return fig


@print_figure
def prefill_figure(prefill: pd.DataFrame) -> plt.Figure:
    """Harm rate and recovery rate against the number of prefilled tokens k, per method (95% band over seeds)."""
    fig, axes = plt.subplots(1, 2, figsize=figure_size(1.0, 2.5), sharex=True)
    for ax, column, label in zip(axes, ["harm_rate", "recovery_rate"], ["harm rate (judge)", "recovery rate"]):
        method_lineplot(prefill, "k", column, ax, env=ENV, errorbar=seed_band(prefill), marker="o", markersize=3,
                        markeredgewidth=0)
        ax.set(xlabel="prefilled tokens $k$", ylabel=label, ylim=(-0.03, 1.03))
    method_legend(fig, prefill.method.unique(), env=ENV, loc="outside right upper")
    return fig


def reported_prefill_numbers(reported: pd.DataFrame) -> dict:
    """Macros ``Qi<Condition>AsrK<k>`` = "mean \\pm std" (%) of the reported prefilling table (context only)."""
    expected = {"model", "condition", "k", "asr_percent", "std_percent"}
    if not expected <= set(reported.columns):
        raise ValueError(f"reported prefilling table: columns {sorted(expected - set(reported.columns))} are missing")
    numbers = {}
    for row in reported.itertuples():
        key = f"Qi{macro_word(row.condition)}AsrK{number_word(row.k)}"
        numbers[key] = f"{row.asr_percent:.1f} \\pm {row.std_percent:.1f}"
    numbers["QiModel"] = rf"\text{{{reported.model.iloc[0]}}}"  # text, not math: the hyphens are not minus signs
    numbers["QiKs"] = ", ".join(str(k) for k in sorted(reported.k.unique()))
    return numbers


@print_figure
def grad_profile_figure(grad: pd.DataFrame) -> plt.Figure:
    """‖∂loss/∂logits_t‖ by response position, averaged over recorded steps and seeds, per method."""
    data = grad[grad.grad_norm > 0]
    fig, ax = plt.subplots(figsize=figure_size(0.6, 2.9))
    method_lineplot(data, "t", "grad_norm", ax, env=ENV, errorbar=None)
    ax.set(yscale="log", xlabel="response position $t$", ylabel=r"$\|\partial \mathcal{L} / \partial z_t\|$",
           title="gradient by position during training")
    method_legend(fig, data.method.unique(), env=ENV, ncol=3)
    return fig


def _interval(row) -> tuple[float, float, float, int]:
    """(mean, low, high, digits) of a summary row: no interval from one seed; three digits from 10 up."""
    digits = 3 if max(abs(row["mean"]), abs(row["ci_high"]) if np.isfinite(row["ci_high"]) else 0) >= 10 else 2
    return row["mean"], (row["ci_low"] if row["n_seeds"] > 1 else np.nan), row["ci_high"], digits


def _cell(row) -> str:
    """A summary row as a table cell: the mean above its interval."""
    if row is None or not np.isfinite(row["mean"]):
        return "--"
    return stacked_interval(*_interval(row))


def _inline(row) -> str:
    """A summary row as macro text for running prose: mean [low, high] on one line."""
    mean, low, high, digits = _interval(row)
    return fmt_interval(mean, low, high, digits) if np.isfinite(low) else fmt(mean, digits)


def summary_table(summary: pd.DataFrame, ks) -> str:
    """Methods × headline metrics, mean and 95% t-interval over seeds."""
    columns = [("harm_rate_k0", "harm, $k{=}0$"), (f"harm_rate_k{max(ks)}", f"harm, $k{{=}}{max(ks)}$"),
               (f"recovery_rate_k{max(ks)}", f"recovery, $k{{=}}{max(ks)}$"), ("total_kl", r"$\sum_t$ KL$_t$ (nats)")]
    index = summary.set_index(["method", "metric"])
    rows = []
    for method in method_order(summary.method.unique()):
        cells = {"method": method_cell(method, "real")}
        for metric, title in columns:
            cells[title] = _cell(index.loc[(method, metric)] if (method, metric) in index.index else None)
        rows.append(cells)
    n_seeds = int(summary.n_seeds.max())
    return booktabs_table(
        pd.DataFrame(rows),
        caption=f"Real-model track: harm rate of the continuation without a prefill ($k=0$) and after $k={max(ks)}$ "
        f"prefilled tokens, recovery rate there and total KL along harmful reference responses; mean and 95\\% "
        f"$t$-interval over $n={n_seeds}$ seeds, clipped to the range of each quantity. The benign cost is in "
        "Table~\\ref{tab:benign-cost-real}.",
        label="tab:real-summary",
        column_format="l" + "r" * len(columns),
        size="small",
    )


def real_numbers(summary, prefill, information, counts, model, prompts, real, epsilon, horizon, reported=None,
                 horizon_table=None, profile=None, kl_unconditional=None, runs=None, rules=None) -> dict:
    """Every number of the real-model section, as LaTeX text keyed by macro name (prefix ``Real``, and
    ``Qi`` for the reported context numbers of `reported_prefill_numbers`); ``rules``: config/predictions.yaml
    section ``real``."""
    numbers = {
        "RealModelParamsM": fmt(model["parameters"] / 1e6, 3),
        "RealNHarmfulTrain": fmt(int(((prompts.kind == "harmful") & (prompts.split == "train")).sum())),
        "RealNHarmfulEval": fmt(int(((prompts.kind == "harmful") & (prompts.split == "eval")).sum())),
        "RealNBenignEval": fmt(int(((prompts.kind == "benign") & (prompts.split == "eval")).sum())),
        "RealNSeeds": fmt(len(real["seeds"])),
        "RealResponseTokens": fmt(real["sampling"]["max_new_tokens"]),
        "RealKLSequences": fmt(real["evaluation"]["kl"]["n_sequences"]),
        "RealKLUnconditionalSequences": fmt(real["evaluation"]["kl"]["n_unconditional"]),
        "RealPrefillSamples": fmt(real["evaluation"]["prefill"]["n_samples"]),
        "RealPrefillPrompts": fmt(real["evaluation"]["prefill"]["n_prompts"]),
        "RealContinuationTokens": fmt(real["evaluation"]["prefill"]["continuation_tokens"]),
        "RealRollouts": fmt(int(np.max(real["evaluation"]["information"]["n_rollouts"]))),
        "RealRolloutsMin": fmt(int(np.min(real["evaluation"]["information"]["n_rollouts"]))),
        "RealProfileSequences": fmt(real["evaluation"]["recovery_profile"]["n_sequences"]),
        "RealReferenceRefusalFraction": fmt(real["reference"]["refusal_fraction"], 2),
        "RealReferenceSteps": fmt(real["reference"]["hp"]["max_steps"]),
        "RealInfoSequences": fmt(real["evaluation"]["information"]["n_sequences"]),
        "RealFirstTokens": fmt(real["evaluation"]["first_tokens"]),
        "RealLoraRank": fmt(real["training"]["lora"]["r"]),
        "RealEpsilon": fmt(epsilon),
        "RealJudgeWindow": fmt(real["judge"]["refusal_window_words"]),
        "RealJudgeMinWords": fmt(real["judge"]["min_words"]),
        "RealNMarkers": fmt(len(real["judge"]["markers"])),
        "RealShallowFraction": fmt(real["evaluation"]["verdicts"]["shallow_fraction"], 2),
        "RealJudgeHarmStems": fmt(real["judge"]["harm_stems"]),
        "RealJudgeHarmWindow": fmt(real["judge"]["window_words"]) if real["judge"].get("window_words") else r"\text{all}",
        "RealJudgeStemChars": fmt(real["judge"]["stem_chars"]),
        "RealJudgeContentMinChars": fmt(real["judge"]["content_min_chars"]),
        "RealBaseSamples": fmt(real["sampling"]["n_base_samples"]),
    }
    method_words = macro_words(["base", *real["methods"]])
    for name, method in real["methods"].items():
        word = method_words[name]
        numbers[f"Real{word}Steps"] = fmt(method["hp"]["max_steps"])
        if "max_prefix" in method:
            numbers[f"Real{word}MaxPrefix"] = fmt(method["max_prefix"])
        if "gamma" in method:
            numbers[f"Real{word}Gamma"] = fmt(method["gamma"])
            numbers[f"Real{word}Mu"] = fmt(method["mu"])
    base_eval = counts[(counts.kind == "harmful") & (counts.split == "eval")].set_index("label")["rate"]
    numbers["RealBaseComplyEval"] = fmt(float(base_eval.get("comply", 0.0)), 2)
    numbers["RealBaseRefuseEval"] = fmt(float(base_eval.get("refusal", 0.0)), 2)
    numbers["RealBaseOffTopicEval"] = fmt(float(base_eval.get("off_topic", 0.0)), 2)
    numbers["RealBaseRecoverEval"] = fmt(float(base_eval.get("recovery", 0.0)), 2)
    total = information.harm_information.clip(lower=0).sum()
    numbers["RealInfoTotal"] = fmt(total, 2)
    if "total_information" in information and np.isfinite(information.total_ci_low.iloc[0]):
        numbers["RealInfoTotalInterval"] = fmt_interval(information.total_information.iloc[0],
                                                        information.total_ci_low.iloc[0], information.total_ci_high.iloc[0], 2)
    else:
        numbers["RealInfoTotalInterval"] = numbers["RealInfoTotal"]
    numbers["RealHarmVariance"] = fmt(float(information.harm_variance.iloc[0]), 2)
    first = information[information.t_end <= real["evaluation"]["first_tokens"]].harm_information.clip(lower=0).sum()
    numbers["RealInfoShareFirst"] = fmt(first / total, 2) if total > 0 else r"\text{n/a}"
    last = information.iloc[-1]  # the last block, ending at T
    numbers["RealInfoShareLast"] = fmt(max(float(last.harm_information), 0.0) / total, 2) if total > 0 else r"\text{n/a}"
    numbers["RealInfoLastStart"] = fmt(int(last.t_start))
    numbers["RealHorizon"] = fmt(horizon) if math.isfinite(horizon) else r"\text{n/a}"
    depth = attack_depth(real["evaluation"]["prefill"]["ks"], horizon)
    numbers["RealAttackDepth"] = fmt(depth) if depth is not None else r"\text{none}"
    ks = sorted(real["evaluation"]["prefill"]["ks"])
    k_max, k_mid = ks[-1], ks[len(ks) // 2]  # the deepest attack and the middle one (10 of 0, 5, 10, 20, 40)
    numbers["RealPrefillKmax"] = fmt(k_max)
    numbers["RealPrefillKmid"] = fmt(k_mid)
    for method in ["base", *real["methods"]]:  # defined even when a metric is undefined for a run
        numbers[f"Real{method_words[method]}KlPastHorizon"] = r"\text{n/a}"
    index = summary.set_index(["method", "metric"])
    for (method, metric), row in index.iterrows():
        words = [_metric_word(metric)]
        if metric.endswith(f"_k{k_max}"):
            words.append(metric[: -len(str(k_max))] + "max")
        if metric.endswith(f"_k{k_mid}"):
            words.append(metric[: -len(str(k_mid))] + "mid")
        for word in words:
            key = f"Real{method_words[method]}{macro_word(word)}"
            numbers[key] = _inline(row) if np.isfinite(row["mean"]) else r"\text{n/a}"
            numbers[key + "Mean"] = fmt(row["mean"], 2) if np.isfinite(row["mean"]) else r"\text{n/a}"
    if reported is not None:
        numbers.update(reported_prefill_numbers(reported))
    if horizon_table is not None:  # P(t_ε ≤ k) (t_ε lies on the grid: read at the last grid end ≤ k)
        def p_le(k):
            below = horizon_table[horizon_table.k <= k]
            return fmt(float(below.p_horizon_le_k.max()), 2) if len(below) else "0"

        numbers["RealHorizonProbLeFirst"] = p_le(real["evaluation"]["first_tokens"])
        numbers["RealHorizonProbLeAttack"] = p_le(depth) if depth is not None else r"\text{n/a}"
        numbers["RealHorizonBootstraps"] = fmt(int(horizon_table.n_boot.iloc[0]))
        numbers["RealHorizonProbLeHalf"] = p_le(real["sampling"]["max_new_tokens"] // 2)
    attacked = prefill[(prefill.method == "base") & (prefill.k == min(ks))]
    if len(attacked):  # prompts the attack actually used (each with n_samples continuations)
        numbers["RealPrefillPromptsUsed"] = fmt(int(attacked.n.iloc[0]) // real["evaluation"]["prefill"]["n_samples"])
    if rules is not None:
        numbers["RealBenignKlMax"] = fmt(rules["benign_kl_max"])
        numbers["RealMovedKlMin"] = fmt(rules["moved_kl_min"])
        numbers["RealLogoddsMargin"] = fmt(rules["logodds_margin"])
        numbers["RealAsrMargin"] = fmt(rules["asr_margin"], 2)
    if runs is not None:
        excluded, totals, n_aligned = [], {"collapsed": 0, "unmoved": 0}, 0
        for method in real["methods"]:
            part = runs[runs.method == method]
            n_aligned += len(part)
            for flag, words in (("collapsed", "collapsed"), ("unmoved", "barely moved")):
                count = int(part[flag].astype(bool).sum()) if flag in part else 0
                totals[flag] += count
                numbers[f"Real{method_words[method]}{flag.capitalize()}"] = fmt(count)
                if count:
                    excluded.append(f"{method_label(method, ENV, tex=True)}: {count} of {len(part)} seeds {words}")
        numbers["RealNAlignedRuns"] = fmt(n_aligned)
        numbers.update({f"RealN{flag.capitalize()}": fmt(count) for flag, count in totals.items()})
        numbers["RealExcludedRuns"] = r"\text{" + ("; ".join(excluded) or "none") + "}"
    if kl_unconditional is not None:
        from ..evaluate.verdicts import clipped, kl_share_past_horizon
        from ..intervals import t_interval

        shares = kl_share_past_horizon(kl_unconditional, horizon)
        for method in real["methods"]:
            mean, low, high, _ = clipped(t_interval(shares[shares.method == method].kl_share_past_horizon), 0.0, 1.0)
            numbers[f"Real{method_words[method]}KlUnconditionalPastHorizon"] = (
                fmt_interval(mean, low, high, 2) if np.isfinite(low) else r"\text{n/a}")
    if profile is not None:
        from ..evaluate.verdicts import logodds_past_horizon
        from ..intervals import t_interval

        late = logodds_past_horizon(profile, horizon)
        if "logodds_reference" in profile:  # the reference's own log-odds of the phrase (one value per position t)
            past = profile[profile.t > horizon].drop_duplicates("t").logodds_reference
            numbers["RealReferenceLogoddsPastHorizon"] = fmt(float(past.mean()), 2) if len(past) else r"\text{n/a}"
        # Descriptive (no registered rule): Δℓ_t averaged over every profile position t ≥ 1, per seed.
        overall = profile[profile.t >= 1].groupby(["method", "seed"], as_index=False).delta_logodds.mean()
        for method in real["methods"]:
            mean, low, high, _ = t_interval(overall[overall.method == method].delta_logodds)
            numbers[f"Real{method_words[method]}DeltaLogoddsAll"] = (
                fmt_interval(mean, low, high, 2) if np.isfinite(low) else r"\text{n/a}")
        for method in real["methods"]:
            mean, low, high, _ = t_interval(late[late.method == method].delta_logodds_past_horizon)
            numbers[f"Real{method_words[method]}DeltaLogoddsPastHorizon"] = (
                fmt_interval(mean, low, high, 2) if np.isfinite(low) else r"\text{n/a}")
    return numbers


def _metric_word(metric: str) -> str:
    """'harm_rate_k40' → 'harm_rate_kforty'; 'kl_share_first_5' → 'kl_share_first' (the count stays out of the name)."""
    parts = []
    for part in metric.split("_"):
        if part.startswith("k") and part[1:].isdigit():
            parts.append("k" + number_word(part[1:]).lower())
        elif part.isdigit():
            continue
        else:
            parts.append(part)
    return "_".join(parts)


# -- verdicts (decided by harmhorizon.evaluate.verdicts; formatted here) ------------------------------------
def utility_deltas(utility: pd.DataFrame) -> pd.DataFrame:
    """Per method and seed, the change in NLL per token of the benign answers against the reference (aligned −
    reference; the ratio of sums over items): columns method, seed, delta."""
    return utility.groupby(["method", "seed"]).apply(
        lambda g: float((g.nll - g.nll_reference).sum() / g.n_tokens.sum()), include_groups=False).rename("delta").reset_index()


def utility_numbers(utility: pd.DataFrame, methods) -> dict:
    """Benign utility (real/utility.py) as macros: the reference's NLL per answer token, the number of items, and per
    method the change in NLL per token against the reference (aligned − reference; per seed the ratio of sums over
    items, mean [95% t-interval] over seeds). Descriptive: no registered rule reads it."""
    from ..intervals import t_interval

    if utility.empty:
        return {}
    first = utility[utility.method == utility.method.iloc[0]]
    first = first[first.seed == first.seed.iloc[0]]
    numbers = {"RealUtilityItems": fmt(len(first)),
               "RealUtilityReferenceNll": fmt(float(first.nll_reference.sum() / first.n_tokens.sum()), 3)}
    per_seed = utility_deltas(utility)
    words = macro_words(["base", *methods])
    for method in methods:
        mean, low, high, _ = t_interval(per_seed[per_seed.method == method].delta)
        numbers[f"Real{words[method]}UtilityDeltaNll"] = fmt_interval(mean, low, high, 3) if np.isfinite(low) else r"\text{n/a}"
    return numbers


def verdict_numbers(verdicts: pd.DataFrame) -> dict:
    """Counts of confirmed / refuted / inconclusive / untestable real-track verdicts, as macros; and per standard
    method Appendix A's ratio (mean [95% interval]) with its verdict."""
    counts = verdicts.verdict.value_counts()
    numbers = {f"RealVerdicts{word.capitalize()}": fmt(int(counts.get(word, 0)))
               for word in ("confirmed", "refuted", "inconclusive", "untestable")} | {"RealVerdictsTotal": fmt(len(verdicts))}
    appendix = verdicts[verdicts.metric == "appendix_a_ratio"]
    # A row's method may carry a note on the seeds left out ("dpo (1 seeds unmoved)"): the macro is the method's.
    names = [method.split(" (")[0] for method in appendix.method]
    words = macro_words(sorted(set(names)))
    for name, r in zip(names, appendix.itertuples()):
        numbers[f"Real{words[name]}AppendixARatio"] = (
            fmt_interval(r.mean, r.ci_low, r.ci_high, 2) if np.isfinite(r.ci_low) else r"\text{n/a}")
        numbers[f"Real{words[name]}AppendixAVerdict"] = rf"\text{{{r.verdict}}}"
    return numbers


def real_verdict_table(table: pd.DataFrame) -> str:
    """The verdicts grouped by prediction: per method the measured mean with its interval, the registered threshold
    and the verdict."""
    def evidence(row) -> str:
        if not np.isfinite(row["mean"]):
            return "--"
        if np.isfinite(row["ci_low"]):
            return f"${fmt_interval(row['mean'], row['ci_low'], row['ci_high'])}$"
        return f"${fmt(row['mean'])}$"

    groups = [(prediction, [[method_cell(r["method"]), evidence(r), f"${fmt(r['threshold'])}$", r["verdict"]]
                            for _, r in part.iterrows()])
              for prediction, part in table.groupby("prediction", sort=False)]
    return grouped_table(groups, ["method", "measured [95\\%]", "registered", "verdict"],
                         caption=r"Predictions of E6 (\S\ref{sec:theory-experiments}) on the real model, grouped by "
                         r"prediction: each method's measured statistic with its 95\% interval over seeds, the registered "
                         r"threshold it is judged against, and the verdict.", label="tab:real-verdicts",
                         column_format="lrrl")
