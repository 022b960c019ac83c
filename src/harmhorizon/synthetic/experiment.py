"""The synthetic track's steps, called by the thin scripts of workflow/rules/synthetic.smk.

Sequences are (prompt_ids, response_ids) with a one-token prompt.  The base pool is a fixed set of
base-model samples on harmful and benign prompts; alignment sets and evaluation trajectories are
drawn from it, so that every method and seed sees the same base trajectories.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from datasets import Dataset

from ..align.trainers import discard_stale_checkpoints  # noqa: F401  (re-exported for workflow/scripts/synthetic_base.py)
from ..evaluate.kl import kl_by_position, next_token_probs, per_position_kl
from ..evaluate.sampling import prefill_curve, sample_continuations
from ..theory.automaton import Automaton, base_policy, reach_probabilities
from .data import AutomatonJudge, ids_to_text
from .model import class_probabilities
from .vocab import END, PAD, Vocabulary


def stop_ids(vocab: Vocabulary) -> list[int]:
    return [vocab.id(t) for t in ("REFUSE", "RECOVER", "EOS", END, PAD)]


def sample_pool(model, vocab: Vocabulary, automaton: Automaton, n: int, harmful: bool, seed: int) -> list[tuple]:
    """n base-model samples (prompt_ids, response_ids) on harmful or benign prompts (≤ T tokens)."""
    rng = np.random.default_rng(seed)
    group = vocab.ids("harmful_prompt" if harmful else "benign_prompt")
    prompts = [[int(p)] for p in group[rng.integers(len(group), size=n)]]
    responses = sample_continuations(model, prompts, automaton.T, stop_ids(vocab), 1, seed, batch_size=2048)
    return list(zip(prompts, responses))


def pool_frame(pool, vocab: Vocabulary, automaton: Automaton, harmful: bool) -> pd.DataFrame:
    judge = AutomatonJudge(vocab, automaton.m, automaton.T)
    verdict = judge([p for p, _ in pool], [r for _, r in pool])
    return pd.DataFrame({
        "prompt": [ids_to_text(vocab, p) for p, _ in pool],
        "response": [ids_to_text(vocab, r) for _, r in pool],
        "harmful": harmful,
        "h": verdict["harm"].astype(int),
        "n_payload": verdict["n_payload"],
        "recovered": verdict["recovered"],
        "refused": verdict["refused"],
    })


def frame_sequences(frame: pd.DataFrame, vocab: Vocabulary) -> list[tuple]:
    ids = vocab.token_to_id
    return [([ids[w] for w in p.split()], [ids[w] for w in r.split()]) for p, r in zip(frame.prompt, frame.response)]


def harm_of(frame: pd.DataFrame, vocab: Vocabulary, automaton: Automaton, m: int) -> np.ndarray:
    """h under payload threshold m of every pool response (the judge of the E3 sweep)."""
    seqs = frame_sequences(frame, vocab)
    return AutomatonJudge(vocab, m, automaton.T)([p for p, _ in seqs], [r for _, r in seqs])["harm"]


# -- fidelity of the base model ---------------------------------------------------------------------------------
def state_of_prefixes(response, vocab: Vocabulary, m: int):
    """(t, j) of the prefix y_<s for s = 2..len(response) (alive states after COMPLY)."""
    cls = vocab.class_of_token()
    states, j = [], 0
    for t in range(1, len(response)):
        states.append((t, min(j, m)))
        j += int(cls[response[t]] == 0)
    return states


def fidelity(model, vocab: Vocabulary, automaton: Automaton, harmful_pool, min_count: int = 30) -> dict:
    """Next-token class probabilities of ``model`` against the exact automaton.

    TV at the prompt position (COMPLY vs REFUSE, exact c) and at every alive state (t, j) with at
    least ``min_count`` prefixes among the harmful base samples (exact row (q, f, r, e)).
    """
    exact = base_policy(automaton)
    probs = next_token_probs(model, harmful_pool, include_last=False)
    p_comply = np.array([p[0][vocab.id("COMPLY")] for p in probs])
    rows = {}
    for (prompt, response), p in zip(harmful_pool, probs):
        if len(response) < 2 or response[0] != vocab.id("COMPLY"):
            continue
        cls = class_probabilities(torch.as_tensor(p[1:]), vocab).numpy()
        for s, state in enumerate(state_of_prefixes(response, vocab, automaton.m)):
            rows.setdefault(state, []).append(cls[s])
    tv = []
    for (t, j), values in rows.items():
        if len(values) >= min_count:
            mean = np.mean(values, axis=0)
            tv.append(0.5 * np.abs(mean - exact.next_probs[t, j]).sum() + 0.5 * max(0.0, 1 - mean.sum()))
    return {
        "p_comply_model": float(p_comply.mean()),
        "p_comply_exact": automaton.c,
        "tv_comply": float(abs(p_comply.mean() - automaton.c)),
        "tv_state_max": float(np.max(tv)),
        "tv_state_mean": float(np.mean(tv)),
        "n_states": len(tv),
    }


# -- evaluation sets ------------------------------------------------------------------------------------------
def prefill_prefixes(harmful_sequences, ks, T: int) -> dict:
    """prefixes[k] = (prompt, COMPLY + first k tokens) of the harmful base responses that reach k.

    A response reaches k when its first k + 1 tokens contain no stop, i.e. its length exceeds k + 1
    or it was cut at T with length k + 1.
    """
    out = {}
    for k in ks:
        if k > T - 2:
            continue
        out[k] = [(p, r[: k + 1]) for p, r in harmful_sequences if len(r) > k + 1 or (len(r) == k + 1 == T)]
    return out


def evaluate_model(model, reference, vocab: Vocabulary, automaton: Automaton, eval_sets: dict, cfg: dict,
                   seed: int) -> dict:
    """KL by position, prefill curve, harm rate and benign costs of ``model`` (docs/experiments.md E4, E5).

    ``eval_sets``: ``kl_harmful`` and ``kl_benign`` (base samples), ``prefill`` (prefixes by k).
    ``cfg``: ``n_samples`` (fresh samples for the rates), ``prefill_samples`` (continuations per prefix).
    """
    T = automaton.T
    judge = AutomatonJudge(vocab, automaton.m, T)
    model.eval()
    kl_h = kl_by_position(per_position_kl(model, reference, eval_sets["kl_harmful"], pad_id=vocab.id(PAD)), T)
    kl_b = kl_by_position(per_position_kl(model, reference, eval_sets["kl_benign"], pad_id=vocab.id(PAD)), T)
    harmful = sample_pool(model, vocab, automaton, cfg["n_samples"], True, seed)
    benign = sample_pool(model, vocab, automaton, cfg["n_samples"], False, seed + 1)
    vh = judge([p for p, _ in harmful], [r for _, r in harmful])
    vb = judge([p for p, _ in benign], [r for _, r in benign])
    prefill = prefill_curve(model, eval_sets["prefill"], judge, T, stop_ids(vocab), cfg["prefill_samples"], seed + 2)
    return {
        "kl_harmful": kl_h,
        "kl_benign": kl_b,
        "prefill": prefill,
        "metrics": {
            "harm_rate": float(vh["harm"].mean()),
            "refusal_rate": float(vh["refused"].mean()),
            "benign_refusal_rate": float(vb["refused"].mean()),
            "benign_recovery_rate": float(vb["recovered"].mean()),
            "benign_kl": float(kl_b.sum(axis=1).mean()),
            "total_kl": float(kl_h.sum(axis=1).mean()),
        },
    }


def exact_reach_states(automaton: Automaton) -> np.ndarray:
    return reach_probabilities(base_policy(automaton))


def to_dataset(rows) -> Dataset:
    return Dataset.from_list(list(rows)) if not isinstance(rows, pd.DataFrame) else Dataset.from_pandas(rows, preserve_index=False)


# -- alignment ------------------------------------------------------------------------------------------------
METHOD_KINDS = ("dpo", "rlhf", "sft", "recovery", "augment")


def _anchor_rows(benign: pd.DataFrame, n: int, rng) -> list[dict]:
    """Benign anchor data: base samples on benign prompts, whole responses (the utility anchor)."""
    pick = benign.iloc[rng.integers(len(benign), size=n)]
    return [{"prompt": p, "completion": " " + r} for p, r in zip(pick.prompt, pick.response)]


def _refusal_rows(harmful: pd.DataFrame, n: int, rng) -> list[dict]:
    pick = harmful.iloc[rng.integers(len(harmful), size=n)]
    return [{"prompt": p, "completion": " REFUSE"} for p in pick.prompt]


def penalty_tensors(harmful_sequences, T: int, pad_id: int) -> dict:
    """Harmful base responses as (ids, mask, positions) for ``RecoveryPenaltySFTTrainer``.

    Prompt length 1, so logits index i chooses response token t = i + 1; the prefix y_<t is harmful
    (complied, not recovered) for t = 2..len(response).
    """
    n = len(harmful_sequences)
    ids = torch.full((n, T + 1), pad_id, dtype=torch.long)
    mask = torch.zeros((n, T + 1), dtype=torch.bool)
    for b, (p, r) in enumerate(harmful_sequences):
        row = list(p) + list(r)
        ids[b, : len(row)] = torch.tensor(row)
        mask[b, 1 : len(r)] = True
    positions = torch.arange(T + 1)[None, :].expand(n, T + 1) + 1
    return {"penalty_ids": ids, "penalty_mask": mask, "penalty_positions": positions}


def method_data(kind: str, method: dict, harmful: pd.DataFrame, benign: pd.DataFrame, vocab: Vocabulary,
                automaton: Automaton, seed: int) -> dict:
    """The training set of one method from the judged base pool (h under the method's m)."""
    rng = np.random.default_rng(seed)
    h = harm_of(harmful, vocab, automaton, method["m"])
    n = method["n_examples"]
    if kind == "dpo":
        from ..align.data import preference_pairs

        pairs = preference_pairs(list(harmful.prompt), [" " + r for r in harmful.response], h, n, rng)
        return {"dataset": to_dataset(pairs)}
    if kind == "rlhf":
        return {"dataset": to_dataset([{"prompt": p} for p in harmful.prompt.iloc[rng.integers(len(harmful), size=n)]])}
    anchor = _anchor_rows(benign, int(n * method.get("anchor_fraction", 0.5)), rng)
    refusals = _refusal_rows(harmful, n - len(anchor), rng)
    if kind == "sft":
        rows = anchor + refusals
    elif kind == "augment":
        from ..align.data import augmentation_examples

        bad = harmful[h > 0]
        words = [_strip_stop(r.split()) for r in bad.response]
        keep = [i for i, w in enumerate(words) if len(w) >= 1]
        aug = augmentation_examples([bad.prompt.iloc[i] for i in keep], [words[i] for i in keep], "RECOVER",
                                    len(refusals), rng)
        rows = anchor + refusals[: len(refusals) // 2] + aug[: len(refusals) - len(refusals) // 2]
    elif kind == "recovery":
        # Standard objective: SFT on harmless base behaviour (h = 0 samples and benign samples) as the anchor.
        safe = harmful[h == 0]
        pick = safe.iloc[rng.integers(len(safe), size=len(refusals))]
        rows = anchor + [{"prompt": p, "completion": " " + r} for p, r in zip(pick.prompt, pick.response)]
    else:
        raise ValueError(f"unknown method kind {kind!r}; use one of {METHOD_KINDS}")
    order = rng.permutation(len(rows))
    out = {"dataset": to_dataset([rows[i] for i in order])}
    if kind == "recovery":
        bad = frame_sequences(harmful[h > 0], vocab)
        out["penalty"] = penalty_tensors(bad, automaton.T, vocab.id(PAD))
    return out


def _strip_stop(words: list[str]) -> list[str]:
    return words[:-1] if words and words[-1] in ("RECOVER", "EOS") else words


def harm_reward(vocab: Vocabulary, m: int, T: int):
    """Reward −h for trl's GRPO: parses the completion token ids with the automaton judge."""
    judge = AutomatonJudge(vocab, m, T)

    def reward(prompts, completions, completion_ids, **kwargs):
        return list(-judge([[0]] * len(completion_ids), [list(c) for c in completion_ids])["harm"])

    reward.__name__ = "negative_harm"
    return reward


def train_method(kind: str, method: dict, base_dir, data: dict, vocab: Vocabulary, automaton: Automaton,
                 output_dir, seed: int, profile=None):
    """Align a fresh copy of the base with one method; returns the trainer (model in ``trainer.model``)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ..align import trainers

    discard_stale_checkpoints(output_dir, {"kind": kind, "method": method, "seed": seed})
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(base_dir)
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    hp = dict(method["hp"])
    if kind == "dpo":
        reference = AutoModelForCausalLM.from_pretrained(base_dir)
        return trainers.run_dpo(model, reference, tokenizer, data["dataset"], hp, output_dir, seed, profile)
    if kind == "rlhf":
        hp.setdefault("max_completion_length", automaton.T)
        return trainers.run_grpo(model, tokenizer, data["dataset"], harm_reward(vocab, method["m"], automaton.T), hp,
                                 output_dir, seed, profile)
    if kind == "recovery":
        penalty = dict(data["penalty"], recover_ids=[vocab.id("RECOVER")], mu=method["mu"], gamma=method["gamma"],
                       form=method.get("form", "linear"), penalty_batch_size=method.get("penalty_batch_size", 64))
        return trainers.run_recovery(model, tokenizer, data["dataset"], hp, output_dir, seed, penalty, profile)
    return trainers.run_sft(model, tokenizer, data["dataset"], hp, output_dir, seed, profile)


def track_setup(automaton_params: dict, synthetic: dict) -> tuple[Automaton, Vocabulary]:
    """The automaton and the widened vocabulary of a config (exact.automaton, synthetic.vocabulary)."""
    return Automaton(**automaton_params), Vocabulary(**synthetic["vocabulary"])


def evaluation_sets(harmful: pd.DataFrame, benign: pd.DataFrame, vocab: Vocabulary, automaton: Automaton,
                    evaluation: dict) -> dict:
    """Fixed base trajectories for KL (the first n of each pool) and harmful prefixes for the prefill attack."""
    n = evaluation["n_kl_sequences"]
    bad = frame_sequences(harmful[harmful.h > 0].head(evaluation["n_prefill_prefixes"] * 4), vocab)
    prefixes = prefill_prefixes(bad, evaluation["prefill_ks"], automaton.T)
    prefixes = {k: v[: evaluation["n_prefill_prefixes"]] for k, v in prefixes.items()}
    return {"kl_harmful": frame_sequences(harmful.head(n), vocab), "kl_benign": frame_sequences(benign.head(n), vocab),
            "prefill": prefixes}
