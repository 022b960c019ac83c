"""`make bench`: timings measured side by side in one run on one machine, written to results/bench/*.json.

- ``workflow.json``: end-to-end wall time of the test config (every result, figure and the paper) in a
  fresh directory, and of the immediate rerun with nothing to do (targets: ≤ 180 s and ≤ 10 s).
- ``exact_dp.json``: time of the exact dynamic programme (I_t of π_ref, the Gibbs optimum π*_β and KL_t)
  as T grows; the DP visits each state (t, j) once, so time should grow linearly in T: we fit
  time = a + b·T by least squares and the exponent of time ∝ T^k on log-log axes (k ≈ 1 is linear).
- ``mc_estimator.json`` and ``kl_throughput.json`` need the synthetic track's base model
  (harmhorizon.synthetic); see `bench_mc_estimator` and `bench_kl_throughput`.

Timings are reported, never asserted in tests. Run: ``python -m harmhorizon.bench`` (``make bench``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .io import write_json
from .provenance import device, git_state, package_versions
from .report.latex import fmt
from .repository import default_repository, find_repository

# Default for the library functions; `main` takes `--repo`.
REPO = default_repository()
DP_HORIZONS = (24, 32, 64, 128, 256, 512, 1024)


def machine(repo: Path = REPO) -> dict:
    return {"device": device(), "packages": package_versions(), "git": git_state(repo), "date": time.strftime("%Y-%m-%d %H:%M:%S")}


def best_time(function, repeats: int) -> float:
    """The fastest of `repeats` calls (the usual estimate of a function's cost on a shared machine)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


# --- exact DP scaling -------------------------------------------------------------------------------


def exact_dp(T: int, beta: float = 1.0) -> float:
    """One exact solve at horizon T: I_t(π_ref), π*_β by the soft Bellman recursion, KL_t(π*_β)."""
    from .theory.automaton import Automaton, base_policy, harm_information, per_position_kl
    from .theory.gibbs import Objective, optimal_policy

    reference = base_policy(Automaton(T=T))
    information = harm_information(reference)
    optimum, _ = optimal_policy(reference, Objective(beta=beta))
    kl = per_position_kl(optimum, reference)
    return float(information.sum() + kl.sum())


def linear_fit(x, y) -> dict:
    """Least squares y = a + b x, its R², and the log-log exponent k of y ∝ x^k."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (intercept + slope * x)
    r_squared = 1.0 - (residual**2).sum() / ((y - y.mean()) ** 2).sum()
    exponent = np.polyfit(np.log(x), np.log(y), 1)[0]
    return {"intercept_s": float(intercept), "slope_s_per_T": float(slope), "r_squared": float(r_squared), "loglog_exponent": float(exponent)}


def bench_exact_dp(horizons=DP_HORIZONS, repeats: int = 7) -> dict:
    exact_dp(horizons[0])  # warm-up: imports and first-call overheads
    seconds = [best_time(lambda T=T: exact_dp(T), repeats) for T in horizons]
    return {
        "what": "exact DP at the default automaton (m = 3): I_t(pi_ref) + Gibbs optimum (beta = 1) + KL_t; best of repeats",
        "repeats": repeats,
        "T": list(horizons),
        "seconds": seconds,
        "fit": linear_fit(horizons, seconds),
    }


# --- the workflow end to end ------------------------------------------------------------------------


def snakemake_command(workdir: Path, configfile: Path, cores: int, targets=(), repo: Path = REPO) -> list[str]:
    snakemake = Path(sys.executable).with_name("snakemake")
    return [
        str(snakemake if snakemake.exists() else shutil.which("snakemake")),
        "--snakefile", str(repo / "Snakefile"),
        "--directory", str(workdir),
        "--configfile", str(configfile),
        "--cores", str(cores),
        *targets,
    ]  # fmt: skip


def timed_run(command: list[str], repo: Path = REPO) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=repo)
    return time.perf_counter() - start, result


def bench_workflow(configfile: Path, cores: int, targets=(), repo: Path = REPO) -> dict:
    """Fresh run of `configfile` in a temporary directory, then the same command again (nothing to do)."""
    with tempfile.TemporaryDirectory(prefix="harmhorizon-bench-") as tmp:
        command = snakemake_command(Path(tmp), configfile, cores, targets, repo)
        fresh_s, fresh = timed_run(command, repo)
        noop_s, noop = timed_run(command, repo)
    failed = [name for name, result in (("fresh", fresh), ("noop", noop)) if result.returncode != 0]
    return {
        "what": "snakemake end to end on a fresh directory, then the identical command with nothing to do",
        "config": str(configfile.relative_to(repo)) if configfile.is_relative_to(repo) else str(configfile),
        "targets": list(targets) or ["all (the paper PDF)"],
        "cores": cores,
        "fresh_s": fresh_s,
        "noop_s": noop_s,
        "failed": failed,
        "stderr_tail": {name: result.stderr[-2000:] for name, result in (("fresh", fresh), ("noop", noop)) if result.returncode},
        "targets_s": {"fresh_s": 180.0, "noop_s": 10.0},
    }


# --- the appendix's Performance paragraph -----------------------------------------------------------

NOT_MEASURED = r"\text{not measured}"


def bench_numbers(bench: dict[str, dict]) -> dict:
    """Macros `Bench*` from the bench JSON files present ({file stem: payload}); absent ones read 'not measured'."""
    numbers = {
        name: NOT_MEASURED
        for name in (
            "BenchWorkflowFresh", "BenchWorkflowNoop", "BenchWorkflowCores", "BenchDPSlope", "BenchDPExponent",
            "BenchDPRSquared", "BenchDPTMin", "BenchDPTMax", "BenchDPTimeMax", "BenchMCRatio", "BenchMCRollouts",
            "BenchKLFraction", "BenchKLTokensPerSecond", "BenchMachine",
        )
    }  # fmt: skip
    machines = set()
    if "workflow" in bench:
        run = bench["workflow"]
        machines.add(run["machine"]["device"]["cpu"])
        if not run["failed"]:
            numbers["BenchWorkflowFresh"] = fmt(run["fresh_s"], 3)
            numbers["BenchWorkflowNoop"] = fmt(run["noop_s"], 2)
        numbers["BenchWorkflowCores"] = fmt(run["cores"])
    if "exact_dp" in bench:
        dp = bench["exact_dp"]
        machines.add(dp["machine"]["device"]["cpu"])
        numbers["BenchDPSlope"] = fmt(dp["fit"]["slope_s_per_T"] * 1e6, 3)  # microseconds per position
        numbers["BenchDPExponent"] = fmt(dp["fit"]["loglog_exponent"], 3)
        numbers["BenchDPRSquared"] = fmt(dp["fit"]["r_squared"], 4)
        numbers["BenchDPTMin"], numbers["BenchDPTMax"] = fmt(min(dp["T"])), fmt(max(dp["T"]))
        numbers["BenchDPTimeMax"] = fmt(dp["seconds"][int(np.argmax(dp["T"]))] * 1e3, 3)  # milliseconds
    if "mc_estimator" in bench:
        mc = bench["mc_estimator"]
        machines.add(mc["machine"]["device"]["cpu"])
        numbers["BenchMCRatio"] = fmt(mc["speedup"], 3)
        numbers["BenchMCRollouts"] = fmt(mc["n_rollouts"])
    if "kl_throughput" in bench:
        kl = bench["kl_throughput"]
        machines.add(kl["machine"]["device"]["cpu"])
        numbers["BenchKLFraction"] = fmt(100 * kl["fraction_of_raw"], 3)
        numbers["BenchKLTokensPerSecond"] = fmt(kl["kl_tokens_per_s"], 3)
    if machines:
        numbers["BenchMachine"] = r"\text{" + "; ".join(sorted(machines)).replace("%", r"\%").replace("&", r"\&") + "}"
    return numbers


# --- command line -----------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", help="the repository (default: the one holding the current directory)")
    parser.add_argument("--out", help="folder of the JSON files (default: results/bench of --repo)")
    parser.add_argument("--config", help="config of the end-to-end run (default: config/test.yaml of --repo)")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", nargs="*", default=None, help="workflow, exact_dp, mc_estimator, kl_throughput")
    args = parser.parse_args(argv)
    try:
        repo = find_repository(args.repo)
    except FileNotFoundError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else repo / "results/bench"
    configfile = Path(args.config).resolve() if args.config else repo / "config/test.yaml"
    wanted = set(args.only or ("workflow", "exact_dp", "mc_estimator", "kl_throughput"))
    benches = {
        "exact_dp": bench_exact_dp,
        "workflow": lambda: bench_workflow(configfile, args.cores, repo=repo),
        "mc_estimator": lambda: bench_mc_estimator(repo=repo),
        "kl_throughput": lambda: bench_kl_throughput(repo=repo),
    }
    status = 0
    for name, run in benches.items():
        if name not in wanted:
            continue
        print(f"bench {name} …", flush=True)
        try:
            payload = run()
        except BenchUnavailable as reason:
            print(f"  skipped: {reason}")
            continue
        payload["machine"] = machine(repo)
        write_json(payload, out / f"{name}.json")
        summary = {k: v for k, v in payload.items() if k not in ("machine", "stderr_tail", "what")}
        print("  " + json.dumps(summary, default=str)[:600])
        if payload.get("failed"):
            status = 1
    print(f"python {platform.python_version()}; JSON in {out}")
    return status


class BenchUnavailable(RuntimeError):
    """A benchmark whose prerequisite (e.g. the synthetic base model code) is not in this checkout."""


def _synthetic_base(repo: Path = REPO):
    """The synthetic track's trained base model and its automaton environment (needs the paper run)."""
    import yaml
    from transformers import AutoModelForCausalLM

    from .envs.automaton import AutomatonEnvironment

    from snakemake.utils import validate

    from .plan import paper_model

    config = yaml.safe_load((repo / "config/config.yaml").read_text())
    validate(config, str(repo / "config/schema.yaml"))
    folder = repo / "work/synthetic" / paper_model(config, "synthetic") / "base/final"
    if not (folder / "config.json").exists():
        raise BenchUnavailable(f"no synthetic base model at {folder}; run the synthetic track first (make paper)")
    env = AutomatonEnvironment.from_config(config["exact"]["automaton"], config["synthetic"], folder)
    return AutoModelForCausalLM.from_pretrained(folder).eval(), env


def naive_generate_sampler(model, prefixes, max_new_tokens, stop_ids=(), n_samples=1, seed=0, *_ignored):
    """The baseline: one ``model.generate`` call per prefix and rollout (no batching across prefixes)."""
    import torch

    torch.manual_seed(int(seed))
    budgets = [max_new_tokens] * len(prefixes) if np.isscalar(max_new_tokens) else list(max_new_tokens)
    out = []
    with torch.no_grad():
        for prefix, budget in zip(prefixes, budgets):
            ids = torch.tensor([prefix], dtype=torch.long)
            for _ in range(n_samples):
                new = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=True, top_k=0, top_p=1.0,
                                     max_new_tokens=int(budget), eos_token_id=list(stop_ids), pad_token_id=0)
                row = new[0, ids.shape[1]:].tolist()
                cut = next((i for i, token in enumerate(row) if token in set(stop_ids)), None)
                out.append(row if cut is None else row[: cut + 1])
    return out


