"""Rule synthetic_numbers: macros, the summary table and the computed verdict table."""

import json

import pandas as pd

from harmhorizon.io import atomic_path, setup_logging, write_csv
from harmhorizon.report import synthetic as report
from harmhorizon.report.latex import write_numbers
from harmhorizon.synthetic.experiment import track_setup

log = setup_logging(snakemake.log[0])
syn, epsilon = snakemake.params.synthetic, snakemake.params.epsilon
automaton, _ = track_setup(snakemake.params.automaton, syn)
summary, runs = pd.read_csv(snakemake.input.summary), pd.read_csv(snakemake.input.runs)
mc = pd.read_csv(snakemake.input.mc)
fidelity = json.loads(open(snakemake.input.fidelity).read())
evaluation = syn["evaluation"]
verdicts = report.verdicts(runs, syn["methods"], automaton.m, evaluation["shallow_fraction"], evaluation["depth_margin"])
log.info("verdicts:\n%s", verdicts.to_string())
write_csv(verdicts, snakemake.output.verdicts)
write_numbers(report.synthetic_numbers(summary, runs, verdicts, mc, fidelity, automaton, epsilon, syn), snakemake.output.numbers)
with atomic_path(snakemake.output.summary_table) as tmp:
    tmp.write_text(report.summary_table(summary))
with atomic_path(snakemake.output.verdict_table) as tmp:
    tmp.write_text(report.verdict_table_tex(verdicts))
