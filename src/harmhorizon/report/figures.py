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

sns.set_theme(context="paper", style="whitegrid", font_scale=1.0)
POLICY_PALETTE = {"base": "0.3", "standard": "tab:blue", "recovery γ=1": "tab:green", "recovery γ<1": "tab:orange"}


def save_figure(fig: plt.Figure, pdf_path, png_path) -> None:
    """Write the figure as PDF (for LaTeX) and PNG (for the README and the HTML report), atomically."""
    for path in (pdf_path, png_path):
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=Path(path).suffix.lstrip("."), bbox_inches="tight", dpi=150,
                        metadata={"CreationDate": None} if str(path).endswith(".pdf") else None)
    plt.close(fig)


def harm_information_figure(information: pd.DataFrame, horizons: pd.DataFrame) -> plt.Figure:
    """Left: I_t(π_ref) for each m, with t_ε dashed.  Right: ‖∂E[h]/∂z_t‖ at π_ref (log scale)."""
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 2.8))
    palette = dict(zip(sorted(information.m.unique()), sns.color_palette("viridis", information.m.nunique())))
    sns.lineplot(information, x="t", y="harm_information", hue="m", palette=palette, marker="o", markersize=3, ax=axes[0])
    for _, row in horizons.iterrows():
        axes[0].axvline(row.t_epsilon, color=palette[row.m], linestyle="--", linewidth=0.8)
    axes[0].set(xlabel="position $t$", ylabel="harm information $I_t$", title=r"$I_t$ and $t_\varepsilon$ (dashed)")
    positive = information[information.gradient_norm > 0]
    sns.lineplot(positive, x="t", y="gradient_norm", hue="m", palette=palette, legend=False, ax=axes[1])
    axes[1].set(yscale="log", xlabel="position $t$", ylabel=r"$\|g_t\|$ (tabular logits)", title="gradient at $\\pi_{ref}$")
    fig.tight_layout()
    return fig


def kl_information_figure(kl: pd.DataFrame, m: int, betas_shown) -> plt.Figure:
    """Left: 2β²KL_t/I_t against β for each t (→ 1).  Right: KL_t beside I_t/(2β²) at chosen β."""
    data = kl[(kl.m == m) & np.isfinite(kl.ratio)]
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 2.8))
    sns.lineplot(data, x="beta", y="ratio", hue="t", palette="rocket_r", ax=axes[0], legend=False)
    axes[0].axhline(1.0, color="black", linewidth=0.8)
    axes[0].set(xscale="log", xlabel=r"$\beta$", ylabel=r"$2\beta^2 \mathrm{KL}_t / I_t$", title=f"P4(b), m = {m}, one line per $t$")
    shown = data[data.beta.isin(betas_shown)]
    long = pd.concat(
        [
            shown.assign(quantity=r"KL$_t(\pi^*)$", value=shown.kl),
            shown.assign(quantity=r"$I_t/(2\beta^2)$", value=shown.kl_limit),
        ]
    )
    sns.lineplot(long, x="t", y="value", hue="beta", style="quantity", palette="crest", ax=axes[1])
    axes[1].set(yscale="log", xlabel="position $t$", ylabel="nats", title="per-position KL of the optimum")
    fig.tight_layout()
    return fig


def kl_horizon_sweep_figure(kl: pd.DataFrame, horizons: pd.DataFrame, beta: float) -> plt.Figure:
    """E3: the normalised KL profile KL_t/Σ KL of the standard optimum moves with t_ε as m varies."""
    data = kl[np.isclose(kl.beta, beta)].copy()
    data["kl_share"] = data.kl / data.groupby("m").kl.transform("sum")
    fig, ax = plt.subplots(figsize=(4.2, 2.8))
    palette = dict(zip(sorted(data.m.unique()), sns.color_palette("viridis", data.m.nunique())))
    sns.lineplot(data, x="t", y="kl_share", hue="m", palette=palette, marker="o", markersize=3, ax=ax)
    for _, row in horizons.iterrows():
        ax.axvline(row.t_epsilon, color=palette[row.m], linestyle="--", linewidth=0.8)
    ax.set(xlabel="position $t$", ylabel=r"KL$_t$ / $\sum_s$ KL$_s$", title=f"standard optimum, β = {beta:g}")
    fig.tight_layout()
    return fig


def label_policies(curve: pd.DataFrame) -> pd.Series:
    """'base', 'standard', 'recovery γ=1' or 'recovery γ<1' for each row of a prefill table."""
    labels = curve.policy.copy()
    recovery = curve.policy == "recovery"
    labels[recovery & (curve.gamma == 1.0)] = "recovery γ=1"
    labels[recovery & (curve.gamma < 1.0)] = "recovery γ<1"
    return labels