def bench_mc_estimator(n_sequences: int = 12, n_rollouts: int = 8, repo: Path = REPO) -> dict:
    """Batched Monte Carlo I_t (evaluate.harm_information) against the same estimator fed by a
    per-sample ``generate`` loop, same model, same sequences and rollouts; speed ratio and agreement."""
    import copy

    from .evaluate.harm_information import mc_harm_information

    model, env = _synthetic_base(repo)
    sequences = env.sample_responses(model, True, n_sequences, seed=0)
    naive_env = copy.copy(env)
    naive_env.sample = lambda model, prefixes, budgets, n, seed, *_, **__: naive_generate_sampler(  # noqa: E731
        model, prefixes, budgets, env.stop_ids, n, seed)
    start = time.perf_counter()
    batched = mc_harm_information(env, model, sequences, range(env.T), n_rollouts, seed=1)
    batched_s = time.perf_counter() - start
    start = time.perf_counter()
    naive = mc_harm_information(naive_env, model, sequences, range(env.T), n_rollouts, seed=1)
    naive_s = time.perf_counter() - start
    se = lambda f: (f.ci_high - f.ci_low) / (2 * 1.96)  # noqa: E731
    z = (batched.harm_information - naive.harm_information) / np.sqrt(se(batched) ** 2 + se(naive) ** 2).replace(0, np.nan)
    overlap = (batched.ci_low <= naive.ci_high) & (naive.ci_low <= batched.ci_high)
    return {
        "what": "Monte Carlo I_t: batched sampler vs per-sample model.generate, same model and rollouts",
        "n_sequences": n_sequences,
        "n_rollouts": n_rollouts,
        "batched_s": batched_s,
        "naive_s": naive_s,
        "speedup": naive_s / batched_s,
        "target_speedup": 10.0,
        "total_information_batched": float(batched.harm_information.sum()),
        "total_information_naive": float(naive.harm_information.sum()),
        "positions_with_overlapping_intervals": float(overlap.mean()),
        "max_abs_z": float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 0.0,
    }


