"""Rule figure_ablation."""

import pandas as pd

from harmhorizon.io import setup_logging
from harmhorizon.report.figures import ablation_figure, save_figure
from harmhorizon.theory.ablation import run_curves

setup_logging(snakemake.log[0])
fig = ablation_figure(run_curves(pd.read_csv(snakemake.input.trajectories)), pd.read_csv(snakemake.input.matched))
save_figure(fig, snakemake.output.pdf, snakemake.output.png)
