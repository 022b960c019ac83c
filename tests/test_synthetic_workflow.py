"""The synthetic track (the automaton environment): the test config plans every method through the shared rules,
and the session run meets the contracts."""

import pandas as pd
import pytest

from conftest import REPO, load_config, run_snakemake
from test_reward_model import check_reward_model_outputs
from harmhorizon.plan import paper_model, runs

pytestmark = pytest.mark.workflow


def test_synthetic_track_dry_run_plans_every_method(tmp_path):
    result = run_snakemake("--dry-run", "--cores", "1", "results/synthetic/numbers.json", "--configfile",
                           str(REPO / "config/test.yaml"), workdir=tmp_path)
    for rule in ("synthetic_base", "synthetic_pool", "information", "align", "evaluate", "collect", "verdicts",
                 "synthetic_numbers"):
        assert f"rule {rule}:" in result.stdout, rule
    config = load_config("test.yaml")
    model = paper_model(config, "synthetic")
    for method, seed in runs(config["synthetic"], include_base=True):
        assert f"results/synthetic/{model}/runs/{method}/seed{seed}/metrics.json" in result.stdout, (method, seed)


def test_the_session_run_writes_every_contract(reviewer_workdir):
    from _reviewer_run import run_config

    out = reviewer_workdir / "results/synthetic" / paper_model(run_config(), "synthetic")
    contracts = {"kl_profile.csv": {"method", "seed", "t", "kl", "ci_low", "ci_high"},
                 "prefill.csv": {"method", "seed", "k", "recovery_rate", "harm_rate", "n"},
                 "grad_profile.csv": {"method", "seed", "step", "t", "grad_norm"},
                 "summary.csv": {"method", "metric", "mean", "ci_low", "ci_high", "n_seeds"},
                 "verdicts.csv": {"prediction", "method", "metric", "mean", "ci_low", "ci_high", "n", "threshold", "verdict",
                                  "p_adjusted", "p_refute_adjusted"},
                 "frontier.csv": {"method", "seed", "step", "harm", "total_kl", "kl_past_horizon", "kl_decided",
                                  "recovery_shift_decided", "collapsed"},
                 "matched.csv": {"method", "harm_level", "metric", "mean", "ci_low", "ci_high", "n"},
                 "frontier_optimum.csv": {"m", "harm", "beta", "kl_past_horizon"}}
    for name, columns in contracts.items():
        frame = pd.read_csv(out / name)
        assert columns <= set(frame.columns) and len(frame), name
    _check_attacks(out)
    check_reward_model_outputs(out, run_config()["synthetic"])


def _check_attacks(out):
    """attack.csv: both attacks at every run and depth; the sampled rows are prefill.csv's; the rank-assisted prefix
    at k = 0 is the sampled one (COMPLY alone), so those draws agree; E7's rows are in verdicts.csv."""
    attack, prefill = pd.read_csv(out / "attack.csv"), pd.read_csv(out / "prefill.csv")
    assert list(attack.columns) == ["method", "seed", "attack", "k", "prefilled", "harm_rate", "continuation_harm_rate",
                                    "recovery_rate", "n", "outside_top_k"]
    sampled = attack[attack.attack == "sampled"].merge(prefill, on=["method", "seed", "k"], suffixes=("", "_run"))
    assert len(sampled) == len(prefill) and (sampled.harm_rate == sampled.harm_rate_run).all()
    assert (attack.continuation_harm_rate <= attack.harm_rate + 1e-12).all()  # the prefill's payloads only add harm
    at_zero = attack[attack.k == 0].pivot_table(index=["method", "seed"], columns="attack", values="harm_rate")
    assert (at_zero.sampled == at_zero.rank_assisted).all()
    assert attack.outside_top_k.between(0, 1).all()
    verdicts = pd.read_csv(out / "verdicts.csv")
    assert verdicts.prediction.str.startswith("E7").any()


def test_every_run_trains_its_configured_steps_on_its_configured_set_size(reviewer_workdir):
    """Step count and training-set size follow from config and seed alone, never from the machine or the schedule."""
    from _reviewer_run import run_config

    synthetic = run_config()["synthetic"]
    table = pd.read_csv(reviewer_workdir / "results/synthetic" / paper_model(run_config(), "synthetic") / "runs.csv")
    trained = table[table.method != "base"]
    assert sorted(zip(trained.method, trained.seed)) == sorted(runs(synthetic))
    for method, steps, examples in zip(trained.method, trained.train_steps, trained.train_examples):
        spec = synthetic["methods"][method]
        assert (steps, examples) == (spec["hp"]["max_steps"], spec["n_examples"]), method
    assert (table[table.method == "base"].train_steps == 0).all()


def test_every_run_has_a_frontier_point_at_each_checkpoint(reviewer_workdir):
    """The align rule keeps a model per checkpoint, and frontier_run measures each, from the reference (step 0) on."""
    from _reviewer_run import run_config

    synthetic = run_config()["synthetic"]
    frontier = pd.read_csv(reviewer_workdir / "results/synthetic" / paper_model(run_config(), "synthetic") / "frontier.csv")
    for (method, seed), trace in frontier.groupby(["method", "seed"]):
        hp = synthetic["methods"][method]["hp"]
        expected = sorted({0, *range(hp["save_steps"], hp["max_steps"] + 1, hp["save_steps"]), hp["max_steps"]})
        assert trace.step.tolist() == expected, (method, seed)
        base = trace[trace.step == 0].iloc[0]
        assert base.total_kl == 0 and base.kl_past_horizon == 0 and base.recovery_shift_decided == 0
