"""Young's leading-order formulas (Thm 19 eq. 45, Thm 14 eq. 42, Prop 29), Def 18 / Lemma 28 and the §10.2 cliff
edge on small trees and automata (theory/leading_order.py, theory/cliff_edge.py)."""

import numpy as np
import pandas as pd
import pytest
import torch

from harmhorizon.theory.automaton import RECOVER, Automaton, epsilon_horizon, harm_information
from harmhorizon.theory.automaton import base_policy
from harmhorizon.theory.cliff_edge import cliff_edge_positions, cliff_edge_table
from harmhorizon.theory.deep import solve_deep
from harmhorizon.theory.leading_order import (
    FREE,
    aligned_and_base_kl,
    eq45_profile,
    prop29_errors,
    recovery_gradient_terms,
)
from harmhorizon.theory.prefix_tree import PrefixTree, base_tree_policy, random_tree_policy
from harmhorizon.theory.prefix_tree import harm_information as tree_information
from harmhorizon.theory.shared import _policy, feature_levels

SHARP = PrefixTree.build(Automaton(T=7, m=2), K=4)


def test_eq45_without_the_penalty_is_half_lambda_squared_information():
    """For tabular logits G_tᵀF̄_t⁻¹G_t = I_t (docs/theory.md P4(b)), so eq. 45 at μ = 0 is eq. 42 exactly."""
    info = tree_information(SHARP, *base_tree_policy(SHARP))
    np.testing.assert_allclose(eq45_profile(SHARP, 0.3, 0.0, 1.0)[1:], 0.5 * 0.3**2 * info[1:], rtol=1e-12, atol=1e-18)


@pytest.mark.parametrize("gamma", [1.0, 0.7])
def test_eq45_is_the_leading_order_of_the_exact_optimum(gamma):
    """The relative error of eq. 45 against the exact H_deep optimum's D_t shrinks linearly with the scale."""
    errors = []
    for s in (0.1, 0.01):
        solution = solve_deep(SHARP, s, s, gamma)
        aligned, _ = aligned_and_base_kl(SHARP, solution.p_comply, solution.probs)
        predicted = eq45_profile(SHARP, s, s, gamma)
        errors.append(np.abs(aligned[1:] / predicted[1:] - 1).max())
    assert errors[1] < 0.05 and errors[1] < errors[0] / 5


def _fail_gradient_sq(tree, probs, s, features=None):
    """‖∂ E_Q[1 − π(R|y)] / ∂θ‖² at level s by autograd: per-prefix free logits, or the shared W of ``features``."""
    q = torch.tensor(np.exp(tree.log_q[s]))
    if features is None:
        logits = torch.tensor(np.log(probs[s]), requires_grad=True)
        row = torch.softmax(logits, dim=1)
        (q * (1 - row[:, RECOVER])).sum().backward()
        return float((logits.grad[:, FREE] ** 2).sum())
    W, phi = features
    W = W.clone().requires_grad_(True)
    _, rows = _policy(tree, phi, W, torch.tensor(0.0, dtype=torch.float64))
    (q * (1 - rows[s][:, RECOVER])).sum().backward()
    return float((W.grad**2).sum())


def test_the_recovery_gradient_is_the_autograd_gradient_of_the_penalty():
    """Def 18's G̃_t is minus the gradient of Q's recovery failure at position t, for tabular and shared parameters,
    and Lemma 28's bound holds for both."""
    rng = np.random.default_rng(3)
    _, probs = random_tree_policy(SHARP, rng)
    terms = recovery_gradient_terms(SHARP, probs)
    for s in range(1, SHARP.T):
        assert terms["recovery_grad_sq"][s + 1] == pytest.approx(_fail_gradient_sq(SHARP, probs, s), rel=1e-10)
    phi = feature_levels(SHARP, "count")
    W = torch.tensor(rng.normal(0, 1.5, size=(phi[1].shape[1], len(FREE))), dtype=torch.float64)
    with torch.no_grad():
        _, rows = _policy(SHARP, phi, W, torch.tensor(0.0, dtype=torch.float64))
    shared_probs = [None] + [r.numpy() for r in rows[1:]]
    shared = recovery_gradient_terms(SHARP, shared_probs, phi)
    for s in range(1, SHARP.T):
        assert shared["recovery_grad_sq"][s + 1] == pytest.approx(_fail_gradient_sq(SHARP, shared_probs, s, (W, phi)), rel=1e-10)
    for t in (terms, shared):
        assert (t["recovery_grad_sq"] <= t["bound_eq61"] + 1e-15).all()
        assert (t["bound_eq61"] <= t["bound_uniform"] + 1e-15).all()
    assert (terms["recovery_information"][2:] > 0).all()


def test_prop29_is_first_order_at_mu_zero_and_needs_remark_9s_weight_otherwise():
    small, smaller = (prop29_errors(SHARP, *_solve(s, 0.0), s, 0.0, 1.0) for s in (0.1, 0.01))
    assert smaller["stated"] / smaller["change"] < small["stated"] / small["change"] / 5
    with_mu = [prop29_errors(SHARP, *_solve(s, s), s, s, 1.0) for s in (0.1, 0.01)]
    weighted = [e["remark9"] / e["change"] for e in with_mu]
    stated = [e["stated"] / e["change"] for e in with_mu]
    assert weighted[1] < weighted[0] / 5 and stated[1] > 5 * weighted[1]


