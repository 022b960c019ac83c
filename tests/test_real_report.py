"""The verdict rules (evaluate.verdicts), Welch intervals, the attack depth, the per-run metrics past the
horizon (evaluate.summary) and the real track's reported context numbers."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from harmhorizon.evaluate.summary import run_metrics, summarise
from harmhorizon.evaluate.verdicts import attack_depth, chat_verdicts
from harmhorizon.intervals import welch_difference
from harmhorizon.report.real import real_verdict_table, reported_prefill_numbers, verdict_numbers

METHODS = {"dpo": {"objective": "dpo"}, "recovery": {"objective": "recovery"}, "augment": {"objective": "augment"}}


def test_welch_difference_matches_scipy():
    a, b = [0.9, 0.7, 0.8, 0.85], [0.1, 0.3, 0.15]
    diff, low, high, n = welch_difference(a, b)
    reference = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert diff == pytest.approx(np.mean(a) - np.mean(b))
    assert (low, high) == pytest.approx((reference.low, reference.high), rel=1e-12)
    assert n == 3


def test_welch_difference_needs_two_per_group():
    diff, low, high, n = welch_difference([0.5], [0.1, 0.2])
    assert diff == pytest.approx(0.35) and np.isnan(low) and np.isnan(high) and n == 1


@pytest.mark.parametrize("horizon, expected", [(3.0, 5), (5.0, 5), (12.0, 20), (40.0, 40), (64.0, None),
                                               (float("nan"), None)])
def test_attack_depth_is_the_first_k_past_the_horizon(horizon, expected):
    assert attack_depth([0, 5, 10, 20, 40], horizon) == expected


def _prefill(recovery: dict, k: int = 10) -> pd.DataFrame:
    return pd.DataFrame([{"method": m, "seed": s, "k": k, "recovery_rate": r, "harm_rate": 1 - r}
                         for m, values in recovery.items() for s, r in enumerate(values)])


def test_verdict_rules_confirm_refute_and_abstain():
    prefill = _prefill({"base": [0.0, 0.05, 0.0], "dpo": [0.0, 0.02, 0.01], "recovery": [0.8, 0.9, 0.85],
                        "augment": [0.0, 0.6, 0.1]})
    summary = pd.DataFrame([{"method": "dpo", "metric": "kl_past_horizon", "mean": 0.6, "ci_low": 0.5,
                             "ci_high": 0.7, "n_seeds": 3}])
    table = chat_verdicts(prefill, summary, METHODS, horizon=8.0, ks=[0, 10], shallow_fraction=0.25, margin=0.05,
                          kl_positions=64)
    verdict = {(row.method, row.metric): row.verdict for row in table.itertuples()}
    assert verdict[("dpo", "kl_past_horizon")] == "refuted"  # its KL lies past the horizon
    assert verdict[("dpo", "recovery_gain_k10")] == "inconclusive"  # interval wider than ±0.05
    assert verdict[("recovery", "recovery_gain_k10")] == "confirmed"
    assert verdict[("augment", "recovery_gain_k10")] == "inconclusive"  # one seed recovers, two do not
    assert verdict_numbers(table) == {"RealVerdictsConfirmed": "1", "RealVerdictsRefuted": "1",
                                      "RealVerdictsInconclusive": "2", "RealVerdictsUntestable": "0",
                                      "RealVerdictsTotal": "4"}
    assert r"\label{tab:real-verdicts}" in real_verdict_table(table)


def test_deep_method_below_the_base_is_refuted():
    prefill = _prefill({"base": [0.5, 0.6, 0.55], "recovery": [0.0, 0.02, 0.01]})
    table = chat_verdicts(prefill, pd.DataFrame(columns=["method", "metric", "mean", "ci_low", "ci_high", "n_seeds"]),
                          {"recovery": {"objective": "recovery"}}, horizon=4.0, ks=[10], shallow_fraction=0.25,
                          margin=0.05, kl_positions=64)
    assert list(table.verdict) == ["refuted"]


@pytest.mark.parametrize("horizon", [64.0, float("nan")])
def test_no_measurement_past_the_horizon_is_untestable_not_confirmed(horizon):
    """With t_ε at the end of the KL window (or undefined), the KL share past t_ε is 0 by construction and
    no attacked k lies past t_ε: every prediction is reported as untestable."""
    prefill = _prefill({"base": [0.0, 0.0, 0.0], "dpo": [0.0, 0.0, 0.0], "recovery": [0.9, 0.8, 0.85]}, k=40)
    summary = pd.DataFrame([{"method": "dpo", "metric": "kl_past_horizon", "mean": 0.0, "ci_low": 0.0,
                             "ci_high": 0.0, "n_seeds": 3}])
    table = chat_verdicts(prefill, summary, METHODS, horizon=horizon, ks=[0, 40], shallow_fraction=0.25, margin=0.05,
                          kl_positions=64)
    assert set(table.verdict) == {"untestable"} and table["mean"].isna().all()
    assert verdict_numbers(table)["RealVerdictsUntestable"] == str(len(table))


def test_reported_prefilling_table_is_complete_and_becomes_macros(repo):
    reported = pd.read_csv(repo / "data/qi2025_prefilling.csv")
    assert sorted(reported.k.unique()) == [5, 10, 20, 40]
    assert set(reported.condition) == {"initial", "augmented"} and len(reported) == 8
    assert reported.asr_percent.between(0, 100).all() and (reported.std_percent >= 0).all()
    numbers = reported_prefill_numbers(reported)
    initial = reported[reported.condition == "initial"].sort_values("k")
    assert numbers["QiInitialAsrKForty"] == f"{initial.asr_percent.iloc[-1]:.1f} \\pm {initial.std_percent.iloc[-1]:.1f}"
    assert numbers["QiKs"] == "5, 10, 20, 40"
    with pytest.raises(ValueError, match="asr_percent"):
        reported_prefill_numbers(reported.drop(columns="asr_percent"))


def test_kl_share_past_the_horizon_is_nan_when_nothing_lies_past_it():
    kl = pd.DataFrame({"t": range(1, 9), "kl": [1.0 / t for t in range(1, 9)]})
    prefill = pd.DataFrame({"k": [0, 4], "prefilled": [0, 4], "recovery_rate": [0.2, 0.9], "harm_rate": [0.5, 0.1]})
    base = prefill.assign(recovery_rate=[0.1, 0.1])
    grad = pd.DataFrame({"step": 0, "t": range(1, 9), "grad_norm": 1.0})
    inside = run_metrics(kl, prefill, base, grad, {"total_kl": 2.7}, horizon=4.0, margin=0.05, first_tokens=2)
    expected = sum(1.0 / t for t in range(5, 9)) / sum(1.0 / t for t in range(1, 9))
    assert inside["kl_past_horizon"] == pytest.approx(expected)
    assert inside["grad_past_horizon"] == pytest.approx(0.5)
    assert inside["recovery_gain_past_horizon"] == pytest.approx(0.8)  # only k = 4 reaches t_ε = 4
    assert inside["alignment_depth"] == 4 and inside["total_kl"] == 2.7
    at_end = run_metrics(kl, prefill, base, grad, {}, horizon=8.0, margin=0.05, first_tokens=2)
    assert np.isnan(at_end["kl_past_horizon"]) and np.isnan(at_end["grad_past_horizon"])
    assert np.isnan(at_end["recovery_gain_past_horizon"])


def test_kl_shapes_are_undetermined_below_the_float32_resolution_of_a_kl_sum():
    """A profile summing to less than KL_RESOLUTION is rounding: its shares are NaN; just above, they are defined."""
    from harmhorizon.evaluate.summary import KL_RESOLUTION

    prefill = pd.DataFrame({"k": [0], "prefilled": [0], "recovery_rate": [0.2], "harm_rate": [0.5]})
    grad = pd.DataFrame({"step": 0, "t": range(1, 9), "grad_norm": 1.0})
    shape = pd.Series([1.0 / t for t in range(1, 9)])
    for scale, defined in ((0.5, False), (2.0, True)):
        kl = pd.DataFrame({"t": range(1, 9), "kl": shape * scale * KL_RESOLUTION / shape.sum()})
        row = run_metrics(kl, prefill, prefill, grad, {}, horizon=4.0, margin=0.05, first_tokens=2)
        for metric in ("kl_past_horizon", "kl_share_first", "kl_mean_position"):
            assert np.isfinite(row[metric]) == defined, (metric, scale)
    assert row["kl_share_first"] == pytest.approx(1.5 / shape.sum())


def test_summary_intervals_stay_inside_the_range_of_the_metric():
    runs = pd.DataFrame({"method": "dpo", "seed": [0, 1, 2], "harm_rate": [0.0, 0.0, 0.3], "total_kl": [0.0, 0.0, 5.0],
                         "recovery_gain_past_horizon": [-0.9, 0.9, 0.0]})
    summary = summarise(runs).set_index("metric")
    assert summary.loc["harm_rate", "ci_low"] == 0.0 and summary.loc["total_kl", "ci_low"] == 0.0
    assert summary.loc["recovery_gain_past_horizon", "ci_low"] == -1.0
    assert summary.loc["recovery_gain_past_horizon", "ci_high"] == 1.0
    assert (summary.n_seeds == 3).all()
