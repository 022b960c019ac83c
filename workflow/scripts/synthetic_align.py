"""Rules synthetic_<kind> and synthetic_reference: align the base with one method for every seed, and evaluate.

All seeds of a method run in one process (the trl import dominates a small run); each seed's
training resumes from its latest checkpoint under params.train_dir/seed<s>.
"""

import json
from pathlib import Path

import pandas as pd
import torch
from transformers import AutoModelForCausalLM

from harmhorizon.evaluate.gradients import LogitGradientProfile
from harmhorizon.io import setup_logging, write_csv, write_json
from harmhorizon.numerics import fix_torch_threads
from harmhorizon.synthetic.experiment import evaluate_model, evaluation_sets, method_data, track_setup, train_method
from harmhorizon.synthetic.plan import seeds_of

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
syn, kind, method_name = snakemake.params.synthetic, snakemake.params.kind, snakemake.params.method
automaton, vocab = track_setup(snakemake.params.automaton, syn)
evaluation = syn["evaluation"]
harmful, benign = pd.read_csv(snakemake.input.harmful), pd.read_csv(snakemake.input.benign)
sets = evaluation_sets(harmful, benign, vocab, automaton, evaluation)
reference = AutoModelForCausalLM.from_pretrained(snakemake.input.base)
harmful_ids = torch.as_tensor(vocab.ids("harmful_prompt"))
for seed in seeds_of(syn, method_name):
    out = Path(snakemake.output[0]) / f"seed{seed}"
    grad = pd.DataFrame(columns=["step", "t", "grad_norm"])
    # What a run trained on and for how long: a function of config and seed alone (a test checks both).
    training = {"train_steps": 0, "train_examples": 0}
    if kind == "base":
        model = reference
    else:
        method = syn["methods"][method_name]
        data = method_data(kind, method, harmful, benign, vocab, automaton, seed)
        # One-token prompts: response token t is predicted at index t - 1 in every trainer's batch.
        profile = LogitGradientProfile(evaluation["grad_every"], automaton.T, response_start=0,
                                       row_filter=lambda ids: torch.isin(ids[:, 0].cpu(), harmful_ids))
        trainer = train_method(kind, method, snakemake.input.base, data, vocab, automaton,
                               f"{snakemake.params.train_dir}/seed{seed}", seed, profile)
        model = trainer.model
        grad = pd.DataFrame(profile.rows, columns=["step", "t", "grad_norm"])
        training = {"train_steps": trainer.state.global_step, "train_examples": len(data["dataset"])}
        log.info("trained %s seed %d: %d steps", method_name, seed, trainer.state.global_step)
    result = evaluate_model(model, reference, vocab, automaton, sets, evaluation, seed)
    result["metrics"].update(training)
    kl = pd.DataFrame(result["kl_harmful"], columns=range(1, automaton.T + 1)).melt(var_name="t", value_name="kl")
    write_csv(kl.groupby("t", as_index=False).agg(kl=("kl", "mean"), kl_sd=("kl", "std"), n=("kl", "size")), out / "kl.csv")
    write_csv(result["prefill"], out / "prefill.csv")
    write_csv(grad, out / "grad.csv")
    log.info("%s seed %d metrics: %s", method_name, seed, json.dumps(result["metrics"]))
    write_json(result["metrics"], out / "metrics.json")
