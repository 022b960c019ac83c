"""Generic evaluators against exact automaton values and autograd."""

import numpy as np
import pandas as pd
import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel
from trl.trainer.utils import add_fused_lm_head

from harmhorizon.evaluate.gradients import LogitGradientProfile
from harmhorizon.evaluate.harm_information import mc_harm_information
from harmhorizon.evaluate.kl import per_position_kl
from harmhorizon.envs.automaton import AutomatonEnvironment
from harmhorizon.evaluate.prefill import prefill_attack
from harmhorizon.evaluate.sampling import sample_continuations
from harmhorizon.synthetic.model import AutomatonLM
from harmhorizon.synthetic.vocab import Vocabulary
from harmhorizon.theory.automaton import Automaton, base_policy, bernoulli_kl, harm_information, recovery_eventual
from harmhorizon.theory.gibbs import Objective, optimal_policy


def _tiny_gpt2(vocab_size=7):
    torch.manual_seed(0)
    return GPT2LMHeadModel(GPT2Config(vocab_size=vocab_size, n_positions=8, n_embd=8, n_layer=1, n_head=2,
                                      resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)).double()


def test_gradient_hook_matches_autograd_on_logits():
    model = _tiny_gpt2()
    ids = torch.tensor([[1, 2, 3]])  # prompt [1], response [2, 3]: two response positions
    weights = torch.tensor([0.7, -1.3])
    logits = model(ids).logits
    logits.retain_grad()
    logp = torch.log_softmax(logits[0, :-1], -1).gather(-1, ids[0, 1:, None])[:, 0]
    (weights * logp).sum().backward()
    expected = logits.grad[0, :2].norm(dim=-1)
    model.zero_grad()

    profile = LogitGradientProfile(every=1, max_positions=2, response_start=0).attach(model)
    profile.activate()
    out = model(input_ids=ids).logits
    logp = torch.log_softmax(out[0, :-1], -1).gather(-1, ids[0, 1:, None])[:, 0]
    (weights * logp).sum().backward()
    profile.flush(0)
    got = torch.tensor([r["grad_norm"] for r in profile.rows], dtype=torch.float64)
    assert torch.allclose(got, expected, rtol=1e-9)


def test_gradient_hook_matches_autograd_through_trl_fused_head():
    model = _tiny_gpt2()
    ids = torch.tensor([[1, 2, 3, 0]])  # prompt [1], response [2, 3], then one padding position
    labels = torch.tensor([[-100, 2, 3, -100]])
    weights = torch.tensor([0.7, -1.3, 2.0])
    logits = model(ids).logits
    logits.retain_grad()
    logp = torch.log_softmax(logits[0, :-1], -1).gather(-1, ids[0, 1:, None])[:, 0]
    (weights[:2] * logp[:2]).sum().backward()
    expected = torch.cat([logits.grad[0, :2].norm(dim=-1), torch.zeros(1, dtype=torch.float64)])
    model.zero_grad()

    add_fused_lm_head(model)
    for response_start in (None, 0):  # positions from the labels, or from the fixed prompt length
        profile = LogitGradientProfile(every=1, max_positions=3, response_start=response_start).attach(model)
        profile.activate()
        out = model(input_ids=ids, labels=labels, fused_lm_head=True)
        (weights * out.log_probs[0]).sum().backward()  # the padded position's weight must not count
        profile.flush(0)
        got = torch.tensor([r["grad_norm"] for r in profile.rows], dtype=torch.float64)
        assert torch.allclose(got, expected, rtol=1e-6)
        model.forward = type(model).forward.__get__(model)
        add_fused_lm_head(model)


