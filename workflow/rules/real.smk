"""The real-model track (docs/experiments.md E6): any Hugging Face causal LM by config, HarmBench prompts, a marker judge."""


include: "real_common.smk"


rule real_import:
    """Load the configured model (GGUF, folder or hub id) and save it as a safetensors folder."""
    output:
        folder=directory("work/real/models/{model}"),
        summary="results/real/{model}/model.json",
    log:
        "logs/real/{model}/import.log",
    benchmark:
        "results/benchmarks/real_import_{model}.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    threads: TORCH_THREADS
    resources:
        mem_mb=REAL_MEM_MB,
    params:
        torch_threads=TORCH_THREADS,
        source=real_source,
        chat_template_fallback=REAL["chat_template_fallback"],
    script:
        "../scripts/real_import.py"


rule real_prompts:
    """HarmBench behaviours and the benign prompts, split into train/eval by a seeded permutation."""
    input:
        benign=str(REPO / REAL["prompts"]["benign_file"]),
    output:
        "results/real/{model}/prompts.csv",
    log:
        "logs/real/{model}/prompts.log",
    benchmark:
        "results/benchmarks/real_prompts_{model}.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        harmful_file=REAL["prompts"]["harmful_file"],
        sizes=REAL["prompts"],
        seed=REAL["prompts"]["seed"],
    script:
        "../scripts/real_prompts.py"


rule real_sample_base:
    """Base responses to every prompt (chat template of the base), judged by the marker judge."""
    input:
        model="work/real/models/{model}",
        prompts="results/real/{model}/prompts.csv",
    output:
        samples="work/real/{model}/base_samples.csv",
        counts="results/real/{model}/base_judge.csv",
    log:
        "logs/real/{model}/sample_base.log",
    benchmark:
        "results/benchmarks/real_sample_base_{model}.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    threads: TORCH_THREADS
    resources:
        gpu=REAL_GPU,
        mem_mb=REAL_MEM_MB,
        runtime=REAL["resources"]["runtime_sample"],
    params:
        torch_threads=TORCH_THREADS,
        environment=REAL_ENVIRONMENT,
        seed=config["seed"],
    script:
        "../scripts/real_sample_base.py"


rule real_information:
    """I_t of the base by Monte Carlo rollouts under the judge, on a grid of prefix positions."""
    input:
        model="work/real/models/{model}",
        samples="work/real/{model}/base_samples.csv",
    output:
        "results/real/{model}/harm_information.csv",
    log:
        "logs/real/{model}/information.log",
    benchmark:
        "results/benchmarks/real_information_{model}.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    threads: TORCH_THREADS
    resources:
        gpu=REAL_GPU,
        mem_mb=REAL_MEM_MB,
        runtime=REAL["resources"]["runtime_eval"],
    params:
        torch_threads=TORCH_THREADS,
        environment=REAL_ENVIRONMENT,
        seed=config["seed"] + 17,
    script:
        "../scripts/real_information.py"


rule real_align:
    """One alignment method × seed from the base (trl trainers of harmhorizon.align; LoRA unless full)."""
    input:
        model="work/real/models/{model}",
        samples="work/real/{model}/base_samples.csv",
    output:
        adapter=directory("work/real/{model}/aligned/{method}/seed{seed}/final"),
        grad="results/real/{model}/runs/{method}/seed{seed}/grad.csv",
        training="results/real/{model}/runs/{method}/seed{seed}/training.json",
    log:
        "logs/real/{model}/align_{method}_seed{seed}.log",
    benchmark:
        "results/benchmarks/real_align_{model}_{method}_seed{seed}.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    threads: TORCH_THREADS
    resources:
        gpu=REAL_GPU,
        mem_mb=REAL_MEM_MB,
        runtime=REAL["resources"]["runtime_train"],
    params:
        torch_threads=TORCH_THREADS,
        method=lambda wildcards: REAL["methods"][wildcards.method],
        environment=REAL_ENVIRONMENT,
        workdir=lambda wildcards: f"work/real/{wildcards.model}/aligned/{wildcards.method}/seed{wildcards.seed}",
        gradient_every=REAL["training"]["gradient_every"],
    script:
        "../scripts/real_align.py"


