"""Rule frontier_run: the harm–KL trace of one run, its reference (step 0) and every snapshot along training
(harmhorizon.evaluate.frontier.frontier_point; the harm samples use the run's seed at every point)."""

import pandas as pd

from harmhorizon.envs import load_environment
from harmhorizon.evaluate.frontier import frontier_point
from harmhorizon.io import setup_logging, write_csv
from harmhorizon.methods.checkpoints import snapshot_path, snapshot_steps
from harmhorizon.numerics import fix_torch_threads

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
inputs = dict(snakemake.input.items())
env = load_environment(snakemake.wildcards.env, snakemake.params.environment, inputs)
method, seed, methods = snakemake.wildcards.method, int(snakemake.wildcards.seed), snakemake.params.methods
m = env.method_m(methods, method)
horizon = env.horizon_of(methods, None, snakemake.params.epsilon)(method)
snapshots, steps = snapshot_steps(snakemake.input.aligned)
save, last = snakemake.params.save_steps, snakemake.params.max_steps
expected = sorted(set(range(save, last + 1, save)) | {last})  # the Trainer also saves at the last step
if not set(expected) <= set(steps):
    raise FileNotFoundError(f"{snapshots} holds steps {steps}, not every checkpoint step {expected}: a resumed run "
                            f"lost its earlier snapshots; retrain it (snakemake --forcerun align {snakemake.input.aligned})")
reference = env.load_base()
rows = [{"step": 0, **frontier_point(env, reference, reference, seed, m, horizon, snakemake.params.n_samples)}]
for step in expected:
    model = env.load_aligned(str(snapshot_path(snapshots, step)))
    rows.append({"step": step, **frontier_point(env, model, reference, seed, m, horizon, snakemake.params.n_samples)})
    log.info("%s seed %d step %d: %s", method, seed, step, rows[-1])
table = pd.DataFrame(rows).assign(method=method, seed=seed, m=m, t_epsilon=horizon)
write_csv(table[["method", "seed", "m", "t_epsilon", *[c for c in table if c not in ("method", "seed", "m", "t_epsilon")]]],
          snakemake.output[0])
