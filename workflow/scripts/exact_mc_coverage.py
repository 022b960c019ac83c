"""Rule exact_mc_coverage: coverage of the Monte Carlo I_t interval by exact simulation (docs/experiments.md,
"Monte Carlo I_t"; src/harmhorizon/theory/mc_coverage.py::mc_information_coverage)."""

from harmhorizon.io import setup_logging, write_csv
from harmhorizon.theory.automaton import Automaton
from harmhorizon.theory.mc_coverage import mc_information_coverage

log = setup_logging(snakemake.log[0])
table = mc_information_coverage(Automaton(**snakemake.params.automaton), snakemake.params.designs,
                                snakemake.params.replications, snakemake.params.seed)
log.info("coverage:\n%s", table.to_string(index=False))
write_csv(table, snakemake.output[0])
