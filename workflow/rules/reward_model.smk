"""E7's learned harm models: fit r̂ on the reference's judged responses, measure its I_t, and set it beside h's.

Methods that align against one name it (`reward_model`) and `align` takes its folder (`align_inputs`); the rest of a
run (evaluate, attacks, collect, verdicts) is every other method's.
"""


rule reward_model:
    """Fit one learned harm model r̂ (view, flip rate) on the reference's judged responses (methods.reward_model)."""
    input:
        unpack(env_inputs),
    output:
        model=directory("work/{env}/{model}/reward_models/{proxy}/final"),
        fit="results/{env}/{model}/reward_models/{proxy}/fit.json",
    log:
        "logs/{env}/{model}/reward_model/{proxy}.log",
    benchmark:
        "results/benchmarks/reward_model_{env}_{model}_{proxy}.tsv"
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
        proxy=lambda wildcards: config[wildcards.env]["reward_models"][wildcards.proxy],
        fit=lambda wildcards: config[wildcards.env]["reward_model_fit"],
        workdir=lambda wildcards: f"work/{wildcards.env}/{wildcards.model}/reward_models/{wildcards.proxy}",
        seed=config["seed"],
    script:
        "../scripts/reward_model_fit.py"


rule reward_model_information:
    """I_t of the reference under r̂ by the same Monte Carlo as h's (evaluate.harm_information, methods.reward_model)."""
    input:
        unpack(env_inputs),
        reward_model="work/{env}/{model}/reward_models/{proxy}/final",
    output:
        "results/{env}/{model}/reward_models/{proxy}/information.csv",
    log:
        "logs/{env}/{model}/reward_model_information/{proxy}.log",
    benchmark:
        "results/benchmarks/reward_model_information_{env}_{model}_{proxy}.tsv"
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
        proxy=lambda wildcards: config[wildcards.env]["reward_models"][wildcards.proxy],
        n_sequences=lambda wildcards: config[wildcards.env]["reward_model_fit"][
            "n_information_sequences"
        ],
        seed=config["seed"],
    script:
        "../scripts/reward_model_information.py"


rule reward_models:
    """Every learned harm model of one environment beside h: I_t by block and the fit (results/<env>/<model>/)."""
    input:
        information=lambda wildcards: expand(
            "results/{{env}}/{{model}}/reward_models/{proxy}/information.csv",
            proxy=config[wildcards.env]["reward_models"],
        ),
        fits=lambda wildcards: expand(
            "results/{{env}}/{{model}}/reward_models/{proxy}/fit.json",
            proxy=config[wildcards.env]["reward_models"],
        ),
        harm_information="results/{env}/{model}/harm_information.csv",
    output:
        information="results/{env}/{model}/reward_model.csv",
        fit="results/{env}/{model}/reward_model_fit.csv",
    log:
        "logs/{env}/{model}/reward_models.log",
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        proxies=lambda wildcards: list(config[wildcards.env]["reward_models"]),
        epsilon=EPSILON,
    script:
        "../scripts/reward_models.py"
