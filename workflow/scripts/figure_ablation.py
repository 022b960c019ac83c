"""Rule figure_ablation."""

import pandas as pd

from harmhorizon.io import setup_logging
from harmhorizon.report.figures import ablation_figure, save_figure

setup_logging(snakemake.log[0])
fig = ablation_figure(pd.read_csv(snakemake.input.curves), pd.read_csv(snakemake.input.matched))
save_figure(fig, snakemake.output.pdf, snakemake.output.png)
