"""Shared set-up of the rule files (config checks the JSON schema cannot express) and what the one rule set
of workflow/rules/runs.smk needs to know of each environment (its models, runs, inputs and settings).
"""

import sys
from types import SimpleNamespace

import yaml

sys.path.insert(0, str(REPO / "src"))

from harmhorizon.config import check_config  # noqa: E402
from harmhorizon.plan import paper_model, runs as planned_runs  # noqa: E402

check_config(config)

# Intra-op threads of every torch rule: part of the numerics, so fixed by config and never by --cores
# (src/harmhorizon/numerics.py). A rule declares it as `threads` for the scheduler and passes it as a param.
TORCH_THREADS = config["torch_threads"]
# The registered decision rules (config/predictions.yaml); the real track's collapse rule is read from there.
with open(REPO / "config/predictions.yaml") as _handle:
    PREDICTIONS = yaml.safe_load(_handle)


# The environments this config defines, by their config section (src/harmhorizon/envs/).
ENVS = [name for name in ("synthetic", "real") if name in config]
# Settings a model run reads (never a verdict threshold, so that editing one retrains nothing), what the
# collect step reads, and what the verdicts read.
ENV_SETTINGS, COLLECT_SETTINGS, VERDICT_SETTINGS, PAPER_MODEL = {}, {}, {}, {}
EPSILON = config["exact"]["epsilon"]

if "synthetic" in config:
    SYN = config["synthetic"]
    SYN_EVALUATION = SYN["evaluation"]
    # The automaton environment has one model per config, named by its size.
    SYN_MODEL = paper_model(config, "synthetic")
    PAPER_MODEL["synthetic"] = SYN_MODEL
    ENV_SETTINGS["synthetic"] = {
        "automaton": config["exact"]["automaton"],
        "vocabulary": SYN["vocabulary"],
        "reward_models": SYN.get("reward_models", {}),
        "evaluation": {
            key: value
            for key, value in SYN_EVALUATION.items()
            if key not in ("depth_margin", "collapse_benign_kl")
        },
    }
    COLLECT_SETTINGS["synthetic"] = {
        "epsilon": EPSILON,
        "depth_margin": SYN_EVALUATION["depth_margin"],
        "first_tokens": SYN_EVALUATION["first_tokens"],
        "collapse_benign_kl": SYN_EVALUATION["collapse_benign_kl"],
    }
    VERDICT_SETTINGS["synthetic"] = {
        "default_m": config["exact"]["automaton"]["m"],
        "ks": SYN_EVALUATION["prefill_ks"],
    }

REAL = config["real"]
REAL_MODEL = REAL["paper_model"]
PAPER_MODEL["real"] = REAL_MODEL
ENV_SETTINGS["real"] = {
    **{
        k: REAL[k]
        for k in ("judge", "sampling", "training", "refusal_text", "recovery_phrase")
    },
    "reward_models": REAL.get("reward_models", {}),
    "evaluation": {k: v for k, v in REAL["evaluation"].items() if k != "verdicts"},
}
COLLECT_SETTINGS["real"] = {
    "epsilon": EPSILON,
    "depth_margin": REAL["evaluation"]["verdicts"]["depth_margin"],
    "first_tokens": REAL["evaluation"]["first_tokens"],
    "collapse_benign_kl": PREDICTIONS["real"]["benign_kl_max"],
    "moved_kl_min": PREDICTIONS["real"]["moved_kl_min"],
}
VERDICT_SETTINGS["real"] = {
    **REAL["evaluation"]["verdicts"],
    "ks": REAL["evaluation"]["prefill"]["ks"],
    "kl_positions": REAL["evaluation"]["kl"]["positions"],
}


def env_resources(env):
    """Scheduler resources of the model rules of an environment (real: real.resources)."""
    if env == "real":
        return REAL["resources"]
    return {
        "gpu": 0,
        "mem_mb": 3000,
        "runtime_sample": 20,
        "runtime_train": 20,
        "runtime_eval": 20,
    }


def env_inputs(wildcards):
    """The reference model and its judged base samples, as the environment's own rule file makes them."""
    if wildcards.env == "synthetic":
        work = f"work/synthetic/{wildcards.model}"
        return {
            "reference": f"{work}/base/final",
            "harmful": f"{work}/pool_harmful.csv",
            "benign": f"{work}/pool_benign.csv",
        }
    return {
        "reference": f"work/real/reference/{wildcards.model}",
        "samples": f"work/real/{wildcards.model}/base_samples.csv",
    }


def align_inputs(wildcards):
    """`env_inputs` and, for a method that aligns against a learned harm model (E7), its fitted folder."""
    inputs = env_inputs(wildcards)
    proxy = method_config(wildcards).get("reward_model")
    if proxy is not None:
        inputs["reward_model"] = (
            f"work/{wildcards.env}/{wildcards.model}/reward_models/{proxy}/final"
        )
    return inputs


def reward_model_envs():
    """The environments whose config names learned harm models (E7), in the config's order."""
    return [
        env for env in ("synthetic", "real") if config.get(env, {}).get("reward_models")
    ]


