"""Rule table_real_verdicts: the verdict file of rule real_verdicts as a booktabs table."""

import pandas as pd

from harmhorizon.evaluate.verdicts import is_caveat_row
from harmhorizon.io import atomic_path, setup_logging
from harmhorizon.report.real import real_verdict_table

setup_logging(snakemake.log[0])
with atomic_path(snakemake.output[0]) as tmp:
    verdicts = pd.read_csv(snakemake.input[0])
    tmp.write_text(real_verdict_table(verdicts[~is_caveat_row(verdicts)]))  # E7's: rule caveats_report
