"""Rule exact_numbers: the exact track's macros for the paper."""

import hashlib
import json

import pandas as pd
import yaml

from harmhorizon.io import setup_logging
from harmhorizon.report.exact import ablation_numbers, exact_numbers, graded_numbers, ledger_numbers, mc_coverage_numbers
from harmhorizon.report.latex import registered_numbers, write_numbers

log = setup_logging(snakemake.log[0])
numbers = exact_numbers(
    json.loads(open(snakemake.input.identities).read()),
    pd.read_csv(snakemake.input.horizons),
    pd.read_csv(snakemake.input.kl),
    pd.read_csv(snakemake.input.prefill),
    pd.read_csv(snakemake.input.bound),
    epsilon=snakemake.params.epsilon,
    figure_beta=snakemake.params.beta,
    figure_mu=snakemake.params.mu,
)
numbers.update(ledger_numbers(pd.read_csv(snakemake.input.ledger), snakemake.params.deep))
numbers.update(ablation_numbers(pd.read_csv(snakemake.input.ablation_verdicts),
                                pd.read_csv(snakemake.input.ablation_matched), snakemake.params.ablation))
numbers.update(graded_numbers(pd.read_csv(snakemake.input.graded), pd.read_csv(snakemake.input.graded_verdicts)))
numbers.update(mc_coverage_numbers(pd.read_csv(snakemake.input.mc_coverage), snakemake.params.synthetic_mc))
# The paper prints the digest of the registered rules its verdicts were judged by.
with open(snakemake.input.predictions, "rb") as handle:
    registrations = handle.read()
numbers["PredictionsSha"] = r"\texttt{" + hashlib.sha256(registrations).hexdigest()[:16] + "}"
numbers.update(registered_numbers(yaml.safe_load(registrations)))
log.info("%d numbers", len(numbers))
write_numbers(numbers, snakemake.output[0])
