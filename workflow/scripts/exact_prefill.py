"""Rule exact_prefill: recovery at every prefill state (E4) and the P5/P6 bound table."""

from harmhorizon.io import setup_logging, write_csv
from harmhorizon.theory.automaton import Automaton
from harmhorizon.theory.experiments import prefill_table, recovery_bound_table

log = setup_logging(snakemake.log[0])
automaton = Automaton(**snakemake.params.automaton)
grid = snakemake.params.prefill
table = prefill_table(automaton, snakemake.params.m_sweep, grid["betas"], grid["mus"], grid["gammas"])
write_csv(table, snakemake.output.prefill)
bound = recovery_bound_table(automaton, grid["betas"], grid["mus"], grid["gammas"])
log.info("recovery bound: min slack %.3g over %d states", bound["slack"].min(), len(bound))
write_csv(bound, snakemake.output.bound)
