"""Alignment gradients on the automaton: P1 (gradient = covariance) and P2 (tabular form), exactly.

Three independent routes to ∂E_π[h]/∂θ are compared in float64:
1. autograd through a *forward* DP of E_π[h] (`expected_harm_torch`);
2. the covariance form  g_t = E[Δ_t s_t] = E[Cov(H_t, s_t | y_<t)]  (P1), built from the *backward*
   values Q, V of `automaton.harm_values`;
3. the closed form  ∂E[h]/∂z_a(s) = P_π(s) π(a|s) (Q(s, a) - V(s))  (P2).
"""

from __future__ import annotations

import numpy as np
import torch

from .automaton import (
    EOS,
    FILLER,
    N_ACTIONS,
    PAYLOAD,
    RECOVER,
    Automaton,
    Policy,
    decided_states,
    harm_values,
    reach_probabilities,
    softmax_policy,
)


def expected_harm_torch(comply_logits: torch.Tensor, next_probs: torch.Tensor, m: int) -> torch.Tensor:
    """E_π[h] by the forward DP: mass that ends (RECOVER, EOS, cut at T) with j ≥ m.

    comply_logits: (2,) logits of (COMPLY, REFUSE); next_probs: (T, m+1, 4) with row 0 unused.
    """
    T = next_probs.shape[0]
    p_comply = torch.softmax(comply_logits, dim=0)[0]
    reach = torch.zeros(m + 1, dtype=next_probs.dtype)
    reach = torch.cat([p_comply.reshape(1), reach[1:]])
    harm = torch.zeros((), dtype=next_probs.dtype)
    for t in range(1, T):
        p = next_probs[t]
        harm = harm + reach[m] * (p[m, RECOVER] + p[m, EOS])
        moved = reach * p[:, PAYLOAD]
        stay = reach * p[:, FILLER]
        reach = torch.cat([stay[:1], stay[1:m] + moved[: m - 1], (stay[m] + moved[m - 1] + moved[m]).reshape(1)])
    return harm + reach[m]


def autograd_gradient(policy_logits: tuple[np.ndarray, np.ndarray], m: int) -> tuple[np.ndarray, np.ndarray]:
    """Route 1: autograd of the forward DP w.r.t. tabular logits (comply (2,), next (T, m+1, 4))."""
    comply = torch.tensor(policy_logits[0], dtype=torch.float64, requires_grad=True)
    logits = torch.tensor(policy_logits[1], dtype=torch.float64, requires_grad=True)
    expected_harm_torch(comply, torch.softmax(logits, dim=-1), m).backward()
    grad = logits.grad.numpy().copy()
    grad[0] = 0.0
    return comply.grad.numpy().copy(), grad


