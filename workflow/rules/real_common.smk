"""Helpers of the real-model track's rules (workflow/rules/real.smk): config shortcuts and input functions."""

REAL = config["real"]
REAL_MODEL = REAL["paper_model"]
REAL_METHODS = list(REAL["methods"])
REAL_SEEDS = REAL["seeds"]
REAL_MEM_MB = REAL["resources"]["mem_mb"]
REAL_GPU = REAL["resources"]["gpu"]


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


def real_runs(kind):
    def inputs(wildcards):
        methods = ["base"] + REAL_METHODS
        return expand(
            "results/real/{model}/runs/{method}/seed{seed}/{kind}.csv",
            model=wildcards.model,
            method=methods,
            seed=REAL_SEEDS,
            kind=kind,
        )

    return inputs


def real_aligned_input(wildcards):
    if wildcards.method == "base":
        return []
    return f"work/real/{wildcards.model}/aligned/{wildcards.method}/seed{wildcards.seed}/final"
