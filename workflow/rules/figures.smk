"""Figures, tables and numbers of the exact track (seaborn figures; booktabs tables; LaTeX macros)."""


rule figure_harm_information:
    """I_t and t_ε for the m sweep; gradient norm by position at π_ref."""
    input:
        information="results/exact/harm_information.csv",
        horizons="results/exact/horizons.csv",
    output:
        pdf="results/figures/exact/harm_information.pdf",
        png=report(
            "results/figures/exact/harm_information.png",
            caption="../report/harm_information.rst",
            category="Exact track",
        ),
    log:
        "logs/figures/harm_information.log",
    benchmark:
        "results/benchmarks/figure_harm_information.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    script:
        "../scripts/figure_harm_information.py"


rule figure_kl_information:
    """P4(b): 2β²KL_t/I_t → 1, and the KL profile of the standard optimum."""
    input:
        kl="results/exact/kl_profile.csv",
    output:
        pdf="results/figures/exact/kl_information.pdf",
        png=report(
            "results/figures/exact/kl_information.png",
            caption="../report/kl_information.rst",
            category="Exact track",
        ),
    log:
        "logs/figures/kl_information.log",
    benchmark:
        "results/benchmarks/figure_kl_information.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        m=config["exact"]["automaton"]["m"],
        betas_shown=[min(config["exact"]["betas"]), 1.0, max(config["exact"]["betas"])],
    script:
        "../scripts/figure_kl_information.py"


rule figure_kl_horizon_sweep:
    """E3: the KL mass of the standard optimum moves with the ε-horizon."""
    input:
        kl="results/exact/kl_profile.csv",
        horizons="results/exact/horizons.csv",
    output:
        pdf="results/figures/exact/kl_horizon_sweep.pdf",
        png=report(
            "results/figures/exact/kl_horizon_sweep.png",
            caption="../report/kl_horizon_sweep.rst",
            category="Exact track",
        ),
    log:
        "logs/figures/kl_horizon_sweep.log",
    benchmark:
        "results/benchmarks/figure_kl_horizon_sweep.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        beta=1.0,
    script:
        "../scripts/figure_kl_horizon_sweep.py"


rule figure_prefill_exact:
    """E4: recovery and harm against prefill depth for base, standard and recovery optima."""
    input:
        prefill="results/exact/prefill.csv",
        horizons="results/exact/horizons.csv",
    output:
        pdf="results/figures/exact/prefill_exact.pdf",
        png=report(
            "results/figures/exact/prefill_exact.png",
            caption="../report/prefill_exact.rst",
            category="Exact track",
        ),
    log:
        "logs/figures/prefill_exact.log",
    benchmark:
        "results/benchmarks/figure_prefill_exact.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        m=config["exact"]["automaton"]["m"],
        beta=config["exact"]["prefill"]["figure"]["beta"],
        mu=config["exact"]["prefill"]["figure"]["mu"],
    script:
        "../scripts/figure_prefill_exact.py"


rule figure_recovery_bound:
    """P5/P6: π*(R) at every harmful state against the bound σ(ℓ_ref + μγ^t/β)."""
    input:
        bound="results/exact/recovery_bound.csv",
    output:
        pdf="results/figures/exact/recovery_bound.pdf",
        png=report(
            "results/figures/exact/recovery_bound.png",
            caption="../report/recovery_bound.rst",
            category="Exact track",
        ),
    log:
        "logs/figures/recovery_bound.log",
    benchmark:
        "results/benchmarks/figure_recovery_bound.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        beta=config["exact"]["prefill"]["figure"]["beta"],
    script:
        "../scripts/figure_recovery_bound.py"


rule table_exact_identities:
    """The identities table (E1, P3–P5)."""
    input:
        "results/exact/identities.json",
    output:
        report(
            "results/tables/exact/identities.tex",
            caption="../report/table_identities.rst",
            category="Exact track",
        ),
    log:
        "logs/tables/exact_identities.log",
    benchmark:
        "results/benchmarks/table_exact_identities.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    script:
        "../scripts/table_exact_identities.py"


rule table_exact_paper_results:
    """The ledger of Young's numbered results, by result (E8, E4)."""
    input:
        "results/exact/paper_results.csv",
    output:
        report(
            "results/tables/exact/paper_results.tex",
            caption="../report/table_paper_results.rst",
            category="Exact track",
        ),
    log:
        "logs/tables/exact_paper_results.log",
    benchmark:
        "results/benchmarks/table_exact_paper_results.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    script:
        "../scripts/table_exact_paper_results.py"


rule figure_ablation:
    """E5c: tabular against shared-parameter policies, KL past the horizon and at decided prefixes."""
    input:
        curves="results/exact/ablation_curves.csv",
        matched="results/exact/ablation_matched.csv",
    output:
        pdf="results/figures/exact/ablation.pdf",
        png=report(
            "results/figures/exact/ablation.png",
            caption="../report/ablation.rst",
            category="Exact track",
        ),
    log:
        "logs/figures/ablation.log",
    benchmark:
        "results/benchmarks/figure_ablation.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    script:
        "../scripts/figure_ablation.py"


rule table_exact_ablation:
    """E5c: the ablation's registered predictions and verdicts."""
    input:
        "results/exact/ablation_verdicts.csv",
    output:
        report(
            "results/tables/exact/ablation.tex",
            caption="../report/table_ablation.rst",
            category="Exact track",
        ),
    log:
        "logs/tables/exact_ablation.log",
    benchmark:
        "results/benchmarks/table_exact_ablation.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    script:
        "../scripts/table_exact_ablation.py"


rule table_exact_horizons:
    """The horizon-sweep table (E3)."""
    input:
        "results/exact/horizons.csv",
    output:
        report(
            "results/tables/exact/horizons.tex",
            caption="../report/table_horizons.rst",
            category="Exact track",
        ),
    log:
        "logs/tables/exact_horizons.log",
    benchmark:
        "results/benchmarks/table_exact_horizons.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    script:
        "../scripts/table_exact_horizons.py"


rule exact_numbers:
    """Every exact-track number the paper cites, as LaTeX macro text."""
    input:
        identities="results/exact/identities.json",
        horizons="results/exact/horizons.csv",
        kl="results/exact/kl_profile.csv",
        prefill="results/exact/prefill.csv",
        bound="results/exact/recovery_bound.csv",
        ledger="results/exact/paper_results.csv",
        ablation_verdicts="results/exact/ablation_verdicts.csv",
        ablation_matched="results/exact/ablation_matched.csv",
        graded="results/exact/graded.csv",
        graded_verdicts="results/exact/graded_verdicts.csv",
        mc_coverage="results/exact/mc_coverage.csv",
        predictions=str(REPO / "config/predictions.yaml"),
    output:
        "results/exact/numbers.json",
    log:
        "logs/exact/numbers.log",
    benchmark:
        "results/benchmarks/exact_numbers.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        epsilon=config["exact"]["epsilon"],
        beta=config["exact"]["prefill"]["figure"]["beta"],
        mu=config["exact"]["prefill"]["figure"]["mu"],
        deep=config["exact"]["deep"],
        ablation=config["exact"]["ablation"],
        synthetic_mc=config.get("synthetic", {}).get("evaluation", {}).get("mc"),
    script:
        "../scripts/exact_numbers.py"
