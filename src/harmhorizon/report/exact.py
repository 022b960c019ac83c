"""The exact track's numbers (LaTeX macros) and tables, computed from its result files."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .latex import booktabs_table, fmt, fmt_sci, grouped_table, number_word, texttt


def prefill_contrasts(prefill: pd.DataFrame, m: int, horizon_k: int) -> dict[str, float]:
    """P4(a)/P6 on the prefill table: how far the standard optimum is from the base past the horizon."""
    from ..theory.experiments import prefill_attack_curve  # imports torch: only the rules that need it pay for it

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
        "MCGradCoverageCI": "[" + fmt(100 * identities["mc_gradient_coverage_ci_low"], 3) + ", "
                            + fmt(100 * identities["mc_gradient_coverage_ci_high"], 3) + "]",
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
    middle = deviation.index[len(deviation) // 2]  # a β between the two ends of the grid
    numbers["KLRatioMidBeta"], numbers["KLRatioDevMidBeta"] = fmt(middle), fmt(deviation.loc[middle])

    contrasts = prefill_contrasts(prefill, default_m, horizon_k=horizon - 1)
    numbers["StdVsBaseDecided"] = fmt_sci(contrasts["standard_vs_base_decided_max_abs"]) if contrasts["standard_vs_base_decided_max_abs"] > 0 else "0"
    numbers["StdVsBasePastHorizonWeighted"] = fmt(contrasts["standard_vs_base_past_horizon_weighted_max_abs"])
    numbers["FigBeta"] = fmt(figure_beta)
    numbers["FigMu"] = fmt(figure_mu)
    from ..theory.experiments import prefill_attack_curve

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


def identities_table(identities: dict) -> str:
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
        r"0 is exact.",
        label="tab:exact-identities",
        column_format="llr",
    )


def horizons_table(horizons: pd.DataFrame) -> str:
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
        rf"($=\mathrm{{Var}}(h)$ by P3), its mean position and the $\varepsilon$-horizon ($\varepsilon = {eps:g}$).",
        label="tab:exact-horizons",
        column_format="rrrrr",
    )


# What each of Young's results states, in the project's words (docs/theory.md cites each by number).
STATEMENTS = {
    "Prop 4": r"innovations $\Delta_t$ are orthogonal",
    "Prop 6": r"$I_t$ is the drop in conditional variance",
    "Cor 7": r"$\sum_t I_t = \mathrm{Var}(\mathrm{Harm})$",
    "Thm 8": r"$\nabla\mathbb{E}[\mathrm{Harm}] = \sum_t \mathbb{E}\,\mathrm{Cov}(h_t, s_t)$",
    "Thm 9": r"horizon $k$: $I_t = 0$ for all $t > k$",
    "Thm 10": r"zero gradient past $k$",
    "Lemma 12": r"$\|C_t\|^2 \le \mathrm{Var}(h_t)\,\mathrm{tr}F_t$ per prefix",
    "Thm 13": r"$\|G_t\|^2 \le \mathbb{E}[\mathrm{Var}\,\mathrm{tr}F_t] \le \bar F I_t$",
    "Thm 14": r"$D_t = \tfrac{\lambda^2}{2} G_t^\top \bar F_t^{-1} G_t + O(\lambda^3)$",
    "Cor 15": r"no harm information, no KL: $I_t = 0 \Rightarrow D_t = 0$",
    "Thm 19": r"deep $D_t = \tfrac12\|\lambda G_t + \mu\gamma^{t-1}\tilde G_t\|^2_{\bar F_t^{-1}}$, $\propto \gamma^{2(t-1)}$ past $k$",
    "Thm 20": r"past $k$: log-odds $+\mu\gamma^{t-1}$, KL of eq.~49",
    "Remark 9": r"the shift is $\mu\gamma^{t-1} q/p_\theta$",
    "Thm 22": r"recovery $\ge \varepsilon^*$, KL $\le$ eq.~51",
    "Cor 23": r"shortest successful prefill $t_{\mathrm{attack}}(\delta)$",
    "Remark 10": r"$\varepsilon^* \ge \tfrac12$ needs $\mu\gamma^{T-1} \ge L$",
    "Prop 25": r"shared parameters: $\Delta\theta = -\lambda \bar F_{\mathrm{tot}}^{-1}\sum_s G_s$, $D_t$ of eq.~58",
    "App A": r"shared parameters: $D_t > 0$ past $k$ but recovery at harmful prefixes $\approx$ base",
    "Lemma 28": r"$\|\tilde G_t\|^2 \le \mathbb{E}_Q[\mathrm{tr}F_t]\,J_t \le \bar F J_t$",
    "Prop 29": r"within $k$: $P^* \propto P_{\mathrm{base}}\,e^{-\lambda h_t + \mu\gamma^{t-1}\mathbf{1}[y_t\in R]}$",
    "§10.2": r"the shortest effective prefill sits at the cliff edge of $I_t$",
}


def holding(ledger: pd.DataFrame) -> pd.Series:
    """Whether each ledger row holds (the column reads back from CSV as bools or as their text)."""
    return ledger.holds.astype(str).str.lower().eq("true")


def paper_results_summary(ledger: pd.DataFrame) -> pd.DataFrame:
    """Per (result, quantity), in the paper's order: environments, instances judged, instances that hold, and the
    largest |measured − predicted| among them."""
    order = {name: i for i, name in enumerate(STATEMENTS)}
    rows = []
    for (result, quantity), part in ledger.groupby(["result", "quantity"], sort=False):
        judged = part[part.holds.notna()]
        holds = holding(judged)
        rows.append({"result": result, "quantity": quantity, "order": order.get(result, len(order)),
                     "environments": ", ".join(sorted(set(part.environment))), "instances": len(judged),
                     "hold": int(holds.sum()), "worst": judged.abs_err.max() if len(judged) else np.nan})
    return pd.DataFrame(rows).sort_values("order", kind="stable").drop(columns="order").reset_index(drop=True)


def paper_results_table(ledger: pd.DataFrame) -> str:
    """The ledger by result and quantity: what the result states, the quantity compared, where, how many
    instances hold and the largest error (a quantity the paper states only as an order is reported, not judged)."""
    summary = paper_results_summary(ledger)

    def worst(value):
        return "$\\infty$" if np.isinf(value) else (f"${fmt_sci(value)}$" if np.isfinite(value) else "--")

    first = ~summary.result.duplicated()
    frame = pd.DataFrame({
        "Result": [r.replace("Thm ", "Thm.~").replace("Prop ", "Prop.~").replace("Cor ", "Cor.~").replace("§", r"\S") if f else ""
                   for r, f in zip(summary.result, first)],
        "States": [STATEMENTS.get(r, "") if f else "" for r, f in zip(summary.result, first)],
        "Quantity compared": summary.quantity.map(latex_quantity),
        "Where": summary.environments.map(lambda e: "both" if e == "default, sharp" else e),
        "Holds": [f"{h} of {n}" if n else "not judged" for h, n in zip(summary.hold, summary.instances)],
        "Worst $|\\mathrm{err}|$": summary.worst.map(worst),
    })  # fmt: skip
    text = booktabs_table(
        frame,
        caption=r"Young's numbered results tested one by one on the exact automaton (float64, the prefix tree of "
        r"its class-level responses; \emph{sharp}: harm counted at positions $\le K$, so the paper's horizon is $K$; "
        r"\emph{both}: the sharp and the default automaton). "
        r"Instances that hold under the rules of \texttt{config/predictions.yaml}, registered before the results, and "
        r"the largest $|$measured $-$ predicted$|$ (for an inequality, its slack).",
        label="tab:exact-paper-results",
        column_format=r"p{1.25cm}>{\raggedright\arraybackslash}p{3.3cm}>{\raggedright\arraybackslash}p{5.1cm}lrr",
        size="footnotesize",
        long=True,  # taller than a page
    )
    return text


def latex_quantity(text: str) -> str:
    """A ledger quantity as LaTeX (``theory.ledger.QUANTITIES``)."""
    from ..theory.ledger import QUANTITIES

    return QUANTITIES[text]


def ledger_numbers(ledger: pd.DataFrame, deep: dict) -> dict[str, str]:
    """The macros of the paper's subsection on Young's results (its counts, and the worst cases of Thm 20,
    Remark 9 and Cor 23), from the ledger and the config's ``exact.deep``."""
    judged = ledger[ledger.holds.notna()]
    holds = holding(judged)
    shift = "recovery log-odds shift past k (worst Q-prefix)"
    thm20 = ledger[(ledger.result == "Thm 20") & (ledger.quantity == shift)]
    worst = thm20.loc[thm20.abs_err.idxmax()] if len(thm20) else None
    remark9 = ledger[ledger.result == "Remark 9"]
    last = remark9[remark9.quantity.str.startswith("shift at t = T")]
    cor23 = judged[judged.result == "Cor 23"]
    saturation = ledger[ledger.quantity.str.startswith("share of Q-prefixes")]
    missing = r"\text{n/a}"
    return {
        "DeepT": fmt(deep["T"]), "DeepK": fmt(deep["K"]),
        "LedgerResults": fmt(ledger.result.nunique()), "LedgerInstances": fmt(len(judged)), "LedgerHold": fmt(int(holds.sum())),
        "ThmTwentyWorstPredicted": fmt(worst.predicted, 2) if worst is not None else missing,
        "ThmTwentyWorstMeasured": fmt(worst.measured, 2) if worst is not None else missing,
        "SaturatedShareMax": fmt(100 * saturation.measured.max(), 3) + r"\%" if len(saturation) else missing,
        "RemarkNineLastErr": fmt_sci(last.abs_err.max()) if len(last) else missing,
        "RemarkNineCoupling": fmt(remark9[remark9.quantity == shift].abs_err.max(), 2) if len(remark9) else missing,
        "CorTwentyThreeHold": fmt(int(holding(cor23).sum())),
        "CorTwentyThreeN": fmt(len(cor23)),
        **leading_order_numbers(ledger),
    }  # fmt: skip


