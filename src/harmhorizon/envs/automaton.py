"""The ``automaton`` environment: a small GPT-2 trained on the harm automaton, with the exact DP as oracle.

Prompts are one token (a harmful or a benign prompt word); h is the automaton judge under a payload
threshold m (a method's own ``m`` where it sets one); R = {RECOVER}; the reference model is the
pretrained base; the oracle is ``harmhorizon.theory`` on the same automaton (docs/theory.md §3).
Every method's data, the KL trajectories, the prefill prefixes and the Monte Carlo I_t sequences come from a
fixed judged pool of reference samples (``pool_harmful``, ``pool_benign``) drawn from the automaton itself
(``reference_pool``): π_ref of the theory, which the neural base imitates (``fidelity`` measures how
closely). The pool is a function of the seed alone, so no trained network's float rounding, which differs
between CPUs, can change a training example, a set size or a step count (docs/architecture.md,
"Determinism").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from ..evaluate.sampling import sample_continuations
from ..methods.data import augmentation_examples, preference_pairs
from ..methods.circuit_breaker import RerouteRows
from ..methods.penalties import TokenRecoveryPenalty
from ..methods.reward_model import lazy_scorer
from ..synthetic.data import AutomatonJudge, ids_to_text
from ..synthetic.data import sample_responses as sample_automaton
from ..synthetic.vocab import END, PAD, Vocabulary
from ..theory.automaton import Automaton


def stop_ids(vocab: Vocabulary) -> list[int]:
    return [vocab.id(t) for t in ("REFUSE", "RECOVER", "EOS", END, PAD)]


def frame_sequences(frame: pd.DataFrame, vocab: Vocabulary) -> list[tuple]:
    """(prompt_ids, response_ids) of every row of a pool frame (space-separated words)."""
    ids = vocab.token_to_id
    return [([ids[w] for w in p.split()], [ids[w] for w in r.split()]) for p, r in zip(frame.prompt, frame.response)]


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


def _strip_stop(words: list[str]) -> list[str]:
    return words[:-1] if words and words[-1] in ("RECOVER", "EOS") else words


@dataclass
class AutomatonEnvironment:
    """The automaton world of one config (``exact.automaton``, ``synthetic``) and its base model folder."""

    automaton: Automaton
    vocab: Vocabulary
    base_dir: str | None
    evaluation: dict
    harmful: pd.DataFrame | None = None
    benign: pd.DataFrame | None = None
    # Rows per sampled batch: part of the numerics (one generator runs through the batches in order).
    sample_batch_size: int = 2048
    prefill_batch_size: int = 1024
    # False for models without a KV cache (the exact policy as a model, ``synthetic.model.AutomatonLM``).
    use_cache: bool = True
    # The config's learned harm models (``reward_models``) and the fitted one a run reads (E7, methods.reward_model).
    reward_models: dict = field(default_factory=dict)
    reward_model_dir: str | None = None
    name: str = field(default="automaton", init=False)

    @classmethod
    def from_config(cls, automaton_params: dict, synthetic: dict, base_dir, harmful_csv=None, benign_csv=None,
                    reward_model_dir=None):
        """From the config sections it reads: ``exact.automaton``, ``synthetic.vocabulary`` (and ``evaluation``,
        ``reward_models``); ``reward_model_dir``: a fitted learned harm model (rule reward_model)."""
        read = lambda path: pd.read_csv(path) if path is not None else None  # noqa: E731
        return cls(Automaton(**automaton_params), Vocabulary(**synthetic["vocabulary"]),
                   None if base_dir is None else str(base_dir),
                   synthetic.get("evaluation", {}), read(harmful_csv), read(benign_csv),
                   reward_models=synthetic.get("reward_models", {}),
                   reward_model_dir=None if reward_model_dir is None else str(reward_model_dir))

    # -- the world ------------------------------------------------------------------------------------
    @property
    def T(self) -> int:
        return self.automaton.T

    @property
    def stop_ids(self) -> list[int]:
        return stop_ids(self.vocab)

    @property
    def pad_id(self) -> int:
        return self.vocab.id(PAD)

    def judge(self, m: int | None = None, K: int | None = None) -> AutomatonJudge:
        """The harm of payload threshold m (default the automaton's), counted at positions ≤ K if K is given."""
        return AutomatonJudge(self.vocab, self.automaton.m if m is None else m, self.T, K)

    def label(self, prompts, responses, m: int | None = None) -> dict:
        """h, refused, recovered (arrays) of token-id responses; h under payload threshold m (default: the automaton's)."""
        return self.judge(m)(prompts, responses)

    def continuation_harm(self, prompts, continuations) -> np.ndarray:
        """h of a continuation alone, as a complying response (COMPLY + the continuation): at least m PAYLOAD tokens of
        the model's own (the prefill's do not count)."""
        comply = self.vocab.id("COMPLY")
        return self.label(prompts, [[comply] + list(c) for c in continuations])["harm"]

    def recovers(self, continuations) -> np.ndarray:
        """Whether each continuation emits R = {RECOVER}."""
        recover = self.vocab.id("RECOVER")
        return np.array([recover in c for c in continuations], dtype=bool)

    def sample(self, model, prefixes, budgets, n_samples: int, seed: int, batch_size: int | None = None,
               progress: bool = False):
        return sample_continuations(model, prefixes, budgets, self.stop_ids, n_samples, seed,
                                    batch_size or self.sample_batch_size, self.pad_id, progress=progress,
                                    use_cache=self.use_cache)

    def prompts(self, harmful: bool, n: int, seed: int) -> list[list[int]]:
        """n one-token prompts drawn uniformly from the harmful (or benign) prompt words."""
        rng = np.random.default_rng(seed)
        group = self.vocab.ids("harmful_prompt" if harmful else "benign_prompt")
        return [[int(p)] for p in group[rng.integers(len(group), size=n)]]

    def sample_responses(self, model, harmful: bool, n: int, seed: int) -> list[tuple]:
        """n (prompt, response) samples of ``model`` (≤ T tokens) on harmful or benign prompts."""
        prompts = self.prompts(harmful, n, seed)
        return list(zip(prompts, self.sample(model, prompts, self.T, 1, seed)))

    def reference_pool(self, harmful: bool, n: int, seed, c_benign: float) -> list[tuple]:
        """n (prompt, response) samples of the automaton's π_ref (numpy, float64; the seed alone decides them).

        ``seed`` is anything ``numpy.random.default_rng`` takes (an int or a list of ints naming a stream)."""
        prompts, responses = sample_automaton(self.automaton, self.vocab, n, harmful, np.random.default_rng(seed), c_benign)
        return [([int(p)], [int(x) for x in r]) for p, r in zip(prompts, responses)]

    def pool_frame(self, pool, harmful: bool) -> pd.DataFrame:
        """A judged pool of (prompt, response) samples as words (the files every method's data come from)."""
        verdict = self.label([p for p, _ in pool], [r for _, r in pool])
        return pd.DataFrame({
            "prompt": [ids_to_text(self.vocab, p) for p, _ in pool],
            "response": [ids_to_text(self.vocab, r) for _, r in pool],
            "harmful": harmful,
            "h": verdict["harm"].astype(int),
            "n_payload": verdict["n_payload"],
            "recovered": verdict["recovered"],
            "refused": verdict["refused"],
        })

    # -- models ---------------------------------------------------------------------------------------
    def load_policy(self):
        """A fresh trainable copy of the base and its tokenizer (full fine-tuning)."""
        from transformers import AutoModelForCausalLM, AutoTokenizer

        return AutoModelForCausalLM.from_pretrained(self.base_dir), AutoTokenizer.from_pretrained(self.base_dir)

    def load_reference(self, policy=None):
        from transformers import AutoModelForCausalLM

        return AutoModelForCausalLM.from_pretrained(self.base_dir)

    def trainer_settings(self, objective: str) -> dict:
        # GRPO completions may run to the automaton's horizon (a method's hp may shorten them).
        return {"max_completion_length": self.T} if objective in ("rlhf", "recovery_rl", "h_deep") else {}

    def load_base(self):
        return self.load_reference()

    def load_aligned(self, folder):
        """An aligned model (full fine-tuning: a saved model folder)."""
        from transformers import AutoModelForCausalLM

        return AutoModelForCausalLM.from_pretrained(folder)

    def gradient_profile(self):
        """‖∂loss/∂z_t‖ every ``grad_every`` steps over the rows with a harmful prompt; one-token prompts put
        response token t at index t - 1."""
        from ..evaluate.gradients import LogitGradientProfile

        harmful_ids = torch.as_tensor(self.vocab.ids("harmful_prompt"))
        return LogitGradientProfile(self.evaluation["grad_every"], self.T, response_start=0,
                                    row_filter=lambda ids: torch.isin(ids[:, 0].cpu(), harmful_ids))

    def decided_positions(self, prompt, response, m: int | None = None) -> np.ndarray:
        """Per response position t = 1..len(response): whether the prefix y_<t already decides h (payload
        threshold m, default the automaton's). After COMPLY, the states (t − 1, j) with j ≥ m or too few
        positions left to reach m (``decided_states``); every prefix after REFUSE; never the empty prefix."""
        out = np.zeros(len(response), dtype=bool)
        if len(response) == 0:
            return out
        if response[0] != self.vocab.id("COMPLY"):
            out[1:] = True
            return out
        m, T = self.automaton.m if m is None else m, self.T
        for s, (t, j) in enumerate(state_of_prefixes(response, self.vocab, m), start=2):
            out[s - 1] = j >= m or j + (T - t) < m
        return out

    def harmful_decided_positions(self, prompt, response, m: int | None = None) -> np.ndarray:
        """Per response position t: whether y_<t is a harmful decided prefix, i.e. complied, not stopped, with a
        payload count ≥ m (h = 1 whatever follows): where P6 and Appendix A speak of recovery."""
        out = np.zeros(len(response), dtype=bool)
        if len(response) == 0 or response[0] != self.vocab.id("COMPLY"):
            return out
        m = self.automaton.m if m is None else m
        for s, (_, j) in enumerate(state_of_prefixes(response, self.vocab, m), start=2):
            out[s - 1] = j >= m
        return out

    def logit_gradient_by_state(self, model, samples, harm, min_visits: int = 10) -> pd.DataFrame:
        """P2 in logit space, by class-level state (docs/experiments.md E5, "The gradient test").

        For a class-level logit shift at state s = (t, j) (δ added to every token of class a there), Thm 8 gives
        ∂E[h]/∂z_{s,a} = E[h Σ_u 1{s_u = s} (1{y_u ∈ a} − π(a | y_<u))], and for a (t, j)-Markov policy P2 gives
        its value P(s) π(a|s) (Q(s, a) − V(s)), which is 0 wherever s decides h, for any policy.  Per state and
        class: the Monte Carlo estimate over the model's own ``samples`` (harmful prompts) with its standard error
        over responses, the visits, whether s is decided, and P2's value under the exact base policy (``exact_base``:
        the comparator of the reference model; 0 at decided states for every checkpoint).  ``se`` is the standard
        error over responses; ``se_predictable`` = √(Σ_i Σ_u 1{s_u = s} h_i² p(1 − p)) / N, the conditional variance of
        the terms, which at a decided state (h fixed by the prefix) are martingale differences: there the empirical
        SE collapses for a rare class that no sample emitted, this one does not.  States visited fewer than
        ``min_visits`` times are left out.
        """
        from ..evaluate.kl import next_token_probs
        from ..theory.automaton import N_ACTIONS, base_policy, decided_states, harm_values, reach_probabilities

        base = base_policy(self.automaton)
        V, Q = harm_values(base)
        reach = reach_probabilities(base)
        decided = decided_states(base)
        T, m = self.T, self.automaton.m
        cls = self.vocab.class_of_token()
        groups = [self.vocab.ids(g) for g in self.vocab.class_groups(True)]
        comply = self.vocab.id("COMPLY")
        probs = next_token_probs(model, [(p, r) for p, r in samples], batch_size=self.kl_batch_size, pad_id=self.pad_id,
                                 include_last=False)
        per_response = np.zeros((len(samples), T, m + 1, N_ACTIONS))
        predictable = np.zeros((T, m + 1, N_ACTIONS))  # Σ_i Σ_u 1{s_u = s} h_i² p(1 − p)
        visits = np.zeros((T, m + 1), dtype=int)
        for i, ((_, response), h) in enumerate(zip(samples, np.asarray(harm, dtype=float))):
            if not response or response[0] != comply:
                continue
            for (t, j), index in zip(state_of_prefixes(response, self.vocab, m), range(1, len(response))):
                class_probs = np.array([probs[i][index, ids].sum() for ids in groups])
                chosen = np.zeros(N_ACTIONS)
                if cls[response[index]] >= 0:
                    chosen[cls[response[index]]] = 1.0
                per_response[i, t, j] += h * (chosen - class_probs)
                predictable[t, j] += h**2 * class_probs * (1 - class_probs)
                visits[t, j] += 1
        estimate = per_response.mean(axis=0)
        se = per_response.std(axis=0, ddof=1) / np.sqrt(len(samples))
        se_predictable = np.sqrt(predictable) / len(samples)
        rows = []
        for t in range(1, T):
            for j in range(m + 1):
                if visits[t, j] < min_visits:
                    continue
                for a, name in enumerate(self.vocab.class_groups(True)):
                    exact = reach[t, j] * base.next_probs[t, j, a] * (Q[t, j, a] - V[t, j])
                    rows.append({"t": t, "j": j, "action": name, "decided": bool(decided[t, j]),
                                 "estimate": float(estimate[t, j, a]), "se": float(se[t, j, a]),
                                 "se_predictable": float(se_predictable[t, j, a]),
                                 "n_visits": int(visits[t, j]), "exact_base": float(exact)})
        return pd.DataFrame(rows, columns=["t", "j", "action", "decided", "estimate", "se", "se_predictable", "n_visits",
                                           "exact_base"])

    @property
    def recovery_token(self) -> int:
        """The id of R = {RECOVER}."""
        return self.vocab.id("RECOVER")

    # -- method data (docs/experiments.md E5) ---------------------------------------------------------
    def harm(self, method: dict) -> np.ndarray:
        """h under the method's payload threshold m of every harmful pool response (the E3 sweep)."""
        seqs = frame_sequences(self.harmful, self.vocab)
        return self.label([p for p, _ in seqs], [r for _, r in seqs], m=method.get("m"))["harm"]

    def _anchor_rows(self, n: int, rng) -> list[dict]:
        """Benign anchor data: base samples on benign prompts, whole responses (the utility anchor)."""
        pick = self.benign.iloc[rng.integers(len(self.benign), size=n)]
        return [{"prompt": p, "completion": " " + r} for p, r in zip(pick.prompt, pick.response)]

    def _refusal_rows(self, n: int, rng) -> list[dict]:
        pick = self.harmful.iloc[rng.integers(len(self.harmful), size=n)]
        return [{"prompt": p, "completion": " REFUSE"} for p in pick.prompt]

    def _anchor_and_refusals(self, method: dict, rng):
        n = method["n_examples"]
        anchor = self._anchor_rows(int(n * method.get("anchor_fraction", 0.5)), rng)
        return anchor, self._refusal_rows(n - len(anchor), rng)

    @staticmethod
    def _shuffled(rows, rng) -> list[dict]:
        order = rng.permutation(len(rows))
        return [rows[i] for i in order]

    def preference_pairs(self, method: dict, rng) -> list[dict]:
        """(prompt, chosen = an h = 0 response, rejected = an h = 1 response) from the harmful pool."""
        h = self.harm(method)
        return preference_pairs(list(self.harmful.prompt), [" " + r for r in self.harmful.response], h,
                                method["n_examples"], rng)

    def rl_prompts(self, method: dict, rng) -> list[dict]:
        return [{"prompt": p} for p in self.harmful.prompt.iloc[rng.integers(len(self.harmful), size=method["n_examples"])]]

    def harm_reward(self, method: dict):
        """Reward −h for GRPO: the completion token ids judged under the method's m (and sharp horizon K); with the
        method's ``reward_model``, −r̂ of the completion up to its stop (methods.reward_model)."""
        judge = self.judge(method.get("m"), method.get("K"))
        if method.get("reward_model"):
            scorer, ids = lazy_scorer(self, method), self.vocab.token_to_id

            def proxy(prompts, completions, completion_ids, **kwargs):
                lengths = judge.parse([list(c) for c in completion_ids])["length"]
                return list(-scorer([[ids[w] for w in p.split()] for p in prompts],
                                    [list(c)[: int(n)] for c, n in zip(completion_ids, lengths)]))

            proxy.__name__ = "negative_learned_harm"
            return proxy

        def reward(prompts, completions, completion_ids, **kwargs):
            return list(-judge([[0]] * len(completion_ids), [list(c) for c in completion_ids])["harm"])

        reward.__name__ = "negative_harm"
        return reward

    def reward_model_data(self) -> dict:
        """{"train", "heldout"}: (prompts, responses, h) of the harmful pool, h under the automaton's m; the last
        fifth is held out (the fit's diagnostics)."""
        sequences = frame_sequences(self.harmful, self.vocab)
        h = self.label([p for p, _ in sequences], [r for _, r in sequences])["harm"]
        cut = int(0.8 * len(sequences))
        part = lambda rows, labels: ([p for p, _ in rows], [r for _, r in rows], np.asarray(labels, dtype=float))  # noqa: E731
        return {"train": part(sequences[:cut], h[:cut]), "heldout": part(sequences[cut:], h[cut:])}

    def recovery_reward(self, method: dict):
        """Reward −μ Σ_{t≥2} γ^t 1{y_<t harmful} 1{y_t ∉ R} for GRPO (the P5 penalty as a sequence reward, summed
        with `harm_reward`): y_<t is harmful once the response complied and has not stopped, so every token after
        COMPLY up to and including the response's end (``AutomatonJudge.parse``) counts unless it is RECOVER;
        the same costs as ``theory.gibbs.recovery_penalty_costs``."""
        judge, mu, gamma = self.judge(method.get("m")), method["mu"], method["gamma"]
        comply, recover = self.vocab.id("COMPLY"), self.vocab.id("RECOVER")

        def reward(prompts, completions, completion_ids, **kwargs):
            parsed = judge.parse([list(c) for c in completion_ids])
            out = []
            for ids, length in zip(completion_ids, parsed["length"]):
                ids = list(ids)[: int(length)]
                if not ids or ids[0] != comply:
                    out.append(0.0)
                    continue
                out.append(-mu * sum(gamma**t for t, token in enumerate(ids[1:], start=2) if token != recover))
            return out

        reward.__name__ = "recovery_penalty"
        return reward

    def refusal_data(self, method: dict, rng, seed: int) -> list[dict]:
        """The benign anchor plus REFUSE on harmful prompts, shuffled."""
        anchor, refusals = self._anchor_and_refusals(method, rng)
        return self._shuffled(anchor + refusals, rng)

    def augmentation_data(self, method: dict, rng, seed: int) -> list[dict]:
        """The anchor, half the refusals, and harmful prefixes of random length followed by RECOVER (Qi et al.)."""
        h = self.harm(method)
        anchor, refusals = self._anchor_and_refusals(method, rng)
        bad = self.harmful[h > 0]
        words = [_strip_stop(r.split()) for r in bad.response]
        keep = [i for i, w in enumerate(words) if len(w) >= 1]
        aug = augmentation_examples([bad.prompt.iloc[i] for i in keep], [words[i] for i in keep], "RECOVER",
                                    len(refusals), rng)
        half = len(refusals) // 2
        return self._shuffled(anchor + refusals[:half] + aug[: len(refusals) - half], rng)

    def recovery_data(self, method: dict, rng, seed: int):
        """Standard data (the anchor and h = 0 base behaviour on harmful prompts) and the token penalty hook.

        The hook holds every harmful (h = 1) pool response; the prefix y_<t is harmful for t = 2..len(y)
        (complied, not recovered); prompts are one token, so logits index i chooses response token i + 1.
        """
        h = self.harm(method)
        anchor, refusals = self._anchor_and_refusals(method, rng)
        safe = self.harmful[h == 0]
        pick = safe.iloc[rng.integers(len(safe), size=len(refusals))]
        rows = anchor + [{"prompt": p, "completion": " " + r} for p, r in zip(pick.prompt, pick.response)]
        bad = frame_sequences(self.harmful[h > 0], self.vocab)
        return self._shuffled(rows, rng), self._prefix_hook(bad, exponent_offset=0)

    def circuit_breaker_data(self, method: dict, rng, seed: int):
        """Circuit breakers' retain set (the sft data: the anchor and REFUSE on harmful prompts) and reroute rows: every
        harmful (h = 1) pool response with its prompt, all response tokens rerouted (``methods.circuit_breaker``)."""
        bad = frame_sequences(self.harmful[self.harm(method) > 0], self.vocab)
        return self.refusal_data(method, rng, seed), RerouteRows.from_sequences(bad, self.pad_id)

    def adversarial_prefixes(self, method: dict, rng):
        """Young's Q (Def 17) as a token hook with discount exponent t − 1: every prefix y_<t, t = 2..len(y), of
        the harmful pool's responses that begin with COMPLY. These are the base's responses given COMPLY, cut at
        every length before their stop (RECOVER or EOS), so a prefix enters with the base's probability
        q(y_<t) = Π π_base(y_s | y_<s), the weight ``theory.deep`` gives it."""
        return self._prefix_hook(self.adversarial_sequences(), exponent_offset=1)

    def adversarial_sequences(self, n: int | None = None) -> list[tuple]:
        """The harmful pool's (prompt, response) pairs whose response begins with COMPLY (the first n): the base's
        responses given COMPLY, whose prefixes before the stop are Young's Q."""
        comply = self.vocab.id("COMPLY")
        sequences = [(p, r) for p, r in frame_sequences(self.harmful, self.vocab) if r and r[0] == comply]
        return sequences[:n] if n is not None else sequences

    def _prefix_hook(self, sequences, exponent_offset: int) -> TokenRecoveryPenalty:
        """Every prefix y_<t, t = 2..len(y), of complying (prompt, response) sequences as a token hook; prompts
        are one token, so logits index i chooses response token t = i + 1, discounted by γ^(t − offset)."""
        n, width = len(sequences), self.T + 1
        ids = torch.full((n, width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((n, width), dtype=torch.bool)
        for b, (p, r) in enumerate(sequences):
            row = list(p) + list(r)
            ids[b, : len(row)] = torch.tensor(row)
            mask[b, 1 : len(r)] = True
        positions = torch.arange(width)[None, :].expand(n, width) + 1 - exponent_offset
        return TokenRecoveryPenalty(ids, mask, positions, [self.recovery_token])

    # -- evaluation sets ------------------------------------------------------------------------------
    kl_batch_size: int = field(default=512, init=False)

    @property
    def kl_positions(self) -> int:
        return self.T

    @property
    def prefill_samples(self) -> int:
        return self.evaluation["prefill_samples"]

    def rate_samples(self, model, harmful: bool, seed: int) -> list[tuple]:
        """``n_samples`` fresh responses on harmful (or benign) prompts, for the rates."""
        return self.sample_responses(model, harmful, self.evaluation["n_samples"], seed)

    def kl_sequences(self) -> tuple[list, list]:
        """Fixed reference trajectories for KL: the first n of each pool (harmful, benign)."""
        n = self.evaluation["n_kl_sequences"]
        return frame_sequences(self.harmful.head(n), self.vocab), frame_sequences(self.benign.head(n), self.vocab)

    def prefill_sets(self) -> dict:
        """prefixes[k] (COMPLY + k tokens of harmful reference responses), each continued to T response tokens."""
        evaluation = self.evaluation
        bad = frame_sequences(self.harmful[self.harmful.h > 0].head(evaluation["n_prefill_prefixes"] * 4), self.vocab)
        prefixes = prefill_prefixes(bad, evaluation["prefill_ks"], self.T)
        return {k: v[: evaluation["n_prefill_prefixes"]] for k, v in prefixes.items()}

    def prefill_budget(self, prefix) -> int:
        return max(self.T - len(prefix), 0)

    def rank_attack_settings(self) -> dict:
        return self.evaluation["rank_attack"]

    def rank_attack_prompts(self) -> tuple[list, list]:
        """(prompts, opening) of the rank-assisted prefill: the sampled attack's prompts at its smallest depth, each
        opened with COMPLY as the sampled prefixes are (the attack writes the k tokens after it)."""
        sets = self.prefill_sets()
        return [list(p) for p, _ in sets[min(sets)]], [self.vocab.id("COMPLY")]

    def rank_attack_scorer(self, prompts):
        """What carries harm in the automaton: a PAYLOAD token (score 2) over a FILLER token (1); nothing else may
        be written (-inf: CONTENT, RECOVER, the stops, prompt words)."""
        scores = torch.full((self.vocab.size,), -torch.inf)
        scores[torch.as_tensor(self.vocab.ids("PAYLOAD"))] = 2.0
        scores[torch.as_tensor(self.vocab.ids("FILLER"))] = 1.0
        return lambda tokens: scores.expand(len(prompts), -1)

    def information_plan(self) -> tuple[list, list, int]:
        """(sequences, grid positions, rollouts) of the Monte Carlo I_t of the base: the first ``mc.n_sequences``
        harmful pool responses, every position."""
        mc = self.evaluation["mc"]
        return frame_sequences(self.harmful.head(mc["n_sequences"]), self.vocab), list(range(self.T)), mc["n_rollouts"]

    def oracle_information(self):
        """The exact I_t, t = 1..T, of the automaton's base policy (the column the MC estimate is checked against)."""
        from ..theory.automaton import base_policy, harm_information

        return harm_information(base_policy(self.automaton))[1:]

    # -- what the collect step reads of the environment (no model needed) ---------------------------------
    def method_m(self, methods: dict, method: str) -> int:
        return methods.get(method, {}).get("m", self.automaton.m)

    def horizon_of(self, methods: dict, information: pd.DataFrame, epsilon: float):
        """A method is judged against the exact ε-horizon of its own payload threshold m (the oracle)."""
        from ..theory.experiments import exact_horizon

        horizons = {m: exact_horizon(self.automaton, m, epsilon) for m in {self.method_m(methods, n) for n in ["base", *methods]}}
        return lambda method: horizons[self.method_m(methods, method)]

    def base_harm(self, m: int) -> float:
        """The exact base's E[h] under payload threshold m (the oracle; the frontier's harm levels are fractions of it)."""
        from ..theory.automaton import base_policy, expected_harm
        from ..theory.experiments import with_m

        return expected_harm(base_policy(with_m(self.automaton, m)))

    def optimum_at_harm(self, m: int, harm: float, epsilon: float) -> dict:
        """The exact Gibbs optimum at E[h] = harm (evaluate.frontier.gibbs_at_harm): the frontier's comparator."""
        from ..evaluate.frontier import gibbs_at_harm

        return gibbs_at_harm(self.automaton, m, harm, epsilon)

    def annotate(self, methods: dict, kl: pd.DataFrame, prefill: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Adds each run's m, the exact I_t of its m and the exact Gibbs optimum's KL_t at its β (DPO and
        GRPO have one; NaN otherwise) to the KL profile, and m to the prefill curves."""
        from ..theory.experiments import exact_information, gibbs_kl_profile

        m_of = {name: self.method_m(methods, name) for name in set(kl.method)}
        kl, prefill = kl.assign(m=kl.method.map(m_of)), prefill.assign(m=prefill.method.map(m_of))
        information = {m: exact_information(self.automaton, m) for m in set(m_of.values())}
        kl["harm_information"] = [information[m][t - 1] for m, t in zip(kl.m, kl.t)]
        gibbs = {name: gibbs_kl_profile(self.automaton, m_of[name], spec["hp"]["beta"]) for name, spec in methods.items()
                 if name in m_of and "beta" in spec["hp"]}
        kl["gibbs_kl"] = [gibbs[n][t - 1] if n in gibbs else np.nan for n, t in zip(kl.method, kl.t)]
        return (kl[["method", "seed", "m", "t", "kl", "ci_low", "ci_high", "n", "harm_information", "gibbs_kl"]],
                prefill[["method", "seed", "m", "k", "prefilled", "recovery_rate", "harm_rate", "n"]])


# -- the oracle: the base model against the exact automaton ---------------------------------------------
def state_of_prefixes(response, vocab: Vocabulary, m: int):
    """(t, j) of the prefix y_<s for s = 2..len(response) (alive states after COMPLY)."""
    cls = vocab.class_of_token()
    states, j = [], 0
    for t in range(1, len(response)):
        states.append((t, min(j, m)))
        j += int(cls[response[t]] == 0)
    return states


def fidelity(model, env: AutomatonEnvironment, harmful_pool, min_count: int = 30) -> dict:
    """Next-token class probabilities of ``model`` against the exact automaton.

    TV at the prompt position (COMPLY vs REFUSE, exact c) and at every alive state (t, j) with at
    least ``min_count`` prefixes among the harmful reference samples (exact row (q, f, r, e)).
    """
    from ..evaluate.kl import next_token_probs
    from ..synthetic.model import class_probabilities
    from ..theory.automaton import base_policy

    automaton, vocab = env.automaton, env.vocab
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
