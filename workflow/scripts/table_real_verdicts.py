"""Rule table_real_verdicts: the verdict file of rule real_verdicts as a booktabs table."""

import pandas as pd

from harmhorizon.io import atomic_path, setup_logging
from harmhorizon.report.real import real_verdict_table

setup_logging(snakemake.log[0])
with atomic_path(snakemake.output[0]) as tmp:
    tmp.write_text(real_verdict_table(pd.read_csv(snakemake.input[0]), snakemake.rule))
