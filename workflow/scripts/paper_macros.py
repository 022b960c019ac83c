"""Rule paper_macros: every number's macro (results/*/numbers.json) in one file."""


from harmhorizon.io import atomic_path, setup_logging
from harmhorizon.report.latex import macros_tex

setup_logging(snakemake.log[0])
with atomic_path(snakemake.output[0]) as tmp:
    tmp.write_text(macros_tex(snakemake.input.numbers))
