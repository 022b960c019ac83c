"""The exact track's numbers (LaTeX macros) and tables, computed from its result files."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..theory.experiments import prefill_attack_curve
from .latex import booktabs_table, fmt, fmt_sci, number_word, texttt


def prefill_contrasts(prefill: pd.DataFrame, m: int, horizon_k: int) -> dict[str, float]:
    """P4(a)/P6 on the prefill table: how far the standard optimum is from the base past the horizon."""
    at_m = prefill[prefill.m == m]
    base = at_m[at_m.policy == "base"].set_index(["k", "j"])
    standard = at_m[at_m.policy == "standard"]
    decided = standard[standard.j >= m].join(base[["recovery_next", "recovery_eventual"]], on=["k", "j"], rsuffix="_base")
    out = {
        "standard_vs_base_decided_max_abs": float(
            np.abs(decided[["recovery_next", "recovery_eventual"]].to_numpy() - decided[["recovery_next_base", "recovery_eventual_base"]].to_numpy()).max()
        ),
    }
    curve = prefill_attack_curve(at_m)
    past = curve[curve.k >= horizon_k]
    base_curve = past[past.policy == "base"].set_index("k")
    std_curve = past[past.policy == "standard"].join(base_curve[["recovery_eventual"]], on="k", rsuffix="_base")
    out["standard_vs_base_past_horizon_weighted_max_abs"] = float(np.abs(std_curve.recovery_eventual - std_curve.recovery_eventual_base).max())
    return out


def exact_numbers(identities: dict, horizons: pd.DataFrame, kl: pd.DataFrame, prefill: pd.DataFrame,
                  bound: pd.DataFrame, epsilon: float, figure_beta: float, figure_mu: float) -> dict[str, str]:
    a = identities["automaton"]
    numbers = {
        "AutT": fmt(a["T"]), "Autc": fmt(a["c"]), "Autq": fmt(a["q"]), "Autr": fmt(a["r"]), "Aute": fmt(a["e"]), "Autm": fmt(a["m"]),
        "PHarmBase": f"{identities['p_harm_base']:.8f}",
        "NTabularPolicies": fmt(identities["n_tabular_policies"]),
        "NNeuralPolicies": fmt(identities["n_neural_policies"]),
        "GradCovErr": fmt_sci(identities["gradient_covariance_max_abs_error"]),
        "GradClosedErr": fmt_sci(identities["gradient_closed_form_max_abs_error"]),
        "GradHarmScoreErr": fmt_sci(identities["gradient_harm_score_max_abs_error"]),
        "GradPastHorizon": fmt_sci(identities["gradient_past_horizon_max_abs"]),
        "GradMaxAbs": fmt(identities["gradient_max_abs"]),
        "NeuralGradErr": fmt_sci(identities["neural_gradient_covariance_max_abs_error"]),
        "MCGradSamples": fmt(identities["mc_gradient_n_samples"]),
        "MCGradDirections": fmt(identities["mc_gradient_n_directions"]),
        "MCGradMaxZ": fmt(identities["mc_gradient_max_abs_z"], 2),
        "MCGradInCI": fmt(100 * identities["mc_gradient_fraction_in_ci"], 3),
        "MCVarianceRatio": fmt(identities["mc_reinforce_over_covariance_variance"], 2),
        "VarDecompErr": fmt_sci(identities["variance_decomposition_abs_error"]),
        "VarDecompRandomErr": fmt_sci(identities["variance_decomposition_random_max_abs_error"]),
        "GibbsObjErr": fmt_sci(identities["gibbs_objective_max_abs_error"]),
        "GibbsPastHorizon": fmt_sci(identities["standard_vs_base_past_horizon_max_abs"]),
        "RecoveryBoundSlack": fmt_sci(identities["recovery_bound_min_slack"]),
        "RecoveryBoundStates": fmt(identities["recovery_bound_n_states"]),
        "Epsilon": fmt(epsilon),
    }
    default_m = a["m"]
    for row in horizons.itertuples():
        numbers[f"HorizonM{number_word(row.m)}"] = fmt(int(row.t_epsilon))
        numbers[f"PHarmM{number_word(row.m)}"] = fmt(row.p_harm)
    first, last = horizons.iloc[0], horizons.iloc[-1]
    numbers["SweepFirstM"], numbers["SweepFirstHorizon"] = fmt(int(first.m)), fmt(int(first.t_epsilon))
    numbers["SweepLastM"], numbers["SweepLastHorizon"] = fmt(int(last.m)), fmt(int(last.t_epsilon))
    horizon = int(horizons.set_index("m").loc[default_m, "t_epsilon"])
    numbers["HorizonDefault"] = fmt(horizon)
    numbers["MSweep"] = ", ".join(str(m) for m in horizons.m)

    at_m = kl[(kl.m == default_m) & np.isfinite(kl.ratio)]
    deviation = (at_m.ratio - 1).abs().groupby(at_m.beta).max()
    numbers["KLRatioLargestBeta"] = fmt(deviation.index.max())
    numbers["KLRatioDevLargestBeta"] = fmt_sci(deviation.iloc[-1])
    numbers["KLRatioSmallestBeta"] = fmt(deviation.index.min())
    numbers["KLRatioDevSmallestBeta"] = fmt(deviation.iloc[0])
    numbers["KLRatioDevBetaTwenty"] = fmt(deviation.get(20.0, np.nan))

    contrasts = prefill_contrasts(prefill, default_m, horizon_k=horizon - 1)
    numbers["StdVsBaseDecided"] = fmt_sci(contrasts["standard_vs_base_decided_max_abs"]) if contrasts["standard_vs_base_decided_max_abs"] > 0 else "0"
    numbers["StdVsBasePastHorizonWeighted"] = fmt(contrasts["standard_vs_base_past_horizon_weighted_max_abs"])
    numbers["FigBeta"] = fmt(figure_beta)
    numbers["FigMu"] = fmt(figure_mu)
    curve = prefill_attack_curve(prefill[prefill.m == default_m])
    sel = curve[(curve.policy == "recovery") & np.isclose(curve.beta, figure_beta) & np.isclose(curve.mu, figure_mu)]
    deepest = int(curve.k.max())
    at_horizon = min(horizon - 1, deepest)  # t_ε can be T, past the last prefill depth T - 2
    base = curve[curve.policy == "base"].set_index("k")
    standard = curve[(curve.policy == "standard") & np.isclose(curve.beta, figure_beta)].set_index("k")
    for depth, where in ((deepest, "Deep"), (at_horizon, "Horizon")):
        for gamma, name in [(1.0, "GammaOne"), (sel.gamma[sel.gamma < 1].max(), "GammaLow")]:
            part = sel[np.isclose(sel.gamma, gamma)].set_index("k")
            numbers[f"RecEventual{where}{name}"] = fmt(part.loc[depth, "recovery_eventual"])
        numbers[f"RecEventual{where}Base"] = fmt(base.loc[depth, "recovery_eventual"])
        numbers[f"RecEventual{where}Standard"] = fmt(standard.loc[depth, "recovery_eventual"])
    numbers["GammaLow"] = fmt(sel.gamma[sel.gamma < 1].max())
    numbers["DeepestPrefill"] = fmt(deepest)
    numbers["HorizonPrefill"] = fmt(at_horizon)
    return numbers


def identities_table(identities: dict, rule: str = "table_exact_identities") -> str:
    rows = [
        ("P1", "autograd vs.\\ $\\sum_t \\mathbb{E}[\\mathrm{Cov}(H_t, s_t)]$ (tabular)", identities["gradient_covariance_max_abs_error"]),
        ("P1", "autograd vs.\\ $\\sum_t \\mathbb{E}[h\\, s_t]$ (tabular)", identities["gradient_harm_score_max_abs_error"]),
        ("P1", "autograd vs.\\ covariance sum (shared-parameter MLP)", identities["neural_gradient_covariance_max_abs_error"]),
        ("P2", "autograd vs.\\ $P(s)\\pi(a|s)(Q - V)$", identities["gradient_closed_form_max_abs_error"]),
        ("P2", "$\\max |\\partial \\mathbb{E}[h]/\\partial z|$ at decided prefixes", identities["gradient_past_horizon_max_abs"]),
        ("P3", "$|\\sum_t I_t - \\mathrm{Var}(h)|$ (base and random policies)", max(identities["variance_decomposition_abs_error"], identities["variance_decomposition_random_max_abs_error"])),
        ("P4", "$|J(\\pi^*) + \\beta \\log Z_0|$ over the $\\beta$ grid", identities["gibbs_objective_max_abs_error"]),
        ("P4(a)", "$\\max |\\pi^* - \\pi_{\\mathrm{ref}}|$ at decided prefixes", identities["standard_vs_base_past_horizon_max_abs"]),
        ("P5", "$\\min$ slack $\\pi^*(R|s) - \\sigma(\\ell_{\\mathrm{ref}} + \\mu\\gamma^t/\\beta)$", identities["recovery_bound_min_slack"]),
    ]
    frame = pd.DataFrame([(p, q, f"${fmt_sci(v)}$") for p, q, v in rows], columns=["Claim", "Quantity", "Value"])
    return booktabs_table(
        frame,
        caption=r"Exact identities on the default automaton (float64). Errors are maximum absolute deviations; "
        r"0 is exact. Drawn by rule " + texttt(rule) + ".",
        label="tab:exact-identities",
        column_format="llr",
    )


def horizons_table(horizons: pd.DataFrame, rule: str = "table_exact_horizons") -> str:
    frame = pd.DataFrame(
        {
            "$m$": horizons.m.map(lambda v: f"{v:d}"),
            "$P(h=1)$": horizons.p_harm.map(lambda v: f"{v:.4f}"),
            r"$\sum_t I_t$": horizons.total_information.map(lambda v: f"{v:.4f}"),
            r"$\mathbb{E}_I[t]$": horizons.mean_information_position.map(lambda v: f"{v:.2f}"),
            r"$t_\varepsilon$": horizons.t_epsilon.map(lambda v: f"{v:d}"),
        }
    )
    eps = horizons.epsilon.iloc[0]
    return booktabs_table(
        frame,
        caption=rf"The horizon sweep (E3) under $\pi_{{\mathrm{{ref}}}}$: harm rate, total harm information "
        rf"($=\mathrm{{Var}}(h)$ by P3), its mean position and the $\varepsilon$-horizon ($\varepsilon = {eps:g}$). "
        r"Drawn by rule " + texttt(rule) + ".",
        label="tab:exact-horizons",
        column_format="rrrrr",
    )
