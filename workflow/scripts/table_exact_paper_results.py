"""Rule table_exact_paper_results."""

import pandas as pd

from harmhorizon.io import atomic_path, setup_logging
from harmhorizon.report.exact import paper_results_table

setup_logging(snakemake.log[0])
with atomic_path(snakemake.output[0]) as tmp:
    tmp.write_text(paper_results_table(pd.read_csv(snakemake.input[0])))
