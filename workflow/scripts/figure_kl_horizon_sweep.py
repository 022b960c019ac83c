"""Rule figure_kl_horizon_sweep."""

import pandas as pd

from harmhorizon.io import setup_logging
from harmhorizon.report.figures import kl_horizon_sweep_figure, save_figure

setup_logging(snakemake.log[0])
fig = kl_horizon_sweep_figure(pd.read_csv(snakemake.input.kl), pd.read_csv(snakemake.input.horizons), snakemake.params.beta)
save_figure(fig, snakemake.output.pdf, snakemake.output.png)
