"""The figures' method labels and colours (harmhorizon.report.style)."""

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402
from conftest import REPO  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from harmhorizon.report import style  # noqa: E402

# The display names the paper uses (plain text); on the chat model the key "base" is the Reference.
EXPECTED = {
    "base": "Base", "dpo": "DPO", "dpo_lr_high": "DPO, high lr", "dpo_lr_mid": "DPO, mid lr",
    "dpo_beta_high": "DPO, high β", "rlhf": "RLHF", "rlhf_m1": "RLHF, m = 1", "rlhf_rm_whole": "RLHF on r̂ (whole)",
    "rlhf_rm_noisy": "RLHF on r̂ (noisy)", "rlhf_rm_early": "RLHF on r̂ (early)",
    "rlhf_replication": "RLHF, replication", "rlhf_rm_early_replication": "RLHF on r̂ (early), replication",
    "rlhf_rm_noisy_replication": "RLHF on r̂ (noisy), replication", "sft": "SFT", "recovery": "Recovery",
    "recovery_gamma": "Recovery, discounted", "recovery_discounted": "Recovery, discounted",
    "recovery_log": "Recovery, log", "recovery_rl": "Recovery RL", "recovery_rl_gamma": "Recovery RL, discounted",
    "recovery_rl_mu": "Recovery RL, small μ", "augment": "Augmentation", "h_deep": "Deep objective",
    "h_deep_gamma": "Deep objective, discounted", "h_deep_mu": "Deep objective, small μ",
    "circuit_breaker": "Circuit breakers",
}  # fmt: skip


def config_methods(name: str) -> dict[str, list[str]]:
    config = yaml.safe_load((REPO / "config" / name).read_text())
    return {env: ["base", *section["methods"]] for env, section in config.items()
            if isinstance(section, dict) and "methods" in section}


@pytest.mark.parametrize("name", ["config.yaml", "test.yaml"])
def test_every_configured_method_has_its_fixed_label(name):
    for env, methods in config_methods(name).items():
        for method in methods:
            assert method in EXPECTED, f"{method} ({name}, {env}) has no fixed display label"
            expected = "Reference" if (env, method) == ("real", "base") else EXPECTED[method]
            assert style.method_label(method, env) == expected


def test_tex_labels_typeset_the_symbols():
    assert style.method_label("rlhf_rm_early", tex=True) == r"RLHF on $\hat r$ (early)"
    assert style.method_label("recovery_rl_mu", tex=True) == r"Recovery RL, small $\mu$"
    assert style.method_label("dpo_beta_high", tex=True) == r"DPO, high $\beta$"
    assert style.method_label("rlhf_m1", tex=True) == "RLHF, $m = 1$"
    for method in EXPECTED:
        assert "mu" not in style.method_label(method, tex=True).replace(r"\mu", "")


def test_colours_are_distinct_within_each_environment_of_the_paper_config():
    for env, methods in config_methods("config.yaml").items():
        colours = [to_hex(style.method_colour(m)) for m in methods]
        assert len(set(colours)) == len(colours), env
    assert to_hex(style.method_colour("base")) == "#000000"


def test_an_unknown_method_falls_back_to_its_key_and_a_fixed_colour():
    assert style.method_label("my_new_method") == "my_new_method"
    assert style.method_label("my_new_method", env="real", tex=True) == "my_new_method"
    colour = style.method_colour("my_new_method")
    assert colour == style.method_colour("my_new_method") and to_hex(colour) == colour
    assert style.method_order(["my_new_method", "rlhf", "base"]) == ["base", "rlhf", "my_new_method"]
    assert list(style.palette(["my_new_method", "dpo"])) == ["DPO", "my_new_method"]


def test_lineplot_bands_are_reproducible():
    """Two draws of the same bootstrap band give the same vertices (the seed is fixed)."""
    data = pd.DataFrame({"method": ["dpo"] * 12, "seed": [0, 1, 2] * 4, "t": [1] * 3 + [2] * 3 + [3] * 3 + [4] * 3,
                         "kl": [0.1, 0.4, 0.2, 0.3, 0.9, 0.5, 0.2, 0.1, 0.7, 0.6, 0.3, 0.8]})

    @style.print_figure
    def band():
        fig, ax = matplotlib.pyplot.subplots(figsize=style.figure_size(0.6))
        style.method_lineplot(data, "t", "kl", ax)
        vertices = ax.collections[0].get_paths()[0].vertices.copy()
        matplotlib.pyplot.close(fig)
        return vertices

    assert (band() == band()).all()


def test_print_style_sets_every_font_to_at_least_seven_points():
    with style.print_style():
        keys = ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize", "ytick.labelsize",
                "legend.fontsize", "legend.title_fontsize")
        sizes = [matplotlib.rcParams[key] for key in keys]
    assert all(isinstance(size, (int, float)) and size >= 7 for size in sizes)
