"""harm-horizon: one DAG from config to compiled paper (see README.md and workflow/rules/)."""

from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "config/schema.yaml")

REPO = Path(workflow.basedir)


include: "workflow/rules/common.smk"


# {env} is the config section of an environment (synthetic, real; src/harmhorizon/envs/).
wildcard_constraints:
    env="synthetic|real",
    model=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    method=r"[A-Za-z][A-Za-z0-9_]*",
    seed=r"\d+",


include: "workflow/rules/exact.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/reviewer.smk"
include: "workflow/rules/synthetic.smk"
include: "workflow/rules/real.smk"
include: "workflow/rules/runs.smk"
include: "workflow/rules/frontier.smk"
include: "workflow/rules/shared.smk"
include: "workflow/rules/reward_model.smk"
include: "workflow/rules/caveats.smk"
include: "workflow/rules/paper.smk"


rule all:
    default_target: True
    input:
        "paper/build/main.pdf",
        "results/reproducibility/paper_index.csv",


# Small report and bookkeeping rules run where Snakemake runs, never as cluster jobs (profiles/slurm).
localrules:
    all,
    result_data,
    real_prompts,
    collect,
    attacks,
    caveats_report,
    frontier,
    verdicts,
    exact_numbers,
    figure_harm_information,
    figure_kl_information,
    figure_kl_horizon_sweep,
    figure_prefill_exact,
    figure_recovery_bound,
    figure_ablation,
    table_exact_identities,
    table_exact_paper_results,
    table_exact_ablation,
    table_exact_horizons,
    synthetic_figures,
    synthetic_numbers,
    figure_real_kl_profile,
    figure_real_prefill,
    figure_real_grad_profile,
    table_real_summary,
    table_real_verdicts,
    real_numbers,
    provenance,
    reproducibility,
    notebook_html,
    paper_index,
    paper_macros,
