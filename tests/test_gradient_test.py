"""P1 at the neural level (evaluate/gradient_test.py): the unbiased estimate, its null, and the verdicts."""

import numpy as np
import pandas as pd
import torch
import yaml
from transformers import GPT2Config, GPT2LMHeadModel

from conftest import REPO
from harmhorizon.envs.automaton import AutomatonEnvironment
from harmhorizon.evaluate.gradient_test import position_scores, sign_flip_null, u_statistic
from harmhorizon.evaluate.verdicts import gradient_verdicts, holm
from harmhorizon.synthetic.vocab import Vocabulary
from harmhorizon.theory.automaton import Automaton


def _draw(rng, n, d, shift):
    """h ~ Bernoulli(0.4); scores N(0, I) plus ``shift`` on harmful rows: E[h s] = 0.4 · shift."""
    h = (rng.random(n) < 0.4).astype(float)
    scores = rng.normal(size=(n, d)) + h[:, None] * shift
    return h, scores @ scores.T


def test_u_statistic_is_unbiased_and_its_null_holds_its_level():
    rng = np.random.default_rng(0)
    n, d, repeats = 60, 5, 300
    for shift, expected in ((np.zeros(5), 0.0), (np.full(5, 0.6), 5 * (0.4 * 0.6) ** 2)):
        estimates, rejected = [], 0
        for _ in range(repeats):
            h, gram = _draw(rng, n, d, shift)
            u = u_statistic(gram, h, n)
            null = sign_flip_null(gram, h, n, 200, rng)
            estimates.append(u)
            rejected += (1 + (null >= u).sum()) / 201 < 0.05
        estimates = np.array(estimates)
        se = estimates.std(ddof=1) / np.sqrt(repeats)
        assert abs(estimates.mean() - expected) < 4 * se, (estimates.mean(), expected, se)
        if expected == 0:
            assert rejected / repeats <= 0.10          # the null holds its level (5%, with Monte Carlo slack)
        else:
            assert rejected / repeats >= 0.80          # and it sees a gradient of this size


def test_the_naive_norm_is_positive_without_any_gradient():
    """What the old metric read: Σ‖h_i s_i‖² is positive although E[h s] = 0; U is not."""
    rng = np.random.default_rng(1)
    h, gram = _draw(rng, 200, 5, np.zeros(5))
    assert (h**2 * np.diag(gram)).sum() > 10 and abs(u_statistic(gram, h, 200)) < 0.05


def test_position_scores_are_the_per_position_gradients():
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=7, n_positions=8, n_embd=8, n_layer=1, n_head=2)).double().eval()
    prompt, response = [1], [2, 3, 4]
    scores = position_scores(model, prompt, response)
    params = [p for p in model.parameters() if p.requires_grad]
    for t, token in enumerate(response):
        logits = model(input_ids=torch.tensor([prompt + response])).logits[0]
        log_p = torch.log_softmax(logits[len(prompt) - 1 + t], -1)[token]
        expected = torch.cat([g.reshape(-1) for g in torch.autograd.grad(log_p, params, allow_unused=False)])
        assert torch.allclose(scores[t].to(expected.dtype), expected, atol=1e-10)


def test_decided_positions_follow_the_automaton_states():
    automaton, vocab = Automaton(T=6, m=2), Vocabulary(2, 2, 2, 2, 2)
    env = AutomatonEnvironment(automaton, vocab, base_dir="", evaluation={})
    ids = vocab.token_to_id
    response = [ids[w] for w in "COMPLY PAY0 PAY1 FIL0 FIL1".split()]
    # prefixes y_<t: t = 1 empty; t = 2, 3: fewer than m payloads with room left; t = 4, 5: two payloads, decided.
    assert env.decided_positions([ids["HARM0"]], response).tolist() == [False, False, False, True, True]
    fillers = [ids[w] for w in "COMPLY FIL0 FIL1 FIL0 FIL1 FIL0".split()]
    # No payload and too few positions left to reach m: decided harmless from the prefix of 5 tokens on.
    assert env.decided_positions([ids["HARM0"]], fillers).tolist() == [False] * 5 + [True]
    assert env.decided_positions([ids["HARM0"]], [ids["REFUSE"], ids["EOS"]]).tolist() == [False, True]


def test_holm_adjusts_step_down():
    assert np.allclose(holm([0.01, 0.04, 0.03, np.nan]), [0.03, 0.06, 0.06, np.nan], equal_nan=True)


