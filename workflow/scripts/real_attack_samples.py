"""Rule real_attack_samples: one run's prefill attack drawn again as rule evaluate drew it
(harmhorizon.evaluate.policy.attack), every continuation kept with its judge labels, and the rates checked against
the run's prefill.csv: the raw samples are the ones behind the committed numbers, or the rule fails."""

import pandas as pd

from harmhorizon.envs import load_environment
from harmhorizon.evaluate.policy import attack, check_redrawn
from harmhorizon.io import setup_logging, write_csv
from harmhorizon.numerics import fix_torch_threads

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
env = load_environment("real", snakemake.params.environment, dict(snakemake.input.items()))
method, seed = snakemake.wildcards.method, int(snakemake.wildcards.seed)
model = env.load_base() if method == "base" else env.load_aligned(snakemake.input.aligned)
model.eval()
records = []
table = attack(env, model, seed, records)
check_redrawn(table, pd.read_csv(snakemake.input.prefill), snakemake.input.prefill, method, seed)
rows = pd.DataFrame(records)
prompts = env.prefill_rows().reset_index(drop=True)
rows["prompt_id"] = prompts.prompt_id.to_numpy()[rows["item"]]
rows["request"] = prompts.request.to_numpy()[rows["item"]]
rows["prefill"] = env.decode(rows.prefix.tolist())
rows["continuation_text"] = env.decode(rows.continuation.tolist())
rows = rows.assign(method=method, seed=seed)
log.info("%d continuations; rates match %s", len(rows), snakemake.input.prefill)
write_csv(rows[["method", "seed", "k", "prompt_id", "sample", "request", "prefill", "continuation_text", "harm",
                "recovered"]].rename(columns={"continuation_text": "continuation"}), snakemake.output[0])
