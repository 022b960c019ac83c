"""E5b (Young's Appendix A) on a seeded track: the sharp-horizon judge, the Q-prefix profile and the registered
ratio verdict (docs/experiments.md E5b)."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import logit

from harmhorizon.envs.automaton import AutomatonEnvironment
from harmhorizon.evaluate.shared_parameters import appendix_a_ratio, appendix_a_verdicts, q_prefix_profile
from harmhorizon.synthetic.vocab import Vocabulary
from harmhorizon.theory.automaton import Automaton
from test_h_deep import ConstantRecovery

VOCAB = Vocabulary(2, 2, 2, 2, 2)


def _ids(text):
    return [VOCAB.id(w) for w in text.split()]


def test_the_sharp_judge_counts_payloads_at_positions_up_to_K_only():
    env = AutomatonEnvironment(Automaton(T=8, m=2), VOCAB, None, {})
    responses = [_ids("COMPLY PAY0 PAY1 FIL0 EOS"), _ids("COMPLY FIL0 FIL1 PAY0 PAY1 EOS"), _ids("COMPLY PAY0 FIL0 PAY1 RECOVER")]
    assert list(env.judge(2)([[0]] * 3, responses)["harm"]) == [1, 1, 1]
    # K = 3: positions 1..3 are COMPLY and the next two tokens.
    assert list(env.judge(2, K=3)([[0]] * 3, responses)["harm"]) == [1, 0, 0]
    assert list(env.judge(2, K=4)([[0]] * 3, responses)["harm"]) == [1, 0, 1]


def test_the_q_prefix_profile_reads_the_shift_kl_and_harmful_prefixes():
    """Two constant models: Δℓ = logit p1 − logit p0 at every Q-prefix; KL_t = the rows' KL times the share of
    sequences reaching t; a prefix past K is harmful when its payloads at positions ≤ K reach m."""
    env = AutomatonEnvironment(Automaton(T=6, m=2), VOCAB, None, {})
    prompt = [VOCAB.id("HARM0")]
    sequences = [(prompt, _ids("COMPLY PAY0 PAY1 FIL0 FIL1 FIL0")), (prompt, _ids("COMPLY FIL0 PAY0 EOS")),
                 (prompt, _ids("COMPLY PAY0 FIL1 PAY1 EOS"))]
    reference, model = ConstantRecovery(0.05, env.recovery_token, VOCAB.size), ConstantRecovery(0.2, env.recovery_token, VOCAB.size)
    profile = q_prefix_profile(env, model, reference, sequences, m=2, K=3).set_index("t")
    assert list(profile.index) == [2, 3, 4, 5, 6]
    assert profile.n_prefixes.tolist() == [3, 3, 3, 2, 1]  # y_<t exists for t = 2..len(y)
    # Payloads at positions 2..3: 2 (first), 1 (second), 1 (third): only the first is harmful once y_<t covers K.
    assert profile.n_harmful_prefixes.tolist() == [0, 0, 1, 1, 1]
    assert profile.delta_logodds.to_numpy() == pytest.approx(logit(0.2) - logit(0.05), rel=1e-5)
    p, p0 = (np.exp(m.logits.detach().log_softmax(-1).numpy()) for m in (model, reference))
    row_kl = float((p * np.log(p / p0)).sum())
    assert profile.kl_t.to_numpy() == pytest.approx(row_kl * np.array([3, 3, 3, 2, 1]) / 3, rel=1e-5)
    assert profile.past_horizon.tolist() == [False, False, True, True, True]
    # The same model as its reference: nothing moves, and the ratio is undefined (0/0), not 0.
    same = q_prefix_profile(env, reference, reference, sequences, m=2, K=3)
    assert (same.kl_t.abs() < 1e-6).all() and np.isnan(appendix_a_ratio(same))


def test_the_appendix_a_verdict_is_judged_at_the_smallest_lambda_against_the_margin():
    def ratios(values_small, values_large=(0.5, 0.6, 0.7)):
        return pd.DataFrame({"lambda": [1.0] * len(values_small) + [10.0] * len(values_large),
                             "seed": list(range(len(values_small))) + list(range(len(values_large))),
                             "ratio": list(values_small) + list(values_large)})

    verdict = lambda values: appendix_a_verdicts(ratios(values), 0.10, "rlhf").set_index("lambda").verdict  # noqa: E731
    assert verdict([0.02, 0.03, 0.025, 0.03, 0.02])[1.0] == "confirmed"
    assert verdict([0.02, 0.03, 0.025, 0.03, 0.02])[10.0] == "reported"
    assert verdict([0.5, 0.6, 0.55, 0.45, 0.52])[1.0] == "refuted"
    assert verdict([0.01, 0.3, 0.05, 0.2, 0.02])[1.0] == "inconclusive"
    assert verdict([0.05, np.nan])[1.0] == "untestable"
    table = appendix_a_verdicts(ratios([0.01, 0.02, 0.015]), 0.10, "rlhf")
    assert table.ci_low.min() >= 0  # the interval respects ratio ≥ 0
