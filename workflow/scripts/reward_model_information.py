"""Rule reward_model_information: the reference's Monte Carlo I_t with r̂ in place of h, on the environment's own
sequences, grid and rollouts (evaluate.harm_information through methods.reward_model.RewardModelView)."""

from harmhorizon.envs import load_environment
from harmhorizon.evaluate.harm_information import mc_harm_information
from harmhorizon.io import setup_logging, write_csv
from harmhorizon.methods.reward_model import Proxy, RewardModelScorer, RewardModelView
from harmhorizon.numerics import fix_torch_threads

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
inputs = dict(snakemake.input.items())
env = load_environment(snakemake.wildcards.env, snakemake.params.environment, inputs)
proxy = Proxy.from_config(snakemake.wildcards.proxy, snakemake.params.proxy)
scorer = RewardModelScorer(inputs["reward_model"], proxy.view, env.pad_id, device=getattr(env, "device", None))
sequences, positions, n_rollouts = env.information_plan()
sequences = sequences[: snakemake.params.n_sequences]
table = mc_harm_information(RewardModelView(env, scorer), env.load_base(), sequences, positions, n_rollouts,
                            int(snakemake.params.seed), progress=True)
table.insert(0, "proxy", proxy.name)
log.info("harm information under %s:\n%s", proxy.name, table.to_string(index=False))
write_csv(table, snakemake.output[0])
