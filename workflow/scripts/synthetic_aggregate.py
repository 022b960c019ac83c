"""Rule synthetic_aggregate: per-run folders -> kl_profile, prefill, grad_profile, runs and summary CSVs."""

from pathlib import Path

from harmhorizon.io import setup_logging, write_csv
from harmhorizon.report.synthetic import aggregate, load_run
from harmhorizon.synthetic.experiment import track_setup
from harmhorizon.synthetic.plan import seeds_of

log = setup_logging(snakemake.log[0])
syn = snakemake.params.synthetic
automaton, _ = track_setup(snakemake.params.automaton, syn)
runs = []
for folder in snakemake.input.runs:
    method = Path(folder).name
    for seed in seeds_of(syn, method):
        files = {name: Path(folder) / f"seed{seed}" / f"{name}.{ext}"
                 for name, ext in (("kl", "csv"), ("prefill", "csv"), ("grad", "csv"), ("metrics", "json"))}
        runs.append(load_run(files, method, seed))
evaluation = syn["evaluation"]
kl, prefill, grad, runs_table, summary = aggregate(runs, automaton, syn["methods"], snakemake.params.epsilon,
                                                   evaluation["depth_margin"], evaluation["collapse_benign_kl"])
log.info("%d runs, %d collapsed", len(runs_table), int(runs_table.collapsed.sum()))
for frame, path in ((kl, snakemake.output.kl), (prefill, snakemake.output.prefill), (grad, snakemake.output.grad),
                    (runs_table, snakemake.output.runs), (summary, snakemake.output.summary)):
    write_csv(frame, path)
