"""The synthetic track: a small transformer trained on the automaton, aligned by trl, measured against the exact truth."""

if "synthetic" in config:

    from harmhorizon.methods.registry import OBJECTIVES
    from harmhorizon.synthetic.plan import method_pattern, run_dirs, seeds_of

    SYN = config["synthetic"]
    SYN_EVALUATION = SYN["evaluation"]
    # Each rule receives only the keys it reads, so that a verdict threshold never retrains a model.
    VERDICT_KEYS = ("shallow_fraction", "depth_margin", "collapse_benign_kl")
    SYN_RUN_EVALUATION = {
        k: v for k, v in SYN_EVALUATION.items() if k not in VERDICT_KEYS
    }
    SYN_VOCABULARY = {"vocabulary": SYN["vocabulary"]}
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
            environment={
                k: SYN[k]
                for k in ("vocabulary", "corpus", "model", "base_hp", "c_benign")
            },
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
            environment={**SYN_VOCABULARY, "pool": SYN["pool"]},
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
            environment={
                **SYN_VOCABULARY,
                "evaluation": {
                    k: SYN_EVALUATION[k] for k in ("mc", "fidelity_min_count")
                },
            },
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
            environment={**SYN_VOCABULARY, "evaluation": SYN_RUN_EVALUATION},
            method="base",
            method_config=None,
            seeds=SYN["seeds"],
            train_dir=f"{SYN_WORK}/train/base",
        script:
            "../scripts/synthetic_align.py"

    for OBJECTIVE in OBJECTIVES:

        rule:
            """Align the base with one method of this objective for every seed (trl), then evaluate each model."""
            name:
                f"synthetic_{OBJECTIVE}"
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
                method=method_pattern(SYN, OBJECTIVE),
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
                environment={**SYN_VOCABULARY, "evaluation": SYN_RUN_EVALUATION},
                method=lambda wildcards: wildcards.method,
                method_config=lambda wildcards: SYN["methods"][wildcards.method],
                seeds=lambda wildcards: seeds_of(SYN, wildcards.method),
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
            exact_prefill="results/synthetic/exact_prefill.csv",
        log:
            "logs/synthetic/aggregate.log",
        benchmark:
            "results/benchmarks/synthetic_aggregate.tsv"
        conda:
            "../../envs/harmhorizon.yaml"
        params:
            automaton=config["exact"]["automaton"],
            environment={
                "seeds": SYN["seeds"],
                "methods": SYN["methods"],
                "evaluation": {
                    k: SYN_EVALUATION[k]
                    for k in (
                        "depth_margin",
                        "first_tokens",
                        "collapse_benign_kl",
                        "prefill_ks",
                    )
                },
            },
            epsilon=config["exact"]["epsilon"],
        script:
            "../scripts/synthetic_aggregate.py"

    rule synthetic_figures:
        """Every synthetic-track figure (seaborn): fidelity, KL and gradient by position, prefill, horizon sweep."""
        input:
            kl="results/synthetic/kl_profile.csv",
            prefill="results/synthetic/prefill.csv",
            grad="results/synthetic/grad_profile.csv",
            runs="results/synthetic/runs.csv",
            exact_prefill="results/synthetic/exact_prefill.csv",
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
            methods=SYN["methods"],
            default_m=config["exact"]["automaton"]["m"],
        script:
            "../scripts/synthetic_figures.py"

    rule synthetic_verdicts:
        """The E3–E5 predictions decided from 95% intervals over seeds (collapsed runs left out)."""
        input:
            runs="results/synthetic/runs.csv",
        output:
            "results/synthetic/verdicts.csv",
        log:
            "logs/synthetic/verdicts.log",
        benchmark:
            "results/benchmarks/synthetic_verdicts.tsv"
        conda:
            "../../envs/harmhorizon.yaml"
        params:
            methods=SYN["methods"],
            default_m=config["exact"]["automaton"]["m"],
            shallow_fraction=SYN_EVALUATION["shallow_fraction"],
            depth_margin=SYN_EVALUATION["depth_margin"],
        script:
            "../scripts/synthetic_verdicts.py"

    rule synthetic_numbers:
        """The synthetic track's macros, summary table and verdict table (formatting only)."""
        input:
            summary="results/synthetic/summary.csv",
            runs="results/synthetic/runs.csv",
            verdicts="results/synthetic/verdicts.csv",
            mc="results/synthetic/harm_information_mc.csv",
            fidelity="results/synthetic/fidelity.json",
        output:
            numbers="results/synthetic/numbers.json",
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
            settings={
                **{
                    k: SYN[k]
                    for k in ("seeds", "methods", "corpus", "model", "base_hp")
                },
                "evaluation": SYN_EVALUATION,
                "default_m": config["exact"]["automaton"]["m"],
            },
        script:
            "../scripts/synthetic_numbers.py"
