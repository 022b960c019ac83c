"""Rules synthetic_<objective> and synthetic_reference: align the base with one method for every seed, and evaluate.

All seeds of a method run in one process (the trl import dominates a small run); each seed's training
resumes from its latest checkpoint under params.train_dir/seed<s>.  Training is
``harmhorizon.methods.registry.align`` and evaluation ``harmhorizon.evaluate.policy.evaluate_policy``,
the same functions as the real-model track's, in the automaton environment.
"""

import json
from pathlib import Path

import pandas as pd

from harmhorizon.envs.automaton import AutomatonEnvironment
from harmhorizon.evaluate.policy import evaluate_policy, kl_table
from harmhorizon.io import setup_logging, write_csv, write_json
from harmhorizon.methods.registry import align
from harmhorizon.methods.trainers import discard_stale_checkpoints
from harmhorizon.numerics import fix_torch_threads

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
env = AutomatonEnvironment.from_config(snakemake.params.automaton, snakemake.params.environment, snakemake.input.base,
                                       snakemake.input.harmful, snakemake.input.benign)
method_name, method = snakemake.params.method, snakemake.params.method_config
reference = env.load_reference()
for seed in snakemake.params.seeds:
    out = Path(snakemake.output[0]) / f"seed{seed}"
    grad = pd.DataFrame(columns=["step", "t", "grad_norm"])
    # What a run trained on and for how long: a function of config and seed alone (a test checks both).
    training = {"train_steps": 0, "train_examples": 0}
    if method is None:  # the base, evaluated like an aligned model
        model = reference
    else:
        train_dir = f"{snakemake.params.train_dir}/seed{seed}"
        discard_stale_checkpoints(train_dir, {"method": method, "seed": seed})
        profile = env.gradient_profile(env.evaluation["grad_every"])
        trainer = align(env, method, seed, train_dir, profile)
        model = trainer.model
        grad = pd.DataFrame(profile.rows, columns=["step", "t", "grad_norm"])
        training = {"train_steps": trainer.state.global_step, "train_examples": len(trainer.train_dataset)}
        log.info("trained %s seed %d: %d steps", method_name, seed, trainer.state.global_step)
    result = evaluate_policy(env, model, reference, seed)
    result["metrics"].update(training)
    write_csv(kl_table(result["kl_harmful"]), out / "kl.csv")
    write_csv(result["prefill"], out / "prefill.csv")
    write_csv(grad, out / "grad.csv")
    log.info("%s seed %d metrics: %s", method_name, seed, json.dumps(result["metrics"]))
    write_json(result["metrics"], out / "metrics.json")
