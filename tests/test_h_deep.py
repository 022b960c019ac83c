"""Young's deep objective (Def 17) as a trl trainer: the adversarial prefixes Q of the automaton estimate the
paper's penalty on the exact tree, and the trainer's loss is β/T times H_deep (docs/experiments.md E5)."""

import os
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from datasets import Dataset
from transformers import AutoModelForCausalLM

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from harmhorizon.envs.automaton import AutomatonEnvironment  # noqa: E402
from test_real_models import tiny_folder, tiny_model  # noqa: E402, F401  (fixtures)
from harmhorizon.methods.registry import H_DEEP_DEFAULTS, OBJECTIVES  # noqa: E402
from harmhorizon.methods.trainers import COMMON, DeepObjectiveConfig, DeepObjectiveTrainer  # noqa: E402
from harmhorizon.synthetic.model import build_base_model, build_tokenizer  # noqa: E402
from harmhorizon.synthetic.vocab import Vocabulary  # noqa: E402
from harmhorizon.theory.automaton import Automaton  # noqa: E402
from harmhorizon.theory.prefix_tree import PrefixTree  # noqa: E402

VOCAB = Vocabulary(2, 2, 2, 2, 2)


class ConstantRecovery(torch.nn.Module):
    """A 'model' whose next-token distribution puts probability p on RECOVER at every position."""

    def __init__(self, p: float, recover: int, size: int):
        super().__init__()
        logits = torch.full((size,), float(np.log((1 - p) / (size - 1))))
        logits[recover] = float(np.log(p))
        self.logits = torch.nn.Parameter(logits)

    def forward(self, input_ids, attention_mask=None):
        return SimpleNamespace(logits=self.logits.expand(*input_ids.shape, -1))


def _environment(automaton, n: int = 6000, seed: int = 3) -> AutomatonEnvironment:
    env = AutomatonEnvironment(automaton, VOCAB, None, {})
    env.harmful = env.pool_frame(env.reference_pool(True, n, seed, c_benign=0.1), harmful=True)
    return env


@pytest.mark.parametrize("gamma", [1.0, 0.7])
def test_adversarial_prefixes_estimate_the_penalty_on_the_exact_q(gamma):
    """With π(R | ·) = p everywhere, E_{y∼Q}[Σ_t γ^{t−1}(1 − π(R|y_<t))] = (1 − p) Σ_s γ^s Σ_y q(y) over the tree's
    levels s = t − 1 (theory.deep's weights); the hook's mean over the pool's complying responses estimates it."""
    automaton = Automaton(T=8)
    env = _environment(automaton)
    hook = env.adversarial_prefixes({}, np.random.default_rng(0))
    p = 0.2
    model = ConstantRecovery(p, env.recovery_token, VOCAB.size)
    rows = torch.arange(len(hook))
    per_row = torch.stack([hook(model, rows[i : i + 1], gamma, "linear", env.pad_id) for i in range(len(hook))]).detach()
    tree = PrefixTree.build(automaton)
    exact = (1 - p) * sum(gamma**s * np.exp(tree.log_q[s]).sum() for s in range(1, automaton.T))
    mean, se = float(per_row.mean()), float(per_row.std() / np.sqrt(len(per_row)))
    assert len(hook) > 0.6 * 6000 * 0.8  # every complying response, not only the harmful ones
    assert abs(mean - exact) < 4 * se, (mean, exact, se)
    # The hook's own mean over a draw of rows is the same statistic.
    assert float(hook(model, rows, gamma, "linear", env.pad_id).detach()) == pytest.approx(mean, rel=1e-5)


def test_the_deep_config_refuses_losses_it_cannot_weigh(tmp_path):
    base = {**COMMON, "output_dir": str(tmp_path), "beta": 0.1, "deep_mu": 1.0}
    DeepObjectiveConfig(**base, **dict(H_DEEP_DEFAULTS))
    with pytest.raises(ValueError, match="dr_grpo"):
        DeepObjectiveConfig(**base, loss_type="dapo", scale_rewards="none")
    with pytest.raises(ValueError, match="scale_rewards|dr_grpo"):
        DeepObjectiveConfig(**base, loss_type="dr_grpo")  # trl's default scales rewards by their spread
    with pytest.raises(ValueError, match="beta > 0"):
        DeepObjectiveConfig(**{**base, "beta": 0.0}, **dict(H_DEEP_DEFAULTS))
    assert OBJECTIVES["h_deep"].family == "deep" and OBJECTIVES["h_deep"].trainer_cls is DeepObjectiveTrainer