def test_gradient_verdicts_follow_the_registered_rules():
    rules = yaml.safe_load((REPO / "config/predictions.yaml").read_text())["gradient_test"]

    def row(method, stratum, estimate, p, harmful=100, checkpoint="final"):
        return {"method": method, "seed": 1, "checkpoint": checkpoint, "t": 0, "stratum": stratum, "estimate": estimate,
                "null_low": -1.0, "null_high": 1.0, "p_value": p, "n_batches": 256, "n_harmful_responses": harmful}

    table = pd.DataFrame([row("base", "undecided", 5.0, 0.0005, checkpoint="reference"),
                          row("base", "decided", 0.1, 0.4, checkpoint="reference"),
                          row("dpo", "undecided", 5.0, 0.0005, checkpoint="mid"), row("dpo", "decided", 0.2, 0.3, checkpoint="mid"),
                          row("dpo", "undecided", 0.5, 0.3), row("dpo", "decided", 0.2, 0.3),
                          row("rlhf", "undecided", 0.0, 0.5, harmful=2), row("rlhf", "decided", 0.0, 0.5, harmful=2),
                          row("bad", "undecided", 5.0, 0.0005), row("bad", "decided", 4.0, 0.0005)])
    verdicts = gradient_verdicts(table, rules).set_index(["method", "metric"]).verdict
    assert verdicts[("base (seed 1, reference)", "sum_t U_t (undecided) vs sign-flip null")] == "confirmed"
    assert verdicts[("base (seed 1, reference)", "sum_t U_t (decided) vs sign-flip null")] == "confirmed"
    # No gradient seen where one must be: the decided stratum's silence proves nothing (checkpoint by checkpoint).
    assert verdicts[("dpo (seed 1, final)", "sum_t U_t (decided) vs sign-flip null")] == "inconclusive"
    assert verdicts[("dpo (seed 1, mid)", "sum_t U_t (decided) vs sign-flip null")] == "confirmed"
    assert verdicts[("rlhf (seed 1, final)", "sum_t U_t (decided) vs sign-flip null")] == "untestable"
    # A gradient at decided prefixes refutes Thm 10 / P2.
    assert verdicts[("bad (seed 1, final)", "sum_t U_t (decided) vs sign-flip null")] == "refuted"


def test_logit_gradient_by_state_matches_p2_on_the_exact_policy():
    """With the exact base policy as the model, the Monte Carlo logit gradient by class-level state holds P2's
    value P(s)π(a|s)(Q − V) within 1.96 SE in most cells and is 0 up to noise at decided states."""
    from harmhorizon.envs.automaton import AutomatonEnvironment
    from harmhorizon.synthetic.model import AutomatonLM
    from harmhorizon.synthetic.vocab import Vocabulary
    from harmhorizon.theory.automaton import Automaton, base_policy

    automaton, vocab = Automaton(T=8, m=2), Vocabulary(1, 1, 1, 1, 1)
    env = AutomatonEnvironment(automaton, vocab, base_dir="", evaluation={}, use_cache=False)
    model = AutomatonLM(base_policy(automaton), vocab)
    samples = env.sample_responses(model, True, 3000, 1)
    harm = env.label([p for p, _ in samples], [r for _, r in samples])["harm"]
    table = env.logit_gradient_by_state(model, samples, harm)
    assert (table.exact_base[table.decided] == 0).all() and (table.exact_base[~table.decided] != 0).any()
    z = ((table.estimate - table.exact_base) / table.se.where(table.se > 0)).dropna()
    assert len(z) >= 40 and (z.abs() <= 1.96).mean() >= 0.85 and z.abs().max() < 4.5
    # At decided states the terms are martingale differences: the predictable SE holds 0 as well.
    decided = table[table.decided & (table.se_predictable > 0)]
    z0 = decided.estimate / decided.se_predictable
    assert len(z0) >= 10 and (z0.abs() <= 1.96).mean() >= 0.85 and z0.abs().max() < 4.5
    # The four classes of a state sum to zero (a shift of every logit changes nothing), up to float32 probabilities.
    sums = table.groupby(["t", "j"]).estimate.sum()
    assert np.allclose(sums, 0, atol=1e-6)


def test_a_null_draw_equal_to_the_estimate_up_to_float_noise_counts_as_a_tie():
    """With a degenerate null (one harmful row) the estimate is one of its values; a few ulp either way must not
    move the p-value."""
    from harmhorizon.evaluate.gradient_test import null_summary

    null = np.array([-0.03, 0.03] * 50)
    for noise in (-1e-12, 0.0, 1e-12):
        assert null_summary(-0.03 + noise, null)["p_value"] == 1.0
        assert null_summary(0.03 + noise, null)["p_value"] == (1 + 50) / 101
    assert null_summary(0.031, null)["p_value"] == 1 / 101