def bench_kl_throughput(n_sequences: int = 2048, batch_size: int = 512, repeats: int = 3, repo: Path = REPO) -> dict:
    """Per-position KL evaluation (evaluate.kl.per_position_kl) against two raw batched forwards of
    the same two models over the same sequences, in response tokens per second."""
    import copy

    import torch

    from .evaluate.kl import batches, per_position_kl

    model, env = _synthetic_base(repo)
    other = copy.deepcopy(model)
    with torch.no_grad():
        generator = torch.Generator().manual_seed(0)
        for parameter in other.parameters():
            parameter.add_(0.01 * torch.randn(parameter.shape, generator=generator))
    sequences = env.sample_responses(model, True, n_sequences, seed=0)
    tokens = sum(len(r) for _, r in sequences)

    def raw():
        with torch.no_grad():
            for _, _, ids, mask in batches(sequences, batch_size, 0):
                model(input_ids=ids, attention_mask=mask)
                other(input_ids=ids, attention_mask=mask)

    kl_s = best_time(lambda: per_position_kl(other, model, sequences, batch_size=batch_size), repeats)
    raw_s = best_time(raw, repeats)
    return {
        "what": "per-position KL evaluation vs two raw batched forwards, same models and sequences",
        "n_sequences": n_sequences,
        "response_tokens": tokens,
        "kl_s": kl_s,
        "raw_forward_s": raw_s,
        "kl_tokens_per_s": tokens / kl_s,
        "raw_tokens_per_s": tokens / raw_s,
        "fraction_of_raw": raw_s / kl_s,
        "target_fraction": 0.8,
    }




