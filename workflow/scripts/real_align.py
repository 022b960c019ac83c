"""Rule real_align: one alignment method and seed from the base model (LoRA by default), with ‖∂loss/∂z_t‖.

Training is ``harmhorizon.methods.registry.align`` in the chat environment, the same function as the
synthetic track's.  Checkpoints under params.workdir are resumed after an interruption, but only when they
were written for the same method, environment settings, seed and base samples (`discard_stale_checkpoints`).
"""

import hashlib
from pathlib import Path

import pandas as pd

from harmhorizon.envs.chat import ChatEnvironment
from harmhorizon.io import setup_logging, write_csv, write_json
from harmhorizon.methods.registry import align
from harmhorizon.methods.trainers import discard_stale_checkpoints
from harmhorizon.numerics import fix_torch_threads

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
env = ChatEnvironment.from_config(snakemake.input.model, snakemake.params.environment, snakemake.input.samples)
seed = int(snakemake.wildcards.seed)
samples_digest = hashlib.sha256(Path(snakemake.input.samples).read_bytes()).hexdigest()
discard_stale_checkpoints(snakemake.params.workdir, {
    "method": snakemake.params.method, "environment": snakemake.params.environment, "seed": seed,
    "base_samples_sha256": samples_digest,
})
profile = env.gradient_profile(snakemake.params.gradient_every)
trainer = align(env, snakemake.params.method, seed, snakemake.params.workdir, profile)
log.info("trained %s seed %d: %s", snakemake.wildcards.method, seed, trainer.state.log_history[-1:])
grad = pd.DataFrame(profile.rows, columns=["step", "t", "grad_norm"]).assign(method=snakemake.wildcards.method, seed=seed)
write_csv(grad[["method", "seed", "step", "t", "grad_norm"]], snakemake.output.grad)
# What the run trained on and for how long: a function of config and seed alone (a test checks both).
write_json({"train_steps": trainer.state.global_step, "train_examples": len(trainer.train_dataset)},
           snakemake.output.training)
