"""E7: both prefill attacks, circuit breakers and RLHF against a learned harm model, side by side across the neural
environments (figures, tables, macros)."""


rule caveats_report:
    """Continuation harm under the sampled and the rank-assisted prefill, a learned harm model's I_t and its runs' KL,
    E7's verdicts and their macros."""
    input:
        unpack(caveat_inputs),
    output:
        numbers="results/caveats/numbers.json",
        pdf="results/figures/caveats/attacks.pdf",
        png=report(
            "results/figures/caveats/attacks.png",
            caption="../report/caveats_attacks.rst",
            category="Caveats and peer baselines",
        ),
        table=report(
            "results/tables/caveats/verdicts.tex",
            caption="../report/caveats_verdicts.rst",
            category="Caveats and peer baselines",
        ),
        attack_harm=report(
            "results/tables/caveats/attack_harm.tex",
            caption="../report/caveats_attack_harm.rst",
            category="Caveats and peer baselines",
        ),
        benign_cost=report(
            "results/tables/caveats/benign_cost.tex",
            caption="../report/caveats_benign_cost.rst",
            category="Caveats and peer baselines",
        ),
        reward_model_pdf="results/figures/caveats/reward_model.pdf",
        reward_model_png=report(
            "results/figures/caveats/reward_model.png",
            caption="../report/caveats_reward_model.rst",
            category="Caveats and peer baselines",
        ),
        reward_model_table=report(
            "results/tables/caveats/reward_model.tex",
            caption="../report/caveats_reward_model_table.rst",
            category="Caveats and peer baselines",
        ),
    log:
        "logs/caveats/report.log",
    benchmark:
        "results/benchmarks/caveats_report.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        envs=CAVEAT_ENVS,
        methods={env: config[env]["methods"] for env in CAVEAT_ENVS},
        ks={env: CAVEAT_KS[env] for env in CAVEAT_ENVS},
        top_k={
            env: ENV_SETTINGS[env]["evaluation"]["rank_attack"]["top_k"]
            for env in CAVEAT_ENVS
        },
        reward_model_envs=reward_model_envs(),
        reward_model_rules=PREDICTIONS["reward_model"],
    script:
        "../scripts/caveats_report.py"
