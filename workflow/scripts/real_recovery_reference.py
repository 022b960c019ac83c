"""Rule real_recovery_reference: the reference's recovery log-odds matrix (sequences × positions), computed once."""

import pandas as pd

from harmhorizon.envs import load_environment
from harmhorizon.evaluate.recovery_profile import recovery_log_odds
from harmhorizon.io import setup_logging, write_csv
from harmhorizon.numerics import fix_torch_threads

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
env = load_environment("real", snakemake.params.environment, dict(snakemake.input.items()))
sequences, positions, phrase = env.recovery_profile_plan()
matrix = recovery_log_odds(env.load_base(), sequences, phrase, positions)
write_csv(pd.DataFrame(matrix, columns=[str(t) for t in positions]), snakemake.output[0])
log.info("%d sequences x %d positions", *matrix.shape)
