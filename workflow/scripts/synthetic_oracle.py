"""Rule synthetic_oracle: the base against the exact automaton (fidelity) and the exact base prefill curve."""

from harmhorizon.envs.automaton import AutomatonEnvironment, fidelity, frame_sequences
from harmhorizon.intervals import wald_interval
from harmhorizon.io import setup_logging, write_csv, write_json
from harmhorizon.numerics import fix_torch_threads
from harmhorizon.theory.automaton import base_policy, expected_harm
from harmhorizon.theory.experiments import exact_prefill_curve

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
settings = snakemake.params.environment
env = AutomatonEnvironment.from_config(snakemake.params.automaton, settings, snakemake.input.reference,
                                       snakemake.input.harmful)
model = env.load_base()
report = fidelity(model, env, frame_sequences(env.harmful, env.vocab), settings["evaluation"]["fidelity_min_count"])
p, low, high, n = wald_interval(env.harmful.h)
report.update({"p_harm_sampled": p, "p_harm_ci_low": low, "p_harm_ci_high": high, "n_samples": n,
               "p_harm_exact": expected_harm(base_policy(env.automaton)),
               "n_parameters": sum(p.numel() for p in model.parameters())})
log.info("fidelity: %s", report)
write_json(report, snakemake.output.fidelity)
# The exact base curve under the same prefill attack, for the figure (docs/experiments.md E4).
write_csv(exact_prefill_curve(env.automaton, settings["evaluation"]["prefill_ks"]), snakemake.output.exact_prefill)
