"""Results do not depend on scheduling (docs/architecture.md, "Determinism").

The session's reviewer run (`_reviewer_run`, `--cores 2`, every track at once) is compared with a run
of the synthetic track alone at `--cores 1`, one job at a time: the base model, the pool, every aligned
run and every synthetic result must be byte-identical. The thread count of torch comes from the config
(`torch_threads`), not from the cores a job was given, which is what makes this hold. That a fresh run
reproduces the committed reference is `test_verify`'s part.
"""

import pytest

from conftest import run_snakemake
from harmhorizon.numerics import fix_torch_threads

pytestmark = pytest.mark.workflow


def synthetic_files(workdir, work_tag: str) -> dict[str, bytes]:
    """Every synthetic result and intermediate that carries numbers (models, pools, per-run tables)."""
    roots = [workdir / "results/synthetic", workdir / "work/synthetic" / work_tag]
    paths = [p for root in roots for p in root.rglob("*")
             if p.suffix in (".csv", ".json", ".safetensors") and "checkpoint-" not in p.as_posix()
             and p.name not in ("provenance.json", "trainer_state.json", "run_config.json")]
    return {p.relative_to(workdir).as_posix(): p.read_bytes() for p in sorted(paths)}


def test_synthetic_track_is_identical_with_one_and_with_two_cores(tmp_path):
    from _reviewer_run import TEST_CONFIG, reviewer_run, run_config

    two_cores = reviewer_run()
    run_snakemake("results/synthetic/numbers.json", "--cores", "1", "--configfile", str(TEST_CONFIG), workdir=tmp_path)
    work_tag = run_config()["synthetic"]["work_tag"]
    a, b = synthetic_files(two_cores, work_tag), synthetic_files(tmp_path, work_tag)
    assert any(name.endswith("model.safetensors") for name in a) and len(a) >= 20, sorted(a)
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
