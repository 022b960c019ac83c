"""Rule synthetic_figures: the synthetic track's seaborn figures (PDF + PNG)."""

import json

import pandas as pd

from harmhorizon.io import setup_logging
from harmhorizon.report import synthetic as report
from harmhorizon.report.figures import save_figure

setup_logging(snakemake.log[0])
kl, prefill, grad, runs = (pd.read_csv(snakemake.input[k]) for k in ("kl", "prefill", "grad", "runs"))
mc, exact_prefill = pd.read_csv(snakemake.input.mc), pd.read_csv(snakemake.input.exact_prefill)
fidelity = json.loads(open(snakemake.input.fidelity).read())
default_m = snakemake.params.default_m
horizons = runs.groupby("m").t_epsilon.first().astype(int).to_dict()
t_eps = horizons[default_m]
main = sorted(set(runs.method[runs.m == default_m]) - {"base"}, key=list(runs.method).index)
# E3's runs: RLHF against h_m on the track's seeds (not against a learned r̂, not a replication on seeds of its own).
rlhf = [name for name, spec in snakemake.params.methods.items()
        if spec["objective"] == "rlhf" and "reward_model" not in spec and "seeds" not in spec]
figures = {
    "fidelity": report.fidelity_figure(mc, fidelity),
    "kl_profile": report.kl_profile_figure(kl[kl.method.isin(main)], t_eps, default_m),
    "grad_profile": report.grad_profile_figure(grad[grad.method.isin(main)], t_eps),
    "prefill": report.prefill_figure(prefill[prefill.method.isin(main + ["base"])], exact_prefill, t_eps, default_m),
    "horizon_sweep": report.horizon_sweep_figure(kl[kl.method.isin(rlhf)], horizons),
    "gradient_test": report.gradient_test_figure(pd.read_csv(snakemake.input.gradient_test)),
}
matched = pd.read_csv(snakemake.input.matched)
levels = matched[matched.method.isin(main)].harm_level.unique()
figures["frontier"] = report.frontier_figure(pd.read_csv(snakemake.input.frontier), pd.read_csv(snakemake.input.optimum),
                                             levels, default_m)
figures["appendix_a"] = report.appendix_a_figure(pd.read_csv(snakemake.input.shared), snakemake.params.K)
for name, fig in figures.items():
    save_figure(fig, snakemake.output.pdf[list(figures).index(name)], snakemake.output.png[list(figures).index(name)])
