"""One rule set for both neural environments: align, evaluate, collect and verdicts per {env}/{model}/{method}/seed{seed}.

{env} is the config section that defines the environment (synthetic: the automaton; real: a chat model,
src/harmhorizon/envs/). Each environment's own rule file builds its reference model and its judged base
samples (`env_inputs` finds them); from there every method of the method registry trains in `align`, every
model is measured in `evaluate` by the same evaluators, and `collect` and `verdicts` summarise the runs.
"""


rule information:
    """I_t of the reference model by Monte Carlo rollouts under the environment's h (evaluate.harm_information)."""
    input:
        unpack(env_inputs),
    output:
        information="results/{env}/{model}/harm_information.csv",
    log:
        "logs/{env}/{model}/information.log",
    benchmark:
        "results/benchmarks/information_{env}_{model}.tsv"
    # One long single-process job on the critical path: start it before the many short training jobs.
    priority: 10
    conda:
        "../../envs/harmhorizon.yaml"
    threads: TORCH_THREADS
    resources:
        gpu=lambda wildcards: env_resources(wildcards.env)["gpu"],
        mem_mb=lambda wildcards: env_resources(wildcards.env)["mem_mb"],
        runtime=lambda wildcards: env_resources(wildcards.env)["runtime_eval"],
    params:
        env_name=lambda wildcards: wildcards.env,
        torch_threads=TORCH_THREADS,
        environment=lambda wildcards: ENV_SETTINGS[wildcards.env],
        seed=config["seed"],
    script:
        "../scripts/information.py"


# A chat model has no exact I_t, so its horizon comes with a bootstrap over sequences (P(t_ε ≤ k)); the
# automaton's t_ε is exact. Same rule, one more output.
use rule information as real_information with:
    input:
        unpack(
            lambda wildcards: env_inputs(
                SimpleNamespace(env="real", model=wildcards.model)
            )
        ),
    output:
        information="results/real/{model}/harm_information.csv",
        horizon="results/real/{model}/horizon.csv",
    log:
        "logs/real/{model}/information.log",
    benchmark:
        "results/benchmarks/information_real_{model}.tsv"
    resources:
        gpu=REAL["resources"]["gpu"],
        mem_mb=REAL["resources"]["mem_mb"],
        runtime=REAL["resources"]["runtime_eval"],
    params:
        env_name="real",
        torch_threads=TORCH_THREADS,
        environment=ENV_SETTINGS["real"],
        seed=config["seed"],
        epsilon=EPSILON,
        n_bootstrap=REAL["evaluation"]["information"]["n_bootstrap"],


ruleorder: real_information > information


rule align:
    """Train one method of the registry from the reference model, for one seed (trl; resumes from checkpoints)."""
    input:
        unpack(align_inputs),
    output:
        model=directory("work/{env}/{model}/aligned/{method}/seed{seed}/final"),
        grad="results/{env}/{model}/runs/{method}/seed{seed}/grad.csv",
        training="results/{env}/{model}/runs/{method}/seed{seed}/training.json",
    log:
        "logs/{env}/{model}/align/{method}_seed{seed}.log",
    benchmark:
        "results/benchmarks/align_{env}_{model}_{method}_seed{seed}.tsv"
    wildcard_constraints:
        method=r"(?!base/)[A-Za-z][A-Za-z0-9_]*",
    conda:
        "../../envs/harmhorizon.yaml"
    threads: TORCH_THREADS
    resources:
        gpu=lambda wildcards: env_resources(wildcards.env)["gpu"],
        mem_mb=lambda wildcards: env_resources(wildcards.env)["mem_mb"],
        runtime=lambda wildcards: env_resources(wildcards.env)["runtime_train"],
    params:
        torch_threads=TORCH_THREADS,
        environment=lambda wildcards: ENV_SETTINGS[wildcards.env],
        method=lambda wildcards: method_config(wildcards),
        workdir=lambda wildcards: f"work/{wildcards.env}/{wildcards.model}/aligned/{wildcards.method}/seed{wildcards.seed}",
    script:
        "../scripts/align.py"


