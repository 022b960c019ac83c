"""The exact track: the harm automaton solved by dynamic programming (docs/theory.md; docs/experiments.md E1–E4)."""


rule exact_identities:
    """E1 + exact P3–P5 checks: largest violation of every identity, in float64."""
    output:
        "results/exact/identities.json",
    log:
        "logs/exact/identities.log",
    benchmark:
        "results/benchmarks/exact_identities.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    threads: TORCH_THREADS
    params:
        torch_threads=TORCH_THREADS,
        automaton=config["exact"]["automaton"],
        betas=config["exact"]["betas"],
        checks=config["exact"]["identity_checks"],
        prefill=config["exact"]["prefill"],
        seed=config["seed"],
    script:
        "../scripts/exact_identities.py"


rule exact_harm_information:
    """I_t(π_ref), the tabular gradient norm ‖g_t‖ and the ε-horizon for every m (E3)."""
    output:
        information="results/exact/harm_information.csv",
        horizons="results/exact/horizons.csv",
    log:
        "logs/exact/harm_information.log",
    benchmark:
        "results/benchmarks/exact_harm_information.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        automaton=config["exact"]["automaton"],
        m_sweep=config["exact"]["m_sweep"],
        epsilon=config["exact"]["epsilon"],
    script:
        "../scripts/exact_harm_information.py"


rule exact_kl_profile:
    """E2/E3: KL_t of the standard Gibbs optimum against I_t / (2β²), over β and m."""
    output:
        "results/exact/kl_profile.csv",
    log:
        "logs/exact/kl_profile.log",
    benchmark:
        "results/benchmarks/exact_kl_profile.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        automaton=config["exact"]["automaton"],
        m_sweep=config["exact"]["m_sweep"],
        betas=config["exact"]["betas"],
    script:
        "../scripts/exact_kl_profile.py"


rule exact_prefill:
    """E4/P5/P6: recovery at every prefill state for base, standard and recovery optima."""
    output:
        prefill="results/exact/prefill.csv",
        bound="results/exact/recovery_bound.csv",
    log:
        "logs/exact/prefill.log",
    benchmark:
        "results/benchmarks/exact_prefill.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        automaton=config["exact"]["automaton"],
        m_sweep=config["exact"]["m_sweep"],
        prefill=config["exact"]["prefill"],
    script:
        "../scripts/exact_prefill.py"


rule exact_paper_results:
    """Young's numbered results one by one (E8, E4 as written, E9): the prefix-tree identities, the deep
    objective's exact optimum, the shortest prefill attacks, the leading-order formulas (theory/leading_order.py),
    Lemma 28, the cliff edge (theory/cliff_edge.py) and the ledger, judged by config/predictions.yaml.
    """
    input:
        identities="results/exact/identities.json",
        kl_profile="results/exact/kl_profile.csv",
        predictions=str(REPO / "config/predictions.yaml"),
    output:
        ledger="results/exact/paper_results.csv",
        deep="results/exact/deep_objective.csv",
        attacks="results/exact/attack_length.csv",
        bounds="results/exact/gradient_bound.csv",
        shared="results/exact/shared_parameters.csv",
        leading_order="results/exact/leading_order.csv",
        recovery_gradient="results/exact/recovery_gradient.csv",
        cliff_edge="results/exact/cliff_edge.csv",
        cliff_edge_positions="results/exact/cliff_edge_positions.csv",
    log:
        "logs/exact/paper_results.log",
    benchmark:
        "results/benchmarks/exact_paper_results.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        automaton=config["exact"]["automaton"],
        deep=config["exact"]["deep"],
        betas=config["exact"]["betas"],
        seed=config["seed"],
    script:
        "../scripts/exact_paper_results.py"


rule exact_ablation:
    """E5c: tabular against shared-parameter policies under exact and sampled gradient descent on the
    standard objective; KL at decided prefixes and past the horizon at matched harm, judged by
    config/predictions.yaml (theory/ablation.py)."""
    input:
        predictions=str(REPO / "config/predictions.yaml"),
    output:
        trajectories="results/exact/ablation.csv",
        curves="results/exact/ablation_curves.csv",
        matched="results/exact/ablation_matched.csv",
        verdicts="results/exact/ablation_verdicts.csv",
    log:
        "logs/exact/ablation.log",
    benchmark:
        "results/benchmarks/exact_ablation.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        automaton=config["exact"]["automaton"],
        ablation=config["exact"]["ablation"],
    script:
        "../scripts/exact_ablation.py"


rule exact_graded:
    """E3b: the same token process judged by the threshold harm and by the graded harm j/(T - 1): I_t, its
    horizon, and the exact standard optimum at every beta of exact.betas, judged by config/predictions.yaml
    (theory/experiments.py::graded_harm_tables)."""
    input:
        predictions=str(REPO / "config/predictions.yaml"),
    output:
        information="results/exact/graded_information.csv",
        optima="results/exact/graded.csv",
        verdicts="results/exact/graded_verdicts.csv",
    log:
        "logs/exact/graded.log",
    benchmark:
        "results/benchmarks/exact_graded.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        automaton=config["exact"]["automaton"],
        betas=config["exact"]["betas"],
        epsilon=config["exact"]["epsilon"],
    script:
        "../scripts/exact_graded.py"


rule exact_mc_coverage:
    """The Monte Carlo I_t estimator's 95% coverage of the exact I_t, by simulating it on the exact base policy
    (theory/mc_coverage.py::mc_information_coverage), for each design of exact.mc_coverage and the synthetic
    track's own."""
    output:
        "results/exact/mc_coverage.csv",
    log:
        "logs/exact/mc_coverage.log",
    benchmark:
        "results/benchmarks/exact_mc_coverage.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        automaton=config["exact"]["automaton"],
        designs=mc_coverage_designs(),
        replications=config["exact"]["mc_coverage"]["replications"],
        seed=config["seed"],
    script:
        "../scripts/exact_mc_coverage.py"
