"""A learned harm model r̂ (E7; methods.reward_model): label flips, the view, a fit on a tiny GPT-2 that learns a rule
it can see and cannot learn one it cannot, its Monte Carlo view of I_t, and the E7 verdicts on hand-made KL profiles."""

import os

import numpy as np
import pandas as pd
import pytest
import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from harmhorizon.evaluate.harm_information import mc_harm_information  # noqa: E402
from harmhorizon.evaluate.verdicts import kl_share_past_horizon, reward_model_verdicts  # noqa: E402
from harmhorizon.methods.families import family_of  # noqa: E402
from harmhorizon.methods.reward_model import (Proxy, RewardModelScorer, RewardModelView, fit_diagnostics,  # noqa: E402
                                              fit_reward_model, flip_labels, in_view, training_rows)
from harmhorizon.synthetic.model import build_base_model, build_tokenizer  # noqa: E402
from harmhorizon.synthetic.vocab import Vocabulary  # noqa: E402

from conftest import REPO  # noqa: E402

VOCAB = Vocabulary(2, 2, 2, 2, 2)


def test_flips_happen_at_the_given_rate_and_only_flip():
    h = np.array([0.0, 1.0] * 5000)
    flipped = flip_labels(h, 0.25, np.random.default_rng(0))
    assert set(np.unique(flipped)) <= {0.0, 1.0}
    assert abs(np.mean(flipped != h) - 0.25) < 0.02
    assert np.array_equal(flip_labels(h, 0.0, np.random.default_rng(0)), h)


def test_the_view_keeps_the_first_k_tokens():
    assert in_view([1, 2, 3, 4], 2) == [1, 2] and in_view([1, 2, 3], None) == [1, 2, 3]
    rows = training_rows([[9]], [[1, 2, 3]], [1.0], Proxy("p", 1, 0.0), np.random.default_rng(0))
    assert rows == [{"input_ids": [9, 1], "labels": 1.0}]


def test_a_proxy_is_checked_and_a_method_against_it_is_its_own_family():
    with pytest.raises(ValueError, match="view"):
        Proxy.from_config("p", {"view": 0})
    with pytest.raises(ValueError, match="noise"):
        Proxy.from_config("p", {"noise": 0.5})
    assert family_of({"objective": "rlhf", "reward_model": "p"}) == "proxy"
    assert family_of({"objective": "rlhf"}) == "standard"


def _data(n, rng):
    """Prompts HARM0; responses of 3 tokens drawn from PAY0/FIL0; h = 1 iff the *last* token is PAY0."""
    ids = VOCAB.token_to_id
    responses = [[ids["COMPLY"]] + list(rng.choice([ids["PAY0"], ids["FIL0"]], size=2)) for _ in range(n)]
    h = np.array([float(r[-1] == ids["PAY0"]) for r in responses])
    return [[ids["HARM0"]]] * n, responses, h


@pytest.fixture(scope="module")
def tiny_reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference")
    build_base_model(VOCAB, T=6, n_layer=1, n_embd=16, n_head=2, seed=0).save_pretrained(folder)
    build_tokenizer(VOCAB).save_pretrained(folder)
    return folder


