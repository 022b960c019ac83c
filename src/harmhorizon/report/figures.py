"""Figures of the exact track (seaborn).  Each function takes result tables and returns a Figure.

The rule that calls each function is named in the figure's caption in the paper.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from ..io import atomic_path  # noqa: E402

from .style import figure_size, method_colour, print_figure, print_style  # noqa: E402

# The exact optima: the base, the standard optimum (the one RLHF and DPO both target, in RLHF's colour) and the
# recovery optimum undiscounted and discounted (Recovery's colours); (colour, line style).
POLICY_STYLES = {"base": (method_colour("base"), "-"), "standard": (method_colour("rlhf"), ":"),
                 "recovery γ=1": (method_colour("recovery"), "-"),
                 "recovery γ<1": (method_colour("recovery_discounted"), "-.")}


def save_figure(fig: plt.Figure, pdf_path, png_path) -> None:
    """Write the figure as PDF (vector, for LaTeX) and PNG (for the README and the HTML report), atomically, at the
    figure's own size (it is drawn at the width it is printed at)."""
    with print_style():
        for path in (pdf_path, png_path):
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=Path(path).suffix.lstrip("."),
                            metadata={"CreationDate": None} if str(path).endswith(".pdf") else None)
    plt.close(fig)


def _m_palette(ms) -> dict:
    return dict(zip(sorted(ms), sns.color_palette("viridis", len(set(ms)))))


@print_figure
def harm_information_figure(information: pd.DataFrame, horizons: pd.DataFrame) -> plt.Figure:
    """Left: I_t(π_ref) for each m, with t_ε dashed.  Right: ‖∂E[h]/∂z_t‖ at π_ref (log scale)."""
    fig, axes = plt.subplots(1, 2, figsize=figure_size(1.0, 2.3))
    palette = _m_palette(information.m.unique())
    sns.lineplot(information, x="t", y="harm_information", hue="m", palette=palette, legend=False, ax=axes[0])
    for _, row in horizons.iterrows():
        axes[0].axvline(row.t_epsilon, color=palette[row.m], linestyle="--", linewidth=0.8)
    axes[0].set(xlabel="position $t$", ylabel="harm information $I_t$", title=r"$I_t$ and $t_\varepsilon$ (dashed)")
    positive = information[information.gradient_norm > 0]
    sns.lineplot(positive, x="t", y="gradient_norm", hue="m", palette=palette, legend=False, ax=axes[1])
    axes[1].set(yscale="log", xlabel="position $t$", ylabel=r"$\|g_t\|$ (tabular logits)",
                title=r"gradient at $\pi_{ref}$")
    handles = [plt.Line2D([], [], color=c, label=f"{m:g}") for m, c in palette.items()]
    fig.legend(handles=handles, title="$m$", loc="outside right upper")
    return fig


@print_figure
def kl_information_figure(kl: pd.DataFrame, m: int, betas_shown) -> plt.Figure:
    """Left: 2β²KL_t/I_t against β, one line per t coloured by t (colourbar), → 1.  Right: KL_t beside I_t/(2β²)
    at the chosen β."""
    data = kl[(kl.m == m) & np.isfinite(kl.ratio)]
    fig, axes = plt.subplots(1, 2, figsize=figure_size(1.0, 2.4))
    positions = plt.Normalize(data.t.min(), data.t.max())
    cmap = sns.color_palette("rocket_r", as_cmap=True)
    for t, part in data.groupby("t"):
        axes[0].plot(part.beta, part.ratio, color=cmap(positions(t)), linewidth=0.8)
    axes[0].axhline(1.0, color="black", linewidth=0.8, linestyle=":")
    axes[0].set(xscale="log", xlabel=r"$\beta$", ylabel=r"$2\beta^2 \mathrm{KL}_t / I_t$", title=f"P4(b), $m$ = {m}")
    fig.colorbar(plt.cm.ScalarMappable(positions, cmap), ax=axes[0], label="position $t$", pad=0.02)
    shown = data[data.beta.isin(betas_shown)]
    colours = dict(zip(sorted(shown.beta.unique()), sns.color_palette("crest", shown.beta.nunique())))
    for beta, part in shown.groupby("beta"):
        axes[1].plot(part.t, part.kl, color=colours[beta])
        axes[1].plot(part.t, part.kl_limit, color=colours[beta], linestyle="--")
    axes[1].set(yscale="log", xlabel="position $t$", ylabel="nats", title="per-position KL of the optimum")
    handles = [plt.Line2D([], [], color=c, label=f"$\\beta$ = {b:g}") for b, c in colours.items()]
    handles += [plt.Line2D([], [], color="0.3", label=r"KL$_t(\pi^*)$"),
                plt.Line2D([], [], color="0.3", linestyle="--", label=r"$I_t/(2\beta^2)$")]
    fig.legend(handles=handles, loc="outside right upper")
    return fig


