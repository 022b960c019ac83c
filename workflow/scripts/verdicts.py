"""Rule verdicts: the environment's predictions decided by the statistic each names (harmhorizon.evaluate.verdicts).

The rules of config/predictions.yaml: section ``frontier`` (the automaton's matched runs), ``gradient_test`` and
``real`` and ``appendix_a`` (a chat model's recovery profile and attacks), ``caveats`` (E7: both prefill attacks
and circuit breakers, in either environment, and a chat model's over-refusal) and ``reward_model`` (E7: alignment against a learned harm model)."""

import pandas as pd
import yaml

from harmhorizon.evaluate.verdicts import caveat_verdicts, decide_verdicts, gradient_verdicts, reward_model_verdicts
from harmhorizon.io import setup_logging, write_csv

log = setup_logging(snakemake.log[0])
with open(snakemake.input.predictions) as handle:
    registered = yaml.safe_load(handle)
inputs = snakemake.input.keys()
matched = pd.read_csv(snakemake.input.matched) if "matched" in inputs else None
table = decide_verdicts(snakemake.wildcards.env, pd.read_csv(snakemake.input.runs), pd.read_csv(snakemake.input.prefill),
                        pd.read_csv(snakemake.input.summary), snakemake.params.methods, snakemake.params.verdicts,
                        matched, registered["frontier"],
                        pd.read_csv(snakemake.input.profile) if "profile" in inputs else None,
                        {**registered.get("real", {}), "appendix_a": registered.get("appendix_a", {})},
                        pd.read_csv(snakemake.input.kl_unconditional) if "kl_unconditional" in inputs else None)
if "gradient" in inputs:
    table = pd.concat([table, gradient_verdicts(pd.read_csv(snakemake.input.gradient), registered["gradient_test"])],
                      ignore_index=True)
runs = pd.read_csv(snakemake.input.runs)
over_refusal = pd.read_csv(snakemake.input.over_refusal, keep_default_na=False) if "over_refusal" in inputs else None
table = pd.concat([table, caveat_verdicts(pd.read_csv(snakemake.input.attack), runs, snakemake.params.methods,
                                          snakemake.params.verdicts["ks"], registered["caveats"], over_refusal)],
                  ignore_index=True)
table = pd.concat([table, reward_model_verdicts(pd.read_csv(snakemake.input.kl), runs, snakemake.params.methods,
                                                snakemake.params.reward_models, registered["reward_model"], matched)],
                  ignore_index=True)
log.info("verdicts:\n%s", table.to_string(index=False))
write_csv(table, snakemake.output[0])
