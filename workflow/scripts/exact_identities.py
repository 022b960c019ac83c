"""Rule exact_identities: write results/exact/identities.json (E1, P3–P5 exact checks)."""

from harmhorizon.io import setup_logging, write_json
from harmhorizon.numerics import fix_torch_threads
from harmhorizon.theory.automaton import Automaton
from harmhorizon.theory.experiments import identities, recovery_bound_table

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
automaton = Automaton(**snakemake.params.automaton)
checks = snakemake.params.checks
result = identities(
    automaton,
    snakemake.params.betas,
    n_tabular=checks["n_tabular_policies"],
    n_neural=checks["n_neural_policies"],
    seed=snakemake.params.seed,
    n_mc_samples=checks["n_monte_carlo_samples"],
    n_mc_directions=checks["n_monte_carlo_directions"],
)
prefill = snakemake.params.prefill
bound = recovery_bound_table(automaton, prefill["betas"], prefill["mus"], prefill["gammas"])
result["recovery_bound_min_slack"] = float(bound["slack"].min())
result["recovery_bound_n_states"] = int(len(bound))
log.info("identities: %s", result)
write_json(result, snakemake.output[0])
