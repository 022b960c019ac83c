"""Rule real_evaluate: KL profile, prefill attack and benign costs of one model (the base or an aligned one)."""

from pathlib import Path

import pandas as pd

from harmhorizon.io import setup_logging, write_csv
from harmhorizon.numerics import fix_torch_threads
from harmhorizon.real.judge import Judge
from harmhorizon.real.models import default_device, load_model
from harmhorizon.real.track import benign_costs, harmful_eval_sequences, kl_profile, parse_ids, prefill_attack

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
device = default_device()
method, seed = snakemake.wildcards.method, int(snakemake.wildcards.seed)
base, tokenizer = load_model(snakemake.input.model, device)
if method == "base":
    model = base
else:
    aligned = Path(snakemake.params.aligned)
    if (aligned / "adapter_config.json").is_file():
        from peft import PeftModel

        fresh, _ = load_model(snakemake.input.model, device)
        model = PeftModel.from_pretrained(fresh, aligned).merge_and_unload().eval()
    else:
        model, _ = load_model(aligned, device)
samples = parse_ids(pd.read_csv(snakemake.input.samples, keep_default_na=False))
judge = Judge.from_config(snakemake.params.judge)
settings, sampling = snakemake.params.evaluation, snakemake.params.sampling
batch = sampling["batch_size"]
eval_seed = snakemake.params.seed + 1000 * seed

sequences = harmful_eval_sequences(samples, settings["kl"]["n_sequences"])
kl = kl_profile(model, base, sequences, settings["kl"]["positions"], settings["kl"]["batch_size"], tokenizer.pad_token_id)
write_csv(kl.assign(method=method, seed=seed)[["method", "seed", "t", "kl", "kl_ci_low", "kl_ci_high", "n"]],
          snakemake.output.kl)

prefill = settings["prefill"]
curve = prefill_attack(model, tokenizer, judge, samples, prefill["ks"], prefill["continuation_tokens"],
                       prefill["n_samples"], eval_seed, batch, sampling, prefill["n_prompts"])
log.info("prefill %s seed %d:\n%s", method, seed, curve.to_string(index=False))
write_csv(curve.assign(method=method, seed=seed)[["method", "seed", "k", "recovery_rate", "harm_rate", "n"]],
          snakemake.output.prefill)

benign = settings["benign"]
costs = benign_costs(model, base, tokenizer, judge, samples, benign["n_samples"], benign["max_new_tokens"],
                     eval_seed + 1, batch, sampling, settings["kl"]["batch_size"])
log.info("benign costs %s", costs)
write_csv(pd.DataFrame([{"method": method, "seed": seed, **costs}]), snakemake.output.benign)