def leading_order_numbers(ledger: pd.DataFrame) -> dict[str, str]:
    """Macros of the leading-order rows (Thm 19 eq. 45, Prop 29), Lemma 28 and the cliff edge (§10.2): the worst
    judged error of each, Prop 29's stated error at every scale, the cliff-edge counts and its gap in positions."""
    missing = r"\text{n/a}"
    judged = ledger[ledger.holds.notna()]

    def worst(result, prefix):
        part = judged[(judged.result == result) & judged.quantity.str.startswith(prefix)]
        return fmt(part.abs_err.max(), 2) if len(part) else missing

    prop29 = ledger[(ledger.result == "Prop 29") & ledger.quantity.str.startswith("max_{t≤k}") & ~ledger.setting.str.contains("μ=0,")]
    by_scale = prop29.groupby(prop29.setting.str.extract(r"λ=([^,]+),")[0].astype(float), sort=True).measured.max()
    weighted = judged[(judged.result == "Prop 29") & judged.quantity.str.startswith("the same")]
    cliff = judged[judged.result == "§10.2"]
    lemma = judged[judged.result == "Lemma 28"]
    gaps = (cliff.measured - cliff.predicted) if len(cliff) else pd.Series(dtype=float)
    return {
        "EqFortyFiveWorst": worst("Thm 19", "max_t |D_t / eq. 45"),
        "EqFortySixWorst": worst("Thm 19", "max_{t>k} |D_t / eq. 46"),
        "ThmFourteenSharpWorst": worst("Thm 14", "max_t |2 D_t / (λ² I_t) − 1| (eq. 42, sharp"),
        "PropTwentyNineSmall": fmt(by_scale.iloc[0], 3) if len(by_scale) else missing,
        "PropTwentyNineMid": fmt(by_scale.iloc[len(by_scale) // 2], 3) if len(by_scale) else missing,
        "PropTwentyNineMidLambda": fmt(by_scale.index[len(by_scale) // 2]) if len(by_scale) else missing,
        "LeadingOrderSmallestLambda": fmt(by_scale.index[0]) if len(by_scale) else missing,
        "PropTwentyNineWeighted": fmt(weighted.measured.max(), 3) if len(weighted) else missing,
        "LemmaTwentyEightHold": fmt(int(holding(lemma).sum())),
        "LemmaTwentyEightN": fmt(len(lemma)),
        "CliffEdgeHold": fmt(int(holding(cliff).sum())),
        "CliffEdgeN": fmt(len(cliff)),
        # A prefill that never leaves protection ≤ ε within T tokens has an infinite gap.
        "CliffEdgeGapMin": (fmt(gaps.min()) if np.isfinite(gaps.min()) else r"\infty") if len(gaps) else missing,
        "CliffEdgeGapMax": (fmt(gaps.max()) if np.isfinite(gaps.max()) else r"\infty") if len(gaps) else missing,
    }  # fmt: skip


def ablation_table(verdicts: pd.DataFrame) -> str:
    """The ablation's registered predictions, one row per judged instance (results/exact/ablation_verdicts.csv)."""
    def value(row):
        if not np.isfinite(row["mean"]):  # a level the run never reached
            return "--"
        if row.ci_low == row.ci_high:
            return f"${fmt_sci(row['mean'])}$"
        return f"${fmt(row['mean'], 2)}\\,[{fmt(row.ci_low, 2)}, {fmt(row.ci_high, 2)}]$"

    harm = verdicts.harm_fraction.map(lambda f: "all steps" if not np.isfinite(f) else f"${f:g}\\times$ base")
    groups = [(prediction, [[r.environment, texttt(r.policy), harm[i], value(r), r.verdict] for i, r in part.iterrows()])
              for prediction, part in verdicts.groupby("prediction", sort=False)]
    return grouped_table(groups, ["automaton", "policy", "harm", "measured", "verdict"],
                         caption=r"Tabular against shared-parameter policies (E5c): plain gradient descent on "
                         r"$\lambda E[\mathrm{Harm}] + \mathrm{KL}$ from the base, with exact or sampled (REINFORCE) "
                         r"gradients, grouped by prediction (registered before the runs); a mean with an interval is a "
                         r"Welch 95\% interval of $\log$ KL over seeds.", label="tab:exact-ablation",
                         column_format="lllrl")


def ablation_numbers(verdicts: pd.DataFrame, matched: pd.DataFrame, settings: dict) -> dict[str, str]:
    """The macros of the ablation paragraph: the grid, verdict counts and the sampled tabular KL at decided
    prefixes at the smallest and largest n (mean over seeds, at the first matched harm level)."""
    sampled = matched[(matched.gradient == "sampled") & (matched.policy == "tabular")
                      & (matched.harm_fraction == settings["harm_fractions"][0])]
    by_n = sampled.groupby("n_samples").kl_decided.mean()
    shared_exact = verdicts[(verdicts.gradient == "exact") & (verdicts.policy != "tabular")]
    missing = r"\text{n/a}"

    def sci(value):
        return fmt_sci(value) if np.isfinite(value) else missing
    return {
        "AblationT": fmt(settings["T"]), "AblationK": fmt(settings["K"]), "AblationLambda": fmt(settings["lambda"]),
        "AblationSteps": fmt(settings["steps"]), "AblationSeeds": fmt(settings["sampled"]["seeds"]),
        "AblationRows": fmt(len(verdicts)), "AblationConfirmed": fmt(int((verdicts.verdict == "confirmed").sum())),
        "AblationRefuted": fmt(int((verdicts.verdict == "refuted").sum())),
        "AblationSharedMaxDecided": sci(shared_exact["mean"].max()) if len(shared_exact) else missing,
        "AblationSampledSmallN": fmt(by_n.index[0]) if len(by_n) else missing,
        "AblationSampledLargeN": fmt(by_n.index[-1]) if len(by_n) else missing,
        "AblationSampledSmall": sci(by_n.iloc[0]) if len(by_n) else missing,
        "AblationSampledLarge": sci(by_n.iloc[-1]) if len(by_n) else missing,
    }  # fmt: skip


def graded_numbers(optima: pd.DataFrame, verdicts: pd.DataFrame) -> dict[str, str]:
    """E3b's macros: both horizons, the ranges over β of the optimum's KL share past the threshold horizon and
    of the graded optimum's smallest recovery shift there, and the verdict counts."""
    threshold, graded = optima[optima.harm == "threshold"], optima[optima.harm == "graded"]

    def span(values, digits=2):
        values = values.dropna()
        return f"{fmt(values.min(), digits)}\\text{{--}}{fmt(values.max(), digits)}" if len(values) else r"\text{n/a}"
    return {
        "GradedHorizon": fmt(int(graded.t_epsilon.iloc[0])), "GradedThresholdHorizon": fmt(int(threshold.t_epsilon.iloc[0])),
        "GradedBaseHarm": fmt(graded.base_harm.iloc[0], 3),
        "GradedKLShare": span(graded.kl_share_past_threshold_horizon),
        "GradedThresholdKLShare": span(threshold.kl_share_past_threshold_horizon),
        "GradedShiftMin": span(graded.recovery_shift_min, 2), "GradedThresholdShiftMax": fmt_sci(threshold.recovery_shift_max_abs.max()) if threshold.recovery_shift_max_abs.notna().any() else r"\text{n/a}",
        "GradedStates": fmt(int(graded.n_states.iloc[0])), "GradedBetas": fmt(len(graded)),
        "GradedRows": fmt(len(verdicts)), "GradedConfirmed": fmt(int((verdicts.verdict == "confirmed").sum())),
        "GradedRefuted": fmt(int((verdicts.verdict == "refuted").sum())),
        "GradedUntestable": fmt(int((verdicts.verdict == "untestable").sum())),
    }  # fmt: skip


def mc_coverage_numbers(coverage: pd.DataFrame, synthetic_design: dict | None) -> dict[str, str]:
    """The Monte Carlo I_t coverage simulation's macros: per design the smallest and mean coverage over
    positions, the smallest plain t-interval coverage and the positions that use the binomial bound, under
    ``MCCov<N>x<n>``; the synthetic track's design again under ``MCCovSyn`` and the first other design under
    ``MCCovOther`` (the synthetic one where there is no other), so the text needs no design's size in a name."""
    from ..evaluate.harm_information import MIN_UNDECIDED

    out = {"MCCovReplications": fmt(int(coverage.replications.iloc[0])), "MCMinUndecided": fmt(MIN_UNDECIDED)}
    designs = list(coverage.groupby(["n_sequences", "n_rollouts"], sort=False))
    own = (synthetic_design["n_sequences"], synthetic_design["n_rollouts"]) if synthetic_design else None
    others = [key for key, _ in designs if key != own]
    for (n, r), part in designs:
        keys = [f"MCCov{number_word(int(n))}x{number_word(int(r))}"]
        if (n, r) == own:
            keys.append("MCCovSyn")
        if (n, r) == (others[0] if others else own):
            keys.append("MCCovOther")
        for key in keys:
            out[f"{key}Min"] = fmt(100 * part.coverage.min(), 3) + r"\%"
            out[f"{key}Mean"] = fmt(100 * part.coverage.mean(), 3) + r"\%"
            out[f"{key}Max"] = fmt(100 * part.coverage.max(), 3) + r"\%"
            out[f"{key}TMin"] = fmt(100 * part.t_coverage.min(), 3) + r"\%"
            out[f"{key}Bound"] = fmt(int((part.bound_share > 0.5).sum()))
            out[f"{key}N"], out[f"{key}Rollouts"] = fmt(int(n)), fmt(int(r))
    return out
