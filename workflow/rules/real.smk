"""The real-model track's own rules (docs/experiments.md E6): the chat environment's reference model (any Hugging
Face causal LM by config), HarmBench prompts, judged base samples, and the track's figures, tables and numbers.
Alignment and evaluation are the shared rules of runs.smk."""


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
        mem_mb=REAL["resources"]["mem_mb"],
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


rule real_reference:
    """The reference: the imported model after an SFT stage that refuses a seeded fraction of the harmful train
    prompts and keeps its own answers elsewhere (real/reference.py)."""
    input:
        imported="work/real/models/{model}",
        prompts="results/real/{model}/prompts.csv",
    output:
        folder=directory("work/real/reference/{model}"),
        data="work/real/{model}/reference_sft.csv",
        summary="results/real/{model}/reference.json",
    log:
        "logs/real/{model}/reference.log",
    benchmark:
        "results/benchmarks/real_reference_{model}.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    threads: TORCH_THREADS
    resources:
        gpu=REAL["resources"]["gpu"],
        mem_mb=REAL["resources"]["mem_mb"],
        runtime=REAL["resources"]["runtime_train"],
    params:
        torch_threads=TORCH_THREADS,
        environment=ENV_SETTINGS["real"],
        reference=REAL["reference"],
        refusal_text=REAL["refusal_text"],
        seed=config["seed"],
        workdir=lambda wildcards: f"work/real/{wildcards.model}/reference_sft",
    script:
        "../scripts/real_reference.py"


rule real_sample_base:
    """Reference responses to every prompt (its chat template), judged by the monotone judge."""
    input:
        reference="work/real/reference/{model}",
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
        gpu=REAL["resources"]["gpu"],
        mem_mb=REAL["resources"]["mem_mb"],
        runtime=REAL["resources"]["runtime_sample"],
    params:
        torch_threads=TORCH_THREADS,
        environment=ENV_SETTINGS["real"],
        seed=config["seed"],
    script:
        "../scripts/real_sample_base.py"


rule real_prefill_source:
    """The attacker's prefills: the imported model's (before the refusal SFT) judged responses to the eval harmful
    prompts, as Qi et al. prefill from a set of harmful responses."""
    input:
        imported="work/real/models/{model}",
        prompts="results/real/{model}/prompts.csv",
    output:
        "work/real/{model}/prefill_source.csv",
    log:
        "logs/real/{model}/prefill_source.log",
    benchmark:
        "results/benchmarks/real_prefill_source_{model}.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    threads: TORCH_THREADS
    resources:
        gpu=REAL["resources"]["gpu"],
        mem_mb=REAL["resources"]["mem_mb"],
        runtime=REAL["resources"]["runtime_sample"],
    params:
        torch_threads=TORCH_THREADS,
        environment=ENV_SETTINGS["real"],
        seed=config["seed"] + 1,
    script:
        "../scripts/real_prefill_source.py"


rule figure_real_kl_profile:
    """KL_t of every method along held-out harmful and unconditional reference responses, beside the reference's
    Monte Carlo I_t."""
    input:
        kl=f"results/real/{REAL_MODEL}/kl_profile.csv",
        information=f"results/real/{REAL_MODEL}/harm_information.csv",
        kl_unconditional=f"results/real/{REAL_MODEL}/kl_unconditional.csv",
        runs=f"results/real/{REAL_MODEL}/runs.csv",
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


rule figure_real_recovery_profile:
    """Δℓ_t: the recovery phrase's log-odds after held-out harmful prefixes, aligned minus reference, per method."""
    input:
        profile=f"results/real/{REAL_MODEL}/recovery_profile.csv",
        runs=f"results/real/{REAL_MODEL}/runs.csv",
    output:
        pdf="results/figures/real/real_recovery_profile.pdf",
        png=report(
            "results/figures/real/real_recovery_profile.png",
            caption="../report/real_recovery_profile.rst",
            category="Real-model track",
        ),
    log:
        "logs/figures/real_recovery_profile.log",
    benchmark:
        "results/benchmarks/figure_real_recovery_profile.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    script:
        "../scripts/figure_real_recovery_profile.py"


rule figure_real_prefill:
    """Prefill attack: harm and recovery rate against the number of prefilled tokens k."""
    input:
        prefill=f"results/real/{REAL_MODEL}/prefill.csv",
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


rule table_real_methods:
    """The chat model's methods table, from the config alone (report/methods.py)."""
    output:
        report(
            "results/tables/real/methods.tex",
            caption="../report/table_real_methods.rst",
            category="Real-model track",
        ),
    log:
        "logs/tables/real_methods.log",
    benchmark:
        "results/benchmarks/table_real_methods.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        methods=REAL["methods"],
        seeds=REAL["seeds"],
    script:
        "../scripts/table_real_methods.py"


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


