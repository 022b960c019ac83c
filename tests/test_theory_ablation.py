"""The tabular vs shared-parameter ablation (theory/ablation.py; docs/experiments.md E5c)."""

import numpy as np
import pandas as pd
import torch
import yaml

from conftest import REPO
from harmhorizon.theory.ablation import (
    ablation_verdicts,
    at_harm,
    descend,
    exact_objective,
    matched_table,
    policy_family,
    run_curves,
    sampled_objective,
    separates_decided,
    trajectory_table,
)
from harmhorizon.theory.automaton import Automaton
from harmhorizon.theory.deep import environment_tree

SMALL = Automaton(T=7, m=2)
SHARP = environment_tree(SMALL, "sharp", 7, 3)
DEFAULT = environment_tree(SMALL, "default", 7, 3)


def test_parameter_separation_is_read_from_the_features():
    assert separates_decided(SHARP, "tabular") and separates_decided(DEFAULT, "tabular")
    # The count tells a decided prefix only where nothing else decides one: count >= m in the default automaton.
    assert separates_decided(DEFAULT, "count") and not separates_decided(SHARP, "count")
    # Here (m = 2, K = 3) no prefix before K has two payloads, so a prefix is decided exactly when it lies past K,
    # and the position alone tells it; in the default automaton it does not.
    assert separates_decided(SHARP, "position") and not separates_decided(DEFAULT, "position")
    for policy in ("bias", "count+horizon"):
        assert not separates_decided(SHARP, policy), policy


def test_exact_descent_moves_no_decided_tabular_prefix_and_moves_shared_ones():
    tabular = pd.DataFrame(descend(SHARP, "tabular", 5.0, 0.5, 12))
    assert tabular.harm.iloc[-1] < tabular.harm.iloc[0]                      # it aligned
    assert tabular.kl_decided.abs().max() < 1e-12                             # P2: decided prefixes never move
    assert tabular[tabular.t > SHARP.K].kl.abs().max() < 1e-12                # so nothing past the sharp horizon
    shared = pd.DataFrame(descend(SHARP, "count", 5.0, 0.5, 12))
    assert shared[shared.step == 12].kl_decided.sum() > 1e-6


def test_sampled_gradient_is_unbiased_for_the_exact_one():
    """The mean of the REINFORCE estimate over many draws is the autograd gradient of the exact objective."""
    params, policy_of = policy_family(SHARP, "bias")
    comply, probs = policy_of(params)
    exact = torch.cat([g.reshape(-1) for g in torch.autograd.grad(exact_objective(SHARP, 5.0, comply, probs), params)])
    generator = torch.Generator().manual_seed(0)
    draws = []
    for _ in range(400):
        comply, probs = policy_of(params)
        grads = torch.autograd.grad(sampled_objective(SHARP, 5.0, comply, probs, 64, generator), params)
        draws.append(torch.cat([g.reshape(-1) for g in grads]))
    draws = torch.stack(draws)
    mean, se = draws.mean(0), draws.std(0) / np.sqrt(len(draws))
    assert (exact.abs() > 0).any()
    assert ((mean - exact).abs() <= 4 * se + 1e-12).all(), (mean, exact, se)


def test_matched_harm_is_interpolated_between_the_steps_around_the_crossing():
    curve = pd.DataFrame({"step": [0, 1, 2], "harm": [1.0, 0.6, 0.2], "total_kl": [0.0, 1.0, 3.0],
                          "kl_past_horizon": [0.0, 0.5, 1.5], "kl_decided": [0.0, 0.1, 0.3]})
    row = at_harm(curve, 0.4)
    assert np.allclose([row["step"], row["total_kl"], row["kl_decided"]], [1.5, 2.0, 0.2])
    assert np.isnan(at_harm(curve, 0.1)["total_kl"])                           # never reached


def test_verdicts_follow_the_registered_rules_and_fail_when_the_data_do():
    rules = yaml.safe_load((REPO / "config/predictions.yaml").read_text())["ablation"]
    settings = {"T": 7, "K": 3, "lambda": 5.0, "learning_rate": 0.5, "steps": 12, "record_every": 1,
                "harm_fractions": [0.5], "policies": {"sharp": ["tabular", "count", "count+horizon"]},
                "sampled": {"environments": ["sharp"], "policies": ["tabular"], "n_samples": [8, 256], "seeds": 3}}
    trajectories = trajectory_table(SMALL, settings)
    curves = run_curves(trajectories)
    matched = matched_table(curves, settings["harm_fractions"])
    verdicts = ablation_verdicts(curves, matched, rules)
    p2 = verdicts[verdicts.prediction.str.startswith("P2")]
    assert len(p2) == 3 and (p2.verdict == "confirmed").all(), p2
    sampled = verdicts[verdicts.gradient == "sampled"]
    assert len(sampled) == 1 and sampled.verdict.iloc[0] == "confirmed", sampled
    # A tabular run whose decided prefixes moved refutes P2.
    broken = curves.copy()
    broken.loc[(broken.policy == "tabular") & (broken.gradient == "exact"), "kl_decided"] = 1e-6
    again = ablation_verdicts(broken, matched, rules)
    row = again[(again.policy == "tabular") & (again.gradient == "exact")]
    assert row.verdict.iloc[0] == "refuted"