def _solve(lam, mu):
    solution = solve_deep(SHARP, lam, mu, 1.0)
    return solution.p_comply, solution.probs


def test_the_cliff_edge_table_reads_protection_and_information():
    automaton = Automaton(T=10)
    table = cliff_edge_table(automaton, [1.0])
    assert table.protection.iloc[0] == pytest.approx(1.0)
    assert (table.harm_aligned <= table.harm_base + 1e-15).all()
    assert table.remaining_information.iloc[0] == pytest.approx(1.0)
    positions = cliff_edge_positions(table, automaton, [0.3])
    assert positions.cliff_edge.iloc[0] == epsilon_horizon(harm_information(base_policy(automaton)), 0.3)
    effective = positions.shortest_effective_prefill.iloc[0]
    assert np.isfinite(effective) and effective == table.L[table.protection <= 0.3].min()


def test_the_shortest_effective_prefill_is_the_first_length_at_or_below_epsilon():
    table = pd.DataFrame({"beta": 1.0, "L": [0, 1, 2, 3], "protection": [1.0, 0.5, 0.05, 0.2]})
    positions = cliff_edge_positions(table, Automaton(T=4), [0.1, 0.01])
    assert positions.shortest_effective_prefill.tolist() == [2.0, np.inf]


def test_the_ledger_rows_follow_the_registered_rules():
    """The new ledger rows are judged at the smallest scale only, by the tolerances passed in (from
    config/predictions.yaml): a rule registered at −1 fails every one of them."""
    from harmhorizon.theory.leading_order import leading_order_solves, leading_order_table, recovery_gradient_table
    from harmhorizon.theory.ledger import QUANTITIES, leading_order_rows, lemma28_rows

    settings = {"T": 6, "K": 3, "gammas": [0.8], "n_random_policies": 1, "shared": {"policies": ["count"]},
                "leading_order": {"scales": [0.5, 0.01], "lambda": 1.0, "mu": 1.0}}
    profile, prop29 = leading_order_table(leading_order_solves(Automaton(m=2), settings))
    rows = pd.DataFrame(leading_order_rows(profile, prop29, 0.10, 1e-9)
                        + lemma28_rows(recovery_gradient_table(Automaton(m=2), settings, 0), 1e-9))
    assert set(rows.quantity) <= set(QUANTITIES)
    judged = rows[rows.holds.notna()]
    assert set(judged.result) == {"Thm 19", "Thm 14", "Cor 15", "Prop 29", "Lemma 28"}
    large = rows[rows.setting.str.startswith("λ=0.5") & (rows.result != "Cor 15")]
    assert len(large) and not large.holds.notna().any()
    assert judged[judged.result.isin(["Thm 19", "Cor 15", "Lemma 28"])].holds.astype(bool).all()
    strict = pd.DataFrame(leading_order_rows(profile, prop29, -1.0, -1.0))
    assert not strict[strict.holds.notna()].holds.astype(bool).any()


def test_shared_parameter_gradient_terms_sum_to_the_autograd_gradient_and_meet_thm_13():
    """Thm 8 for a log-linear policy with shared W: Σ_t G_t = ∇_W E[Harm]; Lemma 12 and Thm 13's bounds hold."""
    from harmhorizon.theory.leading_order import covariance_with_score, shared_gradient_terms
    from harmhorizon.theory.prefix_tree import harm_martingale, log_reach
    from harmhorizon.theory.shared import standard_objective

    phi = feature_levels(SHARP, "count")
    W = torch.tensor(np.random.default_rng(4).normal(0, 1.5, size=(phi[1].shape[1], len(FREE))), dtype=torch.float64,
                     requires_grad=True)
    comply, rows = _policy(SHARP, phi, W, torch.tensor(0.0, dtype=torch.float64))
    (standard_objective(SHARP, 1.0, comply, rows) - standard_objective(SHARP, 0.0, comply, rows)).backward()
    probs = [None] + [r.detach().numpy() for r in rows[1:]]
    H, Q = harm_martingale(SHARP, probs)
    reach = log_reach(SHARP, float(comply), probs)
    G = sum(np.einsum("n,ni,na->ia", np.exp(reach[s]), phi[s], covariance_with_score(probs[s], Q[s]))
            for s in range(1, SHARP.T))
    np.testing.assert_allclose(G, W.grad.numpy(), atol=1e-14)
    terms = shared_gradient_terms(SHARP, float(comply), probs, phi)
    assert (terms["grad_sq"] <= terms["bound_lemma12"] + 1e-15).all()
    assert (terms["bound_lemma12"] <= terms["bound_thm13"] + 1e-15).all()
    assert (terms["lemma12_excess"] <= 1e-15).all() and terms["grad_sq"][2:SHARP.K + 1].max() > 0