rule real_evaluate:
    """KL_t along held-out base harmful responses, prefill attack over k, harm and benign costs (base or aligned)."""
    input:
        model="work/real/models/{model}",
        samples="work/real/{model}/base_samples.csv",
        aligned=real_aligned_input,
    output:
        kl="results/real/{model}/runs/{method}/seed{seed}/kl.csv",
        prefill="results/real/{model}/runs/{method}/seed{seed}/prefill.csv",
        metrics="results/real/{model}/runs/{method}/seed{seed}/metrics.json",
    log:
        "logs/real/{model}/evaluate_{method}_seed{seed}.log",
    benchmark:
        "results/benchmarks/real_evaluate_{model}_{method}_seed{seed}.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    threads: TORCH_THREADS
    resources:
        gpu=REAL_GPU,
        mem_mb=REAL_MEM_MB,
        runtime=REAL["resources"]["runtime_eval"],
    params:
        torch_threads=TORCH_THREADS,
        aligned=lambda wildcards: f"work/real/{wildcards.model}/aligned/{wildcards.method}/seed{wildcards.seed}/final",
        environment=REAL_ENVIRONMENT,
    script:
        "../scripts/real_evaluate.py"


rule real_collect:
    """The track's tables over methods × seeds: per-run metrics and summary.csv with 95% t-intervals over seeds."""
    input:
        metrics=real_runs("metrics.json"),
        kl=real_runs("kl.csv"),
        prefill=real_runs("prefill.csv"),
        grad=real_aligned_runs("grad.csv"),
        training=real_aligned_runs("training.json"),
        information="results/real/{model}/harm_information.csv",
    output:
        kl="results/real/{model}/kl_profile.csv",
        prefill="results/real/{model}/prefill.csv",
        grad="results/real/{model}/grad_profile.csv",
        runs="results/real/{model}/runs.csv",
        summary="results/real/{model}/summary.csv",
    log:
        "logs/real/{model}/collect.log",
    benchmark:
        "results/benchmarks/real_collect_{model}.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        epsilon=config["exact"]["epsilon"],
        first_tokens=REAL["evaluation"]["first_tokens"],
        depth_margin=REAL["evaluation"]["verdicts"]["depth_margin"],
    script:
        "../scripts/real_collect.py"


rule real_verdicts:
    """The E6 predictions decided from 95% intervals over seeds (a data file the tables and numbers read)."""
    input:
        prefill="results/real/{model}/prefill.csv",
        summary="results/real/{model}/summary.csv",
        runs="results/real/{model}/runs.csv",
    output:
        "results/real/{model}/verdicts.csv",
    log:
        "logs/real/{model}/verdicts.log",
    benchmark:
        "results/benchmarks/real_verdicts_{model}.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        methods=REAL["methods"],
        ks=REAL["evaluation"]["prefill"]["ks"],
        shallow_fraction=REAL["evaluation"]["verdicts"]["shallow_fraction"],
        depth_margin=REAL["evaluation"]["verdicts"]["depth_margin"],
        kl_positions=REAL["evaluation"]["kl"]["positions"],
    script:
        "../scripts/real_verdicts.py"


REAL_FIGURES = ["real_kl_profile", "real_prefill", "real_grad_profile"]
PAPER_INPUTS.extend(
    expand("results/figures/real/{name}.pdf", name=REAL_FIGURES)
    + ["results/tables/real/summary.tex", "results/tables/real/verdicts.tex"]
)
PAPER_NUMBERS.append("results/real/numbers.json")


