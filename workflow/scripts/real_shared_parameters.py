"""Rule real_shared_parameters: Appendix A's pair (late KL, Δℓ_t) per standard method and seed on a chat model
(harmhorizon.evaluate.shared_parameters.chat_shared_parameter_table)."""

import pandas as pd

from harmhorizon.evaluate.shared_parameters import chat_shared_parameter_table
from harmhorizon.io import setup_logging, write_csv

log = setup_logging(snakemake.log[0])
horizon = float(pd.read_csv(snakemake.input.runs).t_epsilon.iloc[0])
table = chat_shared_parameter_table(pd.read_csv(snakemake.input.kl), pd.read_csv(snakemake.input.profile),
                                    snakemake.params.methods, horizon)
log.info("%d rows, t_eps %s", len(table), horizon)
write_csv(table, snakemake.output[0])
