"""Harm–KL frontiers (evaluate/frontier.py) and the matched-harm verdicts (evaluate/verdicts.frontier_verdicts)."""

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from conftest import REPO
from harmhorizon.envs.automaton import AutomatonEnvironment
from harmhorizon.evaluate.frontier import at_harm, collapsed, gibbs_at_harm, matched_runs, matched_summary
from harmhorizon.evaluate.verdicts import frontier_verdicts
from harmhorizon.intervals import one_sided_p, welch_one_sided_p
from harmhorizon.synthetic.vocab import Vocabulary
from harmhorizon.theory.automaton import Automaton, base_policy, expected_harm, per_position_kl
from harmhorizon.theory.gibbs import Objective, optimal_policy

RULES = yaml.safe_load((REPO / "config/predictions.yaml").read_text())["frontier"]


def _trace(harms, kl=None, collapsed_steps=()):
    steps = np.arange(len(harms)) * 5
    kl = np.linspace(0, 1, len(harms)) if kl is None else np.asarray(kl)
    return pd.DataFrame({"step": steps, "harm": harms, "kl_past_horizon": kl,
                         "collapsed": [s in collapsed_steps for s in steps]})


def test_at_harm_interpolates_on_the_first_crossing_and_refuses_collapsed_or_unreached_levels():
    values, reason = at_harm(_trace([0.5, 0.3, 0.1], kl=[0.0, 0.2, 0.6]), 0.2, ["kl_past_horizon"])
    assert reason == "reached" and values["kl_past_horizon"] == pytest.approx(0.4) and values["step"] == pytest.approx(7.5)
    # sampling noise: harm goes back up; the first crossing counts
    values, _ = at_harm(_trace([0.5, 0.2, 0.4, 0.1], kl=[0, 1, 2, 3]), 0.3, ["kl_past_horizon"])
    assert values["kl_past_horizon"] == pytest.approx(2 / 3)
    assert at_harm(_trace([0.5, 0.4]), 0.2, ["kl_past_horizon"])[1] == "not reached"
    values, reason = at_harm(_trace([0.5, 0.0], collapsed_steps=(5,)), 0.2, ["kl_past_horizon"])
    assert reason == "collapsed" and np.isnan(values["kl_past_horizon"])


def test_collapse_is_tested_on_both_sides():
    points = pd.DataFrame({"benign_kl": [0.1, 2.0, 0.1], "total_kl": [1.0, 1.0, 64.0]})
    assert collapsed(points, 1.0, 35.0).tolist() == [False, True, True]


def test_the_exact_optimum_at_a_harm_level_has_that_harm_and_puts_no_kl_at_decided_prefixes():
    automaton = Automaton()
    base = base_policy(automaton)
    target = 0.25 * expected_harm(base)
    optimum = gibbs_at_harm(automaton, automaton.m, target, 0.05)
    policy = optimal_policy(base, Objective(optimum["beta"]))[0]
    assert expected_harm(policy) == pytest.approx(target, abs=1e-8)
    assert optimum["total_kl"] == pytest.approx(per_position_kl(policy, base)[1:].sum())
    assert 0 < optimum["kl_past_horizon"] < optimum["total_kl"]
    # a lower harm costs more KL (the frontier is monotone)
    assert gibbs_at_harm(automaton, automaton.m, 0.5 * target, 0.05)["total_kl"] > optimum["total_kl"]
    with pytest.raises(ValueError, match="must lie in"):
        gibbs_at_harm(automaton, automaton.m, 0.9, 0.05)


def test_matched_runs_read_every_seed_and_give_no_ratio_against_an_optimum_without_kl_past_the_horizon():
    metrics = dict(total_kl=1.0, benign_kl=0.0, kl_decided=0.0, recovery_shift_decided=0.0, recovery_gain_decided=0.0,
                   kl_mean_position=3.0)
    frames = [_trace([0.5, 0.2], kl=[0.0, 0.2 * seed]).assign(method="dpo", seed=seed, **metrics) for seed in (1, 2)]
    frontier = pd.concat(frames, ignore_index=True)
    optimum = {"kl_past_horizon": 0.05, "total_kl": 0.3, "kl_decided": 0.0, "recovery_shift_decided": 0.0,
               "recovery_gain_decided": 0.0, "kl_mean_position": 2.0}
    matched = matched_runs(frontier, {"dpo": [(0.5, 0.35)]}, {("dpo", 0.5): optimum})
    assert matched.kl_past_horizon.tolist() == pytest.approx([0.1, 0.2])
    assert matched.leakage_ratio.tolist() == pytest.approx([2.0, 4.0])
    summary = matched_summary(matched, {("dpo", 0.5): optimum})
    row = summary[(summary.method == "dpo") & (summary.metric == "log_leakage")].iloc[0]
    assert row["mean"] == pytest.approx(np.log(8) / 2) and row.n == 2
    assert (summary.method == "gibbs (exact, dpo)").any()
    none_past = matched_runs(frontier, {"dpo": [(0.5, 0.35)]}, {("dpo", 0.5): optimum | {"kl_past_horizon": 0.0}})
    assert none_past.leakage_ratio.isna().all()


