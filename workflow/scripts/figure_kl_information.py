"""Rule figure_kl_information."""

import pandas as pd

from harmhorizon.io import setup_logging
from harmhorizon.report.figures import kl_information_figure, save_figure

setup_logging(snakemake.log[0])
fig = kl_information_figure(pd.read_csv(snakemake.input.kl), snakemake.params.m, snakemake.params.betas_shown)
save_figure(fig, snakemake.output.pdf, snakemake.output.png)
