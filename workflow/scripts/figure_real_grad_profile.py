"""Rule figure_real_grad_profile."""

import pandas as pd

from harmhorizon.io import setup_logging
from harmhorizon.report.figures import save_figure
from harmhorizon.report.real import grad_profile_figure

setup_logging(snakemake.log[0])
fig = grad_profile_figure(pd.read_csv(snakemake.input.grad))
save_figure(fig, snakemake.output.pdf, snakemake.output.png)
