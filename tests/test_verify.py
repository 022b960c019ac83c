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
    compare_values,
    emulation_env,
    failed,
    latex_numbers,
    reference_for,
    summary_lines,
    verdict_agreement,
)

from conftest import REPO


def test_tolerance_is_absolute_plus_relative():
    tolerance = Tolerance(abs=1e-9, rel=1e-9)
    assert tolerance.passes(1.0, 1.0 + 1.5e-9)
    assert not tolerance.passes(1.0, 1.0 + 3e-9)
    assert tolerance.passes(float("nan"), float("nan")) and not tolerance.passes(float("nan"), 0.0)


def test_latex_macro_texts_are_compared_as_numbers():
    shape, values, units = latex_numbers(r"3.1\times 10^{-16}")
    assert (shape, values) == ("#", [3.1e-16]) and units == pytest.approx([1e-17])
    assert latex_numbers(r"0.42\,[0.40, 0.44]") == (r"#\,[#, #]", [0.42, 0.40, 0.44], [0.01, 0.01, 0.01])
    assert latex_numbers("40") == ("#", [40.0], [0.0])
    assert latex_numbers(r"\text{n/a}") is None


def test_a_rounded_macro_may_flip_its_last_digit_but_a_count_may_not():
    """6.16 and 6.17 are two roundings of values a hair apart; 6.18 is not; 3 and 4 are different counts."""
    strict = Tolerance(abs=1e-9, rel=1e-9)
    assert compare_values(r"2.41\,[1, 6.16]", r"2.41\,[1, 6.17]", strict)[0]
    assert not compare_values(r"2.41\,[1, 6.16]", r"2.41\,[1, 6.18]", strict)[0]
    assert not compare_values("3", "4", strict)[0]
    assert compare_values(r"1.3\times 10^{-6}", r"1.4\times 10^{-6}", strict)[0]
    assert not compare_values(r"1.3\times 10^{-6}", r"1.5\times 10^{-6}", strict)[0]


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


@pytest.fixture
def seeded(tmp_path):
    """A committed and a fresh seeded-track folder: per-seed KL, a summary and its verdicts (identical)."""
    committed, fresh = tmp_path / "committed", tmp_path / "fresh"
    kl = pd.DataFrame({"method": ["dpo"] * 6, "seed": [1, 2, 3] * 2, "t": [1, 1, 1, 2, 2, 2],
                       "kl": [0.10, 0.14, 0.12, 0.02, 0.03, 0.025]})
    summary = pd.DataFrame({"method": ["dpo"], "metric": ["kl_past_horizon"], "mean": [0.20], "ci_low": [0.15],
                            "ci_high": [0.25], "n_seeds": [3]})
    verdicts = pd.DataFrame({"prediction": ["E5: shallow"], "method": ["dpo"], "metric": ["kl_past_horizon"],
                             "mean": [0.20], "ci_low": [0.15], "ci_high": [0.25], "n": [3], "threshold": [0.25],
                             "verdict": ["confirmed"]})
    for root in (committed, fresh):
        (root / "synthetic").mkdir(parents=True)
        kl.to_csv(root / "synthetic/kl_profile.csv", index=False)
        summary.to_csv(root / "synthetic/summary.csv", index=False)
        verdicts.to_csv(root / "synthetic/verdicts.csv", index=False)
    return committed, fresh, kl, verdicts


def test_a_seed_level_perturbation_passes(seeded):
    """Every per-seed value moved by one committed seed standard deviation: within the 2-sd tolerance."""
    committed, fresh, kl, _ = seeded
    sd = kl.groupby(["method", "t"]).kl.transform("std")
    kl.assign(kl=kl.kl + sd).to_csv(fresh / "synthetic/kl_profile.csv", index=False)
    tolerances = Tolerances.load(TOLERANCES)
    table = compare_folders(committed, fresh, tolerances)
    assert not failed(table), table[table.verdict != "ok"]
    lines = summary_lines(table, verdict_agreement(committed, fresh, tolerances))
    assert lines[0] == "verdicts identical: 1 of 1" and "within tolerance" in lines[1]


