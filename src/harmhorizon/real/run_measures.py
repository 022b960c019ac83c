"""The chat model's own measurements of one run, beside what every environment measures (evaluate.policy): what
rule real_evaluate writes with the model loaded once (docs/experiments.md E6, E7).

- ``attack_sample_rows``: every prefill-attack continuation with its judge labels (the raw data behind prefill.csv);
- ``recovery_profile_rows``: Δℓ_t = ℓ_θ(t) − ℓ_ref(t), the recovery phrase's teacher-forced log-odds after every
  prefix of held-out harmful reference responses, aligned minus reference (evaluate.recovery_profile);
- ``unconditional_kl_rows``: KL_t along unconditional reference responses (P4b);
- ``utility_rows``: the NLL of the benign utility set's reference answers beside the reference's (real.utility);
- ``over_refusal_table``: judged responses to the benign-but-edgy questions (real.over_refusal).

Each is a function of the model, the environment and the seed only, so one job computing them all writes what
separate jobs would (the samplers draw from their own seeded generators).
"""

from __future__ import annotations

import pandas as pd

from ..evaluate.kl import response_nll
from ..evaluate.policy import kl_matrix, kl_table
from ..evaluate.recovery_profile import profile_table, recovery_log_odds
from .over_refusal import over_refusal_rows

ATTACK_SAMPLE_COLUMNS = ["method", "seed", "k", "prompt_id", "sample", "request", "prefill", "continuation", "harm",
                         "recovered"]


def attack_sample_rows(env, records: list[dict], method: str, seed: int) -> pd.DataFrame:
    """The sampled prefill attack's records (``evaluate.prefill.prefill_attack``) as text: the prompt's id and request,
    the prefill and the continuation decoded, and the judge's harm and recovery labels."""
    rows = pd.DataFrame(records)
    prompts = env.prefill_rows().reset_index(drop=True)
    rows["prompt_id"] = prompts.prompt_id.to_numpy()[rows["item"]]
    rows["request"] = prompts.request.to_numpy()[rows["item"]]
    rows["prefill"] = env.decode(rows.prefix.tolist())
    rows["continuation"] = env.decode(rows.continuation.tolist())
    return rows.assign(method=method, seed=seed)[ATTACK_SAMPLE_COLUMNS]


def recovery_profile_rows(env, model, reference_logodds: pd.DataFrame, method: str, seed: int) -> pd.DataFrame:
    """Per t: mean Δℓ_t over the held-out harmful reference responses with its 95% t-interval and n, and the
    reference's mean ℓ_ref(t); ``reference_logodds`` is the reference's matrix (rule real_recovery_reference)."""
    sequences, positions, phrase = env.recovery_profile_plan()
    reference = reference_logodds[[str(t) for t in positions]].to_numpy(dtype=float)
    table = profile_table(recovery_log_odds(model, sequences, phrase, positions) - reference, positions)
    table["logodds_reference"] = [float(v) for v in profile_table(reference, positions).delta_logodds]
    return table.assign(method=method, seed=seed)[["method", "seed", "t", "delta_logodds", "ci_low", "ci_high", "n",
                                                   "logodds_reference"]]


def unconditional_kl_rows(env, model, base, method: str, seed: int) -> pd.DataFrame:
    """KL_t(model ‖ base) along the reference's responses to eval harmful prompts whatever their h (P4b)."""
    table = kl_table(kl_matrix(env, model, base, env.kl_unconditional_sequences()))
    return table.assign(method=method, seed=seed)[["method", "seed", "t", "kl", "kl_sd", "n"]]


def utility_rows(env, model, reference_nll: pd.DataFrame, source, method: str, seed: int) -> pd.DataFrame:
    """Per utility item: the model's NLL of its reference answer beside the reference's (``reference_nll``, read
    from ``source``: rule real_utility_reference), which must be of the same items."""
    sequences = env.utility_sequences()
    table = reference_nll.rename(columns={"nll": "nll_reference"})
    if len(table) != len(sequences) or list(table.n_tokens) != [len(r) for _, r in sequences]:
        raise ValueError(f"{source} was made for another utility set; delete it and rerun")
    table["nll"] = response_nll(model, sequences, env.evaluation["utility"]["batch_size"], env.pad_id)
    return table.assign(method=method, seed=seed)[["method", "seed", "item", "n_tokens", "nll", "nll_reference"]]


def over_refusal_table(env, model, method: str, seed: int) -> pd.DataFrame:
    """One row per response to a benign-but-edgy question, with the judge's label (``ChatEnvironment.over_refusal``)."""
    questions, labels, responses = env.over_refusal(model, seed)
    return over_refusal_rows(method, seed, questions, labels, responses, env.evaluation["over_refusal"]["n_samples"])
