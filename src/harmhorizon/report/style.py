"""The one place that names and colours the methods, and the print settings every figure is drawn under.

Each method key has one display label (``method_label``) and one colour (``method_colour``) in every figure;
families share a hue: DPO blues, RLHF oranges and reds (the learned-harm-model r̂ runs the reds), SFT grey,
Recovery greens, Recovery RL teals, Augmentation purple, Deep objective browns, Circuit breakers pink, and the
base (on the chat model: the SFT-ed reference) black. A key not listed here (a new method) is labelled by the key
itself and coloured from a hash of it, so it never raises and always gets the same colour.

Figures are drawn at the width they are printed at (``figure_size``: a fraction of the paper's 6.5 in text width)
under ``print_style``, so that no text is smaller than 7 pt on paper.
"""

from __future__ import annotations

import functools
import zlib
from contextlib import contextmanager

import matplotlib.pyplot as plt
import seaborn as sns

TEXT_WIDTH = 6.5  # inches: \linewidth of the paper (11 pt article, 1 in margins)
BOOTSTRAP_SEED = 0  # every bootstrap interval a figure draws uses it, so figures are reproducible

# Plain-text labels, in the order legends list the methods (family by family).
METHOD_LABELS = {
    "base": "Base",
    "dpo": "DPO",
    "dpo_lr_high": "DPO, high lr",
    "dpo_lr_mid": "DPO, mid lr",
    "dpo_beta_high": "DPO, high β",
    "rlhf": "RLHF",
    "rlhf_m1": "RLHF, m = 1",
    "rlhf_replication": "RLHF, replication",
    "rlhf_rm_whole": "RLHF on r\u0302 (whole)",
    "rlhf_rm_noisy": "RLHF on r\u0302 (noisy)",
    "rlhf_rm_noisy_replication": "RLHF on r\u0302 (noisy), replication",
    "rlhf_rm_early": "RLHF on r\u0302 (early)",
    "rlhf_rm_early_replication": "RLHF on r\u0302 (early), replication",
    "sft": "SFT",
    "recovery": "Recovery",
    "recovery_gamma": "Recovery, discounted",
    "recovery_discounted": "Recovery, discounted",
    "recovery_log": "Recovery, log",
    "recovery_rl": "Recovery RL",
    "recovery_rl_gamma": "Recovery RL, discounted",
    "recovery_rl_mu": "Recovery RL, small μ",
    "augment": "Augmentation",
    "h_deep": "Deep objective",
    "h_deep_gamma": "Deep objective, discounted",
    "h_deep_mu": "Deep objective, small μ",
    "circuit_breaker": "Circuit breakers",
}
# On the chat model the key ``base`` is the SFT-ed reference every method starts from.
ENVIRONMENT_LABELS = {"real": {"base": "Reference"}}
# The plain labels' symbols as LaTeX (also matplotlib mathtext, which every figure uses).
TEX_SYMBOLS = {"r\u0302": r"$\hat r$", "μ": r"$\mu$", "β": r"$\beta$", "m = 1": "$m = 1$"}

METHOD_COLOURS = {
    "base": "#000000",
    # DPO: blues
    "dpo": "#1f77b4", "dpo_lr_high": "#08306b", "dpo_lr_mid": "#6baed6", "dpo_beta_high": "#4a5fc1",
    # RLHF: oranges; RLHF against a learned harm model r̂: reds
    "rlhf": "#ff7f0e", "rlhf_m1": "#fdb863", "rlhf_replication": "#b35806",
    "rlhf_rm_whole": "#d62728", "rlhf_rm_noisy": "#f4745a", "rlhf_rm_noisy_replication": "#c9553e",
    "rlhf_rm_early": "#99000d", "rlhf_rm_early_replication": "#5c0008",
    "sft": "#7f7f7f",
    # Recovery: greens; Recovery RL: teals
    "recovery": "#2ca02c", "recovery_gamma": "#8fd175", "recovery_discounted": "#8fd175", "recovery_log": "#00571f",
    "recovery_rl": "#17becf", "recovery_rl_gamma": "#0b7a85", "recovery_rl_mu": "#7dd8e0",
    "augment": "#9467bd",
    # Deep objective: browns
    "h_deep": "#8c564b", "h_deep_gamma": "#c9a07a", "h_deep_mu": "#4e2a1e",
    "circuit_breaker": "#e377c2",
}  # fmt: skip
_FALLBACK = sns.color_palette("husl", 16).as_hex()  # for keys not listed above