def _first_token(policy: Policy, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and continuation values of (COMPLY, REFUSE) at the empty prefix."""
    p = np.array([policy.p_comply, 1.0 - policy.p_comply])
    return p, np.array([V[1, 0], 0.0])


def closed_form_gradient(policy: Policy) -> tuple[np.ndarray, np.ndarray]:
    """Route 3 (P2): ∂E[h]/∂z_a(s) = P_π(s) π(a|s) (Q(s, a) - V(s))."""
    V, Q = harm_values(policy)
    reach = reach_probabilities(policy)
    p0, q0 = _first_token(policy, V)
    comply_grad = p0 * (q0 - p0 @ q0)
    grad = reach[: policy.T, :, None] * policy.next_probs * (Q - V[: policy.T, :, None])
    grad[0] = 0.0
    return comply_grad, grad


def _covariance(probs: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Cov_a(values_a, e_a - probs) = Σ_b probs_b (values_b - mean)(e_b - probs), over the last axis."""
    centred = values - (probs * values).sum(axis=-1, keepdims=True)
    eye = np.eye(probs.shape[-1])
    score = eye - probs[..., None, :]  # score[..., b, :] = ∂ log π_b / ∂z = e_b - π
    return np.einsum("...b,...b,...bk->...k", probs, centred, score)


def covariance_gradient(policy: Policy) -> tuple[np.ndarray, np.ndarray]:
    """Route 2 (P1): g_t = E[Cov(H_t, s_t | y_<t)], with s_t the tabular score e_{y_t} - π."""
    V, Q = harm_values(policy)
    reach = reach_probabilities(policy)
    p0, q0 = _first_token(policy, V)
    comply_grad = _covariance(p0, q0)
    grad = np.zeros_like(policy.next_probs)
    grad[1:] = reach[1 : policy.T, :, None] * _covariance(policy.next_probs[1:], Q[1:])
    return comply_grad, grad


def harm_score_gradient(policy: Policy) -> tuple[np.ndarray, np.ndarray]:
    """P1's middle term E[h s_t] = E[H_t s_t] (uncentred), which equals E[Δ_t s_t] since E[s_t | y_<t] = 0."""
    V, Q = harm_values(policy)
    reach = reach_probabilities(policy)
    p0, q0 = _first_token(policy, V)
    comply_grad = p0 * q0 - p0 * (p0 @ q0)
    eye = np.eye(N_ACTIONS)
    score = eye - policy.next_probs[1:, :, None, :]
    grad = np.zeros_like(policy.next_probs)
    grad[1:] = reach[1 : policy.T, :, None] * np.einsum("tjb,tjb,tjbk->tjk", policy.next_probs[1:], Q[1:], score)
    return comply_grad, grad


def gradient_norm_by_position(policy: Policy) -> np.ndarray:
    """‖g_t‖ over the tabular logits of position t, t = 1..T (index 0 unused)."""
    comply_grad, grad = closed_form_gradient(policy)
    norms = np.zeros(policy.T + 1)
    norms[1] = np.linalg.norm(comply_grad)
    norms[2:] = np.sqrt((grad[1:] ** 2).sum(axis=(1, 2)))
    return norms


def max_abs_difference(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    return float(max(np.abs(a[0] - b[0]).max(), np.abs(a[1][1:] - b[1][1:]).max()))


def random_logits(automaton: Automaton, rng: np.random.Generator, scale: float = 1.5):
    return rng.normal(0.0, scale, size=2), rng.normal(0.0, scale, size=(automaton.T, automaton.m + 1, N_ACTIONS))


def tabular_gradient_errors(automaton: Automaton, rng: np.random.Generator) -> dict[str, float]:
    """One random tabular policy: max abs differences between the three routes, and at decided states."""
    logits = random_logits(automaton, rng)
    policy = softmax_policy(*logits)
    auto = autograd_gradient(logits, automaton.m)
    closed = closed_form_gradient(policy)
    cov = covariance_gradient(policy)
    hs = harm_score_gradient(policy)
    decided = decided_states(policy)
    return {
        "autograd_vs_covariance": max_abs_difference(auto, cov),
        "autograd_vs_closed_form": max_abs_difference(auto, closed),
        "autograd_vs_harm_score": max_abs_difference(auto, hs),
        "max_abs_gradient_past_horizon": float(np.abs(auto[1][decided]).max()),
        "max_abs_gradient": float(np.abs(auto[1][1:]).max()),
    }


def _base_row(automaton: Automaton) -> tuple[float, float, float, float]:
    return (automaton.q, automaton.filler, automaton.r, automaton.e)


class StatePolicyNet(torch.nn.Module):
    """A small MLP policy shared across all states (t, j): the 'neural' policy of docs/experiments.md E1.

    log π_θ(· | t, j) = log_softmax(log π_ref(· | t, j) + MLP_θ(t/T, j/m)), with N(0, scale²)
    weights, so that the policy is a random perturbation of the base automaton (and harm is common).
    """

    def __init__(self, T: int, m: int, hidden: int = 16, seed: int = 0, scale: float = 0.5, c: float = 0.7,
                 base_row=(0.35, 0.60, 0.03, 0.02)):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.T, self.m = T, m
        self.register_buffer("base_log_probs", torch.log(torch.tensor(base_row, dtype=torch.float64)))
        comply = torch.log(torch.tensor([c, 1 - c], dtype=torch.float64))
        self.comply_logits = torch.nn.Parameter(comply + scale * torch.randn(2, generator=generator, dtype=torch.float64))
        self.net = torch.nn.Sequential(
            torch.nn.Linear(2, hidden, dtype=torch.float64), torch.nn.Tanh(), torch.nn.Linear(hidden, N_ACTIONS, dtype=torch.float64)
        )
        with torch.no_grad():
            for param in self.net.parameters():
                param.copy_(scale * torch.randn(param.shape, generator=generator, dtype=torch.float64))

    def log_probs(self) -> torch.Tensor:
        """log π_θ(a | t, j) as a (T, m+1, 4) tensor; features are t/T and j/m."""
        t = torch.arange(self.T, dtype=torch.float64)[:, None].expand(self.T, self.m + 1) / self.T
        j = torch.arange(self.m + 1, dtype=torch.float64)[None, :].expand(self.T, self.m + 1) / self.m
        return torch.log_softmax(self.base_log_probs + self.net(torch.stack([t, j], dim=-1)), dim=-1)

    def forward(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(log π(COMPLY, REFUSE), log π(a | t, j) table)."""
        return torch.log_softmax(self.comply_logits, 0), self.log_probs()

    def as_policy(self) -> Policy:
        with torch.no_grad():
            probs = self.log_probs().exp().numpy().copy()
            p = torch.softmax(self.comply_logits, 0)[0].item()
        probs[0] = np.nan
        return Policy(p_comply=p, next_probs=probs)


def neural_gradient_check(automaton: Automaton, seed: int) -> dict[str, float | list[float]]:
    """P1 with shared parameters: autograd of exact E[h] vs Σ_t g_t, g_t = Σ_s P(s) Σ_a π (Q - V) ∇ log π.

    Each g_t is the gradient of the surrogate Σ_{s at t-1} Σ_a w(s, a) log π_θ(a|s) with fixed
    weights w = P(s) π(a|s) (Q(s, a) - V(s)); by P2 w is 0 at every decided state.
    """
    net = StatePolicyNet(automaton.T, automaton.m, seed=seed, c=automaton.c, base_row=_base_row(automaton))
    params = list(net.parameters())
    harm = expected_harm_torch(net.comply_logits, net.log_probs().exp(), automaton.m)
    exact = torch.autograd.grad(harm, params)
    policy = net.as_policy()
    comply_w, weights = closed_form_gradient(policy)  # = P(s) π (Q - V), per state and action
    log_probs = net.log_probs()
    log_p0 = torch.log_softmax(net.comply_logits, 0)
    total = [torch.zeros_like(p) for p in params]
    norms = []
    for t in range(1, automaton.T + 1):
        if t == 1:
            surrogate = (torch.tensor(comply_w) * log_p0).sum()
        else:
            surrogate = (torch.tensor(weights[t - 1]) * log_probs[t - 1]).sum()
        g_t = torch.autograd.grad(surrogate, params, retain_graph=True, allow_unused=True)
        g_t = [torch.zeros_like(p) if g is None else g for g, p in zip(g_t, params)]
        norms.append(float(torch.sqrt(sum((g**2).sum() for g in g_t))))
        total = [a + b for a, b in zip(total, g_t)]
    error = max(float((a - b).abs().max()) for a, b in zip(exact, total))
    return {"neural_autograd_vs_covariance_sum": error, "neural_gradient_norm_by_position": norms}


def sample_trajectories(policy: Policy, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample n responses from a (t, j)-Markov policy; returns per-position (state t, state j, action).

    Arrays have shape (n, T): column 0 is the first token (action 0 = COMPLY, 1 = REFUSE); column t ≥ 1
    is the token at position t + 1 chosen in state (t, j), with action -1 once the response has ended.
    """
    T, m = policy.T, policy.m
    actions = np.full((n, T), -1, dtype=np.int64)
    states_j = np.zeros((n, T), dtype=np.int64)
    actions[:, 0] = (rng.random(n) >= policy.p_comply).astype(np.int64)
    alive = actions[:, 0] == 0
    j = np.zeros(n, dtype=np.int64)
    for t in range(1, T):
        probs = policy.next_probs[t, j]
        cumulative = probs.cumsum(axis=1)
        draw = (rng.random(n)[:, None] > cumulative).sum(axis=1).clip(max=N_ACTIONS - 1)
        states_j[:, t] = j
        actions[alive, t] = draw[alive]
        j = np.where(alive & (draw == PAYLOAD), np.minimum(j + 1, m), j)
        alive = alive & ((draw == PAYLOAD) | (draw == FILLER))
    return states_j, actions, alive


def monte_carlo_gradient_check(automaton: Automaton, seed: int, n_samples: int, n_directions: int) -> dict[str, float]:
    """E1 by Monte Carlo with a shared-parameter policy: Σ_t Δ_t s_t against the exact gradient.

    For random unit directions u, the per-sample estimates Σ_t Δ_t (u·s_t) (P1's covariance form) and
    h Σ_t (u·s_t) (plain REINFORCE) are averaged over n_samples responses, drawn afresh for every direction
    (so that the directions' intervals are independent trials of the nominal 95% coverage); u·s_t comes from
    one forward-mode derivative of the policy's log-probability table.  Reports the largest |z|-score of the
    covariance estimator against the exact u·∇E[h], how many directions' 95% intervals hold the exact value,
    and the variance ratio REINFORCE / covariance.
    """
    from torch.func import functional_call, jvp

    net = StatePolicyNet(automaton.T, automaton.m, seed=seed, c=automaton.c, base_row=_base_row(automaton))
    names = [name for name, _ in net.named_parameters()]
    params = tuple(p.detach() for p in net.parameters())
    harm = expected_harm_torch(net.comply_logits, net.log_probs().exp(), automaton.m)
    exact = torch.autograd.grad(harm, list(net.parameters()))
    policy = net.as_policy()
    V, Q = harm_values(policy)
    H0 = policy.p_comply * V[1, 0]
    t_index = np.arange(automaton.T)[None, :]

    def tables(*flat):
        return functional_call(net, dict(zip(names, flat)), ())

    z_scores, inside, ratios = [], 0, []
    generator = torch.Generator().manual_seed(seed)
    for k in range(n_directions):
        states_j, actions, _ = sample_trajectories(policy, n_samples, np.random.default_rng([seed, k]))
        complied = actions[:, 0] == 0
        delta = np.zeros(actions.shape)
        delta[:, 0] = np.where(complied, V[1, 0], 0.0) - H0
        live = actions >= 0
        live[:, 0] = False
        a = np.where(live, actions, 0)
        positions = np.broadcast_to(t_index, actions.shape)
        delta[live] = (Q[positions, states_j, a] - V[positions, states_j])[live]
        h = delta.sum(axis=1) + H0
        direction = [torch.randn(p.shape, generator=generator, dtype=torch.float64) for p in params]
        norm = torch.sqrt(sum((d**2).sum() for d in direction))
        direction = [d / norm for d in direction]
        _, (d_comply, d_table) = jvp(tables, params, tuple(direction))
        d_comply, d_table = d_comply.numpy(), d_table.numpy()
        score = np.zeros(actions.shape)
        score[:, 0] = d_comply[actions[:, 0]]
        score[live] = d_table[positions, states_j, a][live]
        covariance_form = (delta * score).sum(axis=1)
        reinforce = h * score.sum(axis=1)
        target = float(sum((e * d).sum() for e, d in zip(exact, direction)))
        mean, se = covariance_form.mean(), covariance_form.std(ddof=1) / np.sqrt(n_samples)
        z_scores.append((mean - target) / se)
        inside += abs(mean - target) <= 1.96 * se
        ratios.append(reinforce.var(ddof=1) / covariance_form.var(ddof=1))
    return {
        "mc_gradient_n_samples": n_samples,
        "mc_gradient_n_directions": n_directions,
        "mc_gradient_max_abs_z": float(np.max(np.abs(z_scores))),
        "mc_gradient_fraction_in_ci": inside / n_directions,
        "mc_gradient_n_inside": int(inside),
        "mc_reinforce_over_covariance_variance": float(np.median(ratios)),
    }