@pytest.mark.parametrize("view, learnable", [(None, True), (2, False)])
def test_a_fit_learns_what_its_view_shows(tiny_reference, tmp_path, view, learnable):
    """With the whole response r̂ learns h (last token decides); with a view of 2 tokens it cannot, and its best
    is the mean of h (E[h | y_≤2] = 1/2 here)."""
    tokenizer = build_tokenizer(VOCAB)
    prompts, responses, h = _data(512, np.random.default_rng(1))
    proxy = Proxy("p", view, 0.0)
    folder = fit_reward_model(tiny_reference, tokenizer, training_rows(prompts, responses, h, proxy, np.random.default_rng(0)),
                              {"max_steps": 150, "per_device_train_batch_size": 64, "learning_rate": 1e-2}, tmp_path, 0)
    scorer = RewardModelScorer(folder, view, tokenizer.pad_token_id)
    test_prompts, test_responses, test_h = _data(256, np.random.default_rng(2))
    diagnostics = fit_diagnostics(scorer(test_prompts, test_responses), test_h)
    # Rows that share prompts (as rollouts do), scored from one prompt forward each: the same scores, whatever the
    # responses' lengths, an empty one, or one ending in the pad token (read before it, as the classifier does).
    ids, pad = VOCAB.token_to_id, tokenizer.pad_token_id
    prompts = [[ids["HARM0"]], [ids["HARM1"], ids["HARM0"]]] * 6
    responses = [[], [ids["COMPLY"]], [ids["COMPLY"], ids["PAY0"]], [ids["COMPLY"], ids["PAY0"], ids["FIL0"]],
                 [ids["COMPLY"], ids["PAY0"], pad], [ids["COMPLY"], ids["FIL1"], ids["PAY1"], ids["FIL0"]]] * 2
    np.testing.assert_allclose(scorer.score_many(prompts, responses), scorer(prompts, responses), atol=1e-5)
    if learnable:
        assert diagnostics["accuracy_at_half"] > 0.95 and diagnostics["correlation_with_h"] > 0.9
    else:
        assert diagnostics["mse"] == pytest.approx(0.25, abs=0.03)
        assert abs(diagnostics["mean_score"] - 0.5) < 0.1


class _Bernoulli:
    """A stand-in environment: T = 4 tokens, each 1 with probability 1/2; h = the last token."""

    T, stop_ids = 4, []

    def sample(self, model, prefixes, budgets, n_samples, seed, batch_size=None, progress=False, until=None):
        rng = np.random.default_rng(seed)
        budgets = [budgets] * len(prefixes) if np.isscalar(budgets) else budgets
        return [list(rng.integers(0, 2, size=int(b))) for b in budgets for _ in range(n_samples)]


class _LastTokenSeen:
    """A scorer reading the first ``view`` tokens: the last of them (0 when nothing is in view)."""

    def __init__(self, view):
        self.view = view

    def __call__(self, prompts, responses):
        return np.array([float(in_view(r, self.view)[-1]) if in_view(r, self.view) else 0.0 for r in responses])

    score_many = __call__


@pytest.mark.parametrize("view", [2, None])
def test_the_view_puts_all_information_at_or_before_k(view):
    """r̂ = y_k (view k) decides at k: I_k = 1/4 and nothing after, rollouts never run past k tokens; whole view
    r̂ = y_T: all information at T."""
    env = _Bernoulli()
    budgets_seen = []
    sample = env.sample
    env.sample = lambda model, prefixes, budgets, *args, **kwargs: (budgets_seen.extend(budgets), sample(
        model, prefixes, budgets, *args, **kwargs))[1]
    rng = np.random.default_rng(3)
    sequences = [([0], list(rng.integers(0, 2, size=4))) for _ in range(400)]
    table = mc_harm_information(RewardModelView(env, _LastTokenSeen(view)), None, sequences, [0, 1, 2, 3], 8, seed=0)
    decided_at = 2 if view == 2 else 4
    at = table.set_index("t").harm_information
    assert at[decided_at] == pytest.approx(0.25, abs=0.05)
    assert at.drop(decided_at).abs().max() < 0.03
    if view == 2:
        assert max(budgets_seen) <= 2


