"""Results do not depend on scheduling (docs/architecture.md, "Determinism").

The session's reviewer run (`--cores 2`, every track at once) is compared with its one-core run (`--cores 1`, one job
at a time) of the synthetic environment's reference stage and one seed of the base and of one method per kind of
trainer (tests/_reviewer_run.py; both run while the other tests do): the base model, the pool, Monte Carlo I_t,
every aligned model and every per-run table must be byte-identical. The thread count of torch comes from the config
(`torch_threads`), not from the cores a job was given, which is what makes this hold. That a fresh run reproduces
the committed reference is `test_verify`'s part.
"""

import pytest

from harmhorizon.numerics import fix_torch_threads
from harmhorizon.plan import paper_model

pytestmark = pytest.mark.workflow


def synthetic_files(workdir, model: str, runs: list[str], seed: int) -> dict[str, bytes]:
    """Every file that carries numbers: models, pools, Monte Carlo I_t, the compared runs' tables."""
    roots = [workdir / "work/synthetic" / model / "base", workdir / "work/synthetic" / model / "pool_harmful.csv",
             workdir / "work/synthetic" / model / "pool_benign.csv",
             workdir / "results/synthetic" / model / "harm_information.csv"]
    roots += [workdir / "work/synthetic" / model / "aligned" / run / f"seed{seed}/final" for run in runs if run != "base"]
    roots += [workdir / "results/synthetic" / model / "runs" / run / f"seed{seed}" for run in runs]
    paths = [p for root in roots for p in ([root] if root.is_file() else root.rglob("*"))
             if p.suffix in (".csv", ".json", ".safetensors") and "checkpoint-" not in p.as_posix()
             and p.name not in ("trainer_state.json", "run_config.json")]
    return {p.relative_to(workdir).as_posix(): p.read_bytes() for p in sorted(paths)}


def test_synthetic_runs_are_identical_with_one_and_with_two_cores(one_core_workdir, reviewer_workdir):
    from _reviewer_run import compared_runs, run_config

    config = run_config()
    model, seed, runs = paper_model(config, "synthetic"), config["synthetic"]["seeds"][0], compared_runs(config)
    a, b = synthetic_files(reviewer_workdir, model, runs, seed), synthetic_files(one_core_workdir, model, runs, seed)
    assert sum(name.endswith("model.safetensors") for name in a) == len(runs), sorted(a)
    assert a.keys() == b.keys(), sorted(set(a) ^ set(b))
    different = sorted(name for name in a if a[name] != b[name])
    assert not different, f"--cores 1 and --cores 2 give different files: {different}"


def test_torch_threads_are_set_and_checked():
    import torch

    before = torch.get_num_threads()
    try:
        fix_torch_threads(1)
        assert torch.get_num_threads() == 1
        with pytest.raises(ValueError, match="torch_threads"):
            fix_torch_threads(0)
    finally:
        torch.set_num_threads(before)
