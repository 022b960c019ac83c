"""The method registry and its trainers: objectives map to trl classes, the recovery trainer trains, a rerun
resumes with its gradient profile intact."""

import os

import torch
from datasets import Dataset

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import trl  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402

from conftest import REPO  # noqa: E402
from harmhorizon.evaluate.gradients import LogitGradientProfile  # noqa: E402
from harmhorizon.methods.penalties import TokenRecoveryPenalty  # noqa: E402
from harmhorizon.methods.families import FAMILY  # noqa: E402
from harmhorizon.methods.registry import FAMILIES, OBJECTIVES  # noqa: E402
from harmhorizon.methods.trainers import (  # noqa: E402
    COMMON, RecoveryPenaltyConfig, RecoveryPenaltyTrainer, fit_sft)
from harmhorizon.methods.checkpoints import last_complete_checkpoint  # noqa: E402
from harmhorizon.synthetic.model import build_base_model, build_tokenizer  # noqa: E402
from harmhorizon.synthetic.vocab import Vocabulary  # noqa: E402

VOCAB = Vocabulary(2, 2, 2, 2, 2)
ROWS = [{"prompt": "HARM1", "completion": " REFUSE"}, {"prompt": "BEN0", "completion": " COMPLY CON1 FIL0 EOS"}] * 8
HP = dict(max_steps=4, per_device_train_batch_size=8, learning_rate=1e-2, save_steps=2)


def _profile():
    harmful = torch.as_tensor(VOCAB.ids("harmful_prompt"))
    return LogitGradientProfile(every=1, max_positions=6, response_start=0,
                                row_filter=lambda ids: torch.isin(ids[:, 0], harmful))


def test_sft_profile_counts_only_harmful_rows_and_survives_resume(tmp_path):
    model = build_base_model(VOCAB, T=6, n_layer=1, n_embd=16, n_head=2, seed=0)
    first = _profile()
    fit_sft(model, build_tokenizer(VOCAB), Dataset.from_list(ROWS), HP, tmp_path, 0, first)
    steps = {r["step"] for r in first.rows}
    assert steps == {0, 1, 2, 3}
    # Harmful rows are "HARM1 REFUSE </s>": only response positions 1 and 2 carry loss.
    assert all(r["grad_norm"] == 0 for r in first.rows if r["t"] > 2)
    assert any(r["grad_norm"] > 0 for r in first.rows if r["t"] == 1)
    # A rerun finds the final checkpoint, trains nothing, and restores the profile.
    again = _profile()
    model = build_base_model(VOCAB, T=6, n_layer=1, n_embd=16, n_head=2, seed=0)
    fit_sft(model, build_tokenizer(VOCAB), Dataset.from_list(ROWS), HP, tmp_path, 0, again)
    assert again.rows == first.rows


def test_recovery_trainer_raises_recovery_probability(tmp_path):
    model = build_base_model(VOCAB, T=6, n_layer=1, n_embd=16, n_head=2, seed=0)
    ids = VOCAB.token_to_id
    row = [ids[w] for w in "HARM0 COMPLY PAY0 PAY1 FIL0".split()] + [ids["<pad>"]] * 2
    penalty = TokenRecoveryPenalty(torch.tensor([row] * 4), torch.tensor([[False, True, True, True, False, False, False]] * 4),
                                   torch.arange(1, 8)[None].expand(4, 7), [ids["RECOVER"]])
    probe = torch.tensor([[ids["HARM0"], ids["COMPLY"], ids["PAY0"]]])
    before = torch.softmax(model(probe).logits[0, -1], -1)[ids["RECOVER"]].item()
    args = RecoveryPenaltyConfig(**{**COMMON, "output_dir": str(tmp_path), "seed": 0, "completion_only_loss": True,
                                    "packing": False, "recovery_mu": 5.0, "penalty_batch_size": 4, **HP})
    trainer = RecoveryPenaltyTrainer(model=model, args=args, train_dataset=Dataset.from_list(ROWS),
                                     processing_class=build_tokenizer(VOCAB), penalty=penalty)
    trainer.train()
    assert any("recovery_penalty" in entry for entry in trainer.state.log_history), "the penalty hook never ran"
    after = torch.softmax(trainer.model(probe).logits[0, -1], -1)[ids["RECOVER"]].item()
    assert after > before


def test_a_half_written_checkpoint_is_not_resumed(tmp_path):
    """A kill during a save leaves checkpoint-N without trainer_state.json (the Trainer writes it last)."""
    assert last_complete_checkpoint(tmp_path / "missing") is None
    for step, complete in [(5, True), (10, True), (15, False)]:
        folder = tmp_path / f"checkpoint-{step}"
        folder.mkdir()
        if complete:
            (folder / "trainer_state.json").write_text("{}")
    (tmp_path / "checkpoint-x").mkdir()
    assert last_complete_checkpoint(tmp_path) == str(tmp_path / "checkpoint-10")


def test_registry_maps_each_objective_to_trl_classes_and_the_schema_lists_exactly_them():
    for name, objective in OBJECTIVES.items():
        assert objective.name == name and objective.family in FAMILIES
        assert issubclass(objective.trainer_cls, (trl.DPOTrainer, trl.GRPOTrainer, trl.SFTTrainer)), name
        assert issubclass(objective.config_cls, (trl.DPOConfig, trl.GRPOConfig, trl.SFTConfig)), name
    assert OBJECTIVES["recovery"].trainer_cls.compute_loss is not trl.SFTTrainer.compute_loss
    assert set(FAMILY) == set(OBJECTIVES)
    schema = yaml.safe_load((REPO / "config/schema.yaml").read_text())["properties"]
    enum = {track: set(schema[track]["properties"]["methods"]["additionalProperties"]["properties"]["objective"]["enum"])
            for track in ("synthetic", "real")}
    assert enum["synthetic"] == set(OBJECTIVES)
    # recovery_rl needs the penalty's harmful prefixes as a reward, which only the automaton defines so far.
    assert enum["real"] == set(OBJECTIVES) - {"recovery_rl"}


def test_the_on_policy_recovery_reward_prices_every_non_recovering_token_after_comply():
    """recovery_rl's reward: −μ Σ_{t≥2} γ^t 1{y_t ∉ R} up to the response's end, 0 after REFUSE (theory.gibbs costs)."""
    from harmhorizon.envs.automaton import AutomatonEnvironment
    from harmhorizon.synthetic.vocab import Vocabulary
    from harmhorizon.theory.automaton import Automaton

    vocab = Vocabulary(n_harmful_prompts=1, n_benign_prompts=1, n_payload=1, n_filler=1, n_content=1)
    env = AutomatonEnvironment(Automaton(T=8), vocab, None, {})
    ids = lambda text: [vocab.id(w) for w in text.split()]  # noqa: E731
    pay, fil = vocab.groups["PAYLOAD"][0], vocab.groups["FILLER"][0]
    reward = env.recovery_reward({"mu": 2.0, "gamma": 0.5})
    completions = [ids(f"COMPLY {pay} {fil} RECOVER"), ids(f"COMPLY {pay} EOS"), ids("REFUSE EOS"),
                   ids(f"COMPLY {pay} RECOVER {pay} {pay}")]
    values = reward(None, None, completions)
    assert values[0] == pytest.approx(-2.0 * (0.5**2 + 0.5**3))          # RECOVER at t = 4 is free
    assert values[1] == pytest.approx(-2.0 * (0.5**2 + 0.5**3))          # EOS is not a recovery
    assert values[2] == 0.0
    assert values[3] == pytest.approx(-2.0 * 0.5**2)                     # nothing counts after the response ends