rule figure_real_kl_profile:
    """KL_t of every method along held-out base harmful responses, beside the base's Monte Carlo I_t."""
    input:
        kl=f"results/real/{REAL_MODEL}/kl_profile.csv",
        information=f"results/real/{REAL_MODEL}/harm_information.csv",
    output:
        pdf="results/figures/real/real_kl_profile.pdf",
        png=report(
            "results/figures/real/real_kl_profile.png",
            caption="../report/real_kl_profile.rst",
            category="Real-model track",
        ),
    log:
        "logs/figures/real_kl_profile.log",
    benchmark:
        "results/benchmarks/figure_real_kl_profile.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    script:
        "../scripts/figure_real_kl_profile.py"


rule figure_real_prefill:
    """Prefill attack: harm and recovery rate against the number of prefilled tokens k."""
    input:
        prefill=f"results/real/{REAL_MODEL}/prefill.csv",
        reported=str(REPO / "data/qi2025_prefilling.csv"),
    output:
        pdf="results/figures/real/real_prefill.pdf",
        png=report(
            "results/figures/real/real_prefill.png",
            caption="../report/real_prefill.rst",
            category="Real-model track",
        ),
    log:
        "logs/figures/real_prefill.log",
    benchmark:
        "results/benchmarks/figure_real_prefill.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    script:
        "../scripts/figure_real_prefill.py"


rule figure_real_grad_profile:
    """‖∂loss/∂logits_t‖ by response position during training, per method."""
    input:
        grad=f"results/real/{REAL_MODEL}/grad_profile.csv",
    output:
        pdf="results/figures/real/real_grad_profile.pdf",
        png=report(
            "results/figures/real/real_grad_profile.png",
            caption="../report/real_grad_profile.rst",
            category="Real-model track",
        ),
    log:
        "logs/figures/real_grad_profile.log",
    benchmark:
        "results/benchmarks/figure_real_grad_profile.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    script:
        "../scripts/figure_real_grad_profile.py"


rule table_real_summary:
    """The real-track summary table (mean and 95% interval over seeds)."""
    input:
        f"results/real/{REAL_MODEL}/summary.csv",
    output:
        report(
            "results/tables/real/summary.tex",
            caption="../report/table_real_summary.rst",
            category="Real-model track",
        ),
    log:
        "logs/tables/real_summary.log",
    benchmark:
        "results/benchmarks/table_real_summary.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        ks=REAL["evaluation"]["prefill"]["ks"],
    script:
        "../scripts/table_real_summary.py"


rule table_real_verdicts:
    """The E6 verdicts of rule real_verdicts as a table."""
    input:
        f"results/real/{REAL_MODEL}/verdicts.csv",
    output:
        report(
            "results/tables/real/verdicts.tex",
            caption="../report/table_real_verdicts.rst",
            category="Real-model track",
        ),
    log:
        "logs/tables/real_verdicts.log",
    benchmark:
        "results/benchmarks/table_real_verdicts.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    script:
        "../scripts/table_real_verdicts.py"


rule real_numbers:
    """Every real-track number the paper cites, as LaTeX macro text."""
    input:
        summary=f"results/real/{REAL_MODEL}/summary.csv",
        prefill=f"results/real/{REAL_MODEL}/prefill.csv",
        information=f"results/real/{REAL_MODEL}/harm_information.csv",
        counts=f"results/real/{REAL_MODEL}/base_judge.csv",
        model=f"results/real/{REAL_MODEL}/model.json",
        prompts=f"results/real/{REAL_MODEL}/prompts.csv",
        runs=f"results/real/{REAL_MODEL}/runs.csv",
        reported=str(REPO / "data/qi2025_prefilling.csv"),
        verdicts=f"results/real/{REAL_MODEL}/verdicts.csv",
    output:
        "results/real/numbers.json",
    log:
        "logs/real/numbers.log",
    benchmark:
        "results/benchmarks/real_numbers.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        config=REAL,
        epsilon=config["exact"]["epsilon"],
    script:
        "../scripts/real_numbers.py"
