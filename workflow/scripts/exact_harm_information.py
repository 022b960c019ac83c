"""Rule exact_harm_information: I_t and ‖g_t‖ per m, and the ε-horizon table."""

from harmhorizon.io import setup_logging, write_csv
from harmhorizon.theory.automaton import Automaton
from harmhorizon.theory.experiments import harm_information_table, horizon_table

log = setup_logging(snakemake.log[0])
automaton = Automaton(**snakemake.params.automaton)
m_sweep = snakemake.params.m_sweep
write_csv(harm_information_table(automaton, m_sweep), snakemake.output.information)
horizons = horizon_table(automaton, m_sweep, snakemake.params.epsilon)
log.info("horizons:\n%s", horizons.to_string())
write_csv(horizons, snakemake.output.horizons)
