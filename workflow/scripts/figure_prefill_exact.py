"""Rule figure_prefill_exact."""

import pandas as pd

from harmhorizon.io import setup_logging
from harmhorizon.report.figures import prefill_exact_figure, save_figure
from harmhorizon.theory.experiments import prefill_attack_curve

setup_logging(snakemake.log[0])
m = snakemake.params.m
prefill = pd.read_csv(snakemake.input.prefill)
horizons = pd.read_csv(snakemake.input.horizons).set_index("m")
curve = prefill_attack_curve(prefill[prefill.m == m])
fig = prefill_exact_figure(curve, snakemake.params.beta, snakemake.params.mu, int(horizons.loc[m, "t_epsilon"]) - 1)
save_figure(fig, snakemake.output.pdf, snakemake.output.png)
