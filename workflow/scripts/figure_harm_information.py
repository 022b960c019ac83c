"""Rule figure_harm_information."""

import pandas as pd

from harmhorizon.io import setup_logging
from harmhorizon.report.figures import harm_information_figure, save_figure

setup_logging(snakemake.log[0])
fig = harm_information_figure(pd.read_csv(snakemake.input.information), pd.read_csv(snakemake.input.horizons))
save_figure(fig, snakemake.output.pdf, snakemake.output.png)