PRINT_RC = {
    "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7,
    "legend.fontsize": 7, "legend.title_fontsize": 7, "figure.titlesize": 8, "legend.frameon": False,
    "legend.handlelength": 2.0, "legend.handletextpad": 0.5, "legend.columnspacing": 1.2, "legend.labelspacing": 0.3,
    "lines.linewidth": 1.0, "lines.markersize": 3, "axes.linewidth": 0.6, "grid.linewidth": 0.4,
    "xtick.major.pad": 2, "ytick.major.pad": 2, "axes.labelpad": 2, "axes.titlepad": 3,
    "figure.constrained_layout.use": True, "figure.dpi": 100, "savefig.dpi": 200,
    "mathtext.fontset": "dejavusans",
}  # fmt: skip


def method_label(name: str, env: str | None = None, tex: bool = False) -> str:
    """Display name of a method key (``env`` "real": the chat model, where ``base`` is the Reference); ``tex``: its
    symbols as LaTeX math (r̂ → $\\hat r$, μ → $\\mu$), which matplotlib's mathtext draws too."""
    label = ENVIRONMENT_LABELS.get(env, {}).get(name, METHOD_LABELS.get(name, name))
    return tex_symbols(label) if tex else label


def tex_symbols(text: str) -> str:
    """A plain label's symbols as LaTeX math (r̂ → $\\hat r$, μ → $\\mu$, β → $\\beta$)."""
    for plain, math in TEX_SYMBOLS.items():
        text = text.replace(plain, math)
    return text


def method_colour(name: str) -> str:
    """The method's colour (hex), the same in every figure; an unlisted key gets one from a hash of its name."""
    if name in METHOD_COLOURS:
        return METHOD_COLOURS[name]
    return _FALLBACK[zlib.crc32(name.encode()) % len(_FALLBACK)]


def is_replication(name: str) -> bool:
    """A registered replication run (drawn dashed, in its family's colour)."""
    return name.endswith("_replication")


def method_order(methods) -> list[str]:
    """The methods in legend order: the listed ones family by family, then any others sorted."""
    methods = set(methods)
    return [m for m in METHOD_LABELS if m in methods] + sorted(methods - set(METHOD_LABELS))


def palette(methods, env: str | None = None) -> dict[str, str]:
    """Figure label (``method_label(..., tex=True)``) → colour, in legend order: for seaborn's ``palette=`` on a
    column of labels (``labelled``)."""
    return {method_label(m, env, tex=True): method_colour(m) for m in method_order(methods)}


def labelled(frame, env: str | None = None, column: str = "method"):
    """The frame with ``column`` replaced by the figure labels (tex form) of its method keys."""
    return frame.assign(**{column: frame[column].map(lambda m: method_label(m, env, tex=True))})


def figure_size(fraction: float = 1.0, height: float = 2.4) -> tuple[float, float]:
    """(width, height) in inches of a figure printed at ``fraction`` of the text width, so its fonts print at size."""
    return (TEXT_WIDTH * fraction, height)


@contextmanager
def print_style():
    """seaborn's whitegrid look with fonts of 7–8 pt at the figure's own size, constrained layout, vector PDF."""
    rc = {**sns.axes_style("whitegrid"), **sns.plotting_context("paper"), **PRINT_RC}
    with plt.rc_context(rc):
        yield


def print_figure(draw):
    """Decorator: draw the figure under ``print_style``."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with print_style():
            return draw(*args, **kwargs)

    return wrapper


def method_handles(methods, env: str | None = None, **line) -> list:
    """Legend handles of the methods in legend order (replications dashed), with extra Line2D keywords ``line``."""
    return [plt.Line2D([], [], color=method_colour(m), linestyle="--" if is_replication(m) else "-",
                       label=method_label(m, env, tex=True), **line) for m in method_order(methods)]


def method_legend(fig, methods, env: str | None = None, extra=(), loc: str = "outside lower center", **kwargs):
    """One legend of the methods (display labels, style colours) and any ``extra`` handles, outside the axes."""
    return fig.legend(handles=method_handles(methods, env) + list(extra), loc=loc, **kwargs)


def seed_band(frame):
    """The 95% bootstrap band over seeds where ``frame`` has several seeds, else none."""
    return ("ci", 95) if frame.seed.nunique() > 1 else None


def method_lineplot(data, x: str, y: str, ax, env: str | None = None, errorbar=("ci", 95), **kwargs):
    """seaborn lineplot of ``data`` by its ``method`` column in the style colours and labels (replications dashed),
    its bootstrap seeded with ``BOOTSTRAP_SEED``; no legend (``method_legend`` draws one for the figure)."""
    methods = method_order(data.method.unique())
    labels = [method_label(m, env, tex=True) for m in methods]
    dashes = {label: (4, 1.5) if is_replication(m) else "" for m, label in zip(methods, labels)}
    sns.lineplot(labelled(data, env), x=x, y=y, hue="method", hue_order=labels, palette=palette(methods, env),
                 style="method", style_order=labels, dashes=dashes, errorbar=errorbar, seed=BOOTSTRAP_SEED,
                 legend=False, ax=ax, **kwargs)
