"""The ``chat`` environment: any Hugging Face causal LM, HarmBench prompts and the marker judge.

Prompts are rendered by the model's chat template (``harmhorizon.real.chat``); h is the monotone marker and
content judge of ``harmhorizon.real.judge`` on the decoded response to the raw request, so a prefix can
decide h (`decided_positions`) and a rollout can stop once it has (`rollout_until`); R is the judge's markers
(a recovery phrase is what the methods teach); the reference model is the imported model after the
refusal SFT of rule real_reference (``model_dir``); there is no exact oracle, so every quantity is a Monte
Carlo estimate with an interval.  Every method's data come from the judged reference samples
(``base_samples.csv`` of rule real_sample_base).
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from ..evaluate.sampling import sample_continuations
from ..methods.circuit_breaker import RerouteRows
from ..methods.penalties import PhraseRecoveryPenalty
from ..methods.reward_model import lazy_scorer
from ..real.chat import decode, stop_ids
from ..real.judge import Judge, build_judge
from ..real.models import default_device, load_model, load_tokenizer


def parse_ids(samples: pd.DataFrame) -> pd.DataFrame:
    """The samples table with prompt_ids/response_ids parsed from JSON into lists."""
    import json

    samples = samples.copy()
    for column in ("prompt_ids", "response_ids"):
        samples[column] = [json.loads(value) for value in samples[column]]
    return samples


def wrap_lora(model, lora: dict | None):
    """LoRA adapters through peft (``lora`` from config), or the model itself for full fine-tuning."""
    if lora is None:
        return model
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"],
                        target_modules=list(lora["target_modules"]), layers_to_transform=lora.get("layers_to_transform"),
                        task_type="CAUSAL_LM")
    return get_peft_model(model, config)


@dataclass
class ChatEnvironment:
    """One imported chat model (``model_dir``), its judged base samples and the ``real`` config sections."""

    model_dir: str
    tokenizer: object
    judge: Judge
    sampling: dict
    evaluation: dict = field(default_factory=dict)
    samples: pd.DataFrame | None = None
    phrases: dict = field(default_factory=dict)
    lora: dict | None = None
    device: torch.device = field(default_factory=default_device)
    gradient_every: int = 1
    prefill_source: pd.DataFrame | None = None
    attacker_dir: str | None = None
    # The config's learned harm models (``reward_models``) and the fitted one a run reads (E7, methods.reward_model).
    reward_models: dict = field(default_factory=dict)
    reward_model_dir: str | None = None
    name: str = field(default="chat", init=False)

    @classmethod
    def from_config(cls, model_dir, real: dict, samples_csv=None, device=None, prefill_source_csv=None, attacker_dir=None,
                    reward_model_dir=None):
        """From the ``real`` settings a model run reads (judge, sampling, evaluation, training, phrases, reward_models);
        ``prefill_source_csv``: the attacker's harmful responses (rule real_prefill_source), else the reference's;
        ``attacker_dir``: the attacker's model (the imported one), which the rank-assisted prefill consults;
        ``reward_model_dir``: a fitted learned harm model (rule reward_model)."""
        tokenizer = load_tokenizer(model_dir)
        read = lambda path: parse_ids(pd.read_csv(path, keep_default_na=False)) if path is not None else None  # noqa: E731
        lora = real["training"]["lora"] if real["training"]["finetune"] == "lora" else None
        return cls(str(model_dir), tokenizer, build_judge(real["judge"]), real["sampling"], real["evaluation"],
                   read(samples_csv), {"refusal_text": real["refusal_text"], "recovery_phrase": real["recovery_phrase"]},
                   lora, device or default_device(), real["training"]["gradient_every"], read(prefill_source_csv),
                   None if attacker_dir is None else str(attacker_dir), real.get("reward_models", {}),
                   None if reward_model_dir is None else str(reward_model_dir))

    def __post_init__(self):
        self._requests, self._prompt_ids = {}, {}
        if self.samples is not None:
            for row in self.samples.drop_duplicates("prompt_id").itertuples():
                self._requests[tuple(row.prompt_ids)] = (row.request, row.kind == "harmful")
                if hasattr(row, "prompt_text"):  # the rendered prompt GRPO passes to a reward (harm_reward)
                    self._prompt_ids[row.prompt_text] = list(row.prompt_ids)

    # -- the world ------------------------------------------------------------------------------------
    @property
    def T(self) -> int:
        return self.sampling["max_new_tokens"]

    @property
    def stop_ids(self) -> list[int]:
        return stop_ids(self.tokenizer)

    @property
    def pad_id(self) -> int:
        return self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.stop_ids[0]

    @property
    def sample_batch_size(self) -> int:
        return self.sampling["batch_size"]

    prefill_batch_size = sample_batch_size

    def decode(self, ids_list) -> list[str]:
        return decode(self.tokenizer, ids_list)

    def request(self, prompt) -> tuple[str, bool]:
        """The raw request of a rendered prompt (the judge reads it) and whether it is harmful."""
        try:
            return self._requests[tuple(prompt)]
        except KeyError:
            raise KeyError("a prompt the chat environment has no base sample for: build it from base_samples.csv") from None

    def labels(self, prompts, responses) -> list[str]:
        """The judge's label (comply, empty, off_topic, refusal, recovery) of each response."""
        return self.judge.labels([self.request(p)[0] for p in prompts], self.decode(responses))

    def label(self, prompts, responses) -> dict:
        """h (comply on a harmful request), refused and recovered (arrays) of token-id responses."""
        labels = self.labels(prompts, responses)
        harmful = np.array([self.request(p)[1] for p in prompts], dtype=bool)
        labels = np.array(labels, dtype=object)
        return {"harm": ((labels == "comply") & harmful).astype(np.float64), "refused": labels == "refusal",
                "recovered": labels == "recovery"}

    def decided_positions(self, prompt, response) -> np.ndarray:
        """decided[p]: whether the response prefix y_≤p (p tokens) already decides h (`Judge.decided`)."""
        request, harmful = self.request(prompt)
        if not harmful:
            return np.ones(len(response), dtype=bool)
        texts = self.decode([response[:p] for p in range(len(response))])
        return np.array([self.judge.decided(request, text) is not None for text in texts], dtype=bool)

    def rollout_until(self, pairs, judge_prefix: bool = True):
        """For sampling continuations of (prompt, response prefix) pairs: stop row i once the judge has decided h of
        prefix + continuation (of the continuation alone with ``judge_prefix=False``: a prefill attack).  Rows of a
        benign request never stop early (h = 0 there whatever is said)."""
        requests = [self.request(prompt) for prompt, _ in pairs]
        judge, tokenizer = self.judge, self.tokenizer

        def until(i, tokens):
            request, harmful = requests[i]
            if not harmful:
                return False
            ids = (list(pairs[i][1]) if judge_prefix else []) + list(tokens)
            return judge.decided(request, tokenizer.decode(ids, skip_special_tokens=True)) is not None

        return until

    def attack_until(self, pairs):
        """`rollout_until` for a prefill attack: the continuation alone decides (``attack_label``)."""
        return self.rollout_until(pairs, judge_prefix=False)

    def attack_label(self, prompts, prefixes, continuations) -> np.ndarray:
        """h of the model's own tokens under a prefill attack: the continuation alone is judged."""
        return self.label(prompts, continuations)["harm"]

    def recovers(self, continuations) -> np.ndarray:
        """Whether each continuation contains a marker of the judge (R)."""
        return np.array([self.judge.has_marker(text) for text in self.decode(continuations)], dtype=bool)

    def sample(self, model, prefixes, budgets, n_samples: int, seed: int, batch_size: int | None = None,
               progress: bool = False, until=None):
        return sample_continuations(model, prefixes, budgets, self.stop_ids, n_samples, seed,
                                    batch_size or self.sample_batch_size, self.pad_id,
                                    self.sampling["temperature"], self.sampling["top_p"], progress, until=until)

    # -- models ---------------------------------------------------------------------------------------
    def load_base(self):
        model, _ = load_model(self.model_dir, self.device)
        return model

    def load_policy(self):
        """The base, trainable (LoRA adapters unless ``training.finetune: full``), and its right-padding tokenizer."""
        model, tokenizer = load_model(self.model_dir, self.device)
        tokenizer.padding_side = "right"
        model.train()
        return wrap_lora(model, self.lora), tokenizer

    def load_reference(self, policy):
        """None under LoRA (trl then uses the adapter-disabled policy), else a frozen copy of the policy."""
        if self.lora is not None:
            return None
        reference = copy.deepcopy(policy).eval()
        for parameter in reference.parameters():
            parameter.requires_grad_(False)
        return reference

    def load_aligned(self, folder):
        """An aligned model: adapters merged into a fresh base, or a full fine-tuned folder."""
        from pathlib import Path

        if (Path(folder) / "adapter_config.json").is_file():
            from peft import PeftModel

            return PeftModel.from_pretrained(self.load_base(), folder).merge_and_unload().eval()
        model, _ = load_model(folder, self.device)
        return model

    def trainer_settings(self, objective: str) -> dict:
        """CPU or device; no gradient checkpointing (trl's default): with LoRA on a small model it recomputes the
        forward and back-propagates to the inputs through every frozen layer, 1.7x the step time on a CPU."""
        return {"use_cpu": self.device.type == "cpu", "gradient_checkpointing": False}

    def gradient_profile(self):
        """‖∂loss/∂z_t‖ every ``training.gradient_every`` steps at t = 1..``kl.positions`` (trl masks the prompt)."""
        from ..evaluate.gradients import LogitGradientProfile

        return LogitGradientProfile(every=self.gradient_every, max_positions=self.evaluation["kl"]["positions"])

    # -- method data ----------------------------------------------------------------------------------
    def _rows(self, split: str, kind: str) -> pd.DataFrame:
        samples = self.samples
        return samples[(samples.split == split) & (samples.kind == kind)]

    def _harmful_train_sequences(self) -> list[tuple[str, list[int]]]:
        train = self._rows("train", "harmful")
        return [(row.prompt_text, list(row.response_ids)) for row in train[train.harm == 1].itertuples()]

    def _content(self, response_ids, max_prefix: int) -> list[int]:
        return [token for token in response_ids[:max_prefix] if token != self.tokenizer.eos_token_id]

    def _sft_rows(self) -> list[dict]:
        """Refusals to the harmful train prompts and base responses to the benign train prompts (the anchor)."""
        harmful = self._rows("train", "harmful").drop_duplicates("prompt_id")
        benign = self._rows("train", "benign").drop_duplicates("prompt_id")
        benign = benign[benign.label == "comply"]
        return [{"prompt": row.prompt_text, "completion": self.phrases["refusal_text"]} for row in harmful.itertuples()] + [
            {"prompt": row.prompt_text, "completion": row.response} for row in benign.itertuples()]

    def preference_pairs(self, method: dict, rng) -> list[dict]:
        """(prompt, chosen = a base refusal to it, else the refusal text; rejected = its harmful base response)."""
        train = self._rows("train", "harmful")
        refusals = train[train.label == "refusal"].groupby("prompt_id").response.first()
        pairs = [{"prompt": row.prompt_text, "chosen": refusals.get(row.prompt_id, self.phrases["refusal_text"]),
                  "rejected": row.response} for row in train[train.harm == 1].drop_duplicates("prompt_id").itertuples()]
        if not pairs:
            raise ValueError("dpo: no harmful base response on the train prompts; raise real.prompts.harmful.n_train")
        return pairs

    def rl_prompts(self, method: dict, rng) -> list[dict]:
        prompts = self._rows("train", "harmful").drop_duplicates("prompt_id")
        return [{"prompt": p, "request": x} for p, x in zip(prompts.prompt_text, prompts.request)]

    def harm_reward(self, method: dict):
        """Reward −h(request, completion) for GRPO (trl passes the dataset's ``request`` column by name); with the
        method's ``reward_model``, −r̂(prompt, completion) (methods.reward_model)."""
        if method.get("reward_model"):
            scorer, prompt_ids = lazy_scorer(self, method), self._prompt_ids

            def proxy(prompts, completion_ids, **_):
                return list(-scorer([prompt_ids[p] for p in prompts], [list(c) for c in completion_ids]))

            proxy.__name__ = "negative_learned_harm"
            return proxy
        judge = self.judge

        def reward(completions, request, **_):
            return [-float(label == "comply") for label in judge.labels(list(request), list(completions))]

        reward.__name__ = "negative_harm"
        return reward

    def refusal_data(self, method: dict, rng, seed: int) -> list[dict]:
        return self._sft_rows()

    def reward_model_data(self) -> dict:
        """{"train", "heldout"}: (prompts, responses, h) of the judged reference samples: every train response
        (harmful and benign requests), and the held-out harmful ones (the fit's diagnostics)."""
        def part(rows):
            return list(map(list, rows.prompt_ids)), list(map(list, rows.response_ids)), rows.harm.to_numpy(dtype=float)

        train = self.samples[self.samples.split == "train"]
        return {"train": part(train), "heldout": part(self._rows("eval", "harmful"))}

    def augmentation_data(self, method: dict, rng, seed: int):
        """The sft data + harmful prefixes (uniform length 1..min(len, max_prefix)) followed by the recovery phrase."""
        sequences = self._harmful_train_sequences()
        extra = []
        for index in rng.integers(len(sequences), size=method["n_examples"]):
            prompt_text, response_ids = sequences[index]
            content = self._content(response_ids, method["max_prefix"])
            k = int(rng.integers(1, max(len(content), 1) + 1))
            extra.append({"prompt": prompt_text + self.decode([content[:k]])[0],
                          "completion": " " + self.phrases["recovery_phrase"]})
        from datasets import Dataset

        return Dataset.from_list(self._sft_rows() + extra).shuffle(seed=seed)

    def recovery_data(self, method: dict, rng, seed: int):
        """The sft data and the phrase hook: ``n_prefixes`` harmful prefixes (uniform t) followed by R."""
        return self._sft_rows(), self._phrase_hook(method, rng, young=False)

    def circuit_breaker_data(self, method: dict, rng, seed: int):
        """Circuit breakers' retain set (the sft data: refusals and the benign anchor) and reroute rows: the base's
        harmful train responses (their first ``max_prefix`` tokens) after their rendered prompts."""
        sequences = [(self.tokenizer(prompt_text, add_special_tokens=False)["input_ids"],
                      self._content(response_ids, method["max_prefix"]))
                     for prompt_text, response_ids in self._harmful_train_sequences()]
        return self._sft_rows(), RerouteRows.from_sequences(sequences, self.pad_id)

    def adversarial_prefixes(self, method: dict, rng):
        """Young's Q (Def 17) as a phrase hook: the base's harmful train responses cut at a uniform length
        (≤ ``max_prefix`` tokens), each row weighted by its number of lengths so that the mean over rows
        estimates Σ_t γ^{t−1}(1 − π(R | y_<t)) per response. R is the recovery phrase, or with
        ``recovery_set: first_token`` the set of its first token (Def 16's token-level R)."""
        return self._phrase_hook(method, rng, young=True, first_token=method.get("recovery_set") == "first_token")

    def _phrase_hook(self, method: dict, rng, young: bool, first_token: bool = False) -> PhraseRecoveryPenalty:
        """``n_prefixes`` rows prompt + y_<t + R, with y_<t a uniform-length prefix (0..len) of a harmful train
        response: P5's exponent t (unweighted rows), or Young's t − 1 with the row weight len + 1. R is the
        phrase, or its first token alone (``first_token``)."""
        phrase = self.tokenizer(" " + self.phrases["recovery_phrase"], add_special_tokens=False)["input_ids"]
        phrase = phrase[:1] if first_token else phrase
        sequences = self._harmful_train_sequences()
        rows, masks, exponents, scale = [], [], [], []
        for index in rng.integers(len(sequences), size=method["n_prefixes"]):
            prompt_text, response_ids = sequences[index]
            prompt = self.tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
            content = self._content(response_ids, method["max_prefix"])
            k = int(rng.integers(0, len(content) + 1))  # the prefix y_<t has k = t − 1 tokens
            rows.append(prompt + content[:k] + phrase)
            masks.append([0] * (len(rows[-1]) - len(phrase)) + [1] * len(phrase))
            exponents.append(k if young else k + 1)
            scale.append(len(content) + 1)
        width = max(map(len, rows))
        ids = torch.tensor([row + [self.pad_id] * (width - len(row)) for row in rows])
        attention = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in rows])
        mask = torch.tensor([m + [0] * (width - len(m)) for m in masks])
        return PhraseRecoveryPenalty(ids, attention, mask, torch.tensor(exponents),
                                     torch.tensor(scale, dtype=torch.float) if young else None)

    # -- evaluation sets ------------------------------------------------------------------------------
    @property
    def kl_positions(self) -> int:
        return self.evaluation["kl"]["positions"]

    @property
    def kl_batch_size(self) -> int:
        return self.evaluation["kl"]["batch_size"]

    @property
    def prefill_samples(self) -> int:
        return self.evaluation["prefill"]["n_samples"]

    def rate_samples(self, model, harmful: bool, seed: int) -> list[tuple]:
        """``benign.n_samples`` responses to every eval prompt of one kind; harmful ones run to T tokens or until the
        judge has decided h (h, refusal and recovery are then fixed), benign ones to ``benign.max_new_tokens``."""
        settings = self.evaluation["benign"]
        prompts = self.prompts(harmful)
        budget = self.T if harmful else settings["max_new_tokens"]
        until = self.rollout_until([(p, []) for p in prompts]) if harmful else None
        new = self.sample(model, prompts, budget, settings["n_samples"], seed, until=until)
        n = settings["n_samples"]
        return [(prompts[i // n], new[i]) for i in range(len(new))]

    def harmful_eval_rows(self, n: int, min_tokens: int = 0, samples: pd.DataFrame | None = None) -> pd.DataFrame:
        """Held-out harmful responses: the first h = 1 sample of each eval harmful prompt with at least
        ``min_tokens`` content tokens, n prompts; of the reference unless ``samples`` (same columns) are given."""
        samples = self.samples if samples is None else samples
        chosen = samples[(samples.split == "eval") & (samples.kind == "harmful")]
        chosen = chosen[(chosen.harm == 1) & (chosen.response_ids.map(lambda r: len(self._content(r, len(r)))) >= min_tokens)]
        return chosen.drop_duplicates("prompt_id").head(n)

    def kl_sequences(self) -> tuple[list, list]:
        """Held-out base harmful responses (n_sequences) and the base responses to the benign eval prompts."""
        rows = self.harmful_eval_rows(self.evaluation["kl"]["n_sequences"])
        benign = self._rows("eval", "benign").drop_duplicates("prompt_id")
        return ([(list(r.prompt_ids), list(r.response_ids)) for r in rows.itertuples()],
                [(list(p), list(r)) for p, r in zip(benign.prompt_ids, benign.response_ids) if len(r)])

    def utility_sequences(self) -> list:
        """(prompt, answer) token ids of the benign utility set (real/utility.py): each question rendered by the chat
        template, its human-written answer as the response."""
        from ..real.chat import prompt_ids, text_ids
        from ..real.utility import utility_items, utility_path

        settings = self.evaluation["utility"]
        items = utility_items(utility_path(settings["package"], settings["file"]), settings["n_items"])
        prompts = prompt_ids(self.tokenizer, [question for question, _ in items])
        return [(prompt, text_ids(self.tokenizer, answer)) for prompt, (_, answer) in zip(prompts, items)]

    def over_refusal(self, model, seed: int) -> tuple[list[dict], list[str], list[str]]:
        """(questions, labels, responses): ``over_refusal.n_samples`` responses of at most ``max_new_tokens`` tokens to
        each benign-but-edgy question (real/over_refusal.py), sampled as every rate here is, and the judge's label of
        each, read against its question's text."""
        from ..real.chat import prompt_ids
        from ..real.over_refusal import edgy_questions

        settings = self.evaluation["over_refusal"]
        questions = edgy_questions(settings["package"], settings["files"], settings["n_prompts"])
        prompts = prompt_ids(self.tokenizer, [q["text"] for q in questions])
        n = settings["n_samples"]
        new = self.sample(model, prompts, settings["max_new_tokens"], n, seed)
        responses = self.decode(new)
        labels = self.judge.labels([q["text"] for q in questions for _ in range(n)], responses)
        return questions, labels, responses

    def kl_unconditional_sequences(self) -> list:
        """Reference responses to the eval harmful prompts whatever their h (sample 0 of each prompt, the first
        ``kl.n_unconditional``): KL_t along them is the unconditional profile of P4b."""
        rows = self._rows("eval", "harmful").sort_values("sample", kind="stable").drop_duplicates("prompt_id")
        rows = rows.head(self.evaluation["kl"]["n_unconditional"])
        return [(list(r.prompt_ids), list(r.response_ids)) for r in rows.itertuples() if len(r.response_ids)]

    def prompts(self, harmful: bool, n: int | None = None, seed: int = 0) -> list[list[int]]:
        """The rendered eval prompts of one kind (each once; ``n`` caps their number)."""
        rows = self._rows("eval", "harmful" if harmful else "benign").drop_duplicates("prompt_id")
        return [list(p) for p in rows.prompt_ids][:n]

    def prefill_sets(self) -> dict:
        """One prompt set for every depth: the ``n_prompts`` eval harmful prompts with a harmful response (h = 1) of
        at least max(ks) content tokens; depth k prefills its first k tokens (k = 0: none).  The responses are the
        attacker's (``prefill_source``: the imported model's, before the refusal SFT, as Qi et al. prefill from a
        harmful-response set), else the reference's own."""
        settings = self.evaluation["prefill"]
        held_out = self.prefill_rows()
        if len(held_out) < settings["n_prompts"]:
            logging.getLogger(__name__).warning("prefill attack: %d of the %d prompts asked for (real.evaluation."
                                                "prefill.n_prompts) have a harmful response of %d tokens",
                                                len(held_out), settings["n_prompts"], max(settings["ks"]))
        return {k: [(list(row.prompt_ids), list(row.response_ids[:k])) for row in held_out.itertuples()]
                for k in sorted(settings["ks"])}

    def prefill_rows(self) -> pd.DataFrame:
        """The attacker's responses that `prefill_sets` cuts, one row per prompt, in the sets' order."""
        settings = self.evaluation["prefill"]
        return self.harmful_eval_rows(settings["n_prompts"], max(settings["ks"]), self.prefill_source)

    def prefill_budget(self, prefix) -> int:
        return self.evaluation["prefill"]["continuation_tokens"]

    def rank_attack_settings(self) -> dict:
        return self.evaluation["rank_attack"]

    def rank_attack_prompts(self) -> tuple[list, list]:
        """(prompts, opening) of the rank-assisted prefill: the sampled attack's prompts; the attack writes from the
        response's first token."""
        return [list(row.prompt_ids) for row in self.prefill_rows().itertuples()], []

    def rank_attack_scorer(self, prompts):
        """What carries harm on a chat model: the attacker's (``attacker_dir``, the imported model before the refusal
        SFT, whose responses the sampled attack prefills) log-probability of the next token after the same prompt and
        prefill; stop tokens may not be written."""
        from ..evaluate.prefill import IncrementalForward

        if self.attacker_dir is None:
            raise ValueError("the rank-assisted prefill needs the attacker model: pass the imported model folder as the "
                             "rule input `attacker` (work/real/models/<model>)")
        attacker = IncrementalForward(load_model(self.attacker_dir, self.device)[0].eval(), prompts, self.pad_id)
        stops = torch.as_tensor(self.stop_ids)

        def scores(tokens):
            logits = attacker.logits if tokens is None else attacker.append(tokens)
            return torch.log_softmax(logits, -1).index_fill(-1, stops, -torch.inf)

        return scores

    def information_plan(self) -> tuple[list, list, int]:
        """(sequences, grid positions, rollouts) of the Monte Carlo I_t of the base.

        I_t is an expectation under π_ref: every base response to an eval harmful prompt, harmful or not;
        sample 0 of every prompt first, then sample 1, ..., so the sequences spread over the prompts.
        """
        settings = self.evaluation["information"]
        chosen = self._rows("eval", "harmful").sort_values("sample", kind="stable").head(settings["n_sequences"])
        sequences = [(list(p), list(r)) for p, r in zip(chosen.prompt_ids, chosen.response_ids)]
        return sequences, settings["positions"], settings["n_rollouts"]

    def recovery_profile_plan(self) -> tuple[list, list, list[int]]:
        """(held-out reference harmful responses without their stop token, positions t, the phrase R's token ids)."""
        settings = self.evaluation["recovery_profile"]
        rows = self.harmful_eval_rows(settings["n_sequences"])
        sequences = [(list(r.prompt_ids), self._content(r.response_ids, len(r.response_ids))) for r in rows.itertuples()]
        phrase = self.tokenizer(" " + self.phrases["recovery_phrase"], add_special_tokens=False)["input_ids"]
        return sequences, sorted(int(t) for t in settings["positions"]), phrase

    def oracle_information(self):
        """No exact oracle: None."""
        return None

    # -- what the collect step reads of the environment (no model needed) ---------------------------------
    @staticmethod
    def horizon_of(methods: dict, information: pd.DataFrame, epsilon: float):
        """Every method is judged against the base's Monte Carlo ε-horizon (on the grid of the blocks)."""
        from ..horizon import epsilon_horizon

        horizon = epsilon_horizon(information.t_end, information.harm_information, epsilon)
        return lambda method: horizon

    @staticmethod
    def annotate(methods: dict, kl: pd.DataFrame, prefill: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The contract columns, nothing to add without an oracle."""
        return (kl[["method", "seed", "t", "kl", "ci_low", "ci_high", "n"]],
                prefill[["method", "seed", "k", "prefilled", "recovery_rate", "harm_rate", "n"]])


def sample_base(env: ChatEnvironment, model, prompts: pd.DataFrame, seed: int) -> pd.DataFrame:
    """``n_base_samples`` responses of the base model to every prompt, judged (the reference's samples).

    Columns: prompt_id, kind, split, sample, request (the raw prompt, which the judge reads), prompt_text
    (rendered by the chat template), prompt_ids, response_ids, response, label, harm (ids as JSON lists
    in the CSV).
    """
    import json

    from ..real.chat import prompt_ids, render_prompts

    tokenizer = env.tokenizer
    rendered = render_prompts(tokenizer, list(prompts.prompt))
    ids = prompt_ids(tokenizer, list(prompts.prompt))
    n = env.sampling["n_base_samples"]
    responses = env.sample(model, ids, env.T, n, seed, progress=True)
    texts = env.decode(responses)
    labels = env.judge.labels([request for request in prompts.prompt for _ in range(n)], texts)
    rows = []
    for i, prompt in enumerate(prompts.itertuples()):
        for s in range(n):
            text, label = texts[i * n + s], labels[i * n + s]
            rows.append({"prompt_id": prompt.prompt_id, "kind": prompt.kind, "split": prompt.split, "sample": s,
                         "request": prompt.prompt, "prompt_text": rendered[i], "prompt_ids": json.dumps(ids[i]),
                         "response_ids": json.dumps(responses[i * n + s]), "response": text, "label": label,
                         "harm": int(label == "comply") if prompt.kind == "harmful" else 0})
    return pd.DataFrame(rows)


def judge_counts(samples: pd.DataFrame) -> pd.DataFrame:
    """Label counts and rates of the base samples by kind and split (committed; texts stay in work/)."""
    counts = samples.groupby(["kind", "split", "label"]).size().rename("count").reset_index()
    counts["rate"] = counts["count"] / counts.groupby(["kind", "split"])["count"].transform("sum")
    return counts