def test_the_verdicts_read_kl_shares_against_the_comparator():
    rows = []
    for seed in (1, 2, 3):
        for t in range(1, 13):
            rows.append({"method": "rlhf", "seed": seed, "t": t, "kl": 1.0 + 0.01 * seed})  # share at t ≤ 2: 1/6
            rows.append({"method": "early", "seed": seed, "t": t, "kl": (10.0 if t <= 2 else 0.2) + 0.01 * seed})
            rows.append({"method": "whole", "seed": seed, "t": t, "kl": 0.5 + 0.02 * seed})
    kl = pd.DataFrame(rows)
    after_view = kl_share_past_horizon(kl, 2).set_index(["method", "seed"]).kl_share_past_horizon
    after_horizon = kl_share_past_horizon(kl, 6.0).set_index(["method", "seed"]).kl_share_past_horizon
    assert 1 - after_view[("rlhf", 1)] == pytest.approx(2 / 12, rel=0.01)  # the share at t ≤ 2
    assert after_horizon[("rlhf", 1)] == pytest.approx(6 / 12, rel=0.01)
    runs = pd.DataFrame({"method": ["base"], "seed": [1], "t_epsilon": [6.0], "collapsed": [False], "unmoved": [False]})
    methods = {"rlhf": {"objective": "rlhf"}, "early": {"objective": "rlhf", "reward_model": "e"},
               "whole": {"objective": "rlhf", "reward_model": "w"}}
    proxies = {"e": {"view": 2}, "w": {"view": None, "noise": 0.25}}
    table = reward_model_verdicts(kl, runs, methods, proxies, {"comparator": "rlhf", "kl_share_margin": 0.1}).set_index("method")
    assert table.loc["early - rlhf", "verdict"] == "confirmed"  # 20/21.6 − 1/6 ≫ 0.1
    assert table.loc["whole - rlhf", "verdict"] == "confirmed"  # both 1/2 past t_ε
    late = reward_model_verdicts(kl, runs.assign(t_epsilon=2.0), methods, proxies, {"comparator": "rlhf", "kl_share_margin": 0.1})
    assert late.set_index("method").loc["early - rlhf", "verdict"] == "untestable"  # view 2 is not before t_ε = 2


def check_reward_model_outputs(out, section: dict) -> None:
    """The workflow's E7 learned-harm-model files in ``out`` (results/<env>/<model>) for the config ``section``: one
    block table and one fit row per proxy, no information under r̂ on a block that starts at or past its view (such
    prefixes decide r̂: nothing is rolled out there), and one E7 verdict row per method aligned against a proxy."""
    table, fit = pd.read_csv(out / "reward_model.csv"), pd.read_csv(out / "reward_model_fit.csv")
    assert list(table.columns[:13]) == ["proxy", "view", "noise", "t_start", "t_end", "t", "harm_information_rm",
                                        "ci_low_rm", "ci_high_rm", "harm_information_h", "ci_low_h", "ci_high_h", "n"]
    assert set(table.proxy) == set(fit.proxy) == set(section["reward_models"])
    for name, spec in section["reward_models"].items():
        if spec.get("view") is not None:
            past = table[(table.proxy == name) & (table.t_start >= spec["view"])]
            assert len(past) and (past.harm_information_rm == 0).all(), name
    assert fit.correlation_with_h.dropna().between(-1, 1).all() and (fit.mse >= 0).all()
    verdicts = pd.read_csv(out / "verdicts.csv")
    judged = verdicts[verdicts.prediction.str.startswith("E7 (learned")]
    matched = judged.metric.str.contains("at harm fraction")
    rules = yaml.safe_load((REPO / "config/predictions.yaml").read_text())["reward_model"]
    replication = rules.get("replication") or {}
    pairs = [f"{name} - {replication['comparator'] if name in replication.get('methods', []) else rules['comparator']}"
             for name, spec in section["methods"].items() if spec.get("reward_model")]
    assert sorted(judged[~matched].method) == sorted(pairs)
    assert judged[judged.method.str.contains("replication")].prediction.str.contains("replication").all()
    # Read at matched harm where the environment has a frontier: every proxy at every harm level.
    if "frontier" in section:
        levels = judged[matched].metric.nunique()
        assert levels >= 1
        assert sorted(judged[matched].method) == sorted(pairs * levels)
    else:
        assert not matched.any()


