"""Rule table_real_methods."""

from harmhorizon.io import atomic_path, setup_logging
from harmhorizon.report.methods import methods_table

setup_logging(snakemake.log[0])
with atomic_path(snakemake.output[0]) as tmp:
    tmp.write_text(methods_table(snakemake.params.methods, snakemake.params.seeds, "real"))
