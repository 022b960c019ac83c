"""The synthetic track's figures (seaborn), tables and LaTeX numbers: formatting only.

The numbers they show are computed by the data steps: per-run metrics and summaries by
``harmhorizon.evaluate.summary``, verdicts by ``harmhorizon.evaluate.verdicts``, exact references by
``harmhorizon.theory.experiments`` (docs/experiments.md E3–E5).
"""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from ..evaluate.frontier import PROBABILITY_FLOOR  # noqa: E402
from ..evaluate.summary import summary_interval  # noqa: E402
from .latex import (METHOD_COLUMN, booktabs_table, fmt, fmt_interval, fmt_sci, grouped_table, macro_words,  # noqa: E402
                    method_cell, number_word, stacked_interval)
from .style import (BOOTSTRAP_SEED, figure_size, is_replication, method_colour, method_label,  # noqa: E402
                    method_legend, method_lineplot, method_order, print_figure, tex_symbols)


# -- figures --------------------------------------------------------------------------------------------------
HORIZON_LINE = dict(color="black", linestyle="--", linewidth=0.8)  # t_ε


def _horizon_line(ax, t_eps):
    ax.axvline(t_eps, **HORIZON_LINE)


@print_figure
def fidelity_figure(mc: pd.DataFrame, fidelity: dict) -> plt.Figure:
    """The trained base model's Monte Carlo I_t (95% interval over trajectories) against the automaton's exact I_t;
    the legend's title gives the largest total-variation distance between their state distributions."""
    fig, ax = plt.subplots(figsize=figure_size(0.6, 2.6))
    colour = method_colour("base")
    ax.fill_between(mc.t, mc.ci_low, mc.ci_high, alpha=0.2, color=colour, linewidth=0)
    ax.plot(mc.t, mc.harm_information, "o-", markersize=2.5, color=colour, label="Monte Carlo (trained base)")
    ax.plot(mc.t, mc.exact, "--", color="tab:red", label="exact (automaton)")
    ax.set(xlabel="position $t$", ylabel="$I_t$", title="harm information: trained base vs. automaton")
    ax.set_yscale("symlog", linthresh=1e-3)
    fig.legend(loc="outside lower center", ncol=2,
               title=f"largest TV distance between their state distributions: {fidelity['tv_state_max']:.3f}")
    return fig


@print_figure
def kl_profile_figure(kl: pd.DataFrame, t_eps: int, default_m: int) -> plt.Figure:
    """Left: KL_t by method (mean, 95% bootstrap band over seeds), log scale.  Right: each method's KL_t share of its
    total (mean over seeds) beside the exact I_t share, log scale.  t_ε dashed; one legend below."""
    data = kl[(kl.m == default_m) & (kl.method != "base")]
    fig, axes = plt.subplots(1, 2, figsize=figure_size(1.0, 4.6))
    method_lineplot(data, "t", "kl", axes[0])
    axes[0].set(yscale="log", xlabel="position $t$", ylabel=r"KL$_t$ (nats)", title="KL by position (harmful prompts)")
    _horizon_line(axes[0], t_eps)
    share = data.assign(share=data.kl / data.groupby(["method", "seed"]).kl.transform("sum"))
    method_lineplot(share[share.share > 0], "t", "share", axes[1], errorbar=None)
    info = data.drop_duplicates("t")
    exact = info.harm_information / info.harm_information.sum()
    axes[1].plot(info.t, exact.where(exact > 0), color="black", linewidth=1.5, linestyle=":")
    _horizon_line(axes[1], t_eps)
    axes[1].set(yscale="log", xlabel="position $t$", ylabel="share of the total",
                title=r"KL$_t$ share vs. exact $I_t$ share")
    exact_handle = plt.Line2D([], [], color="black", linewidth=1.5, linestyle=":", label=r"exact $I_t$ share")
    horizon = plt.Line2D([], [], **HORIZON_LINE, label=r"$t_\varepsilon$")
    method_legend(fig, data.method.unique(), extra=[exact_handle, horizon], ncol=3)
    return fig


