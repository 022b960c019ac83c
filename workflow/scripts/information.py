"""Rule information: Monte Carlo I_t of the reference model in its environment, beside the exact I_t where an oracle
exists, and (rule real_information) P(t_ε ≤ k) from a bootstrap over the sequences (evaluate.harm_information)."""

from harmhorizon.envs import load_environment
from harmhorizon.evaluate.harm_information import horizon_bootstrap, mc_harm_information, mc_rollouts
from harmhorizon.io import setup_logging, write_csv
from harmhorizon.numerics import fix_torch_threads

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
env = load_environment(snakemake.params.env_name, snakemake.params.environment, dict(snakemake.input.items()))
sequences, positions, n_rollouts = env.information_plan()
rollouts = mc_rollouts(env, env.load_base(), sequences, positions, n_rollouts, snakemake.params.seed, progress=True)
table = mc_harm_information(env, None, sequences, positions, n_rollouts, rollouts=rollouts)
exact = env.oracle_information()
if exact is not None:
    table["exact"] = exact[table.t.to_numpy() - 1]
log.info("harm information:\n%s", table.to_string(index=False))
write_csv(table, snakemake.output.information)
if "horizon" in snakemake.output.keys():  # rule real_information: the Monte Carlo t_ε with its bootstrap
    horizon = horizon_bootstrap(rollouts, snakemake.params.epsilon, snakemake.params.n_bootstrap, snakemake.params.seed)
    log.info("P(t_eps <= k):\n%s", horizon.to_string(index=False))
    write_csv(horizon, snakemake.output.horizon)
