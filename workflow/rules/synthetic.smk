"""The synthetic track: a small transformer trained on the automaton, aligned by trl, measured against the exact truth."""

if "synthetic" in config:

    from harmhorizon.synthetic.plan import method_pattern, run_dirs

    SYN = config["synthetic"]
    # Large artefacts (corpus, checkpoints, per-run files) per configuration, so that test and paper runs never share checkpoints.
    SYN_WORK = f"work/synthetic/{SYN['work_tag']}"
    SYN_FIGURES = ["fidelity", "kl_profile", "grad_profile", "prefill", "horizon_sweep"]
    PAPER_INPUTS.extend(
        expand("results/figures/synthetic/{name}.pdf", name=SYN_FIGURES)
        + [
            "results/tables/synthetic/summary.tex",
            "results/tables/synthetic/verdicts.tex",
        ]
    )
    PAPER_NUMBERS.append("results/synthetic/numbers.json")

    rule synthetic_base:
        """Sample the pretraining corpus from the automaton and pretrain the GPT-2 base with SFTTrainer."""
        output:
            directory(f"{SYN_WORK}/base/final"),
        log:
            "logs/synthetic/base.log",
        benchmark:
            "results/benchmarks/synthetic_base.tsv"
        conda:
            "../../envs/harmhorizon.yaml"
        threads: TORCH_THREADS
        resources:
            gpu=0,
            mem_mb=4000,
            runtime=30,
        params:
            torch_threads=TORCH_THREADS,
            automaton=config["exact"]["automaton"],
            synthetic=SYN,
            seed=config["seed"],
        script:
            "../scripts/synthetic_base.py"

    rule synthetic_pool:
        """A fixed pool of base-model samples on harmful and benign prompts (judged)."""
        input:
            base=f"{SYN_WORK}/base/final",
        output:
            harmful=f"{SYN_WORK}/pool_harmful.csv",
            benign=f"{SYN_WORK}/pool_benign.csv",
        log:
            "logs/synthetic/pool.log",
        benchmark:
            "results/benchmarks/synthetic_pool.tsv"
        conda:
            "../../envs/harmhorizon.yaml"
        threads: TORCH_THREADS
        resources:
            mem_mb=2000,
        params:
            torch_threads=TORCH_THREADS,
            automaton=config["exact"]["automaton"],
            synthetic=SYN,
            seed=config["seed"],
        script:
            "../scripts/synthetic_pool.py"

    rule synthetic_base_eval:
        """Base fidelity (per-state TV, P(h=1) sampled vs exact) and Monte Carlo I_t vs exact I_t."""
        input:
            base=f"{SYN_WORK}/base/final",
            harmful=f"{SYN_WORK}/pool_harmful.csv",
        output:
            fidelity="results/synthetic/fidelity.json",
            mc="results/synthetic/harm_information_mc.csv",
        log:
            "logs/synthetic/base_eval.log",
        benchmark:
            "results/benchmarks/synthetic_base_eval.tsv"
        conda:
            "../../envs/harmhorizon.yaml"
        threads: TORCH_THREADS
        resources:
            mem_mb=2000,
        params:
            torch_threads=TORCH_THREADS,
            automaton=config["exact"]["automaton"],
            synthetic=SYN,
            seed=config["seed"],
        script:
            "../scripts/synthetic_base_eval.py"

    rule synthetic_reference:
        """The base model evaluated like an aligned one, once per seed (KL 0; prefill and rates)."""
        input:
            base=f"{SYN_WORK}/base/final",
            harmful=f"{SYN_WORK}/pool_harmful.csv",
            benign=f"{SYN_WORK}/pool_benign.csv",
        output:
            directory(f"{SYN_WORK}/runs/base"),
        log:
            "logs/synthetic/runs/base.log",
        benchmark:
            "results/benchmarks/synthetic_reference.tsv"
        conda:
            "../../envs/harmhorizon.yaml"
        threads: TORCH_THREADS
        resources:
            mem_mb=2000,
        params:
            torch_threads=TORCH_THREADS,
            automaton=config["exact"]["automaton"],
            synthetic=SYN,
            kind="base",
            method="base",
            train_dir=f"{SYN_WORK}/train/base",
        script:
            "../scripts/synthetic_align.py"

    for KIND in ["dpo", "rlhf", "sft", "recovery", "augment"]:

        rule:
            """Align the base with one method of this kind for every seed (trl), then evaluate each model."""
            name:
                f"synthetic_{KIND}"
            input:
                base=f"{SYN_WORK}/base/final",
                harmful=f"{SYN_WORK}/pool_harmful.csv",
                benign=f"{SYN_WORK}/pool_benign.csv",
            output:
                directory(f"{SYN_WORK}/runs/{{method}}"),
            log:
                "logs/synthetic/runs/{method}.log",
            benchmark:
                "results/benchmarks/synthetic_{method}.tsv"
            wildcard_constraints:
                method=method_pattern(SYN, KIND),
            conda:
                "../../envs/harmhorizon.yaml"
            threads: TORCH_THREADS
            resources:
                gpu=0,
                mem_mb=3000,
                runtime=20,
            params:
                torch_threads=TORCH_THREADS,
                automaton=config["exact"]["automaton"],
                synthetic=SYN,
                kind=KIND,
                method=lambda wildcards: wildcards.method,
                train_dir=lambda wildcards: f"{SYN_WORK}/train/{wildcards.method}",
            script:
                "../scripts/synthetic_align.py"

    rule synthetic_aggregate:
        """Collect every run into the track's contract CSVs (kl_profile, prefill, grad_profile, summary)."""
        input:
            runs=run_dirs(SYN, SYN_WORK),
        output:
            kl="results/synthetic/kl_profile.csv",
            prefill="results/synthetic/prefill.csv",
            grad="results/synthetic/grad_profile.csv",
            runs="results/synthetic/runs.csv",
            summary="results/synthetic/summary.csv",
        log:
            "logs/synthetic/aggregate.log",
        benchmark:
            "results/benchmarks/synthetic_aggregate.tsv"
        conda:
            "../../envs/harmhorizon.yaml"
        params:
            automaton=config["exact"]["automaton"],
            synthetic=SYN,
            epsilon=config["exact"]["epsilon"],
        script:
            "../scripts/synthetic_aggregate.py"

    rule synthetic_figures:
        """Every synthetic-track figure (seaborn): fidelity, KL and gradient by position, prefill, horizon sweep."""
        input:
            kl="results/synthetic/kl_profile.csv",
            prefill="results/synthetic/prefill.csv",
            grad="results/synthetic/grad_profile.csv",
            mc="results/synthetic/harm_information_mc.csv",
            fidelity="results/synthetic/fidelity.json",
        output:
            pdf=expand("results/figures/synthetic/{name}.pdf", name=SYN_FIGURES),
            png=report(
                expand("results/figures/synthetic/{name}.png", name=SYN_FIGURES),
                caption="../report/synthetic.rst",
                category="Synthetic track",
            ),
        log:
            "logs/figures/synthetic.log",
        benchmark:
            "results/benchmarks/synthetic_figures.tsv"
        conda:
            "../../envs/harmhorizon.yaml"
        params:
            automaton=config["exact"]["automaton"],
            synthetic=SYN,
            epsilon=config["exact"]["epsilon"],
        script:
            "../scripts/synthetic_figures.py"

    rule synthetic_numbers:
        """The synthetic track's macros, summary table and computed verdict table."""
        input:
            summary="results/synthetic/summary.csv",
            runs="results/synthetic/runs.csv",
            kl="results/synthetic/kl_profile.csv",
            mc="results/synthetic/harm_information_mc.csv",
            fidelity="results/synthetic/fidelity.json",
        output:
            numbers="results/synthetic/numbers.json",
            verdicts="results/synthetic/verdicts.csv",
            summary_table=report(
                "results/tables/synthetic/summary.tex",
                caption="../report/table_synthetic_summary.rst",
                category="Synthetic track",
            ),
            verdict_table=report(
                "results/tables/synthetic/verdicts.tex",
                caption="../report/table_synthetic_verdicts.rst",
                category="Synthetic track",
            ),
        log:
            "logs/synthetic/numbers.log",
        benchmark:
            "results/benchmarks/synthetic_numbers.tsv"
        conda:
            "../../envs/harmhorizon.yaml"
        params:
            automaton=config["exact"]["automaton"],
            synthetic=SYN,
            epsilon=config["exact"]["epsilon"],
        script:
            "../scripts/synthetic_numbers.py"
