"""make verify: tolerances from one file, the verdict table, and a run against the committed reference."""

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from harmhorizon.verify import (
    TOLERANCES,
    Tolerance,
    Tolerances,
    compare_folders,
    failed,
    latex_numbers,
    reference_for,
)

from conftest import REPO


def test_tolerance_is_absolute_plus_relative():
    tolerance = Tolerance(abs=1e-9, rel=1e-9)
    assert tolerance.passes(1.0, 1.0 + 1.5e-9)
    assert not tolerance.passes(1.0, 1.0 + 3e-9)
    assert tolerance.passes(float("nan"), float("nan")) and not tolerance.passes(float("nan"), 0.0)


def test_latex_macro_texts_are_compared_as_numbers():
    assert latex_numbers(r"3.1\times 10^{-16}") == ("#", [3.1e-16])
    assert latex_numbers(r"0.42\,[0.40, 0.44]") == (r"#\,[#, #]", [0.42, 0.40, 0.44])
    assert latex_numbers(r"\text{n/a}") is None


def test_the_tolerances_file_states_the_exact_track_at_1e_9():
    tolerances = Tolerances.load(TOLERANCES)
    default, _ = tolerances.for_file("exact/kl_profile.csv")
    assert (default.abs, default.rel) == (1e-9, 1e-9)
    _, columns = tolerances.for_file("synthetic/summary.csv")
    assert columns["mean"].interval == ("ci_low", "ci_high")
    for timing in ("bench/exact_dp.json", "benchmarks/exact_numbers.tsv", "exact/provenance.json"):
        assert tolerances.excluded(timing)
    # A folder nobody has given a tolerance must match exactly.
    default, _ = tolerances.for_file("newtrack/x.csv")
    assert (default.abs, default.rel) == (0.0, 0.0)


def test_reference_of_each_config():
    assert reference_for(REPO / "config/config.yaml") == REPO / "results"
    assert reference_for(REPO / "config/test.yaml") == REPO / "results/reference-test"


@pytest.fixture
def folders(tmp_path):
    """A committed and a fresh results folder with one CSV and one JSON each (identical)."""
    committed, fresh = tmp_path / "committed", tmp_path / "fresh"
    for root in (committed, fresh):
        (root / "exact").mkdir(parents=True)
        pd.DataFrame({"m": [1, 2], "t": [1, 1], "kl": [0.5, 0.25]}).to_csv(root / "exact/kl.csv", index=False)
        (root / "exact/numbers.json").write_text(json.dumps({"GradCovErr": r"3.1\times 10^{-16}", "Autm": "3"}))
        summary = pd.DataFrame({"method": ["dpo"], "metric": ["harm"], "mean": [0.30], "ci_low": [0.25], "ci_high": [0.35], "n_seeds": [3]})
        (root / "synthetic").mkdir()
        summary.to_csv(root / "synthetic/summary.csv", index=False)
    (committed / "bench").mkdir()
    (committed / "bench/exact_dp.json").write_text('{"seconds": [1.0]}')
    return committed, fresh


def test_identical_folders_pass_and_timings_are_not_compared(folders):
    committed, fresh = folders
    table = compare_folders(committed, fresh, Tolerances.load(TOLERANCES))
    assert not failed(table)
    assert set(table.columns) == {"file", "metric", "committed", "fresh", "tolerance", "verdict", "note"}
    assert set(table.file) == {"exact/kl.csv", "exact/numbers.json", "synthetic/summary.csv"}


def test_a_change_beyond_tolerance_fails_naming_file_and_column(folders):
    committed, fresh = folders
    pd.DataFrame({"m": [1, 2], "t": [1, 1], "kl": [0.5, 0.25 + 1e-6]}).to_csv(fresh / "exact/kl.csv", index=False)
    table = compare_folders(committed, fresh, Tolerances.load(TOLERANCES))
    bad = table[table.verdict != "ok"]
    assert list(zip(bad.file, bad.metric)) == [("exact/kl.csv", "kl")]
    assert bad.iloc[0].committed == 0.25


def test_a_change_within_tolerance_passes(folders):
    committed, fresh = folders
    pd.DataFrame({"m": [1, 2], "t": [1, 1], "kl": [0.5, 0.25 + 1e-12]}).to_csv(fresh / "exact/kl.csv", index=False)
    assert not failed(compare_folders(committed, fresh, Tolerances.load(TOLERANCES)))


def test_macro_text_changes_are_caught(folders):
    committed, fresh = folders
    (fresh / "exact/numbers.json").write_text(json.dumps({"GradCovErr": r"3.1\times 10^{-16}", "Autm": "4"}))
    table = compare_folders(committed, fresh, Tolerances.load(TOLERANCES))
    assert table[table.verdict != "ok"].metric.tolist() == ["Autm"]


def test_summary_means_must_stay_inside_the_committed_interval(folders):
    committed, fresh = folders
    inside = pd.DataFrame({"method": ["dpo"], "metric": ["harm"], "mean": [0.34], "ci_low": [0.25], "ci_high": [0.35], "n_seeds": [3]})
    inside.to_csv(fresh / "synthetic/summary.csv", index=False)
    tolerances = Tolerances.load(TOLERANCES)
    table = compare_folders(committed, fresh, tolerances)
    assert table.set_index(["file", "metric"]).loc[("synthetic/summary.csv", "mean"), "verdict"] == "ok"
    inside.assign(mean=[0.36]).to_csv(fresh / "synthetic/summary.csv", index=False)
    table = compare_folders(committed, fresh, tolerances)
    assert table[table.verdict != "ok"].metric.tolist() == ["mean"]


def test_missing_new_and_reshaped_files_fail(folders):
    committed, fresh = folders
    (fresh / "exact/numbers.json").unlink()
    (fresh / "exact/extra.csv").write_text("a\n1\n")
    pd.DataFrame({"m": [1], "t": [1], "kl": [0.5]}).to_csv(fresh / "exact/kl.csv", index=False)
    table = compare_folders(committed, fresh, Tolerances.load(TOLERANCES))
    verdicts = dict(zip(table.file, table.verdict))
    assert verdicts == {"exact/extra.csv": "NEW", "exact/kl.csv": "FAIL", "exact/numbers.json": "MISSING", "synthetic/summary.csv": "ok"}


def test_cli_refuses_a_missing_config():
    result = subprocess.run([sys.executable, "-m", "harmhorizon.verify", "--config", "config/nope.yaml"], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 2 and "config/nope.yaml" in result.stderr


@pytest.mark.workflow
def test_verify_passes_on_the_test_run_and_fails_on_a_perturbed_reference(tmp_path):
    """The fresh test-config run matches results/reference-test/; a perturbed copy of it is caught."""
    from _reviewer_run import reviewer_run

    workdir = reviewer_run()
    command = [sys.executable, "-m", "harmhorizon.verify", "--config", "config/test.yaml", "--scratch", str(workdir), "--no-run"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "verify: passed" in result.stdout and "exact/kl_profile.csv" in result.stdout

    perturbed = tmp_path / "reference"
    shutil.copytree(REPO / "results/reference-test", perturbed)
    kl = pd.read_csv(perturbed / "exact/kl_profile.csv")
    kl.loc[len(kl) // 2, "kl"] *= 1 + 1e-6
    kl.to_csv(perturbed / "exact/kl_profile.csv", index=False, float_format="%.12g")
    result = subprocess.run(command + ["--reference", str(perturbed)], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 1
    assert "exact/kl_profile.csv" in result.stdout and "FAIL" in result.stdout