@print_figure
def grad_profile_figure(grad: pd.DataFrame, t_eps: int) -> plt.Figure:
    """‖∂L/∂z_t‖ by position, one panel per method on one shared log scale, one line per recorded training step
    (light to dark, colourbar), mean over seeds; t_ε dashed.  Exact zeros are not drawn (log scale)."""
    methods = method_order(grad.method.unique())
    cols = min(6, len(methods))
    rows = int(np.ceil(len(methods) / cols))
    steps = sorted(grad.step.unique())
    colours = sns.color_palette("crest", len(steps))
    fig, axes = plt.subplots(rows, cols, figsize=figure_size(1.0, 1.25 * rows + 0.5), sharex=True, sharey=True,
                             squeeze=False)
    for ax, method in zip(axes.flat, methods):
        part = grad[grad.method == method].groupby(["step", "t"], as_index=False).grad_norm.mean()
        part = part[part.grad_norm > 0]
        for step, colour in zip(steps, colours):
            line = part[part.step == step]
            ax.plot(line.t, line.grad_norm, color=colour, linewidth=0.8)
        if part.empty:
            ax.text(0.5, 0.5, "zero at every\nrecorded step", ha="center", va="center", transform=ax.transAxes)
        _horizon_line(ax, t_eps)
        ax.set_title(tex_symbols(textwrap.fill(method_label(method), 15)))
        ax.set(yscale="log")
    for ax in axes[:, 0]:
        ax.set_ylabel(r"$\|\partial L/\partial z_t\|$")
    for ax in axes[-1]:
        ax.set_xlabel("position $t$")
    for ax in list(axes.flat)[len(methods):]:
        ax.axis("off")
    bounds = np.arange(len(steps) + 1) - 0.5
    scale = plt.cm.ScalarMappable(BoundaryNorm(bounds, len(steps)), ListedColormap(colours))
    bar = fig.colorbar(scale, ax=axes, location="right", shrink=0.4, aspect=15, pad=0.01, ticks=range(len(steps)))
    bar.ax.set_yticklabels([f"{s:g}" for s in steps])
    bar.set_label("training step")
    return fig


