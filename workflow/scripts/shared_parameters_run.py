"""Rule shared_parameters_run: one λ and seed of E5b (harmhorizon.evaluate.shared_parameters).

The standard method of ``<env>.shared_parameters.method`` (GRPO with beta = 1/λ) is trained from the reference
against the sharp-horizon harm (payloads count at positions ≤ K), then teacher-forced on the adversarial prefixes Q.
"""

import hashlib
from pathlib import Path

from harmhorizon.envs import load_environment
from harmhorizon.evaluate.shared_parameters import q_prefix_profile
from harmhorizon.io import setup_logging, write_csv
from harmhorizon.methods.registry import align
from harmhorizon.methods.checkpoints import discard_stale_checkpoints
from harmhorizon.numerics import fix_torch_threads

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
inputs = dict(snakemake.input.items())
env = load_environment(snakemake.wildcards.env, snakemake.params.environment, inputs)
settings = snakemake.params.settings
lam, seed = float(snakemake.wildcards.lam), int(snakemake.wildcards.seed)
method = {**settings["method"], "K": settings["K"], "hp": {**settings["method"]["hp"], "beta": 1.0 / lam}}
digest = hashlib.sha256(b"".join(Path(inputs[key]).read_bytes() for key in sorted(inputs) if key != "reference"))
discard_stale_checkpoints(snakemake.params.workdir, {"method": method, "environment": snakemake.params.environment,
                                                     "seed": seed, "base_samples_sha256": digest.hexdigest()})
trainer = align(env, method, seed, snakemake.params.workdir)
log.info("trained lambda %g seed %d: %d steps; %s", lam, seed, trainer.state.global_step, trainer.state.log_history[-1:])
sequences = env.adversarial_sequences(settings["n_sequences"])
profile = q_prefix_profile(env, trainer.model.eval(), env.load_reference(), sequences, snakemake.params.m, settings["K"])
profile.insert(0, "seed", seed)
profile.insert(0, "lambda", lam)
profile.insert(0, "policy", "transformer")
profile["train_steps"] = trainer.state.global_step
write_csv(profile, snakemake.output[0])