def test_the_trainer_loss_is_beta_over_T_times_the_penalty_when_harm_is_flat(tmp_path):
    """With a constant reward GRPO's advantages vanish, and at the first step the policy equals the reference (KL 0):
    the loss is then exactly β·μ/T · penalty. Training raises recovery at a Q-prefix."""
    automaton = Automaton(T=6)
    env = _environment(automaton, n=400)
    hook = env.adversarial_prefixes({}, np.random.default_rng(0))
    build_base_model(VOCAB, T=6, n_layer=1, n_embd=16, n_head=2, seed=0).save_pretrained(tmp_path / "base")
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "base")  # GRPO loads its reference from the same folder
    ids = VOCAB.token_to_id
    probe = torch.tensor([[ids["HARM0"], ids["COMPLY"], ids["PAY0"], ids["PAY1"]]])
    before = torch.softmax(model(probe).logits[0, -1], -1)[ids["RECOVER"]].item()
    beta, mu = 0.1, 3.0
    args = DeepObjectiveConfig(**{**COMMON, "output_dir": str(tmp_path / "run"), "seed": 0, "logging_steps": 1, "max_steps": 3,
                                  "per_device_train_batch_size": 4, "num_generations": 4, "learning_rate": 5e-2,
                                  "max_completion_length": 6, "beta": beta, "deep_mu": mu, "deep_gamma": 0.9,
                                  "penalty_batch_size": 16, **dict(H_DEEP_DEFAULTS)})

    def flat(prompts, completions, completion_ids, **kwargs):
        return [0.0] * len(completion_ids)

    trainer = DeepObjectiveTrainer(model=model, args=args, processing_class=build_tokenizer(VOCAB), reward_funcs=flat,
                                   train_dataset=Dataset.from_list([{"prompt": "HARM0"}] * 16), penalty=hook)
    trainer.train()
    first = next(entry for entry in trainer.state.log_history if "recovery_penalty" in entry)
    assert first["loss"] == pytest.approx(beta * mu / 6 * first["recovery_penalty"], rel=1e-4)
    after = torch.softmax(trainer.model(probe).logits[0, -1], -1)[ids["RECOVER"]].item()
    assert after > before


def test_a_token_level_recovery_set_scores_the_first_token_of_the_phrase(tiny_model, tiny_folder):  # noqa: F811
    """recovery_set: first_token makes Young's Q hook score R = {the phrase's first token}: every row ends in that one
    token, whose mask is the only one set, with the same prefixes, exponents and weights as the phrase hook."""
    from test_real_models import _environment

    model, tokenizer = tiny_model
    env, ids = _environment(tiny_folder, tokenizer, ["Explain tides", "Write a poem"])
    responses = env.sample(model, ids, 8, 1, seed=1)
    env._harmful_train_sequences = lambda: [(tokenizer.decode(p), r) for p, r in zip(ids, responses)]
    env.phrases = {"recovery_phrase": "Sorry, I stop here."}
    method = {"n_prefixes": 6, "max_prefix": 8}
    phrase = env.adversarial_prefixes(method, np.random.default_rng(0))
    token = env.adversarial_prefixes({**method, "recovery_set": "first_token"}, np.random.default_rng(0))
    assert (token.mask.sum(1) == 1).all() and (phrase.mask.sum(1) > 1).all()
    first = tokenizer(" Sorry, I stop here.", add_special_tokens=False)["input_ids"][0]
    ends = token.attention.sum(1) - 1
    assert (token.ids[torch.arange(len(token)), ends] == first).all()
    assert torch.equal(token.positions, phrase.positions) and torch.equal(token.scale, phrase.scale)