def prefill_exact_figure(curve: pd.DataFrame, beta: float, mu: float, horizon_k: int) -> plt.Figure:
    """E4: eventual recovery and eventual harm against prefill depth k (harmful base prefixes)."""
    keep = (curve.policy == "base") | (np.isclose(curve.beta, beta) & ((curve.policy == "standard") | np.isclose(curve.mu, mu)))
    data = curve[keep].assign(label=lambda d: label_policies(d))
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 2.8), sharex=True)
    for ax, column, name in zip(axes, ["recovery_eventual", "harm_eventual"], ["P(recover eventually)", "P(h = 1)"]):
        sns.lineplot(data, x="k", y=column, hue="label", palette=POLICY_PALETTE, style="label", ax=ax, legend=ax is axes[0])
        ax.axvline(horizon_k, color="black", linestyle="--", linewidth=0.8)
        ax.set(xlabel="prefill depth $k$", ylabel=name)
    axes[0].set_title(f"β = {beta:g}, μ = {mu:g}; dashed: $t_\\varepsilon - 1$")
    axes[0].legend(title=None, fontsize=7)
    fig.tight_layout()
    return fig


def recovery_bound_figure(bound: pd.DataFrame, beta: float) -> plt.Figure:
    """P5/P6: π*(R|t, j) at every harmful state against position, with σ(ℓ_ref + μγ^t/β) (dashed)."""
    data = bound[np.isclose(bound.beta, beta)]
    gammas = sorted(data.gamma.unique(), reverse=True)
    fig, axes = plt.subplots(1, len(gammas), figsize=(3.5 * len(gammas), 2.8), sharey=True, squeeze=False)
    for ax, gamma in zip(axes[0], gammas):
        part = data[data.gamma == gamma]
        sns.scatterplot(part, x="position", y="recovery_prob", hue="mu", palette="flare", s=10, ax=ax, legend=ax is axes[0, 0])
        lower = part.groupby(["mu", "position"]).bound.max().reset_index()
        sns.lineplot(lower, x="position", y="bound", hue="mu", palette="flare", linestyle="--", legend=False, ax=ax)
        ax.axhline(part.base_recovery_prob.iloc[0], color="0.3", linewidth=0.8)
        ax.set(yscale="logit", xlabel="position of the next token", ylabel=r"$\pi^*(R \mid y_{<t})$", title=f"γ = {gamma:g}, β = {beta:g}")
    fig.tight_layout()
    return fig


def ablation_figure(curves: pd.DataFrame, matched: pd.DataFrame) -> plt.Figure:
    """E5c: (a) KL past the horizon against E[Harm] along exact gradient descent, sharp automaton; (b) KL at
    decided prefixes, both automata; (c) sampled tabular gradients: KL at decided prefixes at matched harm
    against the responses per step n (one point per seed)."""
    exact = curves[curves.gradient == "exact"]
    policies = list(dict.fromkeys(exact.policy))
    palette = dict(zip(policies, sns.color_palette("colorblind", len(policies))))
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 2.9))
    sharp = exact[exact.environment == "sharp"]
    sns.lineplot(sharp, x="harm", y="kl_past_horizon", hue="policy", palette=palette, sort=False, estimator=None,
                 ax=axes[0])
    axes[0].invert_xaxis()
    axes[0].set(xlabel=r"$E[\mathrm{Harm}]$ (descent runs left to right)", ylabel=r"$\sum_{t>K} D_t$",
                title="(a) KL past the horizon, sharp")
    levels = matched[(matched.gradient == "exact") & (matched.environment == "sharp")]
    sns.scatterplot(levels, x="harm", y="kl_past_horizon", hue="policy", palette=palette, marker="X", s=40,
                    legend=False, ax=axes[0])
    axes[0].legend(title=None, fontsize=7)
    sns.lineplot(exact, x="harm", y="kl_decided", hue="policy", style="environment", palette=palette, sort=False,
                 estimator=None, legend=False, ax=axes[1])
    axes[1].invert_xaxis()
    axes[1].set(xlabel=r"$E[\mathrm{Harm}]$", ylabel="KL at decided prefixes", title="(b) decided prefixes (dashed: default)")
    sampled = matched[(matched.gradient == "sampled") & (matched.kl_decided > 0)]
    if len(sampled):
        sns.stripplot(sampled, x="n_samples", y="kl_decided", hue="policy", dodge=True, palette=palette, size=3,
                      log_scale=(False, True), ax=axes[2])
        axes[2].legend(title=None, fontsize=7)
    axes[2].set(xlabel="responses per step $n$", ylabel="KL at decided prefixes", title="(c) sampled gradients, matched harm")
    fig.tight_layout()
    return fig
