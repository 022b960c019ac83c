"""Rule evaluate: KL profile, prefill attack, harm and benign rates of one model (the base or an aligned one).

``harmhorizon.evaluate.policy.evaluate_policy`` in the run's environment; the evaluation seed is the run's.
"""

import json

from harmhorizon.envs import load_environment
from harmhorizon.evaluate.policy import evaluate_policy, kl_table
from harmhorizon.io import setup_logging, write_csv, write_json
from harmhorizon.numerics import fix_torch_threads

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
env = load_environment(snakemake.wildcards.env, snakemake.params.environment, dict(snakemake.input.items()))
method, seed = snakemake.wildcards.method, int(snakemake.wildcards.seed)
base = env.load_base()
model = base if method == "base" else env.load_aligned(snakemake.input.aligned)
result = evaluate_policy(env, model, base, seed)
write_csv(kl_table(result["kl_harmful"]).assign(method=method, seed=seed)[["method", "seed", "t", "kl", "kl_sd", "n"]],
          snakemake.output.kl)
log.info("prefill %s seed %d:\n%s", method, seed, result["prefill"].to_string(index=False))
prefill = result["prefill"].assign(method=method, seed=seed)
write_csv(prefill[["method", "seed", "k", "prefilled", "recovery_rate", "harm_rate", "n"]], snakemake.output.prefill)
log.info("metrics %s", json.dumps(result["metrics"]))
write_json({"method": method, "seed": seed, **result["metrics"]}, snakemake.output.metrics)