def performance_table(bench: dict[str, dict]) -> str:
    """Booktabs table of the appendix: each benchmark of `make bench`, its target and whether it is met."""
    from .report.latex import booktabs_table

    def row(what, measured, target, met):
        return {"Benchmark": what, "Measured": measured, "Target": target, "Met": {True: "yes", False: "no", None: "--"}[met]}

    rows = []
    run = bench.get("workflow")
    ok = run is not None and not run["failed"]
    rows.append(row("Test config, fresh run (s)", f"${fmt(run['fresh_s'], 3)}$" if ok else "not measured", r"$\le 180$", run["fresh_s"] <= 180 if ok else None))
    rows.append(row("Test config, no-op rerun (s)", f"${fmt(run['noop_s'], 2)}$" if ok else "not measured", r"$\le 10$", run["noop_s"] <= 10 if ok else None))
    dp = bench.get("exact_dp")
    rows.append(row(
        f"Exact DP, exponent of time $\\propto T^k$ ($T={min(dp['T'])}$--${max(dp['T'])}$)" if dp else "Exact DP, exponent of time $\\propto T^k$",
        f"${fmt(dp['fit']['loglog_exponent'], 3)}$" if dp else "not measured", r"$[0.9, 1.1]$ (linear)",
        0.9 <= dp["fit"]["loglog_exponent"] <= 1.1 if dp else None,
    ))  # fmt: skip
    mc = bench.get("mc_estimator")
    rows.append(row("Batched MC $I_t$ over per-sample \\texttt{generate} (speed-up)", f"${fmt(mc['speedup'], 3)}\\times$" if mc else "not measured", r"$\ge 10\times$", mc["speedup"] >= 10 if mc else None))
    kl = bench.get("kl_throughput")
    rows.append(row("KL evaluation over raw forward (throughput, \\%)", f"${fmt(100 * kl['fraction_of_raw'], 3)}$" if kl else "not measured", r"$\ge 80$", kl["fraction_of_raw"] >= 0.8 if kl else None))
    return booktabs_table(
        pd.DataFrame(rows),
        caption=(
            "Performance, measured side by side by \\texttt{make bench} on the machine named in the text "
            "(\\texttt{results/bench/*.json}). Generated by rule \\texttt{reproducibility}."
        ),
        label="tab:performance",
        column_format="lrrr",
    )


if __name__ == "__main__":
    raise SystemExit(main())
