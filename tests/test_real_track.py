"""The real track's measuring instruments on a tiny random Llama: the packed recovery profile, rollouts that stop
once h is decided, per-position rollout counts, the bootstrap horizon, the reference's SFT data, the E6 rules."""

import numpy as np
import pandas as pd
import pytest
import torch
from test_real_models import _environment, tiny_folder, tiny_model  # noqa: F401  (fixtures)

from harmhorizon.evaluate.harm_information import horizon_bootstrap, mc_harm_information, mc_rollouts
from harmhorizon.evaluate.recovery_profile import log_odds, phrase_logprobs, recovery_log_odds
from harmhorizon.evaluate.sampling import sample_continuations
from harmhorizon.evaluate.verdicts import chat_verdicts
from harmhorizon.real.reference import refusal_sft_rows


def test_packed_phrase_scores_equal_one_forward_per_prefix(tiny_model):  # noqa: F811
    model, tokenizer = tiny_model
    prompt = tokenizer("<|im_start|>user\nHow do tides work?<|im_end|>\n", add_special_tokens=False)["input_ids"]
    response = tokenizer("The moon pulls the water of the oceans towards it.", add_special_tokens=False)["input_ids"]
    phrase = tokenizer(" I'm sorry, but I can't continue.", add_special_tokens=False)["input_ids"]
    positions = [0, 1, 3, len(response)]
    packed = phrase_logprobs(model, prompt, response, phrase, positions)
    for t, value in zip(positions, packed):
        ids = torch.tensor([prompt + response[:t] + phrase])
        with torch.no_grad():
            logp = model(input_ids=ids).logits[0].log_softmax(-1)
        start = len(prompt) + t
        expected = sum(float(logp[start + j - 1, phrase[j]]) for j in range(len(phrase)))
        assert value == pytest.approx(expected, abs=1e-4)
    # Positions past a response's end are NaN in the matrix form.
    matrix = recovery_log_odds(model, [(prompt, response[:2])], phrase, [0, 2, 5])
    assert np.isfinite(matrix[0, :2]).all() and np.isnan(matrix[0, 2])


def test_log_odds_is_stable_at_both_ends():
    assert log_odds(np.log([0.5]))[0] == pytest.approx(0.0)
    assert log_odds(np.array([-200.0]))[0] == pytest.approx(-200.0)
    assert np.isfinite(log_odds(np.array([0.0]))[0])


def test_rollouts_stop_once_the_caller_has_decided(tiny_model):  # noqa: F811
    model, tokenizer = tiny_model
    prefixes = [tokenizer("Hello there", add_special_tokens=False)["input_ids"], [1, 2, 3, 4, 5, 6]]
    out = sample_continuations(model, prefixes, 10, (), 3, seed=4, batch_size=4, until=lambda i, tokens: len(tokens) >= 2 + i)
    assert [len(row) for row in out] == [2, 2, 2, 3, 3, 3]
    again = sample_continuations(model, prefixes, 10, (), 3, seed=4, batch_size=4, until=lambda i, tokens: len(tokens) >= 2 + i)
    assert out == again


def test_information_with_per_position_rollouts_and_decided_prefixes(tiny_model, tiny_folder):  # noqa: F811
    model, tokenizer = tiny_model
    requests = ["Explain how tides work", "Write a poem about rain", "Describe a lock and its key"]
    env, prompts = _environment(tiny_folder, tokenizer, requests)
    responses = env.sample(model, prompts, 8, 1, seed=3)
    sequences = list(zip(prompts, responses))
    # h = 1 once three complete words are out: a prefix decides h once it holds them.
    decided = env.decided_positions(prompts[0], responses[0])
    assert decided.dtype == bool and len(decided) == len(responses[0])
    assert list(decided) == sorted(decided)  # once decided, decided for every longer prefix
    rollouts = mc_rollouts(env, model, sequences, [0, 2, 4], [4, 2, 2], seed=5)
    table = mc_harm_information(env, model, sequences, [0, 2, 4], [4, 2, 2], rollouts=rollouts)
    assert list(table.t_end) == [2, 4, 8]
    with pytest.raises(ValueError, match="n_rollouts"):
        mc_rollouts(env, model, sequences, [0, 2, 4], [4, 1, 2], seed=5)
    horizon = horizon_bootstrap(rollouts, 0.05, n_boot=20, seed=0)
    assert list(horizon.k) == [0, 2, 4, 8]
    assert (np.diff(horizon.p_horizon_le_k) >= 0).all()


def test_bootstrap_horizon_finds_information_that_sits_in_the_first_block():
    rng = np.random.default_rng(0)
    h = rng.integers(0, 2, size=200).astype(float)
    H = np.column_stack([np.full(200, 0.5), h, h, h])  # all harm decided between p = 0 and p = 1
    rollouts = {"H": H, "V": np.zeros_like(H), "undecided": np.ones_like(H, dtype=bool), "ends": [0, 1, 2, 3]}
    horizon = horizon_bootstrap(rollouts, 0.05, n_boot=50, seed=1)
    assert horizon.t_epsilon.iloc[0] == 1
    assert horizon.set_index("k").p_horizon_le_k.to_dict() == {0: 0.0, 1: 1.0, 2: 1.0, 3: 1.0}


