"""Rule figure_recovery_bound."""

import pandas as pd

from harmhorizon.io import setup_logging
from harmhorizon.report.figures import recovery_bound_figure, save_figure

setup_logging(snakemake.log[0])
fig = recovery_bound_figure(pd.read_csv(snakemake.input.bound), snakemake.params.beta)
save_figure(fig, snakemake.output.pdf, snakemake.output.png)