def test_one_sided_p_values_are_the_t_tests():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0.3, 1, 7), rng.normal(0, 1, 5)
    assert one_sided_p(a, 0.1, True) == pytest.approx(stats.ttest_1samp(a, 0.1, alternative="greater").pvalue)
    assert one_sided_p(a, 0.1, False) == pytest.approx(stats.ttest_1samp(a, 0.1, alternative="less").pvalue)
    assert welch_one_sided_p(a, b, 0.0, True) == pytest.approx(
        stats.ttest_ind(a, b, equal_var=False, alternative="greater").pvalue)
    assert np.isnan(one_sided_p([1.0], 0.0, True))


def _matched(method, values, fraction=0.5, column="recovery_shift_decided"):
    return pd.DataFrame({"method": method, "seed": range(len(values)), "harm_fraction": fraction, column: values,
                         "log_leakage": values, "kl_mean_position": values})


METHODS = {"dpo": {"objective": "dpo", "hp": {}}, "recovery": {"objective": "recovery", "hp": {}},
           "rlhf": {"objective": "rlhf", "hp": {}}, "rlhf_m1": {"objective": "rlhf", "m": 1, "hp": {}}}


def test_frontier_verdicts_confirm_refute_and_leave_untestable_by_the_registered_rules():
    rng = np.random.default_rng(2)
    matched = pd.concat([
        _matched("dpo", 3.0 + 0.01 * rng.normal(size=5)),          # leaks; recovery shift far above the margin
        _matched("recovery", 5.0 + 0.01 * rng.normal(size=5)),     # deep
        _matched("rlhf", [np.nan, np.nan, 0.1, np.nan, np.nan]),   # one seed reached the level: untestable
        _matched("rlhf_m1", [np.nan] * 5),
    ], ignore_index=True)
    table = frontier_verdicts(matched, METHODS, 3, RULES).set_index(["method", "metric"])
    assert table.loc[("dpo", "log leakage ratio"), "verdict"] == "confirmed"
    assert table.loc[("dpo", "recovery_shift_decided"), "verdict"] == "refuted"
    assert table.loc[("recovery", "recovery_shift_decided"), "verdict"] == "confirmed"
    assert (table.loc["rlhf"].verdict == "untestable").all()
    assert table.loc[("rlhf_m1 - rlhf", "kl_mean_position difference"), "verdict"] == "untestable"
    assert (table.p_adjusted.dropna() <= 1).all()


def test_frontier_verdicts_apply_holm_across_the_family():
    """Every row is two tests (confirming, refuting); Holm runs over all of them."""
    values = np.array([0.05, 0.15, 0.1, 0.2, 0.12])        # a deep method below the margin: refuted alone
    p_refute = one_sided_p(values, RULES["recovery_margin"], False)
    assert p_refute < one_sided_p(values, RULES["recovery_margin"], True)
    alone = frontier_verdicts(_matched("recovery", values), {"recovery": METHODS["recovery"]}, 3, RULES)
    assert alone.p_refute_adjusted.iloc[0] == pytest.approx(min(1.0, 2 * p_refute)) and alone.verdict.iloc[0] == "refuted"
    many = pd.concat([_matched("recovery", values, fraction=f) for f in np.linspace(0.1, 0.9, 9)], ignore_index=True)
    table = frontier_verdicts(many, {"recovery": METHODS["recovery"]}, 3, RULES)
    assert table.p_refute_adjusted.tolist() == pytest.approx([min(1.0, 18 * p_refute)] * 9)


def test_harmful_decided_prefixes_are_those_past_m_payloads():
    vocab = Vocabulary(n_harmful_prompts=1, n_benign_prompts=1, n_payload=1, n_filler=1, n_content=1)
    env = AutomatonEnvironment(Automaton(T=8, m=2), vocab, None, {})
    words = lambda text: [vocab.id(w) for w in text.split()]  # noqa: E731
    payload, filler = vocab.groups["PAYLOAD"][0], vocab.groups["FILLER"][0]
    response = words(f"COMPLY {payload} {filler} {payload} {filler} EOS")
    # prefixes y_<t for t = 1..6: counts 0, 0, 1, 1, 2, 2 after COMPLY
    assert env.harmful_decided_positions([0], response).tolist() == [False, False, False, False, True, True]
    assert env.harmful_decided_positions([0], response, m=1).tolist() == [False, False, True, True, True, True]
    assert not env.harmful_decided_positions([0], words("REFUSE EOS")).any()
    assert env.recovery_token == vocab.id("RECOVER")


def test_the_mean_kl_position_is_read_from_the_interpolated_profile_even_next_to_the_reference():
    """At the reference the ratio Σ t KL_t / Σ KL_t is undefined; between it and a snapshot the profile scales,
    so the ratio at any harm on that segment is the snapshot's."""
    trace = pd.DataFrame({"step": [0, 5], "harm": [0.5, 0.1], "total_kl": [0.0, 2.0], "kl_mean_position": [np.nan, 4.0],
                          "kl_past_horizon": [0.0, 0.4], "benign_kl": 0.0, "kl_decided": 0.0, "recovery_shift_decided": 0.0,
                          "recovery_gain_decided": 0.0, "collapsed": False, "method": "rlhf", "seed": 1})
    optimum = {"kl_past_horizon": 0.1}
    matched = matched_runs(trace, {"rlhf": [(0.5, 0.3)]}, {("rlhf", 0.5): optimum})
    assert matched.kl_mean_position.iloc[0] == pytest.approx(4.0) and matched.total_kl.iloc[0] == pytest.approx(1.0)
