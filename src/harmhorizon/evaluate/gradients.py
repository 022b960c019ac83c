"""‖∂loss/∂logits_t‖ by response position during training (docs/theory.md §P1, §P2; docs/experiments.md E5).

``LogitGradientProfile`` is a ``transformers.TrainerCallback``.  ``attach(model)`` wraps the model's
forward; on recorded steps (every ``every`` optimiser steps) each forward with gradients registers a
backward hook that accumulates, per response position t,  S_t = Σ_b ‖∂loss/∂z_{b,t}‖²  over the rows
b of every forward of the step; ``rows`` then holds (step, t, grad_norm = √S_t).

Two kinds of forward are handled:
- an ordinary forward returning ``.logits``: the hook sits on the logits tensor;
- trl's fused LM head (``fused_lm_head=True``, which returns per-token ``log_probs`` ℓ_t and never
  materialises logits).  The loss then depends on z_t only through ℓ_t = log softmax(z_t)[y_t], so
  ∂loss/∂z_t = (∂loss/∂ℓ_t)(e_{y_t} - p_t) and ‖∂loss/∂z_t‖ = |∂loss/∂ℓ_t| √(1 - 2p_{y_t} + Σ_a p_a²),
  with p_t from one extra no-grad forward of the unpatched model (temperature 1).

Response position: if ``response_start`` is an int (prompt length - 1, for fixed-length prompts), the
token predicted at index i is response token t = i - response_start + 1; if it is None, the first label
that is not -100 is response token 1 (for trainers that mask exactly the prompt).
"""

from __future__ import annotations

import torch
from transformers import TrainerCallback


class LogitGradientProfile(TrainerCallback):
    def __init__(self, every: int, max_positions: int, response_start: int | None = None, row_filter=None):
        self.every, self.max_positions, self.response_start = every, max_positions, response_start
        self.row_filter = row_filter  # input_ids (B, L) -> bool (B,): rows that count (default: all)
        self.rows: list[dict] = []
        self._active = False
        self._step = 0
        self._sq = torch.zeros(max_positions + 1, dtype=torch.float64)

    # -- callback --------------------------------------------------------------------------
    FILE = "logit_gradient_profile.json"

    def on_train_begin(self, args, state, control, **kwargs):
        """On resume, take back the rows recorded before the checkpoint the trainer restarted from."""
        import json
        from pathlib import Path

        saved = Path(args.output_dir) / self.FILE
        if state.global_step > 0 and saved.exists():
            self.rows = [r for r in json.loads(saved.read_text()) if r["step"] < state.global_step]

    def on_save(self, args, state, control, **kwargs):
        """Keep the rows beside the checkpoints, so that an interrupted run resumes with its profile."""
        import json
        from pathlib import Path

        (Path(args.output_dir) / self.FILE).write_text(json.dumps(self.rows))

    def on_step_begin(self, args, state, control, **kwargs):
        self._step = state.global_step
        self._active = state.global_step % self.every == 0
        self._sq.zero_()

    def on_step_end(self, args, state, control, **kwargs):
        if self._active:
            self.flush(self._step)
        self._active = False

    def flush(self, step: int) -> None:
        for t in range(1, self.max_positions + 1):
            self.rows.append({"step": step, "t": t, "grad_norm": float(self._sq[t].sqrt())})
        self._sq.zero_()

    # -- forward wrapper -------------------------------------------------------------------
    def attach(self, model) -> "LogitGradientProfile":
        inner = model.forward

        def forward(*args, **kwargs):
            outputs = inner(*args, **kwargs)
            if self._active and torch.is_grad_enabled() and model.training:
                self._register(model, kwargs, outputs)
            return outputs

        model.forward = forward
        return self

    def activate(self) -> None:
        """Record the next forwards regardless of the trainer step (for tests and manual loops)."""
        self._active = True

    def _positions(self, labels, shape, shifted: bool) -> torch.Tensor:
        """t[b, i] = response position of the token predicted at index i (≤ 0 outside the response).

        With labels, index i predicts labels[:, i + 1] (shifted) or labels[:, i]; the result has the
        shape of that label matrix.  Without labels it has ``shape`` and uses ``response_start``.
        """
        if labels is not None and self.response_start is None:
            valid = ((labels[:, 1:] if shifted else labels) != -100).cpu()
            B, L = valid.shape
            index = torch.arange(L)[None, :].expand(B, L)
            first = torch.where(valid.any(1), valid.float().argmax(1), torch.full((B,), L))
            return torch.where(valid, index - first[:, None] + 1, torch.zeros_like(index))
        B, L = shape
        return torch.arange(L)[None, :].expand(B, L) - (self.response_start or 0) + 1

    def _accumulate(self, norms_sq: torch.Tensor, positions: torch.Tensor, rows=None) -> None:
        keep = (positions >= 1) & (positions <= self.max_positions)
        if rows is not None:
            keep &= rows[:, None]
        self._sq.index_add_(0, positions[keep].long(), norms_sq[keep].double().cpu())

    def _register(self, model, kwargs, outputs) -> None:
        rows = None
        if self.row_filter is not None and kwargs.get("input_ids") is not None:
            rows = self.row_filter(kwargs["input_ids"]).cpu()
        log_probs = getattr(outputs, "log_probs", None)
        if log_probs is not None and log_probs.requires_grad:
            labels = kwargs.get("labels")
            shifted = kwargs.get("shift_labels") is None
            target = (labels[:, 1:] if shifted else kwargs["shift_labels"]).clamp(min=0)
            with torch.no_grad():
                plain = {k: v for k, v in kwargs.items() if k in ("input_ids", "attention_mask", "position_ids")}
                logits = type(model).forward(model, **plain).logits.float()
                probs = torch.softmax(logits[:, :-1] if shifted else logits, dim=-1)
                p_y = probs.gather(-1, target[..., None])[..., 0]
                factor = (1 - 2 * p_y + (probs**2).sum(-1)).clamp(min=0)
                # ℓ_t is the constant 0 where the label is -100, so the loss does not depend on z_t there even
                # though the gradient reaching the masked output tensor is not zero.
                factor = factor * ((labels[:, 1:] if shifted else kwargs["shift_labels"]) != -100)
            positions = self._positions(labels if shifted else kwargs["shift_labels"], log_probs.shape, shifted)

            def hook(grad):
                self._accumulate(grad.float() ** 2 * factor, positions, rows)

            log_probs.register_hook(hook)
            return
        logits = getattr(outputs, "logits", None)
        if logits is not None and logits.requires_grad:
            positions = self._positions(kwargs.get("labels"), logits.shape[:2], shifted=True)
            if kwargs.get("labels") is not None and self.response_start is None:  # index i predicts token i + 1
                positions = torch.cat([positions, torch.zeros_like(positions[:, :1])], dim=1)

            def hook(grad):
                self._accumulate((grad.float() ** 2).sum(-1), positions, rows)

            logits.register_hook(hook)
