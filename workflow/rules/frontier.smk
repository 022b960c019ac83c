"""Harm–KL frontiers (docs/experiments.md E5, "Frontiers"): every run's trace along training, read at matched harm.

`frontier_run` measures a run's reference and its snapshots (rule align keeps one per checkpoint);
`frontier` reads every trace at the harm levels of config/predictions.yaml against the exact Gibbs optimum.
Environments with an exact oracle only (the automaton): `frontier_input` asks for them where <env>.frontier is set.
"""


rule frontier_run:
    """One run's harm–KL trace: harm, KL past t_eps and at decided prefixes, recovery log-odds shift (per snapshot)."""
    input:
        unpack(evaluate_inputs),
    output:
        "results/{env}/{model}/runs/{method}/seed{seed}/frontier.csv",
    log:
        "logs/{env}/{model}/frontier/{method}_seed{seed}.log",
    benchmark:
        "results/benchmarks/frontier_run_{env}_{model}_{method}_seed{seed}.tsv"
    wildcard_constraints:
        method=r"(?!base/)[A-Za-z][A-Za-z0-9_]*",
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
        methods=lambda wildcards: config[wildcards.env]["methods"],
        epsilon=EPSILON,
        n_samples=lambda wildcards: config[wildcards.env]["frontier"]["n_samples"],
        save_steps=lambda wildcards: method_config(wildcards)["hp"].get(
            "save_steps", method_config(wildcards)["hp"]["max_steps"]
        ),
        max_steps=lambda wildcards: method_config(wildcards)["hp"]["max_steps"],
    script:
        "../scripts/frontier_run.py"


rule frontier:
    """Every trace of the environment's model, read at the registered harm levels against the exact optimum."""
    input:
        unpack(env_inputs),
        runs=run_files("frontier.csv", aligned_only=True),
        predictions=str(REPO / "config/predictions.yaml"),
    output:
        frontier="results/{env}/{model}/frontier.csv",
        matched_runs="results/{env}/{model}/matched_runs.csv",
        matched="results/{env}/{model}/matched.csv",
        optimum="results/{env}/{model}/frontier_optimum.csv",
        deep_optimum="results/{env}/{model}/deep_optimum.csv",
    log:
        "logs/{env}/{model}/frontier.log",
    benchmark:
        "results/benchmarks/frontier_{env}_{model}.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        environment=lambda wildcards: ENV_SETTINGS[wildcards.env],
        methods=lambda wildcards: config[wildcards.env]["methods"],
        epsilon=EPSILON,
    script:
        "../scripts/frontier.py"