def reward_model_outputs():
    """results/<env>/<model>/reward_model.csv of every environment with learned harm models."""
    return [
        f"results/{env}/{PAPER_MODEL[env]}/reward_model.csv"
        for env in reward_model_envs()
    ]


def evaluate_inputs(wildcards):
    """`env_inputs`, the attacker's prefills of a chat model, and the aligned model unless the method is the base."""
    inputs = env_inputs(wildcards)
    if wildcards.env == "real":
        inputs["prefill_source"] = f"work/real/{wildcards.model}/prefill_source.csv"
    if wildcards.method != "base":
        inputs["aligned"] = (
            f"work/{wildcards.env}/{wildcards.model}/aligned/{wildcards.method}/seed{wildcards.seed}/final"
        )
    return inputs


def attack_inputs(wildcards):
    """`evaluate_inputs` and, on a chat model, the attacker's model that the rank-assisted prefill consults."""
    inputs = evaluate_inputs(wildcards)
    if wildcards.env == "real":
        inputs["attacker"] = f"work/real/models/{wildcards.model}"
    return inputs


def real_run_inputs(wildcards):
    """`attack_inputs` of a real-track rule (its paths carry no {env} wildcard)."""
    return attack_inputs(
        SimpleNamespace(
            env="real",
            model=wildcards.model,
            method=wildcards.method,
            seed=wildcards.seed,
        )
    )


def real_base_inputs(wildcards):
    """`real_run_inputs` of the base (rule real_evaluate_base names no method wildcard)."""
    return real_run_inputs(
        SimpleNamespace(model=wildcards.model, method="base", seed=wildcards.seed)
    )


def gradient_checkpoints(env):
    """(method, seed, checkpoint) of every model the gradient test reads: the base ("reference") at the first seed,
    and every seed of the methods in <env>.gradient_test.methods at each of <env>.gradient_test.checkpoints
    ("mid": the snapshot half way through training; "final"), none where the environment has no gradient test.
    """
    settings = config[env]
    if "gradient_test" not in settings:
        return []
    checkpoints = [("base", settings["seeds"][0], "reference")]
    for method in settings["gradient_test"]["methods"]:
        if method not in settings["methods"]:
            raise ValueError(
                f"{env}.gradient_test.methods names {method!r}, which is not in {env}.methods ({sorted(settings['methods'])})"
            )
        checkpoints += [
            (method, seed, checkpoint)
            for seed in settings["methods"][method].get("seeds", settings["seeds"])
            for checkpoint in settings["gradient_test"]["checkpoints"]
        ]
    return checkpoints


def gradient_test_files(wildcards, table="gradient_test"):
    """Every checkpoint's file of one gradient-test table (gradient_test or logit_gradient)."""
    return [
        f"results/{wildcards.env}/{wildcards.model}/runs/{method}/seed{seed}/{table}_{checkpoint}.csv"
        for method, seed, checkpoint in gradient_checkpoints(wildcards.env)
    ]


def gradient_table_input(wildcards):
    """The verdicts' gradient table, where the environment runs the gradient test."""
    if not gradient_checkpoints(wildcards.env):
        return {}
    return {"gradient": f"results/{wildcards.env}/{wildcards.model}/gradient_test.csv"}


def recovery_profile_input(wildcards):
    """The recovery profile and unconditional KL_t of a chat model's runs (the real track's E6 verdicts read them)."""
    if wildcards.env != "real":
        return {}
    return {
        "profile": f"results/real/{wildcards.model}/recovery_profile.csv",
        "kl_unconditional": f"results/real/{wildcards.model}/kl_unconditional.csv",
    }


def over_refusal_input(wildcards):
    """A chat model's judged responses to the benign-but-edgy questions (E7's over-refusal verdicts read them)."""
    if wildcards.env != "real":
        return {}
    return {"over_refusal": f"results/real/{wildcards.model}/raw/over_refusal.csv.gz"}


def frontier_input(wildcards):
    """The matched runs of the environment's frontier, where <env>.frontier is set (the verdicts read them)."""
    if "frontier" not in config[wildcards.env]:
        return {}
    return {"matched": f"results/{wildcards.env}/{wildcards.model}/matched_runs.csv"}


def method_config(wildcards):
    """A method's entry of the config, or an error naming the key and the fix."""
    methods = config[wildcards.env]["methods"]
    if wildcards.method not in methods:
        raise ValueError(
            f"{wildcards.env}.methods has no method {wildcards.method!r}; add it to the config ({sorted(methods)})"
        )
    return methods[wildcards.method]


def run_files(name, aligned_only=False):
    """Input function: one file of every run of the environment's model (the base's too, unless aligned_only)."""

    def inputs(wildcards):
        return [
            f"results/{wildcards.env}/{wildcards.model}/runs/{method}/seed{seed}/{name}"
            for method, seed in planned_runs(
                config[wildcards.env], include_base=not aligned_only
            )
        ]

    return inputs