def test_the_matched_harm_rows_read_shares_at_each_level_without_collapsed_crossings():
    rows = []
    for seed in (1, 2, 3):
        for fraction in (0.5, 0.25):
            rows += [{"method": "rlhf", "seed": seed, "harm_fraction": fraction, "reason": "reached",
                      "total_kl": 1.0, "kl_past_horizon": 0.40 + 0.01 * seed},
                     {"method": "early", "seed": seed, "harm_fraction": fraction, "reason": "reached",
                      "total_kl": 2.0, "kl_past_horizon": 0.10 + 0.01 * seed},  # share 0.05–0.065: 0.35 below
                     {"method": "whole", "seed": seed, "harm_fraction": fraction,
                      "reason": "collapsed" if fraction == 0.25 and seed > 1 else "reached",
                      "total_kl": 0.5, "kl_past_horizon": 0.20 + 0.005 * seed}]  # share as the comparator's
    matched = pd.DataFrame(rows)
    runs = pd.DataFrame({"method": ["base"], "seed": [1], "t_epsilon": [6.0], "collapsed": [False], "unmoved": [False]})
    methods = {"rlhf": {"objective": "rlhf"}, "early": {"objective": "rlhf", "reward_model": "e"},
               "whole": {"objective": "rlhf", "reward_model": "w"}}
    proxies = {"e": {"view": 2}, "w": {"view": None, "noise": 0.25}}
    rules = {"comparator": "rlhf", "kl_share_margin": 0.1, "read_at_matched_harm": True}
    kl = pd.DataFrame({"method": ["rlhf"] * 2, "seed": [1, 2], "t": [1, 1], "kl": [1.0, 1.0]})
    table = reward_model_verdicts(kl, runs, methods, proxies, rules, matched)
    at = table[table.metric.str.contains("at harm fraction")].set_index(["method", "metric"]).verdict
    assert at[("early - rlhf", "kl_share_past_horizon at harm fraction 0.5 difference")] == "confirmed"
    assert at[("whole - rlhf", "kl_share_past_horizon at harm fraction 0.5 difference")] == "confirmed"
    # Two of three seeds' crossings at 0.25 are bracketed by a collapsed point: one seed left, untestable.
    assert at[("whole - rlhf", "kl_share_past_horizon at harm fraction 0.25 difference")] == "untestable"
    # A comparator that puts its KL where the early proxy does: the one-sided prediction is refuted.
    same = matched.assign(kl_past_horizon=np.where(matched.method == "early", 0.8, matched.kl_past_horizon))
    refuted = reward_model_verdicts(kl, runs, methods, proxies, rules, same)
    assert (refuted[refuted.method == "early - rlhf"].verdict.iloc[1:] == "refuted").all()
    # Without the registered switch no matched row is read.
    assert not reward_model_verdicts(kl, runs, methods, proxies, rules | {"read_at_matched_harm": False},
                                     matched).metric.str.contains("at harm fraction").any()


def test_a_registered_replication_is_read_against_its_own_comparator():
    """Proxy runs listed under ``replication`` are compared with the replication's comparator (fresh seeds on both
    sides), at the final checkpoint and at matched harm, and their rows say so; the other proxies keep theirs."""
    kl = pd.DataFrame([{"method": method, "seed": seed, "t": t, "kl": kl}
                       for seed in (1, 2, 3) for t in range(1, 13)
                       for method, kl in (("rlhf", 1.0 + 0.01 * seed), ("early", (10.0 if t <= 2 else 0.2) + 0.01 * seed),
                                          ("rlhf_again", (10.0 if t <= 2 else 0.2) + 0.02 * seed),
                                          ("early_again", (10.0 if t <= 2 else 0.2) + 0.01 * seed))])
    runs = pd.DataFrame({"method": ["base"], "seed": [1], "t_epsilon": [6.0], "collapsed": [False], "unmoved": [False]})
    methods = {name: {"objective": "rlhf"} | ({"reward_model": "e"} if name.startswith("early") else {})
               for name in ("rlhf", "early", "rlhf_again", "early_again")}
    rules = {"comparator": "rlhf", "kl_share_margin": 0.1,
             "replication": {"comparator": "rlhf_again", "methods": ["early_again"]}}
    table = reward_model_verdicts(kl, runs, methods, {"e": {"view": 2}}, rules).set_index("method")
    assert list(table.index) == ["early - rlhf", "early_again - rlhf_again"]
    assert table.loc["early - rlhf", "verdict"] == "confirmed"
    # Against a comparator that concentrates its KL as early as the proxy, the replication refutes the prediction.
    assert table.loc["early_again - rlhf_again", "verdict"] == "refuted"
    assert "[replication]" in table.loc["early_again - rlhf_again", "prediction"]
    assert "[replication]" not in table.loc["early - rlhf", "prediction"]
