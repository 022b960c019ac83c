"""Rule shared_parameters: E5b's profiles in one table (with the interval over seeds of Δℓ_t at each (λ, t)) and
Young's Appendix A verdict (harmhorizon.evaluate.shared_parameters; rule in config/predictions.yaml, appendix_a)."""

import pandas as pd
import yaml

from harmhorizon.evaluate.shared_parameters import appendix_a_ratio, appendix_a_verdicts, interval_over_seeds
from harmhorizon.io import setup_logging, write_csv

log = setup_logging(snakemake.log[0])
margin = yaml.safe_load(open(snakemake.input.predictions))["appendix_a"]["equivalence_ratio"]
profiles = pd.concat([pd.read_csv(path) for path in snakemake.input.runs], ignore_index=True)
table = profiles.merge(interval_over_seeds(profiles, "delta_logodds"), on=["lambda", "t"], how="left")
columns = ["policy", "lambda", "seed", "t", "past_horizon", "kl_t", "delta_logodds", "ci_low", "ci_high",
           "delta_logodds_harmful", "n_prefixes", "n_harmful_prefixes", "train_steps"]
write_csv(table[columns], snakemake.output.table)
ratios = pd.DataFrame([{"lambda": lam, "seed": seed, "ratio": appendix_a_ratio(part)}
                       for (lam, seed), part in profiles.groupby(["lambda", "seed"], sort=True)])
log.info("per-seed ratios:\n%s", ratios.to_string(index=False))
write_csv(appendix_a_verdicts(ratios, margin, snakemake.params.objective), snakemake.output.verdicts)
