"""Rule synthetic_base_eval: base fidelity against the exact automaton, and MC I_t against exact I_t."""

from transformers import AutoModelForCausalLM

from harmhorizon.envs.automaton import AutomatonEnvironment, fidelity, frame_sequences
from harmhorizon.evaluate.harm_information import mc_harm_information
from harmhorizon.intervals import wald_interval
from harmhorizon.io import setup_logging, write_csv, write_json
from harmhorizon.numerics import fix_torch_threads
from harmhorizon.theory.automaton import base_policy, expected_harm, harm_information

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
syn, seed = snakemake.params.environment, snakemake.params.seed
env = AutomatonEnvironment.from_config(snakemake.params.automaton, syn, snakemake.input.base, snakemake.input.harmful)
model = AutoModelForCausalLM.from_pretrained(snakemake.input.base)
sequences = frame_sequences(env.harmful, env.vocab)
report = fidelity(model, env, sequences, syn["evaluation"]["fidelity_min_count"])
p, low, high, n = wald_interval(env.harmful.h)
report.update({"p_harm_sampled": p, "p_harm_ci_low": low, "p_harm_ci_high": high, "n_samples": n,
               "p_harm_exact": expected_harm(base_policy(env.automaton)),
               "n_parameters": sum(p.numel() for p in model.parameters())})
log.info("fidelity: %s", report)
write_json(report, snakemake.output.fidelity)
mc = syn["evaluation"]["mc"]
table = mc_harm_information(env, model, sequences[: mc["n_sequences"]], range(env.T), mc["n_rollouts"], seed=seed,
                            progress=True)
table["exact"] = harm_information(base_policy(env.automaton))[1:]
write_csv(table, snakemake.output.mc)
