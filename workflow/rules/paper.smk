"""The paper: merge every track's numbers into macros.tex, stage the sources, compile with latexmk."""

import os

PAPER_SOURCES = [
    str(REPO / "paper/main.tex"),
    str(REPO / "paper/references.bib"),
] + sorted(str(path) for path in (REPO / "paper/sections").glob("*.tex"))


rule paper_macros:
    """One \\newcommand per number cited by the paper (results/*/numbers.json)."""
    input:
        numbers=paper_numbers(),
    output:
        "paper/generated/macros.tex",
    log:
        "logs/paper/macros.log",
    benchmark:
        "results/benchmarks/paper_macros.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    script:
        "../scripts/paper_macros.py"


rule paper_code_index:
    """The appendix table from every figure and table of the paper to the rule and script that drew it."""
    input:
        index="results/reproducibility/paper_index.csv",
        sections=PAPER_SOURCES,
        tables=[path for path in paper_inputs() if path.endswith(".tex")],
    output:
        report(
            "results/tables/reproducibility/code_index.tex",
            caption="../report/code_index.rst",
            category="Reproducibility",
        ),
    log:
        "logs/paper/code_index.log",
    benchmark:
        "results/benchmarks/paper_code_index.tsv"
    conda:
        "../../envs/harmhorizon.yaml"
    script:
        "../scripts/paper_code_index.py"


rule paper:
    """latexmk on a staged copy of paper/ with the generated macros, figures and tables."""
    input:
        sources=PAPER_SOURCES,
        macros="paper/generated/macros.tex",
        figures_and_tables=paper_inputs(),
        code_index="results/tables/reproducibility/code_index.tex",
    output:
        "paper/build/main.pdf",
    log:
        "logs/paper/latexmk.log",
    benchmark:
        "results/benchmarks/paper.tsv"
    conda:
        "../../envs/paper.yaml"
    params:
        paper_dir=lambda wildcards, input: os.path.dirname(input.sources[0]),
        stage_dir="paper/build/stage",
    script:
        "../scripts/paper.py"
