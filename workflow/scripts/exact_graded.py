"""Rule exact_graded: E3b, graded against threshold harm on the exact automaton (docs/experiments.md E3b;
src/harmhorizon/theory/experiments.py::graded_harm_tables)."""

import yaml

from harmhorizon.io import setup_logging, write_csv
from harmhorizon.theory.automaton import Automaton
from harmhorizon.theory.experiments import graded_harm_tables, graded_verdicts

log = setup_logging(snakemake.log[0])
with open(snakemake.input.predictions) as handle:
    rules = yaml.safe_load(handle)["graded"]
information, optima = graded_harm_tables(Automaton(**snakemake.params.automaton), snakemake.params.betas,
                                         snakemake.params.epsilon)
verdicts = graded_verdicts(optima, rules["zero_tolerance"])
log.info("optima:\n%s\nverdicts:\n%s", optima.to_string(index=False), verdicts.to_string(index=False))
write_csv(information, snakemake.output.information)
write_csv(optima, snakemake.output.optima)
write_csv(verdicts, snakemake.output.verdicts)
