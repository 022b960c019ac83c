"""Results do not depend on scheduling (docs/architecture.md, "Determinism").

The session's reviewer run (`_reviewer_run`, `--cores 2`, every track at once, started at collection) is compared
with a run at `--cores 1`, one job at a time and made while the other goes on, of the synthetic environment's
reference stage and one seed of the base and of one method per kind of trainer: the base model, the pool, Monte Carlo I_t, every aligned model and every
per-run table must be byte-identical. The thread count of torch comes from the config (`torch_threads`),
not from the cores a job was given, which is what makes this hold. That a fresh run reproduces the
committed reference is `test_verify`'s part.
"""

import pytest

from conftest import run_snakemake
from harmhorizon.numerics import fix_torch_threads
from harmhorizon.plan import paper_model

pytestmark = pytest.mark.workflow


# One objective per kind of trainer: offline preferences (trl DPO), on-policy generation (trl GRPO) and the
# project's own penalty trainer (a trl SFT subclass, as sft and augment use too).
COMPARED_OBJECTIVES = ("dpo", "rlhf", "recovery")


def compared_runs(config: dict) -> list[str]:
    """The base and the first method of each compared objective, at the first seed."""
    synthetic = config["synthetic"]
    first = {}
    for name, method in synthetic["methods"].items():
        if method["objective"] in COMPARED_OBJECTIVES:
            first.setdefault(method["objective"], name)
    return ["base", *first.values()]


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


def test_synthetic_runs_are_identical_with_one_and_with_two_cores(tmp_path):
    from _reviewer_run import TEST_CONFIG, reviewer_run, run_config

    config = run_config()
    model, seed, runs = paper_model(config, "synthetic"), config["synthetic"]["seeds"][0], compared_runs(config)
    targets = [f"results/synthetic/{model}/runs/{run}/seed{seed}/metrics.json" for run in runs]
    # The gradient test of the compared runs that have one: the base's reference and the tested methods' checkpoints.
    tested = config["synthetic"]["gradient_test"]
    targets.append(f"results/synthetic/{model}/runs/base/seed{seed}/gradient_test_reference.csv")
    targets += [f"results/synthetic/{model}/runs/{run}/seed{seed}/gradient_test_{checkpoint}.csv"
                for run in runs if run in tested["methods"] for checkpoint in tested["checkpoints"]]
    # Each compared run's harm–KL trace (its snapshots, measured).
    targets += [f"results/synthetic/{model}/runs/{run}/seed{seed}/frontier.csv" for run in runs if run != "base"]
    # Both prefill attacks (the rank-assisted one draws its prefixes greedily from the model's own ranks).
    targets += [f"results/synthetic/{model}/runs/{run}/seed{seed}/attack.csv" for run in runs]
    run_snakemake(*targets, f"results/synthetic/{model}/harm_information.csv", "--cores", "1", "--configfile",
                  str(TEST_CONFIG), workdir=tmp_path)
    two_cores = reviewer_run()  # waited for only now: this test's own run goes beside it
    a, b = synthetic_files(two_cores, model, runs, seed), synthetic_files(tmp_path, model, runs, seed)
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
