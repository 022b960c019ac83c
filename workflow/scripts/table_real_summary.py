"""Rule table_real_summary."""

import pandas as pd

from harmhorizon.io import atomic_path, setup_logging
from harmhorizon.report.real import summary_table

setup_logging(snakemake.log[0])
with atomic_path(snakemake.output[0]) as tmp:
    tmp.write_text(summary_table(pd.read_csv(snakemake.input[0]), snakemake.params.ks))