def test_per_position_kl_equals_exact_state_kl():
    automaton, vocab = Automaton(T=8, m=2), Vocabulary(2, 2, 2, 2, 2)
    base = base_policy(automaton)
    star, _ = optimal_policy(base, Objective(beta=0.5))
    ids = vocab.token_to_id
    response = [ids[w] for w in "COMPLY PAY0 FIL1 PAY1 FIL0".split()]
    kl = per_position_kl(AutomatonLM(star, vocab), AutomatonLM(base, vocab), [([ids["HARM0"]], response)])[0]
    expected = [bernoulli_kl(star.p_comply, base.p_comply)]
    j = 0
    for t in range(1, len(response)):
        p, q = star.next_probs[t, min(j, 2)], base.next_probs[t, min(j, 2)]
        expected.append(float((p * np.log(p / q)).sum()))
        j += response[t] in vocab.ids("PAYLOAD")
    assert np.allclose(kl, expected, atol=1e-5)


def _exact_environment(automaton, vocab):
    """The automaton environment with the exact policy as its model (no checkpoint, no KV cache)."""
    return AutomatonEnvironment(automaton, vocab, base_dir="", evaluation={}, use_cache=False)


def test_prefill_attack_matches_exact_recovery():
    automaton, vocab = Automaton(T=8, m=2, r=0.2), Vocabulary(2, 2, 2, 2, 2)
    base = base_policy(automaton)
    ids = vocab.token_to_id
    prefix = [ids[w] for w in "COMPLY FIL0 FIL1".split()]  # k = 2, j = 0: state (3, 0)
    env = _exact_environment(automaton, vocab)
    curve = prefill_attack(env, AutomatonLM(base, vocab), {2: [([ids["HARM0"]], prefix)] * 4}, n_samples=500, seed=3)
    assert curve.prefilled.iloc[0] == 3
    exact = recovery_eventual(base)[3, 0]
    assert curve.n.iloc[0] == 2000
    assert abs(curve.recovery_rate.iloc[0] - exact) < 4 * np.sqrt(exact * (1 - exact) / 2000)
    # Kept samples (rule real_evaluate's attack_samples) are the draws behind the rates: same seed, same table, one record each.
    records = []
    again = prefill_attack(env, AutomatonLM(base, vocab), {2: [([ids["HARM0"]], prefix)] * 4}, n_samples=500, seed=3,
                           records=records)
    pd.testing.assert_frame_equal(again, curve)
    assert len(records) == 2000 and {r["item"] for r in records} == {0, 1, 2, 3}
    assert np.mean([r["recovered"] for r in records]) == curve.recovery_rate.iloc[0]
    assert np.mean([r["harm"] for r in records]) == curve.harm_rate.iloc[0]
    assert all(r["prefix"] == prefix for r in records)


def test_mc_harm_information_matches_exact():
    automaton, vocab = Automaton(T=4, m=1, q=0.4), Vocabulary(1, 1, 1, 1, 1)
    base = base_policy(automaton)
    model = AutomatonLM(base, vocab)
    env = _exact_environment(automaton, vocab)
    prompts = [[vocab.id("HARM0")]] * 150
    responses = env.sample(model, prompts, automaton.T, 1, seed=1)
    mc = mc_harm_information(env, model, list(zip(prompts, responses)), range(automaton.T), 8, seed=2)
    exact = harm_information(base)[1:]
    assert ((exact >= mc.ci_low - 1e-9) & (exact <= mc.ci_high + 1e-9)).mean() >= 0.75
    assert mc.harm_information.sum() == pytest.approx(exact.sum(), abs=0.06)


def test_sampler_left_pads_mixed_lengths_like_one_prefix_at_a_time():
    """Rows of different lengths in one batch sample what each would alone, at near-zero temperature."""
    model = _tiny_gpt2().float().eval()
    prefixes = [[1, 2, 3, 4], [5], [2, 6]]
    together = sample_continuations(model, prefixes, 4, stop_ids=(), seed=0, batch_size=8, pad_id=0, temperature=1e-4)
    alone = [sample_continuations(model, [p], 4, stop_ids=(), seed=0, pad_id=0, temperature=1e-4)[0] for p in prefixes]
    assert together == alone
    again = sample_continuations(model, prefixes, 4, stop_ids=(), n_samples=2, seed=5, batch_size=2, pad_id=0)
    assert again == sample_continuations(model, prefixes, 4, stop_ids=(), n_samples=2, seed=5, batch_size=2, pad_id=0)
    assert [len(row) for row in again] == [4] * 6
