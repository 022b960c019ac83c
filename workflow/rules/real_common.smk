"""Helpers of the real-model track's rules (workflow/rules/real.smk): config shortcuts and input functions."""

REAL = config["real"]
REAL_MODEL = REAL["paper_model"]
REAL_METHODS = list(REAL["methods"])
REAL_SEEDS = REAL["seeds"]
REAL_MEM_MB = REAL["resources"]["mem_mb"]
REAL_GPU = REAL["resources"]["gpu"]
# The chat environment's settings (harmhorizon.envs.chat): every key a model run reads, and no verdict
# threshold, so that editing one never retrains or re-evaluates a model.
REAL_ENVIRONMENT = {
    **{
        k: REAL[k]
        for k in ("judge", "sampling", "training", "refusal_text", "recovery_phrase")
    },
    "evaluation": {k: v for k, v in REAL["evaluation"].items() if k != "verdicts"},
}


wildcard_constraints:
    model=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    method=r"[A-Za-z][A-Za-z0-9_]*",
    seed=r"\d+",


def real_source(wildcards):
    if wildcards.model not in REAL["models"]:
        raise ValueError(
            f"real.models has no entry {wildcards.model!r}; add `real.models.{wildcards.model}.source` to the config"
        )
    return REAL["models"][wildcards.model]["source"]


def real_runs(name):
    """Input function: one file of every run of the model, the base's included."""

    def inputs(wildcards):
        return expand(
            "results/real/{model}/runs/{method}/seed{seed}/{name}",
            model=wildcards.model,
            method=["base"] + REAL_METHODS,
            seed=REAL_SEEDS,
            name=name,
        )

    return inputs


def real_aligned_runs(name):
    """Input function: one file of every aligned run of the model (training writes it; the base has none)."""

    def inputs(wildcards):
        return expand(
            "results/real/{model}/runs/{method}/seed{seed}/{name}",
            model=wildcards.model,
            method=REAL_METHODS,
            seed=REAL_SEEDS,
            name=name,
        )

    return inputs


def real_aligned_input(wildcards):
    if wildcards.method == "base":
        return []
    return f"work/real/{wildcards.model}/aligned/{wildcards.method}/seed{wildcards.seed}/final"
