"""Rule align: one method of the registry and one seed, trained from the reference model, with ‖∂loss/∂z_t‖.

Every checkpoint's model is also kept in ``<workdir>/snapshots/step-<N>`` (the run's harm–KL frontier, rule
frontier_run). They are not declared outputs on purpose: Snakemake would delete them before a resumed run,
which re-creates only the snapshots after its checkpoint; a changed run config empties the whole workdir.

Checkpoints under params.workdir are resumed after an interruption, but only when they were written for
the same method, environment settings, seed and base samples (`discard_stale_checkpoints`).
"""

import hashlib
from pathlib import Path

import pandas as pd

from harmhorizon.envs import load_environment
from harmhorizon.io import setup_logging, write_csv, write_json
from harmhorizon.methods.registry import align
from harmhorizon.methods.checkpoints import discard_stale_checkpoints
from harmhorizon.numerics import fix_torch_threads

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
inputs = dict(snakemake.input.items())
env = load_environment(snakemake.wildcards.env, snakemake.params.environment, inputs)
method, seed = snakemake.wildcards.method, int(snakemake.wildcards.seed)
# The base samples' bytes and a learned harm model's weights (the reference's folder is not hashed).
hashed = [Path(inputs[key]) for key in sorted(inputs) if Path(inputs[key]).is_file()]
if "reward_model" in inputs:
    hashed.append(Path(inputs["reward_model"]) / "model.safetensors")
digest = hashlib.sha256(b"".join(path.read_bytes() for path in hashed))
discard_stale_checkpoints(snakemake.params.workdir, {
    "method": snakemake.params.method, "environment": snakemake.params.environment, "seed": seed,
    "base_samples_sha256": digest.hexdigest(),
})
profile = env.gradient_profile()
trainer = align(env, snakemake.params.method, seed, snakemake.params.workdir, profile,
                snapshots=Path(snakemake.params.workdir) / "snapshots")
log.info("trained %s seed %d: %d steps; %s", method, seed, trainer.state.global_step, trainer.state.log_history[-1:])
grad = pd.DataFrame(profile.rows, columns=["step", "t", "grad_norm"]).assign(method=method, seed=seed)
write_csv(grad[["method", "seed", "step", "t", "grad_norm"]], snakemake.output.grad)
# What the run trained on and for how long: a function of config and seed alone (a test checks both).
write_json({"train_steps": trainer.state.global_step, "train_examples": len(trainer.train_dataset)},
           snakemake.output.training)
