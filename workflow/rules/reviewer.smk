"""Reviewer experience: provenance of every results folder, the reproducibility appendix, the notebook.

Everything here is generic over results/: a track whose results/<folder>/numbers.json is among
`paper_numbers()` (common.smk) gets results/<folder>/provenance.json, a row in the wall-time table and a
place in the notebook, with no change to this file. Inputs are input functions, evaluated once every rule file is
included. `make verify` (src/harmhorizon/verify.py) and `make bench` (src/harmhorizon/bench.py) run the
DAG from outside; the target rule `result_data` below is what they and the determinism test ask for.
"""

from harmhorizon.provenance import (
    folder_files,
    folder_rules,
    paper_index,
    put_interpreter_on_path,
    result_data_files,
    result_folders,
    rule_table,
)

put_interpreter_on_path()
REVIEWER_RULES = {
    "provenance",
    "reproducibility",
    "result_data",
    "notebook",
    "notebook_html",
}
# Timings of `make bench` (committed, machine-specific): read from the repository, not the run directory.
BENCH_FILES = [
    str(REPO / "results/bench" / f"{name}.json")
    for name in ("workflow", "exact_dp", "mc_estimator", "kl_throughput")
]
# Input functions run once every rule file is included, so they see every track.
RESULT_DATA = lambda wildcards: result_data_files(
    workflow.rules,
    paper_numbers(),
    REVIEWER_RULES,
    {REPRODUCIBILITY_NUMBERS}
    | {  # an environment without a gradient test has no gradient tables
        f"results/{env}/{PAPER_MODEL[env]}/{name}.csv"
        for env in ENVS
        if not gradient_checkpoints(env)
        for name in ("gradient_test", "logit_gradient")
    }
    | {  # nor one without a frontier (<env>.frontier) its frontier tables
        f"results/{env}/{PAPER_MODEL[env]}/{name}.csv"
        for env in ENVS
        if "frontier" not in config[env]
        for name in (
            "frontier",
            "matched_runs",
            "matched",
            "frontier_optimum",
            "deep_optimum",
        )
    }
    | {  # nor one without E5b (<env>.shared_parameters) its Appendix A tables
        f"results/{env}/{PAPER_MODEL[env]}/{name}.csv"
        for env in ENVS
        if "shared_parameters" not in config[env]
        for name in ("shared_parameters", "appendix_a_verdicts")
    },
    [{"env": env, "model": PAPER_MODEL[env]} for env in ENVS],
)


rule result_data:
    """Target: every CSV/JSON result (no figures, no PDF); used by verify, bench and the determinism test."""
    input:
        RESULT_DATA,


rule provenance:
    """Git commit, config + hash, package versions, seeds, device and wall time per rule of one folder."""
    input:
        lambda wildcards: folder_files(
            wildcards.folder, paper_inputs() + paper_numbers()
        ),
    output:
        "results/{folder}/provenance.json",
    log:
        "logs/reviewer/provenance/{folder}.log",
    benchmark:
        "results/benchmarks/provenance/{folder}.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        config=config,
        benchmarks=lambda wildcards: folder_rules(
            rule_table(workflow.rules, REVIEWER_RULES), wildcards.folder
        ),
        repo=str(REPO),
    script:
        "../scripts/provenance.py"


rule reproducibility:
    """The appendix's numbers and wall-time table, from every provenance.json and the bench JSON files."""
    input:
        provenance=lambda wildcards: expand(
            "results/{folder}/provenance.json",
            folder=result_folders(paper_numbers(), {REPRODUCIBILITY_NUMBERS}),
        ),
        bench=[path for path in BENCH_FILES if Path(path).exists()],
        notebook="results/reproducibility/explore.html",
    output:
        numbers=REPRODUCIBILITY_NUMBERS,
        table=report(
            "results/tables/reproducibility/wall_time.tex",
            caption="../report/wall_time.rst",
            category="Reproducibility",
        ),
        performance=report(
            "results/tables/reproducibility/performance.tex",
            caption="../report/performance.rst",
            category="Reproducibility",
        ),
    log:
        "logs/reviewer/reproducibility.log",
    benchmark:
        "results/benchmarks/reproducibility.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        notebook_benchmark="results/benchmarks/notebook.tsv",
    script:
        "../scripts/reproducibility.py"


rule notebook:
    """The reviewer notebook: loads the results, renders the main figures, the numbers and any verdict table."""
    input:
        numbers=lambda wildcards: [
            path for path in paper_numbers() if path != REPRODUCIBILITY_NUMBERS
        ],
        figures=lambda wildcards: [
            path.replace(".pdf", ".png")
            for path in paper_inputs()
            if path.endswith(".pdf")
        ],
        data=RESULT_DATA,
    output:
        "results/reproducibility/paper_numbers.csv",
    log:
        notebook="results/reproducibility/explore.ipynb",
    benchmark:
        "results/benchmarks/notebook.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    notebook:
        "../notebooks/explore.py.ipynb"


rule notebook_html:
    """The executed reviewer notebook as HTML (nbconvert)."""
    input:
        "results/reproducibility/explore.ipynb",
    output:
        report(
            "results/reproducibility/explore.html",
            caption="../report/explore.rst",
            category="Reproducibility",
        ),
    log:
        "logs/reviewer/notebook_html.log",
    benchmark:
        "results/benchmarks/notebook_html.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    script:
        "../scripts/notebook_html.py"


rule paper_index:
    """Every figure and table of the paper with the rule and script that made it and the result files it reads."""
    output:
        "results/reproducibility/paper_index.csv",
    log:
        "logs/reviewer/paper_index.log",
    benchmark:
        "results/benchmarks/paper_index.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    params:
        index=lambda wildcards: paper_index(workflow.rules, paper_inputs(), REPO),
    script:
        "../scripts/paper_index.py"