@print_figure
def kl_horizon_sweep_figure(kl: pd.DataFrame, horizons: pd.DataFrame, beta: float) -> plt.Figure:
    """E3: the normalised KL profile KL_t/Σ KL of the standard optimum moves with t_ε as m varies."""
    data = kl[np.isclose(kl.beta, beta)].copy()
    data["kl_share"] = data.kl / data.groupby("m").kl.transform("sum")
    fig, ax = plt.subplots(figsize=figure_size(0.6, 2.4))
    palette = _m_palette(data.m.unique())
    sns.lineplot(data, x="t", y="kl_share", hue="m", palette=palette, legend=False, ax=ax)
    for _, row in horizons.iterrows():
        ax.axvline(row.t_epsilon, color=palette[row.m], linestyle="--", linewidth=0.8)
    ax.set(xlabel="position $t$", ylabel=r"KL$_t$ / $\sum_s$ KL$_s$", title=f"standard optimum, $\\beta$ = {beta:g}")
    handles = [plt.Line2D([], [], color=c, label=f"{m:g}") for m, c in palette.items()]
    fig.legend(handles=handles, title="$m$", loc="outside right upper")
    return fig


def label_policies(curve: pd.DataFrame) -> pd.Series:
    """'base', 'standard', 'recovery γ=1' or 'recovery γ<1' for each row of a prefill table."""
    labels = curve.policy.copy()
    recovery = curve.policy == "recovery"
    labels[recovery & (curve.gamma == 1.0)] = "recovery γ=1"
    labels[recovery & (curve.gamma < 1.0)] = "recovery γ<1"
    return labels


@print_figure
def prefill_exact_figure(curve: pd.DataFrame, beta: float, mu: float, horizon_k: int) -> plt.Figure:
    """E4: eventual recovery and eventual harm against prefill depth k (harmful base prefixes); one legend for both
    panels, beside them."""
    keep = (curve.policy == "base") | (np.isclose(curve.beta, beta) & ((curve.policy == "standard") | np.isclose(curve.mu, mu)))
    data = curve[keep].assign(label=lambda d: label_policies(d))
    low_gamma = data.gamma[(data.policy == "recovery") & (data.gamma < 1)]
    discounted = f"recovery, $\\gamma$ = {low_gamma.max():g}" if len(low_gamma) else "recovery, discounted"
    names = {"base": "base", "standard": "standard optimum", "recovery γ=1": r"recovery, $\gamma$ = 1",
             "recovery γ<1": discounted}
    fig, axes = plt.subplots(1, 2, figsize=figure_size(1.0, 2.3), sharex=True)
    for ax, column, name in zip(axes, ["recovery_eventual", "harm_eventual"], ["P(recover eventually)", "P($h$ = 1)"]):
        for label, (colour, style) in POLICY_STYLES.items():
            part = data[data.label == label].sort_values("k")
            ax.plot(part.k, part[column], color=colour, linestyle=style, label=names[label] if len(part) else None)
        ax.axvline(horizon_k, color="0.4", linestyle="--", linewidth=0.8, label=r"$t_\varepsilon - 1$")
        ax.set(xlabel="prefill depth $k$", ylabel=name)
    fig.suptitle(f"$\\beta$ = {beta:g}, $\\mu$ = {mu:g}")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right upper")
    return fig


