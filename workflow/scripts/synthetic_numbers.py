"""Rule synthetic_numbers: macros and the methods, summary, verdict, gradient-test, matched-harm and penalised-methods
tables (formatting only)."""

import json

import pandas as pd
import yaml

from harmhorizon.evaluate.verdicts import is_caveat_row
from harmhorizon.io import atomic_path, setup_logging
from harmhorizon.report import synthetic as report
from harmhorizon.report.latex import write_numbers
from harmhorizon.report.methods import methods_table

setup_logging(snakemake.log[0])
summary, runs = pd.read_csv(snakemake.input.summary), pd.read_csv(snakemake.input.runs)
verdicts, mc = pd.read_csv(snakemake.input.verdicts), pd.read_csv(snakemake.input.mc)
verdicts = verdicts[~is_caveat_row(verdicts)]  # E7's rows: rule caveats_report
fidelity = json.loads(open(snakemake.input.fidelity).read())
frontier, matched = pd.read_csv(snakemake.input.frontier), pd.read_csv(snakemake.input.matched)
registered = yaml.safe_load(open(snakemake.input.predictions))
deep = pd.read_csv(snakemake.input.deep_optimum)
numbers = report.synthetic_numbers(summary, runs, verdicts, mc, fidelity, snakemake.params.settings, frontier, matched,
                                   registered, deep)
numbers.update(report.logit_gradient_numbers(pd.read_csv(snakemake.input.logit_gradient)))
numbers.update(report.appendix_a_numbers(pd.read_csv(snakemake.input.appendix_a), pd.read_csv(snakemake.input.shared),
                                         snakemake.params.settings["K"]))
write_numbers(numbers, snakemake.output.numbers)
with atomic_path(snakemake.output.methods_table) as tmp:
    tmp.write_text(methods_table(snakemake.params.settings["methods"], snakemake.params.settings["seeds"], "synthetic"))
with atomic_path(snakemake.output.summary_table) as tmp:
    tmp.write_text(report.summary_table(summary))
with atomic_path(snakemake.output.verdict_table) as tmp:
    tmp.write_text(report.verdict_table_tex(verdicts))
with atomic_path(snakemake.output.gradient_table) as tmp:
    tmp.write_text(report.gradient_table_tex(verdicts[report.is_gradient_row(verdicts)]))
main = [name for name, spec in snakemake.params.settings["methods"].items()
        if spec.get("m", snakemake.params.settings["default_m"]) == snakemake.params.settings["default_m"]]
with atomic_path(snakemake.output.matched_table) as tmp:
    tmp.write_text(report.matched_table_tex(matched, main))
with atomic_path(snakemake.output.penalised_table) as tmp:
    tmp.write_text(report.penalised_table(frontier, deep, snakemake.params.settings["methods"]))
