"""Rule synthetic_base_eval: base fidelity against the exact automaton, and MC I_t against exact I_t."""

import pandas as pd
from scipy import stats
from transformers import AutoModelForCausalLM

from harmhorizon.evaluate.harm_information import mc_harm_information
from harmhorizon.io import setup_logging, write_csv, write_json
from harmhorizon.numerics import fix_torch_threads
from harmhorizon.synthetic.data import AutomatonJudge
from harmhorizon.synthetic.experiment import fidelity, frame_sequences, stop_ids, track_setup
from harmhorizon.theory.automaton import base_policy, expected_harm, harm_information

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
syn, seed = snakemake.params.synthetic, snakemake.params.seed
evaluation = syn["evaluation"]
automaton, vocab = track_setup(snakemake.params.automaton, syn)
model = AutoModelForCausalLM.from_pretrained(snakemake.input.base)
harmful = pd.read_csv(snakemake.input.harmful)
sequences = frame_sequences(harmful, vocab)
report = fidelity(model, vocab, automaton, sequences, evaluation["fidelity_min_count"])
n = len(harmful)
p = harmful.h.mean()
half = stats.norm.ppf(0.975) * (p * (1 - p) / n) ** 0.5
report.update({"p_harm_sampled": p, "p_harm_ci_low": p - half, "p_harm_ci_high": p + half, "n_samples": n,
               "p_harm_exact": expected_harm(base_policy(automaton)),
               "n_parameters": sum(p.numel() for p in model.parameters())})
log.info("fidelity: %s", report)
write_json(report, snakemake.output.fidelity)
mc = mc_harm_information(model, sequences[: evaluation["mc"]["n_sequences"]], AutomatonJudge(vocab, automaton.m, automaton.T),
                         automaton.T, evaluation["mc"]["n_rollouts"], stop_ids(vocab), seed=seed, progress=True)
mc["exact"] = harm_information(base_policy(automaton))[1:]
write_csv(mc, snakemake.output.mc)