rule evaluate:
    """Every measurement of one model (the base or an aligned one), loaded once: KL_t along fixed base responses, harm
    and benign rates, and both prefill attacks, sampled and rank-assisted (Vega & Singh 2025).
    """
    input:
        unpack(attack_inputs),
    output:
        kl="results/{env}/{model}/runs/{method}/seed{seed}/kl.csv",
        prefill="results/{env}/{model}/runs/{method}/seed{seed}/prefill.csv",
        metrics="results/{env}/{model}/runs/{method}/seed{seed}/metrics.json",
        attack="results/{env}/{model}/runs/{method}/seed{seed}/attack.csv",
    log:
        "logs/{env}/{model}/evaluate/{method}_seed{seed}.log",
    benchmark:
        "results/benchmarks/evaluate_{env}_{model}_{method}_seed{seed}.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    threads: TORCH_THREADS
    resources:
        gpu=lambda wildcards: env_resources(wildcards.env)["gpu"],
        mem_mb=lambda wildcards: env_resources(wildcards.env)["mem_mb"],
        runtime=lambda wildcards: env_resources(wildcards.env)["runtime_eval"],
    params:
        torch_threads=TORCH_THREADS,
        environment=lambda wildcards: ENV_SETTINGS[wildcards.env],
    script:
        "../scripts/evaluate.py"


# A chat model measures more with the model loaded once (real/run_measures.py): the prefill attack's raw
# continuations and the answers to benign-but-edgy questions of every model; Δℓ_t, KL_t along unconditional reference
# responses and utility of an aligned one (the base's are the reference's by definition).
rule real_evaluate:
    """Every measurement of one aligned chat model, loaded once: rule evaluate's, and the chat model's own."""
    input:
        unpack(real_run_inputs),
        logodds_reference="work/real/{model}/recovery_logodds_reference.csv",
        utility_reference="work/real/{model}/utility_reference.csv",
    output:
        kl="results/real/{model}/runs/{method}/seed{seed}/kl.csv",
        prefill="results/real/{model}/runs/{method}/seed{seed}/prefill.csv",
        metrics="results/real/{model}/runs/{method}/seed{seed}/metrics.json",
        attack="results/real/{model}/runs/{method}/seed{seed}/attack.csv",
        attack_samples="work/real/{model}/attacks/{method}/seed{seed}.csv",
        over_refusal="work/real/{model}/over_refusal/{method}/seed{seed}.csv",
        recovery_profile="results/real/{model}/runs/{method}/seed{seed}/recovery_profile.csv",
        kl_unconditional="results/real/{model}/runs/{method}/seed{seed}/kl_unconditional.csv",
        utility="results/real/{model}/runs/{method}/seed{seed}/utility.csv",
    log:
        "logs/real/{model}/evaluate/{method}_seed{seed}.log",
    benchmark:
        "results/benchmarks/evaluate_real_{model}_{method}_seed{seed}.tsv"
    wildcard_constraints:
        method=r"(?!base/)[A-Za-z][A-Za-z0-9_]*",
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
        "../scripts/evaluate.py"


use rule real_evaluate as real_evaluate_base with:
    input:
        unpack(real_base_inputs),
    output:
        kl="results/real/{model}/runs/base/seed{seed}/kl.csv",
        prefill="results/real/{model}/runs/base/seed{seed}/prefill.csv",
        metrics="results/real/{model}/runs/base/seed{seed}/metrics.json",
        attack="results/real/{model}/runs/base/seed{seed}/attack.csv",
        attack_samples="work/real/{model}/attacks/base/seed{seed}.csv",
        over_refusal="work/real/{model}/over_refusal/base/seed{seed}.csv",
    log:
        "logs/real/{model}/evaluate/base_seed{seed}.log",
    benchmark:
        "results/benchmarks/evaluate_real_{model}_base_seed{seed}.tsv"


ruleorder: real_evaluate > real_evaluate_base > evaluate


rule attacks:
    """Both prefill attacks against every run of the environment's model (results/{env}/{model}/attack.csv)."""
    input:
        run_files("attack.csv"),
    output:
        "results/{env}/{model}/attack.csv",
    log:
        "logs/{env}/{model}/attacks.log",
    conda:
        "../../envs/harmhorizon.yaml"
    script:
        "../scripts/concat_csv.py"


