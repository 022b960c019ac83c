"""Rule paper: stage paper/ with the generated inputs and compile it with latexmk."""

from harmhorizon.io import setup_logging
from harmhorizon.report.paper import compile_paper, stage_paper

log = setup_logging(snakemake.log[0])
stage = stage_paper(
    snakemake.params.paper_dir,
    snakemake.params.stage_dir,
    macros=snakemake.input.macros,
    generated=[*snakemake.input.figures_and_tables, snakemake.input.code_index],
)
compile_paper(stage, snakemake.output[0], log)
