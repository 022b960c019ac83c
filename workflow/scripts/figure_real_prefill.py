"""Rule figure_real_prefill."""

import pandas as pd

from harmhorizon.io import setup_logging
from harmhorizon.report.figures import save_figure
from harmhorizon.report.real import prefill_figure

setup_logging(snakemake.log[0])
fig = prefill_figure(pd.read_csv(snakemake.input.prefill))
save_figure(fig, snakemake.output.pdf, snakemake.output.png)
