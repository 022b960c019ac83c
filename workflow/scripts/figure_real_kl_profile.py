"""Rule figure_real_kl_profile."""

import pandas as pd

from harmhorizon.io import setup_logging
from harmhorizon.report.figures import save_figure
from harmhorizon.report.real import kl_profile_figure

setup_logging(snakemake.log[0])
fig = kl_profile_figure(pd.read_csv(snakemake.input.kl), pd.read_csv(snakemake.input.information),
                        pd.read_csv(snakemake.input.kl_unconditional),
                        float(pd.read_csv(snakemake.input.runs).t_epsilon.iloc[0]))
save_figure(fig, snakemake.output.pdf, snakemake.output.png)
