"""The paper: merge every track's numbers into macros.tex, stage the sources, compile with latexmk."""

PAPER_SOURCES = [str(REPO / "paper/main.tex"), str(REPO / "paper/references.bib")] + sorted(
    str(path) for path in (REPO / "paper/sections").glob("*.tex")
)


rule paper_macros:
    """One \\newcommand per number cited by the paper (from results/*/numbers.json)."""
    input:
        PAPER_NUMBERS,
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


rule paper:
    """latexmk on a staged copy of paper/ with the generated macros, figures and tables."""
    input:
        sources=PAPER_SOURCES,
        macros="paper/generated/macros.tex",
        figures_and_tables=PAPER_INPUTS,
    output:
        "paper/build/main.pdf",
    params:
        paper_dir=str(REPO / "paper"),
        stage_dir="paper/build/stage",
    log:
        "logs/paper/latexmk.log",
    benchmark:
        "results/benchmarks/paper.tsv"
    conda:
        "../../envs/paper.yaml"
    script:
        "../scripts/paper.py"