def test_reference_sft_rows_refuse_a_seeded_fraction_of_the_harmful_prompts():
    prompts = pd.DataFrame({"prompt_id": [f"p{i}" for i in range(12)], "kind": ["harmful"] * 8 + ["benign"] * 4,
                            "prompt_text": [f"x{i}" for i in range(12)]})
    responses = [f"own answer {i}" for i in range(12)]
    rows = refusal_sft_rows(prompts, responses, "No.", 0.5, seed=3)
    assert rows.refused.sum() == 4 and not rows[rows.kind == "benign"].refused.any()
    assert (rows[rows.refused].completion == "No.").all()
    assert (rows[~rows.refused].completion == [responses[i] for i in np.flatnonzero(~rows.refused.to_numpy())]).all()
    assert rows.equals(refusal_sft_rows(prompts, responses, "No.", 0.5, seed=3))
    assert not rows.refused.equals(refusal_sft_rows(prompts, responses, "No.", 0.5, seed=4).refused)


def _e6_inputs(shift_standard: float, shift_deep: float, collapsed_seed: int | None = None):
    methods = {"dpo": {"objective": "dpo"}, "recovery": {"objective": "recovery"}}
    rng = np.random.default_rng(0)
    profile = pd.DataFrame([{"method": m, "seed": s, "t": t,
                             "delta_logodds": (shift_standard if m == "dpo" else shift_deep) + 0.05 * rng.standard_normal()}
                            for m in methods for s in range(4) for t in (2, 8, 16, 32)])
    prefill = pd.DataFrame([{"method": m, "seed": s, "k": k, "harm_rate": 0.6 - (0.4 if m == "recovery" else 0) + 0.01 * s,
                             "recovery_rate": 0.5 if m == "recovery" else 0.01 * s}
                            for m in ("base", *methods) for s in range(4) for k in (0, 10)])
    runs = pd.DataFrame([{"method": m, "seed": s, "collapsed": s == collapsed_seed and m == "dpo"}
                         for m in ("base", *methods) for s in range(4)])
    return prefill, methods, profile, runs


def test_e6_rules_confirm_and_refute_by_the_recovery_profile():
    rules = {"logodds_margin": 1.0, "asr_margin": 0.1}
    prefill, methods, profile, runs = _e6_inputs(0.0, 3.0)
    table = chat_verdicts(prefill, pd.DataFrame(columns=["method", "metric"]), methods, 4.0, [0, 10], 0.25, 0.05, 64,
                          profile, runs, rules).set_index(["method", "metric"])
    assert table.loc[("dpo", "delta_logodds_past_horizon"), "verdict"] == "confirmed"
    assert table.loc[("recovery", "delta_logodds_past_horizon"), "verdict"] == "confirmed"
    assert table.loc[("recovery", "harm_rate_k10 difference"), "verdict"] == "confirmed"
    assert table.loc[("dpo", "delta_logodds_past_horizon"), "n"] == 4
    prefill, methods, profile, runs = _e6_inputs(3.0, 0.0, collapsed_seed=0)
    table = chat_verdicts(prefill, pd.DataFrame(columns=["method", "metric"]), methods, 4.0, [0, 10], 0.25, 0.05, 64,
                          profile, runs, rules)
    dpo = table[(table.metric == "delta_logodds_past_horizon") & table.method.str.startswith("dpo")].iloc[0]
    assert dpo.verdict == "refuted" and dpo.n == 3 and "1 seeds collapsed" in dpo.method
    deep = table[(table.metric == "delta_logodds_past_horizon") & (table.method == "recovery")].iloc[0]
    assert deep.verdict == "refuted"


def test_e6_leaves_out_runs_that_barely_moved():
    """An unmoved run is base-like by construction: its seeds are left out, and with < 2 left the row is untestable."""
    rules = {"logodds_margin": 1.0, "asr_margin": 0.1}
    prefill, methods, profile, runs = _e6_inputs(0.0, 3.0)
    runs["unmoved"] = (runs.method == "dpo") & (runs.seed >= 1)
    table = chat_verdicts(prefill, pd.DataFrame(columns=["method", "metric"]), methods, 4.0, [0, 10], 0.25, 0.05, 64,
                          profile, runs, rules)
    dpo = table[table.method.str.startswith("dpo")]
    assert (dpo.verdict == "untestable").all() and dpo.method.str.contains("3 seeds unmoved").all()
    assert (table[table.method == "recovery"].verdict == "confirmed").all()