rule real_shared_parameters:
    """Appendix A's pair on the chat model: per standard method and seed, KL_t and Δℓ_t along held-out harmful
    reference responses, with t_ε (evaluate/shared_parameters.py)."""
    input:
        kl="results/real/{model}/kl_profile.csv",
        profile="results/real/{model}/recovery_profile.csv",
        runs="results/real/{model}/runs.csv",
    output:
        "results/real/{model}/shared_parameters.csv",
    log:
        "logs/real/{model}/shared_parameters.log",
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        methods=REAL["methods"],
    script:
        "../scripts/real_shared_parameters.py"


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
        horizon=f"results/real/{REAL_MODEL}/horizon.csv",
        profile=f"results/real/{REAL_MODEL}/recovery_profile.csv",
        kl_unconditional=f"results/real/{REAL_MODEL}/kl_unconditional.csv",
        utility=f"results/real/{REAL_MODEL}/utility.csv",
        # Not read: the raw judged samples are committed beside the numbers they produced.
        raw=f"results/real/{REAL_MODEL}/raw/base_samples.csv.gz",
        raw_attacks=f"results/real/{REAL_MODEL}/raw/prefill_continuations.csv.gz",
        shared_parameters=f"results/real/{REAL_MODEL}/shared_parameters.csv",
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
        rules=PREDICTIONS["real"],
    script:
        "../scripts/real_numbers.py"


rule real_recovery_reference:
    """ℓ_ref(t): the reference's recovery log-odds after every prefix of the held-out harmful responses (once)."""
    input:
        reference="work/real/reference/{model}",
        samples="work/real/{model}/base_samples.csv",
    output:
        "work/real/{model}/recovery_logodds_reference.csv",
    log:
        "logs/real/{model}/recovery_reference.log",
    benchmark:
        "results/benchmarks/real_recovery_reference_{model}.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    threads: TORCH_THREADS
    resources:
        gpu=REAL["resources"]["gpu"],
        mem_mb=REAL["resources"]["mem_mb"],
        runtime=REAL["resources"]["runtime_eval"],
    params:
        torch_threads=TORCH_THREADS,
        environment=ENV_SETTINGS["real"],
    script:
        "../scripts/real_recovery_reference.py"


rule real_utility_reference:
    """The reference's NLL of the benign utility set's reference answers (real/utility.py), once."""
    input:
        reference="work/real/reference/{model}",
        samples="work/real/{model}/base_samples.csv",
    output:
        "work/real/{model}/utility_reference.csv",
    log:
        "logs/real/{model}/utility_reference.log",
    benchmark:
        "results/benchmarks/real_utility_reference_{model}.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    threads: TORCH_THREADS
    resources:
        gpu=REAL["resources"]["gpu"],
        mem_mb=REAL["resources"]["mem_mb"],
        runtime=REAL["resources"]["runtime_eval"],
    params:
        torch_threads=TORCH_THREADS,
        environment=ENV_SETTINGS["real"],
    script:
        "../scripts/real_utility_reference.py"


rule real_recovery_profiles:
    """Every aligned run's Δℓ_t (or unconditional KL_t, or utility) in one table."""
    input:
        lambda wildcards: [
            f"results/real/{wildcards.model}/runs/{method}/seed{seed}/{wildcards.quantity}.csv"
            for method, seed in planned_runs(REAL, include_base=False)
        ],
    output:
        "results/real/{model}/{quantity}.csv",
    log:
        "logs/real/{model}/{quantity}.log",
    wildcard_constraints:
        quantity="recovery_profile|kl_unconditional|utility",
    conda:
        "../../envs/harmhorizon.yaml"
    script:
        "../scripts/concat_csv.py"


rule real_raw_attacks:
    """Every run's prefill-attack continuations with their judge labels, committed (gzip CSV) so that a reviewer
    can re-judge the attacks with another judge without sampling again."""
    input:
        lambda wildcards: [
            f"work/real/{wildcards.model}/attacks/{method}/seed{seed}.csv"
            for method, seed in planned_runs(REAL, include_base=True)
        ],
    output:
        "results/real/{model}/raw/prefill_continuations.csv.gz",
    log:
        "logs/real/{model}/raw_attacks.log",
    conda:
        "../../envs/harmhorizon.yaml"
    script:
        "../scripts/real_raw_attacks.py"


rule real_raw_over_refusal:
    """Every model's judged responses to the benign-but-edgy questions, committed (gzip CSV): the data behind the
    over-refusal rates, which a reviewer can re-judge without sampling again."""
    input:
        lambda wildcards: [
            f"work/real/{wildcards.model}/over_refusal/{method}/seed{seed}.csv"
            for method, seed in planned_runs(REAL, include_base=True)
        ],
    output:
        "results/real/{model}/raw/over_refusal.csv.gz",
    log:
        "logs/real/{model}/raw_over_refusal.log",
    conda:
        "../../envs/harmhorizon.yaml"
    script:
        "../scripts/real_raw_attacks.py"


rule real_raw_samples:
    """The reference's raw responses with their judge labels, committed (gzip CSV) so that a reviewer can re-judge
    them with another judge without sampling again."""
    input:
        "work/real/{model}/base_samples.csv",
    output:
        "results/real/{model}/raw/base_samples.csv.gz",
    log:
        "logs/real/{model}/raw_samples.log",
    conda:
        "../../envs/harmhorizon.yaml"
    script:
        "../scripts/real_raw_samples.py"