@print_figure
def gradient_test_figure(table: pd.DataFrame) -> plt.Figure:
    """P1 by position: U_t (points) and its sign-flip null's central 95% band (shaded), decided and undecided
    prefixes, for each tested model and checkpoint at its first seed (symlog: U_t can be negative)."""
    data = table[table.t > 0]
    first = data.groupby(["method", "checkpoint"]).seed.transform("min")
    data = data[data.seed == first]
    panels = list(dict.fromkeys(zip(data.method, data.checkpoint)))
    colors = {"undecided": "tab:blue", "decided": "tab:red"}
    cols = min(3, len(panels))
    rows = int(np.ceil(len(panels) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=figure_size(1.0, 1.7 * rows + 0.3), sharey=True, squeeze=False)
    for ax, (method, checkpoint) in zip(axes.flat, panels):
        part = data[(data.method == method) & (data.checkpoint == checkpoint)]
        for stratum, color in colors.items():
            rows_ = part[(part.stratum == stratum) & (part.n_prefixes >= 2)]
            ax.fill_between(rows_.t, rows_.null_low, rows_.null_high, color=color, alpha=0.2, linewidth=0)
            ax.plot(rows_.t, rows_.estimate, "o", markersize=2.5, color=color, label=f"{stratum} prefixes")
        ax.axhline(0, color="0.3", linewidth=0.6)
        ax.set_yscale("symlog", linthresh=1e-2)
        name = method_label(method, tex=True) + ("" if checkpoint == "reference" else f", {checkpoint} checkpoint")
        ax.set(title=f"{name} (seed {int(part.seed.iloc[0])})", xlabel="position $t$")
    for ax in axes[:, 0]:
        ax.set_ylabel(r"$U_t \approx \|E[h\,s_t]\|^2$")
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    handles = axes[0, 0].get_legend_handles_labels()[0]
    handles.append(Patch(color="0.5", alpha=0.3, label="sign-flip null, central 95%"))
    fig.legend(handles=handles, loc="outside lower center", ncol=3)
    return fig


@print_figure
def frontier_figure(frontier: pd.DataFrame, optimum: pd.DataFrame, levels, default_m: int) -> plt.Figure:
    """Harm–KL frontiers of the main methods (default m): KL past t_ε and the recovery log-odds shift at decided
    harmful prefixes against harm, every snapshot of every seed (thin lines per seed; replications dashed); the exact
    Gibbs optimum's frontier (black); the registered harm levels (dotted). Collapsed points are crossed."""
    data = frontier[frontier.m == default_m]
    best = optimum[optimum.m == default_m].sort_values("harm")
    fig, axes = plt.subplots(1, 2, figsize=figure_size(1.0, 4.8))
    for ax, column, label in ((axes[0], "kl_past_horizon", r"$\sum_{t>t_\varepsilon}$KL$_t$ (nats)"),
                              (axes[1], "recovery_shift_decided", r"$\Delta\ell$ at decided harmful prefixes")):
        for (method, seed), part in data.groupby(["method", "seed"], sort=False):
            part = part.sort_values("step")
            colour = method_colour(method)
            ax.plot(part.harm, part[column], marker="o", markersize=1.5, linewidth=0.6, alpha=0.6, color=colour,
                    linestyle="--" if is_replication(method) else "-")
            bad = part[part.collapsed]
            ax.plot(bad.harm, bad[column], "x", color=colour, markersize=4)
        for level in levels:
            ax.axvline(level, color="0.4", linestyle=":", linewidth=0.8)
        ax.set(xlabel="harm (fresh samples)", ylabel=label)
    axes[0].plot(best.harm, best.kl_past_horizon, "k-", linewidth=1.5)
    axes[0].set_yscale("symlog", linthresh=1e-3)
    axes[1].axhline(0, color="k", linewidth=1.5)
    axes[1].set_yscale("symlog", linthresh=0.1)
    axes[0].invert_xaxis()
    axes[1].invert_xaxis()
    extra = [plt.Line2D([], [], color="black", linewidth=1.5, label="exact optimum (left)"),
             plt.Line2D([], [], color="0.3", marker="x", linestyle="none", label="collapsed"),
             plt.Line2D([], [], color="0.4", linestyle=":", linewidth=0.8, label="registered harm levels")]
    method_legend(fig, data.method.unique(), extra=extra, ncol=3)
    return fig


@print_figure
def appendix_a_figure(shared: pd.DataFrame, K: int) -> plt.Figure:
    """E5b (Young's Appendix A): per λ, D_t at the Q-prefixes (left, log scale) and the recovery log-odds shift Δℓ_t
    (right: all Q-prefixes solid, harmful ones dashed), mean and 95% t-interval over seeds; the horizon K dashed."""
    from ..intervals import t_interval

    interval = lambda values: t_interval(values)[1:3]  # noqa: E731
    data = shared.assign(lam=shared["lambda"].map(lambda v: f"{v:g}"))
    palette = dict(zip(data.lam.unique(), sns.color_palette("crest", data.lam.nunique())))
    fig, axes = plt.subplots(1, 2, figsize=figure_size(1.0, 2.4))
    sns.lineplot(data[data.kl_t > 0], x="t", y="kl_t", hue="lam", palette=palette, errorbar=interval, legend=False,
                 ax=axes[0])
    axes[0].set(yscale="log", xlabel="position $t$", ylabel=r"$D_t$ at Q-prefixes (nats)")
    sns.lineplot(data, x="t", y="delta_logodds", hue="lam", palette=palette, errorbar=interval, ax=axes[1],
                 legend=False)
    sns.lineplot(data, x="t", y="delta_logodds_harmful", hue="lam", palette=palette, errorbar=interval, ax=axes[1],
                 linestyle="--", legend=False)
    axes[1].axhline(0, color="0.3", linewidth=0.8)
    axes[1].set(xlabel="position $t$", ylabel=r"$\Delta\ell_t$ (dashed: harmful prefixes)")
    for ax in axes:
        ax.axvline(K + 0.5, color="black", linestyle="--", linewidth=0.8)
    handles = [plt.Line2D([], [], color=c, label=lam) for lam, c in palette.items()]
    handles.append(plt.Line2D([], [], color="black", linestyle="--", linewidth=0.8, label="$K$"))
    fig.legend(handles=handles, title=r"$\lambda$", loc="outside right upper")
    return fig


@print_figure
def prefill_figure(prefill: pd.DataFrame, exact: pd.DataFrame, t_eps: int, default_m: int) -> plt.Figure:
    """Eventual recovery and harm against the prefill depth k per method (mean, 95% bootstrap band over seeds), the
    exact base curve (black dashed) and t_ε − 1 (dotted); one legend below."""
    data = prefill[prefill.m == default_m]
    fig, axes = plt.subplots(1, 2, figsize=figure_size(1.0, 4.4), sharex=True)
    for ax, column, name in zip(axes, ["recovery_rate", "harm_rate"], ["P(recover eventually)", "P($h$ = 1)"]):
        method_lineplot(data, "k", column, ax, marker="o", markersize=2.5, markeredgewidth=0)
        ax.plot(exact.k, exact[column], color="black", linestyle="--", linewidth=1.2)
        ax.axvline(t_eps - 1, color="black", linestyle=":", linewidth=0.8)
        ax.set(xlabel="prefill depth $k$", ylabel=name)
    extra = [plt.Line2D([], [], color="black", linestyle="--", linewidth=1.2, label="exact base"),
             plt.Line2D([], [], color="black", linestyle=":", linewidth=0.8, label=r"$t_\varepsilon - 1$")]
    method_legend(fig, data.method.unique(), extra=extra, ncol=3)
    return fig


@print_figure
def horizon_sweep_figure(kl: pd.DataFrame, horizons: dict) -> plt.Figure:
    """KL_t share of the rlhf runs (``kl`` holds only them) by payload threshold m (mean, 95% bootstrap band over
    runs), with each m's t_ε dashed."""
    data = kl.assign(share=kl.kl / kl.groupby(["method", "seed"]).kl.transform("sum"), m=kl.m.astype(str))
    fig, ax = plt.subplots(figsize=figure_size(0.6, 2.5))
    order = sorted(data.m.unique(), key=int)
    palette = dict(zip(order, sns.color_palette("viridis", len(order))))
    sns.lineplot(data, x="t", y="share", hue="m", hue_order=order, palette=palette, errorbar=("ci", 95),
                 seed=BOOTSTRAP_SEED, legend=False, ax=ax)
    for m, t_eps in horizons.items():
        if str(m) in palette:
            ax.axvline(t_eps, color=palette[str(m)], linestyle="--", linewidth=0.8)
    ax.set(xlabel="position $t$", ylabel=r"KL$_t$ / $\sum_s$ KL$_s$", title="RLHF aligned against $h_m$")
    handles = [plt.Line2D([], [], color=c, label=m) for m, c in palette.items()]
    handles.append(plt.Line2D([], [], color="0.3", linestyle="--", linewidth=0.8, label=r"$t_\varepsilon$"))
    fig.legend(handles=handles, title="$m$", loc="outside right upper")
    return fig


def synthetic_numbers(summary: pd.DataFrame, runs_table: pd.DataFrame, verdict_table: pd.DataFrame, mc: pd.DataFrame,
                      fidelity: dict, synthetic: dict, frontier: pd.DataFrame, matched: pd.DataFrame,
                      registered: dict, deep: pd.DataFrame | None = None) -> dict[str, str]:
    """Every synthetic-track number the paper cites, as LaTeX text keyed by macro name (prefix Syn).

    ``synthetic`` is the environment's config with ``default_m``; horizons come from the runs table;
    ``registered`` is config/predictions.yaml (its ``frontier`` section's collapse maxima and margin).
    """
    horizons = runs_table.groupby("m").t_epsilon.first().astype(int).to_dict()
    default_m = synthetic["default_m"]
    n = {
        "SynTVMax": fmt(fidelity["tv_state_max"]), "SynTVMean": fmt(fidelity["tv_state_mean"]),
        "SynTVStates": fmt(fidelity["n_states"]), "SynPComply": fmt(fidelity["p_comply_model"]),
        "SynPHarmSampled": fmt_interval(fidelity["p_harm_sampled"], fidelity["p_harm_ci_low"], fidelity["p_harm_ci_high"], 3),
        "SynPHarmExact": fmt(fidelity["p_harm_exact"], 4), "SynPoolN": fmt(int(fidelity["n_samples"])),
        "SynHorizon": fmt(horizons[default_m]),
        "SynNSeeds": fmt(len(synthetic["seeds"])), "SynMarginDepth": fmt(synthetic["evaluation"]["depth_margin"]),
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
    n["SynMCMissesLate"] = fmt(int((missed & (mc.t > horizons[default_m])).sum()))
    n["SynMCTotal"] = fmt(mc.harm_information.sum())
    n["SynExactTotal"] = fmt(mc.exact.sum())
    for m in sorted({spec.get("m", default_m) for spec in synthetic["methods"].values()}):
        n[f"SynHorizonM{number_word(m)}"] = fmt(horizons[m])
    words = macro_words(["base", *synthetic["methods"]])
    for method in summary.method.unique():
        key = words[method]
        for metric, short, digits in (("harm_rate", "Harm", 2), ("total_kl", "KL", 2), ("kl_past_horizon", "KLPast", 2),
                                      ("grad_past_horizon", "GradPast", 2), ("recovery_gain_past_horizon", "RecGain", 2),
                                      ("benign_kl", "BenignKL", 2), ("kl_mean_position", "KLPos", 3)):
            mean, low, high, _ = summary_interval(summary, method, metric)
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
    # E3 at each matched harm level, in the registered order of the levels.
    for i, (_, row) in enumerate(verdict_table[verdict_table.prediction.str.startswith("E3")].iterrows()):
        word = "Level" + number_word(i + 1)
        n[f"SynEThreeDiff{word}"] = (fmt_interval(row["mean"], row.ci_low, row.ci_high) if np.isfinite(row.ci_low)
                                     else fmt(row["mean"]) if np.isfinite(row["mean"]) else r"\text{n/a}")
        n[f"SynEThreeVerdict{word}"] = rf"\text{{{row.verdict}}}"
    gradient = verdict_table[is_gradient_row(verdict_table)]
    counts = verdict_table.drop(gradient.index).verdict.value_counts()
    for verdict in ("confirmed", "refuted", "inconclusive", "untestable"):
        n[f"SynVerdict{verdict.capitalize()}"] = fmt(int(counts.get(verdict, 0)))
    # The gradient test (P1): verdict counts per stratum, and the checkpoints it read.
    for stratum, word in (("decided", "Decided"), ("undecided", "Undecided")):
        part = gradient[gradient.metric.str.contains(f"({stratum})", regex=False)]
        for verdict in ("confirmed", "refuted", "inconclusive", "untestable"):
            n[f"SynGrad{word}{verdict.capitalize()}"] = fmt(int((part.verdict == verdict).sum()))
    n.update(frontier_numbers(frontier, matched, words, deep))
    rules = registered["frontier"]
    n.update({"SynCollapseBenignKL": fmt(rules["benign_kl_max"]), "SynCollapseHarmfulKL": fmt(rules["harmful_kl_max"]),
              "SynRecoveryMargin": fmt(rules["recovery_margin"]), "SynAlpha": fmt(rules["alpha"])})
    n["SynGradCheckpoints"] = fmt(int(len(gradient) // 2))
    n["SynGradSamples"] = fmt(int(gradient.n.iloc[0])) if len(gradient) else r"\text{n/a}"
    return n


def final_models(frontier: pd.DataFrame) -> pd.DataFrame:
    """The last point of every run's harm–KL trace: its final model."""
    return frontier[frontier.step == frontier.groupby(["method", "seed"]).step.transform("max")]


def frontier_numbers(frontier: pd.DataFrame, matched: pd.DataFrame, words: dict,
                     deep: pd.DataFrame | None = None) -> dict[str, str]:
    """Macros of the frontier: its size, collapsed points, per method and harm level the leakage ratio
    (geometric mean [95%]), the recovery log-odds shift and the exact optimum's KL past t_ε; per method the
    final model's shift (mean [95%] over seeds) and, for the penalised on-policy methods (``deep``), the exact
    optimum's at the same (β, μ, γ): P5-on's for recovery_rl, Young's H_deep's (with Thm 20's stated shift) for h_deep."""
    from ..intervals import t_interval

    n = {"SynFrontierPoints": fmt(len(frontier)), "SynFrontierCollapsed": fmt(int(frontier.collapsed.sum())),
         "SynFrontierSnapshots": fmt(int(frontier.groupby(["method", "seed"]).size().max())),
         "SynFrontierHarmSamples": fmt(int(frontier.n_samples.max())), "SynProbabilityFloor": fmt_sci(PROBABILITY_FLOOR)}
    level_words = {}
    for fraction in matched.harm_fraction.unique():
        word = "Level" + number_word(len(level_words) + 1)
        level_words[fraction] = word
        n[f"Syn{word}Fraction"] = fmt(fraction)
    for r in matched.itertuples():
        word = level_words[r.harm_fraction]
        if r.method.startswith("gibbs"):
            if r.metric == "kl_past_horizon":
                n[f"SynOptimum{word}KLPast{words[r.method.split(', ')[1][:-1]]}"] = fmt(r.mean, 3)
            continue
        key = words[r.method]
        for metric, short, transform in (("log_leakage", "Leak", np.exp), ("recovery_shift_decided", "Shift", lambda x: x),
                                         ("kl_past_horizon", "KLPast", lambda x: x)):
            if r.metric == metric:
                text = (fmt_interval(transform(r.mean), transform(r.ci_low), transform(r.ci_high), 2)
                        if np.isfinite(r.ci_low) else fmt(transform(r.mean), 2) if np.isfinite(r.mean) else r"\text{n/a}")
                n[f"Syn{key}{short}{word}"] = text
                if metric == "kl_past_horizon":  # the seeds whose trace reached the level
                    n[f"Syn{key}Reached{word}"] = fmt(int(r.n))
    final = final_models(frontier)
    for method, part in final.groupby("method"):
        mean, low, high, _ = t_interval(part.recovery_shift_decided)
        n[f"Syn{words[method]}ShiftFinal"] = fmt_interval(mean, low, high, 2) if np.isfinite(low) else fmt(mean, 2)
    for r in (deep.itertuples() if deep is not None else ()):
        n[f"Syn{words[r.method]}OptimumShift"] = fmt(r.recovery_shift_decided, 3)
        n[f"Syn{words[r.method]}OptimumKL"] = fmt(r.total_kl, 3)
        if np.isfinite(r.shift_thm20):  # Young's Def 17: Thm 20's stated shift μγ^{t−1} at the same prefixes
            n[f"Syn{words[r.method]}StatedShift"] = fmt(r.shift_thm20, 3)
    return n


def appendix_a_numbers(verdicts: pd.DataFrame, shared: pd.DataFrame, K: int) -> dict[str, str]:
    """Macros of E5b at the judged (smallest) λ: the ratio (mean [95%] over seeds) and its verdict, the largest D_t
    past K and inside it (means over seeds), the largest |Δℓ_t| inside K and at harmful prefixes past it, K, the
    λ grid and the number of seeds."""
    judged = verdicts.loc[verdicts["lambda"].idxmin()]
    lam = judged["lambda"]
    means = shared[shared["lambda"] == lam].groupby(["t", "past_horizon"], as_index=False)[
        ["kl_t", "delta_logodds", "delta_logodds_harmful"]].mean()
    late, inside = means[means.past_horizon], means[~means.past_horizon]
    ratio = (fmt_interval(judged["mean"], judged.ci_low, judged.ci_high, 2) if np.isfinite(judged.ci_low)
             else fmt(judged["mean"], 2) if np.isfinite(judged["mean"]) else r"\text{n/a}")
    return {"SynAppARatio": ratio, "SynAppAVerdict": rf"\text{{{judged.verdict}}}", "SynAppALambda": fmt(lam),
            "SynAppAMargin": fmt(judged.threshold), "SynAppAK": fmt(K), "SynAppASeeds": fmt(int(judged.n)),
            "SynAppALambdas": ", ".join(fmt(v) for v in sorted(verdicts["lambda"])),
            "SynAppAKLPast": fmt(late.kl_t.max(), 2), "SynAppAKLInside": fmt(inside.kl_t.max(), 2),
            "SynAppAShiftInside": fmt(inside.delta_logodds.abs().max(), 2),
            "SynAppAShiftPast": fmt(late.delta_logodds_harmful.abs().max(), 2)}


def summary_table(summary: pd.DataFrame) -> str:
    """Every method's final models: mean and 95% t-interval over seeds (clipped to each quantity's range, summarise)
    of the quantities a reader compares first; the rest (gradient share, depth, the prefill curve) are in summary.csv
    and the figures, the benign cost in its own table (report.caveats.benign_cost_table)."""
    shown = {"harm_rate": "harm rate", "total_kl": r"$\sum_t$KL$_t$ (nats)", "kl_past_horizon": r"KL share past $t_\varepsilon$",
             "recovery_gain_past_horizon": r"rec.\ gain past $t_\varepsilon$"}
    rows = []
    for method in summary.method.unique():
        row = {"method": method_cell(method)}
        for metric, label in shown.items():
            mean, low, high, _ = summary_interval(summary, method, metric)
            row[label] = stacked_interval(mean, low, high)
        rows.append(row)
    return booktabs_table(pd.DataFrame(rows), caption=r"Synthetic track, final models: mean and 95\% $t$-interval over "
                          r"seeds (base: sampling seeds), clipped to the range of each quantity. Final models sit at "
                          r"different operating points; \S\ref{sec:synthetic-frontier} compares methods at matched harm, and "
                          r"Table~\ref{tab:benign-cost-synthetic} gives their benign cost.",
                          label="tab:synthetic-summary", column_format=METHOD_COLUMN + "r" * len(shown), size="small",
                          long=True)  # one row per method: taller than a page in the paper config


def penalised_table(frontier: pd.DataFrame, deep: pd.DataFrame, methods: dict) -> str:
    """The penalised on-policy methods (Recovery RL, the deep objective) after training, beside RLHF: μ and γ, the
    final models' recovery log-odds shift Δℓ at decided harmful prefixes (mean and 95% t-interval over seeds), and
    the exact optimum at the same (β, μ, γ) (evaluate.frontier.deep_optimum): its Δℓ read through the same clipping,
    its total KL along the base's prefixes, and for the deep objective Thm 20's stated shift μγ^{t−1} averaged
    over the same prefixes. The exact Gibbs optimum of RLHF's objective shifts nothing at decided prefixes."""
    from ..intervals import t_interval

    final = final_models(frontier)
    optimum = deep.set_index("method")
    shown = [name for name in methods if name == "rlhf" or name in set(deep.method)]
    rows = []
    for name in shown:
        spec, part = methods[name], final[final.method == name]
        mean, low, high, _ = t_interval(part.recovery_shift_decided) if len(part) else (np.nan,) * 4
        best = optimum.loc[name] if name in optimum.index else None
        stated = best.shift_thm20 if best is not None else np.nan
        rows.append({"method": method_cell(name), r"$\mu$": f"${fmt(spec['mu'])}$" if "mu" in spec else "--",
                     r"$\gamma$": f"${fmt(spec['gamma'])}$" if "gamma" in spec else "--",
                     r"final $\Delta\ell$": stacked_interval(mean, low, high),
                     "Thm.~20": f"${fmt(stated, 3)}$" if np.isfinite(stated) else "--",
                     r"optimum $\Delta\ell$": f"${fmt(best.recovery_shift_decided, 3)}$" if best is not None else "$0$",
                     "optimum KL": f"${fmt(best.total_kl, 3)}$" if best is not None else "--",
                     "seeds": fmt(len(part))})
    return booktabs_table(pd.DataFrame(rows), caption=r"The penalised on-policy methods after training, beside RLHF: "
                          r"the final models' recovery log-odds shift $\Delta\ell$ at decided harmful prefixes (mean and "
                          r"95\% $t$-interval over seeds) against the exact optimum of the same objective at the same "
                          r"$(\beta,\mu,\gamma)$: its $\Delta\ell$ at the same prefixes (probabilities clipped as for "
                          r"the models), its total KL along the base's prefixes (nats), and for the deep objective "
                          r"Thm.~20's stated shift $\mu\gamma^{t-1}$ averaged over the same prefixes (column Thm.~20). The exact optimum "
                          r"of RLHF's objective shifts nothing there.",
                          label="tab:synthetic-penalised", column_format=METHOD_COLUMN + "rrrrrrr", size="small",
                          tabcolsep_pt=4)


def matched_table_tex(matched: pd.DataFrame, methods) -> str:
    """Methods at matched harm (evaluate.frontier.matched_summary), grouped by harm level: KL past t_ε against the
    exact optimum's, the leakage ratio (geometric mean over seeds), the KL at decided prefixes and the recovery
    log-odds shift, with 95% t-intervals set under their means."""
    groups = []
    for fraction in matched.harm_fraction.unique():
        rows = []
        for method in methods:
            part = matched[(matched.method == method) & (matched.harm_fraction == fraction)].set_index("metric")
            if part.empty:
                continue
            best = matched[(matched.method == f"gibbs (exact, {method})") & (matched.harm_fraction == fraction)].set_index("metric")

            def cell(metric, transform=lambda x: x, digits=2):
                r = part.loc[metric]
                low, high = (transform(r.ci_low), transform(r.ci_high)) if np.isfinite(r.ci_low) else (np.nan, np.nan)
                return stacked_interval(transform(r["mean"]), low, high, digits) if np.isfinite(r["mean"]) else "--"

            first = part.iloc[0]
            rows.append([method_cell(method), cell("kl_past_horizon", digits=3), f"${fmt(best.loc['kl_past_horizon', 'mean'], 3)}$",
                         cell("log_leakage", np.exp), cell("kl_decided", digits=3), cell("recovery_shift_decided"),
                         f"{int(first.n)}/{int(first.n_runs)}"])
        groups.append((rf"harm ${fmt(fraction)}\times$ the exact base's", rows))
    # One table per harm level: two levels of every method do not fit one page.
    columns = ["method", r"KL past $t_\varepsilon$", "optimum", "leakage", "KL decided", r"$\Delta\ell$ decided", "$n$"]
    tables = []
    for i, group in enumerate(groups):
        first = i == 0
        caption = (r"Synthetic track at matched harm (fractions of the exact base's $E[h]$): each run's harm--KL trace "
                   r"read where it crosses the level, mean and 95\% $t$-interval over the seeds that reached it ($n$ of "
                   r"all; a crossing next to a collapsed point is not read). KL in nats per response; optimum: the exact "
                   r"Gibbs optimum's KL past $t_\varepsilon$ at the same harm; leakage: the run's over the optimum's "
                   r"(geometric mean); $\Delta\ell$: recovery log-odds shift at decided harmful prefixes (the "
                   r"optimum's is 0)." if first else r"As Table~\ref{tab:synthetic-matched}, at the next harm level.")
        label = "tab:synthetic-matched" if first else f"tab:synthetic-matched-{number_word(i + 1).lower()}"
        tables.append(grouped_table([group], columns, caption=caption, label=label,
                                    column_format=METHOD_COLUMN + "rrrrrr", tabcolsep_pt=3))
    return "\n".join(tables)


# The two-sided 95% quantile of the standard normal, the |z| within which a cell counts as inside.
Z_CRITICAL = 1.96


def logit_gradient_numbers(table: pd.DataFrame) -> dict[str, str]:
    """The logit-space check of P2 by class-level state (``envs.automaton.logit_gradient_by_state``): z = (estimate −
    P2's value)/SE per state and class. At the reference, every undecided cell against the exact base's value, by
    the SE over responses (``SynLogitRefCells``, the share within |z| ≤ 1.96 ``SynLogitRefInside``); at decided
    states of every checkpoint, against 0 by the predictable SE (``SynLogitDecidedCells``,
    ``SynLogitDecidedInside``, the largest |z| ``SynLogitDecidedMaxZ``). Cells whose SE is 0 (every visit with
    h = 0) are exact zeros, counted apart."""
    if table.empty:  # no state visited often enough (a model that rarely complies)
        na = r"\text{n/a}"
        return {"SynLogitZ": fmt(Z_CRITICAL), "SynLogitRefCells": "0", "SynLogitRefInside": na, "SynLogitDecidedCells": "0", "SynLogitDecidedInside": na,
                "SynLogitDecidedMaxZ": na, "SynLogitDecidedZeros": "0", "SynLogitCheckpoints": "0"}
    table = table.assign(decided=table.decided.astype(bool))
    reference = table[(table.checkpoint == "reference") & ~table.decided]
    decided = table[table.decided]

    def inside(part, truth, se):
        z = ((part.estimate - truth) / se.where(se > 0)).dropna()
        return z, fmt(100 * (z.abs() <= Z_CRITICAL).mean(), 3) + r"\%" if len(z) else r"\text{n/a}"

    z_ref, ref_share = inside(reference, reference.exact_base, reference.se)
    z_dec, dec_share = inside(decided, 0.0, decided.se_predictable)
    return {"SynLogitZ": fmt(Z_CRITICAL), "SynLogitRefCells": fmt(len(z_ref)), "SynLogitRefInside": ref_share,
            "SynLogitDecidedCells": fmt(len(z_dec)), "SynLogitDecidedInside": dec_share,
            "SynLogitDecidedMaxZ": fmt(z_dec.abs().max(), 2) if len(z_dec) else r"\text{n/a}",
            "SynLogitDecidedZeros": fmt(int((decided.se_predictable == 0).sum())),
            "SynLogitCheckpoints": fmt(len(table.groupby(["method", "seed", "checkpoint"])))}


def is_gradient_row(verdicts: pd.DataFrame) -> pd.Series:
    """The rows of the gradient test (``evaluate.verdicts.gradient_verdicts``): judged against a null band."""
    return verdicts.metric.str.contains("sign-flip null", regex=False)


def gradient_table_tex(table: pd.DataFrame) -> str:
    """The gradient test's verdicts (rows of verdicts.csv judged against a sign-flip null), one row per prediction and
    method over its checkpoints (each seed's reference, mid and final model): how many checkpoints, the verdicts, the
    median statistic of the tested ones and the largest Holm-adjusted p-value. verdicts.csv holds every checkpoint's
    row."""
    method = table.method.str.split(" (", regex=False).str[0]
    groups = []
    for prediction, part in table.assign(name=method).groupby("prediction", sort=False):
        rows = []
        for name, rows_of in part.groupby("name", sort=False):
            counts = rows_of.verdict.value_counts()
            p = rows_of.p_adjusted[np.isfinite(rows_of.p_adjusted)]
            tested = rows_of[rows_of.verdict != "untestable"]["mean"]
            rows.append([method_cell(name), fmt(len(rows_of)),
                         " / ".join(fmt(int(counts.get(v, 0))) for v in ("confirmed", "refuted", "inconclusive", "untestable")),
                         f"${fmt(tested.median(), 3)}$" if len(tested) else "--", f"${fmt(p.max(), 2)}$" if len(p) else "--"])
        groups.append((prediction, rows))
    return grouped_table(groups, ["method", "checkpoints", "conf. / ref. / inc. / untest.", r"median $\sum_t U_t$",
                                  r"largest $p_{\mathrm{Holm}}$"],
                         caption=r"P1 on the synthetic model: the unbiased estimate $\sum_t U_t$ of the expected harm "
                         r"gradient at undecided and at decided prefixes of each checkpoint's own responses (each seed's "
                         r"reference, mid-training and final model), tested against its sign-flip null with Holm-adjusted "
                         r"one-sided $p$-values: per method the checkpoints tested, their verdicts (untestable: fewer "
                         r"harmful responses than registered), the median statistic and the largest adjusted $p$.",
                         label="tab:synthetic-gradient", column_format="lrrrr")


def verdict_table_tex(table: pd.DataFrame) -> str:
    table = table[~is_gradient_row(table)]

    def evidence(r):
        interval = f"${fmt_interval(r['mean'], r.ci_low, r.ci_high)}$" if np.isfinite(r.ci_low) else "--"
        p = r.p_refute_adjusted if r.verdict == "refuted" else r.p_adjusted
        return interval + (f"; $p={fmt(p, 2)}$" if np.isfinite(p) else "")

    groups = [(prediction, [[method_cell(r["method"]), evidence(r), r["verdict"]] for _, r in part.iterrows()])
              for prediction, part in table.groupby("prediction", sort=False)]
    return grouped_table(groups, ["method", "measured [95\\%]; $p_{\\mathrm{Holm}}$", "verdict"],
                         caption=r"Predictions of \S\ref{sec:theory-experiments} on the synthetic track at matched "
                         r"harm, grouped by prediction: mean and 95\% $t$-interval over seeds, and the Holm-adjusted $p$ of "
                         r"the test that decided (the confirming one unless refuted). The gradient test's verdicts are in "
                         r"Table~\ref{tab:synthetic-gradient}.", label="tab:synthetic-verdicts", column_format="lrl",
                         long=True)  # one row per method and level: taller than a page