def test_a_number_past_its_seed_spread_fails_naming_it(seeded):
    committed, fresh, kl, _ = seeded
    moved = kl.copy()
    moved.loc[4, "kl"] += 3 * moved[moved.t == 2].kl.std()
    moved.to_csv(fresh / "synthetic/kl_profile.csv", index=False)
    tolerances = Tolerances.load(TOLERANCES)
    table = compare_folders(committed, fresh, tolerances)
    bad = table[table.verdict != "ok"]
    assert list(zip(bad.file, bad.metric)) == [("synthetic/kl_profile.csv", "kl")]
    assert "3 seed sd" in bad.iloc[0].note and bad.iloc[0].committed == 0.03
    index = pd.DataFrame({"artefact": ["results/figures/synthetic/kl_profile.pdf"], "rule": ["synthetic_figures"],
                          "script": ["workflow/scripts/synthetic_figures.py"],
                          "data": ["results/synthetic/kl_profile.csv results/synthetic/prefill.csv"]})
    lines = summary_lines(table, verdict_agreement(committed, fresh, tolerances), index)
    assert any("FAIL synthetic/kl_profile.csv kl" in line for line in lines)
    assert "  synthetic/kl_profile.csv is shown in results/figures/synthetic/kl_profile.pdf (rule synthetic_figures)" in lines


def test_a_flipped_verdict_fails_naming_it(seeded):
    committed, fresh, _, verdicts = seeded
    verdicts.assign(verdict=["refuted"]).to_csv(fresh / "synthetic/verdicts.csv", index=False)
    tolerances = Tolerances.load(TOLERANCES)
    table = compare_folders(committed, fresh, tolerances)
    assert failed(table) and ("synthetic/verdicts.csv", "verdict") in set(zip(table.file, table.metric))
    lines = summary_lines(table, verdict_agreement(committed, fresh, tolerances))
    assert lines[0] == "verdicts identical: 0 of 1"
    assert "CHANGED synthetic/verdicts.csv: E5: shallow [dpo] confirmed -> refuted" in lines[1]


def test_a_single_seed_mean_is_compared_to_the_float_allowance_not_passed_unseen(seeded):
    """A one-seed row has no interval (NaN ends): its mean gets the file's default tolerance, so a moved
    value fails instead of passing a comparison with NaN bounds."""
    committed, fresh, _, _ = seeded
    one = pd.DataFrame({"method": ["dpo"], "metric": ["kl_share_first"], "mean": [0.17], "ci_low": [float("nan")],
                        "ci_high": [float("nan")], "n_seeds": [1]})
    one.to_csv(committed / "synthetic/summary.csv", index=False)
    one.assign(mean=[0.17 + 1e-6]).to_csv(fresh / "synthetic/summary.csv", index=False)
    tolerances = Tolerances.load(TOLERANCES)
    assert not failed(compare_folders(committed, fresh, tolerances))
    one.assign(mean=[0.32]).to_csv(fresh / "synthetic/summary.csv", index=False)
    bad = compare_folders(committed, fresh, tolerances).query("verdict != 'ok'")
    assert list(zip(bad.file, bad.metric)) == [("synthetic/summary.csv", "mean")]


def test_discrete_outcomes_must_match_exactly(seeded):
    """Step counts and set sizes depend on config and seed alone: one step fewer fails, however spread the seeds."""
    committed, fresh, _, _ = seeded
    runs = pd.DataFrame({"method": ["dpo"] * 3, "seed": [1, 2, 3], "total_kl": [0.1, 0.5, 0.9],
                         "train_steps": [30, 30, 30], "train_examples": [2560] * 3})
    runs.to_csv(committed / "synthetic/runs.csv", index=False)
    runs.assign(total_kl=[0.12, 0.5, 0.9]).to_csv(fresh / "synthetic/runs.csv", index=False)
    tolerances = Tolerances.load(TOLERANCES)
    assert not failed(compare_folders(committed, fresh, tolerances))
    runs.assign(train_steps=[20, 30, 30]).to_csv(fresh / "synthetic/runs.csv", index=False)
    bad = compare_folders(committed, fresh, tolerances).query("verdict != 'ok'")
    assert list(zip(bad.file, bad.metric)) == [("synthetic/runs.csv", "train_steps")]


def test_cpu_emulation_sets_the_code_path_of_the_math_libraries():
    env = emulation_env("avx2")
    assert env["MKL_ENABLE_INSTRUCTIONS"] == "AVX2" and env["ATEN_CPU_CAPABILITY"] == "avx2"
    assert "X86_V4" in env["NPY_DISABLE_CPU_FEATURES"]
    assert "ATEN_CPU_CAPABILITY" not in emulation_env(None) or "ATEN_CPU_CAPABILITY" in __import__("os").environ
    with pytest.raises(ValueError, match="avx2"):
        emulation_env("avx1024")