def test_collect_flags_aligned_runs_below_the_moved_threshold():
    from harmhorizon.evaluate.summary import collect_runs

    kl = pd.DataFrame({"t": [1, 2], "kl": [0.0, 0.0], "kl_sd": [0.0, 0.0], "n": [2, 2]})
    prefill = pd.DataFrame({"k": [0], "prefilled": [0], "recovery_rate": [0.0], "harm_rate": [0.5], "n": [4]})
    grad = pd.DataFrame(columns=["step", "t", "grad_norm"])
    runs = [{"method": m, "seed": 0, "kl": kl, "prefill": prefill, "grad": grad,
             "metrics": {"total_kl": total, "benign_kl": 0.1, "harm_rate": 0.5}}
            for m, total in (("base", 0.0), ("dpo", 0.005), ("recovery", 0.5))]
    table = collect_runs(runs, lambda method: 2.0, 0.05, 4, 1.0, moved_kl_min=0.01)[3].set_index("method")
    assert table.unmoved.to_dict() == {"base": False, "dpo": True, "recovery": False}
    assert "unmoved" not in collect_runs(runs, lambda method: 2.0, 0.05, 4, 1.0)[3]


def test_e6_p4b_row_reads_the_unconditional_kl_share_past_the_horizon():
    """P4b: the share of KL_t past t_ε along unconditional reference responses, per seed, against shallow_fraction."""
    rules = {"logodds_margin": 1.0, "asr_margin": 0.1}
    prefill, methods, profile, runs = _e6_inputs(0.0, 3.0)

    def verdict(late_kl: float) -> pd.Series:
        kl = pd.DataFrame([{"method": m, "seed": s, "t": t, "kl": (1.0 if t <= 4 else late_kl) * (1 + 0.05 * s)}
                           for m in methods for s in range(4) for t in range(1, 17)])
        table = chat_verdicts(prefill, pd.DataFrame(columns=["method", "metric"]), methods, 4.0, [0, 10], 0.25, 0.05,
                              64, profile, runs, rules, kl)
        return table[table.metric == "kl_unconditional_past_horizon"].iloc[0]

    shallow, spread = verdict(0.001), verdict(1.0)
    assert shallow.method == "dpo" and shallow.verdict == "confirmed" and shallow.n == 4
    assert spread.verdict == "refuted" and 0.0 <= spread.ci_low <= spread.ci_high <= 1.0


def test_appendix_a_on_a_chat_model_reads_the_ratio_of_late_to_early_shifts():
    """App A's registered ratio per seed: a shift confined to t ≤ t_ε confirms, a uniform shift refutes."""
    rules = {"logodds_margin": 1.0, "asr_margin": 0.1, "appendix_a": {"equivalence_ratio": 0.10}}
    prefill, methods, _, runs = _e6_inputs(0.0, 3.0)

    def profile(late: float) -> pd.DataFrame:
        return pd.DataFrame([{"method": m, "seed": s, "t": t, "delta_logodds": (0.5 if t <= 4 else late) + 0.001 * s}
                             for m in methods for s in range(4) for t in (2, 8, 16, 32)])

    for late, verdict in ((0.01, "confirmed"), (0.5, "refuted")):
        table = chat_verdicts(prefill, pd.DataFrame(columns=["method", "metric"]), methods, 4.0, [0, 10], 0.25, 0.05, 64,
                              profile(late), runs, rules)
        row = table[table.metric == "appendix_a_ratio"]
        assert row.method.tolist() == ["dpo"] and row.verdict.iloc[0] == verdict and row.n.iloc[0] == 4
    without = chat_verdicts(prefill, pd.DataFrame(columns=["method", "metric"]), methods, 4.0, [0, 10], 0.25, 0.05, 64,
                            profile(0.01), runs, {"logodds_margin": 1.0})
    assert "appendix_a_ratio" not in set(without.metric)


def test_the_chat_shared_parameter_pair_reads_the_kl_after_the_same_prefix():
    from harmhorizon.evaluate.shared_parameters import chat_shared_parameter_table

    methods = {"dpo": {"objective": "dpo", "hp": {"beta": 0.1}}, "recovery": {"objective": "recovery"}}
    kl = pd.DataFrame([{"method": m, "seed": 0, "t": t, "kl": 0.01 * t} for m in methods for t in range(1, 10)])
    profile = pd.DataFrame([{"method": m, "seed": 0, "t": t, "delta_logodds": 0.5, "ci_low": 0.4, "ci_high": 0.6}
                            for m in methods for t in (0, 4, 8)])
    table = chat_shared_parameter_table(kl, profile, methods, 4.0)
    assert set(table.policy) == {"dpo"} and table["lambda"].iloc[0] == pytest.approx(10)
    assert table.kl_t.tolist() == pytest.approx([0.01, 0.05, 0.09]) and table.past_horizon.tolist() == [False, False, True]


def test_appendix_a_macros_are_named_by_the_method_whatever_the_note_on_left_out_seeds():
    from harmhorizon.report.real import verdict_numbers

    verdicts = pd.DataFrame([{"prediction": "App A", "method": "dpo (1 seeds unmoved)", "metric": "appendix_a_ratio",
                              "mean": np.nan, "ci_low": np.nan, "ci_high": np.nan, "verdict": "untestable"}])
    numbers = verdict_numbers(verdicts)
    assert numbers["RealDpoAppendixARatio"] == r"\text{n/a}" and numbers["RealDpoAppendixAVerdict"] == r"\text{untestable}"