def real_source(wildcards):
    """The configured source of a chat model, or an error naming the key to add."""
    if wildcards.model not in REAL["models"]:
        raise ValueError(
            f"real.models has no entry {wildcards.model!r}; add `real.models.{wildcards.model}.source` to the config"
        )
    return REAL["models"][wildcards.model]["source"]


def mc_coverage_designs():
    """The Monte Carlo I_t designs whose coverage exact_mc_coverage simulates: exact.mc_coverage.designs, then
    the synthetic track's own (synthetic.evaluation.mc) when the config has one and it is not listed.
    """
    designs = [dict(d) for d in config["exact"]["mc_coverage"]["designs"]]
    if "synthetic" in config:
        mc = config["synthetic"]["evaluation"]["mc"]
        own = {"n_sequences": mc["n_sequences"], "n_rollouts": mc["n_rollouts"]}
        if own not in designs:
            designs.append(own)
    return designs


# The paper's figures and tables by track, and its numbers files: collected by functions from the config,
# not by globals that rule files append to in include order.
PAPER_FIGURES = {
    "exact": [
        "harm_information",
        "kl_information",
        "kl_horizon_sweep",
        "prefill_exact",
        "recovery_bound",
        "ablation",
    ],
    "synthetic": [
        "fidelity",
        "kl_profile",
        "grad_profile",
        "prefill",
        "horizon_sweep",
        "gradient_test",
        "frontier",
        "appendix_a",
    ],
    "real": [
        "real_kl_profile",
        "real_recovery_profile",
        "real_prefill",
        "real_grad_profile",
    ],
    "caveats": ["attacks", "reward_model"],
}
PAPER_TABLES = {
    "exact": ["identities", "horizons", "paper_results", "ablation"],
    "synthetic": [
        "methods",
        "summary",
        "verdicts",
        "gradient_test",
        "matched",
        "penalised",
    ],
    "real": ["methods", "summary", "verdicts"],
    "caveats": ["verdicts", "attack_harm", "benign_cost", "reward_model"],
    # The build's timings stay in results/ (rule reproducibility), not in the paper.
    "reproducibility": [],
}
REPRODUCIBILITY_NUMBERS = "results/reproducibility/numbers.json"


def paper_tracks():
    """The tracks in the paper: exact, synthetic when the config defines it, real, and E7's caveats across the
    neural environments (`CAVEAT_ENVS`)."""
    return [
        "exact",
        *(["synthetic"] if "synthetic" in config else []),
        "real",
        "caveats",
    ]


# E7 (rule caveats_report) sets the neural environments side by side, each at its own attack depths.
CAVEAT_ENVS = [env for env in ("synthetic", "real") if env in config]
CAVEAT_KS = {
    "synthetic": config.get("synthetic", {}).get("evaluation", {}).get("prefill_ks"),
    "real": config["real"]["evaluation"]["prefill"]["ks"],
}


def paper_numbers():
    """Every numbers.json the paper's macros come from (the reproducibility appendix's last)."""
    return [f"results/{track}/numbers.json" for track in paper_tracks()] + [
        REPRODUCIBILITY_NUMBERS
    ]


def paper_inputs():
    """Every figure (PDF) and table (TeX) the paper includes."""
    files = []
    for track in paper_tracks():
        files += [
            f"results/figures/{track}/{name}.pdf" for name in PAPER_FIGURES[track]
        ]
        files += [f"results/tables/{track}/{name}.tex" for name in PAPER_TABLES[track]]
    return files + [
        f"results/tables/reproducibility/{name}.tex"
        for name in PAPER_TABLES["reproducibility"]
    ]


def shared_runs(wildcards):
    """Every (λ, seed) profile of the environment's model."""
    settings = config[wildcards.env]["shared_parameters"]
    return [
        f"results/{wildcards.env}/{wildcards.model}/shared/lambda{lam:g}/seed{seed}.csv"
        for lam in settings["lambdas"]
        for seed in config[wildcards.env]["seeds"]
    ]


def caveat_inputs(wildcards):
    """attack.csv, verdicts.csv and runs.csv of every neural environment of the paper, and where the config names
    learned harm models, reward_model.csv, reward_model_fit.csv and kl_profile.csv."""
    inputs = {}
    for env in CAVEAT_ENVS:
        folder = f"results/{env}/{PAPER_MODEL[env]}"
        inputs |= {
            f"{env}_attack": f"{folder}/attack.csv",
            f"{env}_verdicts": f"{folder}/verdicts.csv",
            f"{env}_runs": f"{folder}/runs.csv",
        }
    if "real" in CAVEAT_ENVS:
        inputs["real_utility"] = f"results/real/{PAPER_MODEL['real']}/utility.csv"
        inputs["real_over_refusal"] = (
            f"results/real/{PAPER_MODEL['real']}/raw/over_refusal.csv.gz"
        )
    for env in reward_model_envs():
        folder = f"results/{env}/{PAPER_MODEL[env]}"
        inputs |= {
            f"{env}_reward_model": f"{folder}/reward_model.csv",
            f"{env}_reward_model_fit": f"{folder}/reward_model_fit.csv",
            f"{env}_kl": f"{folder}/kl_profile.csv",
        }
    return inputs
