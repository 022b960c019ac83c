"""Rule real_recovery_profile: Δℓ_t of one aligned model against the reference, teacher-forced on held-out harmful
reference responses (harmhorizon.evaluate.recovery_profile), and its KL_t along unconditional reference responses
(P4b; harmhorizon.evaluate.policy.kl_matrix)."""

import pandas as pd

from harmhorizon.envs import load_environment
from harmhorizon.evaluate.policy import kl_matrix, kl_table
from harmhorizon.evaluate.recovery_profile import profile_table, recovery_log_odds
from harmhorizon.io import setup_logging, write_csv
from harmhorizon.numerics import fix_torch_threads

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
env = load_environment("real", snakemake.params.environment, dict(snakemake.input.items()))
sequences, positions, phrase = env.recovery_profile_plan()
reference = pd.read_csv(snakemake.input.logodds_reference)[[str(t) for t in positions]].to_numpy(dtype=float)
model = env.load_aligned(snakemake.input.aligned)
aligned = recovery_log_odds(model, sequences, phrase, positions)
table = profile_table(aligned - reference, positions).assign(method=snakemake.wildcards.method,
                                                              seed=int(snakemake.wildcards.seed))
table["logodds_reference"] = [float(v) for v in profile_table(reference, positions).delta_logodds]
log.info("recovery profile:\n%s", table.to_string(index=False))
write_csv(table[["method", "seed", "t", "delta_logodds", "ci_low", "ci_high", "n", "logodds_reference"]],
          snakemake.output.profile)
kl = kl_table(kl_matrix(env, model, env.load_base(), env.kl_unconditional_sequences()))
kl = kl.assign(method=snakemake.wildcards.method, seed=int(snakemake.wildcards.seed))
write_csv(kl[["method", "seed", "t", "kl", "kl_sd", "n"]], snakemake.output.kl_unconditional)
