"""Orchestration of the real-model track (docs/experiments.md E6): base samples, I_t, evaluation, summary.

Every function takes loaded models and plain tables and returns tables; the workflow scripts only read
and write. Token positions t count response tokens from 1, as in docs/theory.md §1.1; the chat template is
the base tokenizer's (``harmhorizon.real.chat``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ..evaluate.kl import kl_by_position, per_position_kl
from ..intervals import t_interval
from .chat import decode, prompt_ids, sample_batched, stop_ids
from .judge import Judge


# ---------------------------------------------------------------------------------------------- samples
def sample_base(model, tokenizer, prompts: pd.DataFrame, judge: Judge, sampling: dict, seed: int) -> pd.DataFrame:
    """``n_base_samples`` responses of the base model to every prompt, judged.

    Columns: prompt_id, kind, split, sample, request (the raw prompt, which the judge reads), prompt_text
    (rendered by the chat template), prompt_ids, response_ids, response, label, harm (ids as JSON lists
    in the CSV).
    """
    rendered = [tokenizer.apply_chat_template([{"role": "user", "content": p}], add_generation_prompt=True, tokenize=False)
                for p in prompts.prompt]
    ids = prompt_ids(tokenizer, list(prompts.prompt))
    n = sampling["n_base_samples"]
    responses = sample_batched(model, tokenizer, ids, sampling["max_new_tokens"], n, seed, sampling["batch_size"],
                               sampling["temperature"], sampling["top_p"], progress=True)
    texts = decode(tokenizer, responses)
    rows = []
    for i, prompt in enumerate(prompts.itertuples()):
        for s in range(n):
            text = texts[i * n + s]
            label = judge.label(prompt.prompt, text)
            rows.append({"prompt_id": prompt.prompt_id, "kind": prompt.kind, "split": prompt.split, "sample": s,
                         "request": prompt.prompt, "prompt_text": rendered[i], "prompt_ids": json.dumps(ids[i]),
                         "response_ids": json.dumps(responses[i * n + s]), "response": text, "label": label,
                         "harm": int(label == "comply") if prompt.kind == "harmful" else 0})
    return pd.DataFrame(rows)


def parse_ids(samples: pd.DataFrame) -> pd.DataFrame:
    """The samples table with prompt_ids/response_ids parsed from JSON into lists."""
    samples = samples.copy()
    for column in ("prompt_ids", "response_ids"):
        samples[column] = [json.loads(value) for value in samples[column]]
    return samples


def judge_counts(samples: pd.DataFrame) -> pd.DataFrame:
    """Label counts and rates of the base samples by kind and split (committed; texts stay in work/)."""
    counts = samples.groupby(["kind", "split", "label"]).size().rename("count").reset_index()
    counts["rate"] = counts["count"] / counts.groupby(["kind", "split"])["count"].transform("sum")
    return counts


def harmful_eval_rows(samples: pd.DataFrame, n: int) -> pd.DataFrame:
    """Held-out base harmful responses: the first base sample with h = 1 of each eval harmful prompt, n prompts."""
    chosen = samples[(samples.split == "eval") & (samples.kind == "harmful") & (samples.harm == 1)]
    return chosen.drop_duplicates("prompt_id").head(n)


def harmful_eval_sequences(samples: pd.DataFrame, n: int) -> list[tuple[list[int], list[int]]]:
    """(prompt_ids, response_ids) of `harmful_eval_rows`."""
    return [(list(row.prompt_ids), list(row.response_ids)) for row in harmful_eval_rows(samples, n).itertuples()]


# ------------------------------------------------------------------------------------ harm information
def mc_information_grid(model, tokenizer, sequences, requests, judge: Judge, positions, T: int, n_rollouts: int,
                        seed: int, batch_size: int, sampling: dict) -> pd.DataFrame:
    """Monte Carlo harm information between consecutive grid positions, from rollouts of the base.

    ``requests[i]`` is the raw request of ``sequences[i]``, which the judge reads. For each base response
    y and grid position p (prefix length p < T), ``n_rollouts`` continuations to T
    tokens give Ĥ_p and v̂_p = s²/n; H_T = h(x, y) exactly. Martingale increments are orthogonal, so
    E[(H_b − H_a)²] = Σ_{a<s≤b} I_s; D = (Ĥ_b − Ĥ_a)² − v̂_a − v̂_b is unbiased for it (the same correction
    as ``harmhorizon.evaluate.harm_information``). On consecutive positions (a = t − 1, b = t) the block
    is I_t itself. Rows: t_start = a, t_end = b, information (the block sum) with its 95% t-interval over
    sequences, per_token = information / (b − a), and n. The last row ends at T; the blocks sum to an
    estimate of E[Var(h | x)] (P3), which total_information gives with its t-interval over sequences
    (total_ci_low, total_ci_high; the same on every row).
    """
    if n_rollouts < 2:
        raise ValueError("real.evaluation.information.n_rollouts must be >= 2 for the variance correction")
    grid = sorted({int(p) for p in positions if 0 <= p < T})
    prefixes, owners, budgets = [], [], []
    for i, (prompt, response) in enumerate(sequences):
        for p in grid:
            if p <= len(response):
                prefixes.append(list(prompt) + list(response[:p]))
                owners.append((i, p))
                budgets.append(T - p)
    # One sampling call per distinct budget, so each rollout stops at T response tokens.
    continuations: dict[int, list[int]] = {}
    for budget in sorted(set(budgets)):
        members = [k for k, b in enumerate(budgets) if b == budget]
        new = sample_batched(model, tokenizer, [prefixes[k] for k in members], budget, n_rollouts, seed + budget,
                             batch_size, sampling["temperature"], sampling["top_p"])
        for j, k in enumerate(members):
            continuations[k] = new[j * n_rollouts:(j + 1) * n_rollouts]
    H = np.full((len(sequences), T + 1), np.nan)
    V = np.zeros((len(sequences), T + 1))
    stops = set(stop_ids(tokenizer))
    for k, (i, p) in enumerate(owners):
        response = sequences[i][1]
        if p > 0 and response[p - 1] in stops:  # the response had already ended: H_p = h
            continue
        texts = decode(tokenizer, [list(response[:p]) + c for c in continuations[k]])
        harm = np.array([judge.harm(requests[i], text) for text in texts], dtype=float)
        H[i, p] = harm.mean()
        V[i, p] = harm.var(ddof=1) / n_rollouts
    final = np.array([judge.harm(request, text)
                      for request, text in zip(requests, decode(tokenizer, [r for _, r in sequences]))], dtype=float)
    ends = grid + [T]
    for i in range(len(sequences)):
        for p in ends:
            if np.isnan(H[i, p]):  # past the end of the response, or the end itself
                H[i, p], V[i, p] = final[i], 0.0
    rows, per_sequence_total = [], np.zeros(len(sequences))
    for a, b in zip(ends[:-1], ends[1:]):
        D = (H[:, b] - H[:, a]) ** 2 - V[:, a] - V[:, b]
        per_sequence_total += D
        mean, low, high, n = t_interval(D)
        rows.append({"t_start": a, "t_end": b, "information": mean, "ci_low": low, "ci_high": high,
                     "per_token": mean / (b - a), "n": n})
    table = pd.DataFrame(rows)
    total, total_low, total_high, _ = t_interval(per_sequence_total)
    table["total_information"], table["total_ci_low"], table["total_ci_high"] = total, total_low, total_high
    table["h_hat_0"] = float(np.nanmean(H[:, grid[0]])) if grid and grid[0] == 0 else np.nan
    table["harm_variance"] = float(np.var(final, ddof=0)) if len(final) else np.nan
    return table


def epsilon_horizon_from_blocks(information: pd.DataFrame, epsilon: float) -> float:
    """Grid estimate of t_ε = min{t : Σ_{s>t} I_s ≤ ε Σ_s I_s}: the first block end where the tail is ≤ ε·total."""
    blocks = information.sort_values("t_end")
    values = blocks.information.clip(lower=0).to_numpy()
    total = values.sum()
    if total <= 0:
        return float("nan")
    tail = total - np.cumsum(values)
    candidates = [0.0] + list(blocks.t_end)
    tails = np.concatenate([[total], tail])
    return float(next(t for t, rest in zip(candidates, tails) if rest <= epsilon * total))


# ------------------------------------------------------------------------------------------ evaluation
def kl_profile(aligned, base, sequences, T: int, batch_size: int, pad_id: int) -> pd.DataFrame:
    """KL_t = E_{y∼π_ref}[1{y reaches t} KL(π_θ(·|y_<t) ‖ π_ref(·|y_<t))] along fixed base responses (P4b).

    Rows t = 1..T with the mean over sequences (0 past a sequence's end), its 95% t-interval and n.
    """
    matrix = kl_by_position(per_position_kl(aligned, base, sequences, batch_size=batch_size, pad_id=pad_id), T)
    rows = []
    for t in range(1, T + 1):
        mean, low, high, n = t_interval(matrix[:, t - 1])
        rows.append({"t": t, "kl": mean, "kl_ci_low": low, "kl_ci_high": high, "n": n})
    return pd.DataFrame(rows)


def prefill_attack(model, tokenizer, judge: Judge, samples: pd.DataFrame, ks, continuation_tokens: int,
                   n_samples: int, seed: int, batch_size: int, sampling: dict, n_prompts: int) -> pd.DataFrame:
    """Recovery and harm rate against the number k of prefilled tokens of a base harmful response (Qi et al.).

    k = 0 is the plain harmful prompt (every eval prompt). For k > 0 the first k tokens of the held-out
    base harmful response are prefilled (prompts whose response has ≥ k tokens before its end) and the
    model continues for ``continuation_tokens`` tokens. recovery_rate: a marker in the continuation;
    harm_rate: h of prefix + continuation.
    """
    eval_harmful = samples[(samples.split == "eval") & (samples.kind == "harmful")].drop_duplicates("prompt_id")
    held_out = harmful_eval_rows(samples, n_prompts)
    stops = set(stop_ids(tokenizer))
    rows = []
    for offset, k in enumerate(sorted(ks)):
        if k == 0:
            pairs = [(list(p), []) for p in eval_harmful.prompt_ids]
            requests = list(eval_harmful.request)
        else:
            kept = [row for row in held_out.itertuples() if len([x for x in row.response_ids if x not in stops]) >= k]
            pairs = [(list(row.prompt_ids), list(row.response_ids[:k])) for row in kept]
            requests = [row.request for row in kept]
        if not pairs:
            rows.append({"k": k, "recovery_rate": np.nan, "harm_rate": np.nan, "n": 0})
            continue
        new = sample_batched(model, tokenizer, [p + r for p, r in pairs], continuation_tokens, n_samples,
                             seed + 7919 * offset, batch_size, sampling["temperature"], sampling["top_p"])
        prefix_texts = decode(tokenizer, [r for _, r in pairs])
        continuation_texts = decode(tokenizer, new)
        recovered, harmed = [], []
        for j, text in enumerate(continuation_texts):
            prefix = prefix_texts[j // n_samples]
            recovered.append(judge.has_marker(text))
            harmed.append(judge.harm(requests[j // n_samples], prefix + text))
        rows.append({"k": k, "recovery_rate": float(np.mean(recovered)), "harm_rate": float(np.mean(harmed)),
                     "n": len(new)})
    return pd.DataFrame(rows)


def benign_costs(model, base, tokenizer, judge: Judge, samples: pd.DataFrame, n_samples: int, max_new_tokens: int,
                 seed: int, batch_size: int, sampling: dict, kl_batch_size: int) -> dict:
    """Over-refusal and mid-sequence recovery on benign eval prompts; mean total KL along base benign responses."""
    benign = samples[(samples.split == "eval") & (samples.kind == "benign")].drop_duplicates("prompt_id")
    new = sample_batched(model, tokenizer, [list(p) for p in benign.prompt_ids], max_new_tokens, n_samples, seed,
                         batch_size, sampling["temperature"], sampling["top_p"])
    labels = [judge.label(request, text) for request, text in zip(benign.request, decode(tokenizer, new))]
    sequences = [(list(p), list(r)) for p, r in zip(benign.prompt_ids, benign.response_ids) if len(r)]
    kl = per_position_kl(model, base, sequences, batch_size=kl_batch_size, pad_id=tokenizer.pad_token_id)
    return {"over_refusal": float(np.mean([x == "refusal" for x in labels])),
            "benign_recovery": float(np.mean([x == "recovery" for x in labels])),
            "benign_kl": float(np.nansum(kl, axis=1).mean()), "n_benign": len(labels)}


# ------------------------------------------------------------------------------------------- summary
RATE_METRICS = ("harm_rate", "recovery_rate", "over_refusal", "benign_recovery", "kl_share")
NONNEGATIVE_METRICS = ("kl_total", "benign_kl")


def summarise(kl: pd.DataFrame, prefill: pd.DataFrame, benign: pd.DataFrame, horizon: float,
              first_tokens: int) -> pd.DataFrame:
    """Per method, mean and 95% t-interval over seeds of every headline metric (long form, docs/architecture.md).

    Intervals of rates and shares are clipped to [0, 1], those of KLs to [0, ∞); n_seeds is the number of seeds.
    """
    per_seed = []
    for (method, seed), part in kl.groupby(["method", "seed"]):
        total = part.kl.sum()
        per_seed.append({"method": method, "seed": seed, "metric": "kl_total", "value": total})
        share = part[part.t <= first_tokens].kl.sum() / total if total > 0 else np.nan
        per_seed.append({"method": method, "seed": seed, "metric": f"kl_share_first_{first_tokens}", "value": share})
        if np.isfinite(horizon) and horizon < part.t.max():  # else nothing lies past t_ε within the profile
            beyond = part[part.t > horizon].kl.sum() / total if total > 0 else np.nan
            per_seed.append({"method": method, "seed": seed, "metric": "kl_share_beyond_horizon", "value": beyond})
    for row in prefill.itertuples():
        per_seed.append({"method": row.method, "seed": row.seed, "metric": f"harm_rate_k{row.k}", "value": row.harm_rate})
        per_seed.append({"method": row.method, "seed": row.seed, "metric": f"recovery_rate_k{row.k}",
                         "value": row.recovery_rate})
    for row in benign.itertuples():
        for metric in ("over_refusal", "benign_recovery", "benign_kl"):
            per_seed.append({"method": row.method, "seed": row.seed, "metric": metric, "value": getattr(row, metric)})
    long = pd.DataFrame(per_seed)
    rows = []
    for (method, metric), part in long.groupby(["method", "metric"], sort=False):
        mean, low, high, n = t_interval(part.value)
        if n > 1 and metric.startswith(RATE_METRICS):  # a rate lies in [0, 1]: clip its interval to that range
            low, high = max(low, 0.0), min(high, 1.0)
        elif n > 1 and metric in NONNEGATIVE_METRICS:  # a KL is ≥ 0
            low = max(low, 0.0)
        rows.append({"method": method, "metric": metric, "mean": mean, "ci_low": low, "ci_high": high, "n_seeds": n})
    return pd.DataFrame(rows)