@print_figure
def recovery_bound_figure(bound: pd.DataFrame, beta: float) -> plt.Figure:
    """P5/P6: π*(R|t, j) at every harmful state against position (points, one colour per μ), with the bound
    σ(ℓ_ref + μγ^t/β) (dashed, same colour) and the base's recovery probability (grey)."""
    data = bound[np.isclose(bound.beta, beta)]
    gammas = sorted(data.gamma.unique(), reverse=True)
    mus = sorted(data.mu.unique())
    colours = dict(zip(mus, sns.color_palette("flare", len(mus))))
    fig, axes = plt.subplots(1, len(gammas), figsize=figure_size(1.0, 2.4), sharey=True, squeeze=False)
    for ax, gamma in zip(axes[0], gammas):
        part = data[data.gamma == gamma]
        sns.scatterplot(part, x="position", y="recovery_prob", hue="mu", palette=colours, s=8, linewidth=0,
                        legend=False, ax=ax)
        lower = part.groupby(["mu", "position"]).bound.max().reset_index()
        sns.lineplot(lower, x="position", y="bound", hue="mu", palette=colours, linestyle="--", legend=False, ax=ax)
        ax.axhline(part.base_recovery_prob.iloc[0], color="0.6", linewidth=1.0)
        ax.set(yscale="logit", xlabel="position of the next token", ylabel=r"$\pi^*(R \mid y_{<t})$",
               title=f"$\\gamma$ = {gamma:g}, $\\beta$ = {beta:g}")
    handles = [plt.Line2D([], [], color=c, marker="o", linestyle="none", label=f"{mu:g}") for mu, c in colours.items()]
    handles += [plt.Line2D([], [], color="0.3", linestyle="--", label="bound"),
                plt.Line2D([], [], color="0.6", linewidth=1.0, label="base")]
    fig.legend(handles=handles, title=r"$\mu$", loc="outside right upper")
    return fig


@print_figure
def ablation_figure(curves: pd.DataFrame, matched: pd.DataFrame) -> plt.Figure:
    """E5c: (a) KL past the horizon against E[Harm] along exact gradient descent, sharp automaton; (b) KL at
    decided prefixes, both automata; (c) sampled tabular gradients: KL at decided prefixes at matched harm
    against the responses per step n (one point per seed). One legend, below the panels."""
    exact = curves[curves.gradient == "exact"]
    policies = list(dict.fromkeys(exact.policy))
    palette = dict(zip(policies, sns.color_palette("colorblind", len(policies))))
    fig, axes = plt.subplots(1, 3, figsize=figure_size(1.0, 2.5))
    sharp = exact[exact.environment == "sharp"]
    sns.lineplot(sharp, x="harm", y="kl_past_horizon", hue="policy", palette=palette, sort=False, estimator=None,
                 legend=False, ax=axes[0])
    axes[0].invert_xaxis()
    axes[0].set(xlabel=r"$E[\mathrm{Harm}]$ (descent: left to right)", ylabel=r"$\sum_{t>K} D_t$",
                title="(a) KL past the horizon, sharp")
    levels = matched[(matched.gradient == "exact") & (matched.environment == "sharp")]
    sns.scatterplot(levels, x="harm", y="kl_past_horizon", hue="policy", palette=palette, marker="X", s=30,
                    legend=False, ax=axes[0])
    sns.lineplot(exact, x="harm", y="kl_decided", hue="policy", style="environment", style_order=["sharp", "default"],
                 palette=palette, sort=False, estimator=None, legend=False, ax=axes[1])
    axes[1].invert_xaxis()
    axes[1].set(xlabel=r"$E[\mathrm{Harm}]$", ylabel="KL at decided prefixes", title="(b) KL at decided prefixes")
    sampled = matched[(matched.gradient == "sampled") & (matched.kl_decided > 0)]
    if len(sampled):
        sns.swarmplot(sampled, x="n_samples", y="kl_decided", hue="policy", dodge=True, palette=palette, size=3,
                      log_scale=(False, True), legend=False, ax=axes[2])
    axes[2].set(xlabel="responses per step $n$", ylabel="KL at decided prefixes", title="(c) sampled, matched harm")
    handles = [plt.Line2D([], [], color=c, label=p) for p, c in palette.items()]
    handles += [plt.Line2D([], [], color="0.3", label="sharp automaton"),
                plt.Line2D([], [], color="0.3", linestyle="--", label="default automaton (b)"),
                plt.Line2D([], [], color="0.3", marker="X", linestyle="none", label="matched harm level (a)")]
    fig.legend(handles=handles, loc="outside lower center", ncol=4)
    return fig
