"""E5b, Young's Appendix A on the synthetic track (docs/experiments.md E5b): standard alignment against the
sharp-horizon harm (payloads count at positions <= K) at each λ of <env>.shared_parameters, measured at the
adversarial prefixes Q; the verdict is judged at the smallest λ (config/predictions.yaml, appendix_a).
"""


rule shared_parameters_run:
    """One λ and seed: RLHF (beta = 1/λ) against the sharp harm; its D_t and Δℓ_t at the Q-prefixes."""
    input:
        unpack(env_inputs),
    output:
        "results/{env}/{model}/shared/lambda{lam}/seed{seed}.csv",
    log:
        "logs/{env}/{model}/shared/lambda{lam}_seed{seed}.log",
    benchmark:
        "results/benchmarks/shared_parameters_run_{env}_{model}_lambda{lam}_seed{seed}.tsv"
    wildcard_constraints:
        lam=r"[0-9][0-9.e+-]*",
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
        settings=lambda wildcards: config[wildcards.env]["shared_parameters"],
        m=config["exact"]["automaton"]["m"],
        workdir=lambda wildcards: f"work/{wildcards.env}/{wildcards.model}/shared/lambda{wildcards.lam}/seed{wildcards.seed}",
    script:
        "../scripts/shared_parameters_run.py"


rule shared_parameters:
    """Every profile in one table with its interval over seeds, and the Appendix A verdicts (the automaton
    environment; a chat model's pair comes from rule real_shared_parameters)."""
    input:
        runs=shared_runs,
        predictions=str(REPO / "config/predictions.yaml"),
    output:
        table="results/{env}/{model}/shared_parameters.csv",
        verdicts="results/{env}/{model}/appendix_a_verdicts.csv",
    log:
        "logs/{env}/{model}/shared_parameters.log",
    benchmark:
        "results/benchmarks/shared_parameters_{env}_{model}.tsv"
    wildcard_constraints:
        env="synthetic",
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        objective=lambda wildcards: config[wildcards.env]["shared_parameters"][
            "method"
        ]["objective"],
    script:
        "../scripts/shared_parameters.py"