def test_an_exact_quotient_is_compared_relative_to_its_conditioning(tmp_path):
    """The ratio 2 beta^2 KL/I where KL is 1e-9: a 4e-7 relative change is float64 rounding, 1e-3 is not."""
    committed, fresh = tmp_path / "committed", tmp_path / "fresh"
    frame = pd.DataFrame({"m": [3, 3], "beta": [1000.0, 0.1], "t": [1, 1], "kl": [1e-9, 0.5], "ratio": [1.003394528, 0.4]})
    for root in (committed, fresh):
        (root / "exact").mkdir(parents=True)
        frame.to_csv(root / "exact/kl_profile.csv", index=False, float_format="%.12g")
    tolerances = Tolerances.load(TOLERANCES)
    frame.assign(ratio=[1.003394953, 0.4]).to_csv(fresh / "exact/kl_profile.csv", index=False, float_format="%.12g")
    assert not failed(compare_folders(committed, fresh, tolerances))
    frame.assign(ratio=[1.003394528, 0.4 * (1 + 4e-7)]).to_csv(fresh / "exact/kl_profile.csv", index=False, float_format="%.12g")
    assert failed(compare_folders(committed, fresh, tolerances)), "where KL is O(1) the ratio keeps its 1e-9 tolerance"
    frame.assign(ratio=[1.004, 0.4]).to_csv(fresh / "exact/kl_profile.csv", index=False, float_format="%.12g")
    assert failed(compare_folders(committed, fresh, tolerances))


