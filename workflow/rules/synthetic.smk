"""The synthetic track's own rules: the automaton environment's reference model and base samples, its oracle
checks, and its figures, tables and numbers. Alignment and evaluation are the shared rules of runs.smk.
"""

if "synthetic" in config:

    SYN_WORK = "work/synthetic/{model}"
    SYN_RESULTS = f"results/synthetic/{SYN_MODEL}"

    rule synthetic_base:
        """Sample the pretraining corpus from the automaton and pretrain the GPT-2 base with SFTTrainer."""
        output:
            directory(f"{SYN_WORK}/base/final"),
        log:
            "logs/synthetic/{model}/base.log",
        benchmark:
            "results/benchmarks/synthetic_base_{model}.tsv"
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
        """A fixed pool of judged reference samples on harmful and benign prompts, drawn from the automaton
        (seed-only: no model's float rounding decides a training example)."""
        output:
            harmful=f"{SYN_WORK}/pool_harmful.csv",
            benign=f"{SYN_WORK}/pool_benign.csv",
        log:
            "logs/synthetic/{model}/pool.log",
        benchmark:
            "results/benchmarks/synthetic_pool_{model}.tsv"
        conda:
            "../../envs/harmhorizon.yaml"
        resources:
            mem_mb=2000,
        params:
            automaton=config["exact"]["automaton"],
            environment={k: SYN[k] for k in ("vocabulary", "pool", "c_benign")},
            seed=config["seed"],
        script:
            "../scripts/synthetic_pool.py"

    rule synthetic_oracle:
        """The base against the exact automaton: per-state TV and P(h=1); the exact base prefill curve."""
        input:
            reference=f"{SYN_WORK}/base/final",
            harmful=f"{SYN_WORK}/pool_harmful.csv",
        output:
            fidelity="results/synthetic/{model}/fidelity.json",
            exact_prefill="results/synthetic/{model}/exact_prefill.csv",
        log:
            "logs/synthetic/{model}/oracle.log",
        benchmark:
            "results/benchmarks/synthetic_oracle_{model}.tsv"
        conda:
            "../../envs/harmhorizon.yaml"
        threads: TORCH_THREADS
        resources:
            mem_mb=2000,
        params:
            torch_threads=TORCH_THREADS,
            automaton=config["exact"]["automaton"],
            environment={
                "vocabulary": SYN["vocabulary"],
                "evaluation": {
                    k: SYN_EVALUATION[k] for k in ("fidelity_min_count", "prefill_ks")
                },
            },
        script:
            "../scripts/synthetic_oracle.py"

    rule synthetic_figures:
        """Every synthetic-track figure (seaborn): fidelity, KL and gradient by position, prefill, horizon sweep, the
        gradient test and the harm–KL frontiers."""
        input:
            kl=f"{SYN_RESULTS}/kl_profile.csv",
            prefill=f"{SYN_RESULTS}/prefill.csv",
            grad=f"{SYN_RESULTS}/grad_profile.csv",
            runs=f"{SYN_RESULTS}/runs.csv",
            exact_prefill=f"{SYN_RESULTS}/exact_prefill.csv",
            mc=f"{SYN_RESULTS}/harm_information.csv",
            fidelity=f"{SYN_RESULTS}/fidelity.json",
            gradient_test=f"{SYN_RESULTS}/gradient_test.csv",
            frontier=f"{SYN_RESULTS}/frontier.csv",
            optimum=f"{SYN_RESULTS}/frontier_optimum.csv",
            matched=f"{SYN_RESULTS}/matched.csv",
            shared=f"{SYN_RESULTS}/shared_parameters.csv",
        output:
            pdf=expand(
                "results/figures/synthetic/{name}.pdf", name=PAPER_FIGURES["synthetic"]
            ),
            png=report(
                expand(
                    "results/figures/synthetic/{name}.png",
                    name=PAPER_FIGURES["synthetic"],
                ),
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
            K=SYN["shared_parameters"]["K"],
        script:
            "../scripts/synthetic_figures.py"

    rule synthetic_numbers:
        """The synthetic track's macros, summary table and verdict table (formatting only)."""
        input:
            summary=f"{SYN_RESULTS}/summary.csv",
            runs=f"{SYN_RESULTS}/runs.csv",
            verdicts=f"{SYN_RESULTS}/verdicts.csv",
            mc=f"{SYN_RESULTS}/harm_information.csv",
            fidelity=f"{SYN_RESULTS}/fidelity.json",
            frontier=f"{SYN_RESULTS}/frontier.csv",
            matched=f"{SYN_RESULTS}/matched.csv",
            deep_optimum=f"{SYN_RESULTS}/deep_optimum.csv",
            logit_gradient=f"{SYN_RESULTS}/logit_gradient.csv",
            shared=f"{SYN_RESULTS}/shared_parameters.csv",
            appendix_a=f"{SYN_RESULTS}/appendix_a_verdicts.csv",
            predictions=str(REPO / "config/predictions.yaml"),
        output:
            numbers="results/synthetic/numbers.json",
            methods_table=report(
                "results/tables/synthetic/methods.tex",
                caption="../report/table_synthetic_methods.rst",
                category="Synthetic track",
            ),
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
            gradient_table=report(
                "results/tables/synthetic/gradient_test.tex",
                caption="../report/table_synthetic_gradient.rst",
                category="Synthetic track",
            ),
            matched_table=report(
                "results/tables/synthetic/matched.tex",
                caption="../report/table_synthetic_matched.rst",
                category="Synthetic track",
            ),
            penalised_table=report(
                "results/tables/synthetic/penalised.tex",
                caption="../report/table_synthetic_penalised.rst",
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
                "K": SYN["shared_parameters"]["K"],
            },
        script:
            "../scripts/synthetic_numbers.py"
