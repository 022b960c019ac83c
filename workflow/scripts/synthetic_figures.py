"""Rule synthetic_figures: the synthetic track's seaborn figures (PDF + PNG)."""

import json

import pandas as pd

from harmhorizon.io import setup_logging
from harmhorizon.report import synthetic as report
from harmhorizon.report.figures import save_figure
from harmhorizon.synthetic.experiment import track_setup

setup_logging(snakemake.log[0])
syn, epsilon = snakemake.params.synthetic, snakemake.params.epsilon
automaton, _ = track_setup(snakemake.params.automaton, syn)
kl, prefill, grad = (pd.read_csv(snakemake.input[k]) for k in ("kl", "prefill", "grad"))
mc = pd.read_csv(snakemake.input.mc)
fidelity = json.loads(open(snakemake.input.fidelity).read())
t_eps = report.horizon(automaton, automaton.m, epsilon)
main = [n for n, s in syn["methods"].items() if s["m"] == automaton.m]
figures = {
    "fidelity": report.fidelity_figure(mc, fidelity),
    "kl_profile": report.kl_profile_figure(kl[kl.method.isin(main)], t_eps, automaton.m),
    "grad_profile": report.grad_profile_figure(grad[grad.method.isin(main)], t_eps),
    "prefill": report.prefill_figure(prefill[prefill.method.isin(main + ["base"])],
                                     report.exact_prefill_curve(automaton, syn["evaluation"]["prefill_ks"]), t_eps, automaton.m),
    "horizon_sweep": report.horizon_sweep_figure(kl, syn["methods"], {m: report.horizon(automaton, m, epsilon)
                                                                      for m in {s["m"] for s in syn["methods"].values()}}),
}
for name, fig in figures.items():
    save_figure(fig, f"results/figures/synthetic/{name}.pdf", f"results/figures/synthetic/{name}.png")
