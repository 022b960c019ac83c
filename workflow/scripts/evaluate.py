"""Rules evaluate, real_evaluate and real_evaluate_base: every measurement of one model (the base or an aligned one),
loaded once.

Every environment: KL profile, harm and benign rates and the prefill attack (``harmhorizon.evaluate.policy.
evaluate_policy``), and the rank-assisted prefill beside the sampled one (``attack_table``). A chat model also writes
the outputs its rules declare (``harmhorizon.real.run_measures``): the attack's raw continuations, the answers to the
benign-but-edgy questions, and for an aligned model Δℓ_t, KL_t along unconditional reference responses and utility.
The evaluation seed is the run's.
"""

import json

import pandas as pd

from harmhorizon.envs import load_environment
from harmhorizon.evaluate.policy import attack_table, evaluate_policy, kl_table
from harmhorizon.io import setup_logging, write_csv, write_json
from harmhorizon.numerics import fix_torch_threads
from harmhorizon.real import run_measures

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
env = load_environment(snakemake.wildcards.get("env", "real"), snakemake.params.environment, dict(snakemake.input.items()))
method, seed = snakemake.wildcards.get("method", "base"), int(snakemake.wildcards.seed)  # the base rule names none
out = dict(snakemake.output.items())
base = env.load_base()
model = base if method == "base" else env.load_aligned(snakemake.input.aligned)
records = [] if "attack_samples" in out else None
result = evaluate_policy(env, model, base, seed, records)
write_csv(kl_table(result["kl_harmful"]).assign(method=method, seed=seed)[["method", "seed", "t", "kl", "kl_sd", "n"]],
          out["kl"])
log.info("prefill %s seed %d:\n%s", method, seed, result["prefill"].to_string(index=False))
prefill = result["prefill"].assign(method=method, seed=seed)
write_csv(prefill[["method", "seed", "k", "prefilled", "recovery_rate", "harm_rate", "n"]], out["prefill"])
log.info("metrics %s", json.dumps(result["metrics"]))
write_json({"method": method, "seed": seed, **result["metrics"]}, out["metrics"])
attacks = attack_table(env, model, seed, result["prefill"], method)
log.info("both prefill attacks:\n%s", attacks.to_string(index=False))
write_csv(attacks, out["attack"])

# A chat model's own measurements, where its rule declares them (real/run_measures.py).
if "attack_samples" in out:
    write_csv(run_measures.attack_sample_rows(env, records, method, seed), out["attack_samples"])
if "over_refusal" in out:
    table = run_measures.over_refusal_table(env, model, method, seed)
    log.info("refused %d of %d edgy questions' responses", int(table.refused.sum()), len(table))
    write_csv(table, out["over_refusal"])
if "recovery_profile" in out:
    table = run_measures.recovery_profile_rows(env, model, pd.read_csv(snakemake.input.logodds_reference), method, seed)
    log.info("recovery profile:\n%s", table.to_string(index=False))
    write_csv(table, out["recovery_profile"])
if "kl_unconditional" in out:
    write_csv(run_measures.unconditional_kl_rows(env, model, base, method, seed), out["kl_unconditional"])
if "utility" in out:
    table = run_measures.utility_rows(env, model, pd.read_csv(snakemake.input.utility_reference),
                                      snakemake.input.utility_reference, method, seed)
    log.info("NLL per token: aligned %.4f, reference %.4f", table.nll.sum() / table.n_tokens.sum(),
             table.nll_reference.sum() / table.n_tokens.sum())
    write_csv(table, out["utility"])