def test_cli_refuses_a_missing_config():
    result = subprocess.run([sys.executable, "-m", "harmhorizon.verify", "--config", "config/nope.yaml"], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 2 and "config/nope.yaml" in result.stderr


@pytest.mark.workflow
def test_verify_passes_on_the_test_run_and_fails_on_a_perturbed_reference(tmp_path, reviewer_workdir):
    """The fresh test-config run matches results/reference-test/; a perturbed copy of it is caught."""
    workdir = reviewer_workdir
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


def test_a_text_column_with_missing_values_agrees_with_itself(tmp_path):
    """A column of True/False with empty cells (an unjudged ledger row) compares equal to its copy, and a flip fails."""
    committed, fresh = tmp_path / "committed", tmp_path / "fresh"
    ledger = pd.DataFrame({"result": ["Thm 20", "Thm 19"], "measured": [0.9, 0.1], "holds": [False, None]})
    for root in (committed, fresh):
        (root / "exact").mkdir(parents=True)
        ledger.to_csv(root / "exact/paper_results.csv", index=False)
    tolerances = Tolerances.load(TOLERANCES)
    assert not failed(compare_folders(committed, fresh, tolerances))
    ledger.assign(holds=[True, None]).to_csv(fresh / "exact/paper_results.csv", index=False)
    bad = compare_folders(committed, fresh, tolerances).query("verdict != 'ok'")
    assert list(bad.metric) == ["holds"]


def test_a_printed_mean_and_interval_follows_the_summary_rule():
    """Macros that print a summary row (mean [low, high]) move like the row: the mean inside the committed
    interval, the ends within two half-widths; a mean outside it fails."""
    rule = Tolerance(abs=1e-4, rel=1e-3, macro_interval=True)
    assert compare_values(r"14\,[0, 29]", r"17\,[8.7, 25]", rule)[0]
    assert compare_values(r"3.3\times 10^{-4}\,[0, 0.0011]", r"0\,[0, 0]", rule)[0]
    assert not compare_values(r"14\,[0, 29]", r"31\,[20, 40]", rule)[0]
    assert not compare_values(r"0.24\,[0.22, 0.26]", r"0.24\,[0.22, 0.40]", rule)[0]
    assert not compare_values(r"14\,[0, 29]", r"17\,[8.7, 25]", Tolerance(abs=1e-4, rel=1e-3))[0]


def test_a_collapsed_run_is_listed_not_judged_but_its_discrete_outcomes_are(seeded):
    """A run the registered collapse rule flags (benign KL above config/predictions.yaml's maximum) in either
    folder: its per-seed differences read COLLAPSED and pass; the same change in a healthy run fails; its step
    count must still match; a frontier point flagged on one side only is listed too."""
    committed, fresh, kl, _ = seeded
    tolerances = Tolerances.load(TOLERANCES)
    limit = tolerances.collapse_maxima["benign_kl"]
    runs = pd.DataFrame({"method": ["dpo"] * 3, "seed": [1, 2, 3], "benign_kl": [0.1, 0.2, 0.3],
                         "total_kl": [1.0, 2.0, 3.0], "train_steps": [30] * 3})
    runs.to_csv(committed / "synthetic/runs.csv", index=False)
    runs.assign(benign_kl=[0.1, 0.2, 2 * limit]).to_csv(fresh / "synthetic/runs.csv", index=False)  # seed 3 collapses
    moved = kl.copy()
    moved.loc[5, "kl"] += 10 * moved[moved.t == 2].kl.std()  # seed 3 at t = 2
    moved.to_csv(fresh / "synthetic/kl_profile.csv", index=False)
    table = compare_folders(committed, fresh, tolerances)
    assert not failed(table), table[table.verdict != "ok"]
    excused = table[table.verdict == "COLLAPSED"]
    assert set(zip(excused.file, excused.metric)) == {("synthetic/kl_profile.csv", "kl"), ("synthetic/runs.csv", "benign_kl")}
    lines = summary_lines(table, verdict_agreement(committed, fresh, tolerances))
    assert "differences only in rows of collapsed runs (listed, not judged): 2" in lines
    # The same move in a healthy run (seed 2) fails.
    moved = kl.copy()
    moved.loc[4, "kl"] += 10 * moved[moved.t == 2].kl.std()
    moved.to_csv(fresh / "synthetic/kl_profile.csv", index=False)
    bad = compare_folders(committed, fresh, tolerances).query("verdict == 'FAIL'")
    assert list(zip(bad.file, bad.metric)) == [("synthetic/kl_profile.csv", "kl")]
    # A collapsed run's step count is still a discrete outcome of config and seed.
    kl.to_csv(fresh / "synthetic/kl_profile.csv", index=False)
    runs.assign(benign_kl=[0.1, 0.2, 2 * limit], train_steps=[30, 30, 20]).to_csv(fresh / "synthetic/runs.csv", index=False)
    bad = compare_folders(committed, fresh, tolerances).query("verdict == 'FAIL'")
    assert list(zip(bad.file, bad.metric)) == [("synthetic/runs.csv", "train_steps")]
    # Frontier points: the row's own flag, on either side.
    points = pd.DataFrame({"method": ["dpo"] * 3, "seed": [1, 1, 1], "step": [0, 5, 10], "harm": [0.4, 0.3, 0.2],
                           "total_kl": [0.0, 5.0, 30.0], "collapsed": [False, False, False]})
    points.to_csv(committed / "synthetic/frontier.csv", index=False)
    runs.to_csv(fresh / "synthetic/runs.csv", index=False)
    points.assign(total_kl=[0.0, 5.0, 60.0], collapsed=[False, False, True]).to_csv(fresh / "synthetic/frontier.csv", index=False)
    table = compare_folders(committed, fresh, tolerances)
    assert not failed(table) and set(table.query("verdict == 'COLLAPSED'").metric) == {"total_kl", "collapsed"}
    points.assign(total_kl=[0.0, 9.0, 30.0]).to_csv(fresh / "synthetic/frontier.csv", index=False)
    assert failed(compare_folders(committed, fresh, tolerances))


def test_verdicts_without_a_method_column_are_matched_row_by_row(tmp_path):
    """A verdicts file named by other columns (the exact ablation's environment, policy, gradient and harm
    fraction) is compared row by row: one agreement row per committed row, and a flip is named by its cell."""
    committed, fresh = tmp_path / "committed", tmp_path / "fresh"
    rows = pd.DataFrame({"environment": ["sharp"] * 3, "policy": ["tabular", "bias", "bias"],
                         "gradient": ["exact"] * 3, "metric": ["kl_decided"] * 3, "harm_fraction": [None, 0.5, 0.25],
                         "prediction": ["P2: stays 0", "P2: positive", "P2: positive"],
                         "verdict": ["confirmed", "untestable", "confirmed"]})
    for folder, table in ((committed, rows), (fresh, rows.assign(verdict=["confirmed", "untestable", "refuted"]))):
        (folder / "exact").mkdir(parents=True)
        table.to_csv(folder / "exact/ablation_verdicts.csv", index=False)
    agreement = verdict_agreement(committed, fresh, Tolerances.load(TOLERANCES))
    assert len(agreement) == 3 and list(agreement.fresh) == ["confirmed", "untestable", "refuted"]
    changed = agreement[agreement.committed != agreement.fresh]
    assert list(changed.method) == ["environment=sharp policy=bias gradient=exact harm_fraction=0.25"]
