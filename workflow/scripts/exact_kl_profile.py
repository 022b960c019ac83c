"""Rule exact_kl_profile: KL_t of the standard optimum beside I_t / (2β²) (E2, E3)."""

from harmhorizon.io import setup_logging, write_csv
from harmhorizon.theory.automaton import Automaton
from harmhorizon.theory.experiments import kl_profile_table

log = setup_logging(snakemake.log[0])
automaton = Automaton(**snakemake.params.automaton)
table = kl_profile_table(automaton, snakemake.params.m_sweep, snakemake.params.betas)
log.info("kl profile: %d rows", len(table))
write_csv(table, snakemake.output[0])