rule collect:
    """The environment's tables over methods × seeds: per-run metrics and the summary with 95% intervals."""
    input:
        unpack(env_inputs),
        metrics=run_files("metrics.json"),
        kl=run_files("kl.csv"),
        prefill=run_files("prefill.csv"),
        grad=run_files("grad.csv", aligned_only=True),
        training=run_files("training.json", aligned_only=True),
        information="results/{env}/{model}/harm_information.csv",
    output:
        kl="results/{env}/{model}/kl_profile.csv",
        prefill="results/{env}/{model}/prefill.csv",
        grad="results/{env}/{model}/grad_profile.csv",
        runs="results/{env}/{model}/runs.csv",
        summary="results/{env}/{model}/summary.csv",
    log:
        "logs/{env}/{model}/collect.log",
    benchmark:
        "results/benchmarks/collect_{env}_{model}.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        environment=lambda wildcards: ENV_SETTINGS[wildcards.env],
        methods=lambda wildcards: config[wildcards.env]["methods"],
        collect=lambda wildcards: COLLECT_SETTINGS[wildcards.env],
    script:
        "../scripts/collect.py"


rule verdicts:
    """The predictions of docs/experiments.md decided by the statistic each names (a data file)."""
    input:
        unpack(gradient_table_input),
        unpack(frontier_input),
        unpack(recovery_profile_input),
        unpack(over_refusal_input),
        runs="results/{env}/{model}/runs.csv",
        prefill="results/{env}/{model}/prefill.csv",
        summary="results/{env}/{model}/summary.csv",
        attack="results/{env}/{model}/attack.csv",
        kl="results/{env}/{model}/kl_profile.csv",
        predictions=str(REPO / "config/predictions.yaml"),
    output:
        "results/{env}/{model}/verdicts.csv",
    log:
        "logs/{env}/{model}/verdicts.log",
    benchmark:
        "results/benchmarks/verdicts_{env}_{model}.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        methods=lambda wildcards: config[wildcards.env]["methods"],
        verdicts=lambda wildcards: VERDICT_SETTINGS[wildcards.env],
        reward_models=lambda wildcards: config[wildcards.env].get("reward_models", {}),
    script:
        "../scripts/verdicts.py"


rule gradient_test:
    """P1 at the neural level: the unbiased expected harm gradient per position at decided and undecided
    prefixes of one model's responses, against a sign-flip null (evaluate.gradient_test), at one checkpoint
    (reference: the base; mid: the run's snapshot half way through training; final).
    """
    input:
        unpack(evaluate_inputs),
    output:
        test="results/{env}/{model}/runs/{method}/seed{seed}/gradient_test_{checkpoint}.csv",
        logit="results/{env}/{model}/runs/{method}/seed{seed}/logit_gradient_{checkpoint}.csv",
    log:
        "logs/{env}/{model}/gradient_test/{method}_seed{seed}_{checkpoint}.log",
    benchmark:
        "results/benchmarks/gradient_test_{env}_{model}_{method}_seed{seed}_{checkpoint}.tsv"
    wildcard_constraints:
        checkpoint="reference|mid|final",
    conda:
        "../../envs/harmhorizon.yaml"
    threads: TORCH_THREADS
    resources:
        gpu=lambda wildcards: env_resources(wildcards.env)["gpu"],
        mem_mb=lambda wildcards: env_resources(wildcards.env)["mem_mb"],
        runtime=lambda wildcards: env_resources(wildcards.env)["runtime_eval"],
    params:
        torch_threads=TORCH_THREADS,
        environment=lambda wildcards: ENV_SETTINGS[wildcards.env],
        test=lambda wildcards: config[wildcards.env]["gradient_test"],
        max_steps=lambda wildcards: (
            0
            if wildcards.method == "base"
            else method_config(wildcards)["hp"]["max_steps"]
        ),
    script:
        "../scripts/gradient_test.py"


rule gradient_table:
    """Every gradient test of an environment's model in one table (the base and the tested methods' seeds), and
    the logit-space check by class-level state beside it (an environment without states writes it empty).
    """
    input:
        tests=gradient_test_files,
        logits=lambda wildcards: gradient_test_files(wildcards, "logit_gradient"),
    output:
        test="results/{env}/{model}/gradient_test.csv",
        logit="results/{env}/{model}/logit_gradient.csv",
    log:
        "logs/{env}/{model}/gradient_table.log",
    benchmark:
        "results/benchmarks/gradient_table_{env}_{model}.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    script:
        "../scripts/gradient_table.py"
