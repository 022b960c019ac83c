"""Rule gradient_test: P1 at the neural level for one model (harmhorizon.evaluate.gradient_test).

The model's own responses to harmful prompts (the run's seed), h by the environment's judge, decided prefixes
by the environment; every score over the model's trainable parameters. Checkpoint "mid" is the run's first
snapshot at or past half its steps (rule align keeps one every save_steps: methods.trainers.Snapshots)."""

import pandas as pd

from harmhorizon.envs import load_environment
from harmhorizon.evaluate.gradient_test import gradient_test
from harmhorizon.io import setup_logging, write_csv
from harmhorizon.methods.checkpoints import snapshot_path, snapshot_steps
from harmhorizon.numerics import fix_torch_threads

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
env = load_environment(snakemake.wildcards.env, snakemake.params.environment, dict(snakemake.input.items()))
method, seed, settings = snakemake.wildcards.method, int(snakemake.wildcards.seed), snakemake.params.test
checkpoint = snakemake.wildcards.checkpoint
if (method == "base") != (checkpoint == "reference"):
    raise ValueError(f"gradient_test: checkpoint {checkpoint!r} does not apply to {method!r} (the base is 'reference', "
                     "an aligned run 'mid' or 'final')")
if checkpoint == "mid":
    snapshots, steps = snapshot_steps(snakemake.input.aligned)
    later = [step for step in steps if 2 * step >= snakemake.params.max_steps]
    if not later:
        raise FileNotFoundError(f"{snapshots} holds no snapshot at or past half of {snakemake.params.max_steps} steps "
                                f"(it holds {steps}); retrain the run (snakemake --forcerun align {snakemake.input.aligned})")
    log.info("mid checkpoint: step %d of %d", later[0], snakemake.params.max_steps)
    model = env.load_aligned(str(snapshot_path(snapshots, later[0])))
    step = later[0]
else:
    model = env.load_base() if method == "base" else env.load_aligned(snakemake.input.aligned)
    step = snakemake.params.max_steps
samples = env.sample_responses(model, True, settings["n_samples"], seed)
harm = env.label([p for p, _ in samples], [r for _, r in samples])["harm"]
decided = [env.decided_positions(p, r) for p, r in samples]
log.info("%s seed %d: %d responses, %d harmful", method, seed, len(samples), int(harm.sum()))
table = gradient_test(model, samples, harm, decided, env.T, settings["n_draws"], seed, log)
log.info("sums over positions:\n%s", table[table.t == 0].to_string(index=False))
write_csv(table.assign(method=method, seed=seed, checkpoint=checkpoint, step=step, n_harmful_responses=int(harm.sum())),
          snakemake.output.test)
# P2 in logit space by class-level state, where the environment has states (the automaton).
by_state = getattr(env, "logit_gradient_by_state", None)
logits = by_state(model, samples, harm) if by_state is not None else pd.DataFrame(columns=["t", "estimate", "se"])
write_csv(logits.assign(method=method, seed=seed, checkpoint=checkpoint, step=step), snakemake.output.logit)
