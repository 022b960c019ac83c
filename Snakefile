"""harm-horizon: one DAG from config to compiled paper (see README.md and workflow/rules/)."""

from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "config/schema.yaml")

REPO = Path(workflow.basedir)
# Each track's rule file appends its figures and tables to PAPER_INPUTS and its numbers.json files
# (LaTeX macro text) to PAPER_NUMBERS; workflow/rules/paper.smk, included last, builds the paper.
PAPER_INPUTS = []
PAPER_NUMBERS = []


include: "workflow/rules/common.smk"
include: "workflow/rules/exact.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/reviewer.smk"
include: "workflow/rules/synthetic.smk"
include: "workflow/rules/real.smk"
include: "workflow/rules/paper.smk"


rule all:
    default_target: True
    input:
        "paper/build/main.pdf",
        "results/reproducibility/paper_index.csv",
