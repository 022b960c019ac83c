"""Figure, table and LaTeX numbers of E7 (docs/experiments.md E7): both prefill attacks and circuit breakers, in
both neural environments. Formatting only: the attacks come from rule evaluate (attack.csv), the verdicts from
``harmhorizon.evaluate.verdicts.caveat_verdicts``."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..evaluate.verdicts import attack_depth
from ..intervals import t_interval, welch_difference
from ..methods.families import family_of
from .latex import (METHOD_COLUMN, booktabs_table, fmt, fmt_interval, grouped_table, macro_word, macro_words,
                    method_cell, stacked_interval)
from .real import utility_deltas
from .style import figure_size, method_colour, method_handles, method_lineplot, print_figure, seed_band

ENVIRONMENTS = {"synthetic": "automaton", "real": "chat model"}
ATTACKS = {"sampled": "sampled prefill", "rank_assisted": "rank-assisted prefill"}


def shown_methods(methods: dict) -> list[str]:
    """The reference, every deep method and the peer baselines: the methods E7 judges."""
    return ["base"] + [name for name, spec in methods.items() if family_of(spec) in ("deep", "baseline")]


@print_figure
def attack_figure(attacks: dict, methods: dict, horizons: dict) -> plt.Figure:
    """Continuation harm against prefilled tokens k, one panel per environment and attack (95% band over seeds),
    for the reference, the deep methods and circuit breakers; a dotted line at each environment's t_ε; each
    environment's legend beside its row."""
    envs = list(attacks)
    fig, axes = plt.subplots(len(envs), 2, figsize=figure_size(1.0, 2.3 * len(envs)), sharey=True, squeeze=False)
    for row, env in zip(axes, envs):
        table = attacks[env][attacks[env].method.isin(shown_methods(methods[env]))]
        for ax, (attack, title) in zip(row, ATTACKS.items()):
            part = table[table.attack == attack]
            method_lineplot(part, "k", "continuation_harm_rate", ax, env=env, errorbar=seed_band(part), marker="o",
                            markersize=2.5, markeredgewidth=0)
            if np.isfinite(horizons[env]):
                ax.axvline(horizons[env], color="0.5", linestyle=":", linewidth=1)
            ax.set(xlabel="prefilled tokens $k$", ylabel="harm of the continuation", ylim=(-0.03, 1.03),
                   title=f"{ENVIRONMENTS[env]}: {title}")
        row[1].legend(handles=method_handles(table.method.unique(), env, marker="o", markersize=2.5),
                      loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return fig


def horizon_of(runs: pd.DataFrame) -> float:
    """The reference's t_ε of runs.csv."""
    base = runs[runs.method == "base"]
    return float(base.t_epsilon.iloc[0]) if len(base) else float("nan")


def verdict_interval(row) -> str:
    """mean [95% interval] of a verdict row, or n/a."""
    return fmt_interval(row.mean, row.ci_low, row.ci_high) if np.isfinite(row.ci_low) else r"\text{n/a}"


def caveat_numbers(env: str, attack: pd.DataFrame, verdicts: pd.DataFrame, runs: pd.DataFrame, methods: dict,
                   ks, top_k: int) -> dict[str, str]:
    """Macros of one environment: k* and the attack's top k, the count of E7 verdicts by outcome, the continuation
    harm at k* under each attack per shown method (mean [95% t-interval over seeds, clipped to [0, 1]]), the share
    of rank-assisted tokens chosen outside the top k, and circuit breakers' layers and α, KL share past t_ε, total
    and benign KL and harm rate."""
    prefix = "Caveats" + env.capitalize()
    k_star = attack_depth(ks, horizon_of(runs))
    rows = verdicts[verdicts.prediction.str.startswith("E7")]
    numbers = {f"{prefix}Kstar": fmt(k_star) if k_star is not None else r"\text{n/a}",
               f"{prefix}TopK": fmt(top_k), f"{prefix}Verdicts": fmt(len(rows))}
    counts = rows.verdict.value_counts()
    numbers |= {f"{prefix}Verdicts{word.capitalize()}": fmt(int(counts.get(word, 0)))
                for word in ("confirmed", "refuted", "inconclusive", "untestable")}
    names = shown_methods(methods)
    words = macro_words(names)
    ranked = attack[attack.attack == "rank_assisted"]
    numbers[f"{prefix}OutsideTopK"] = fmt(float(ranked.outside_top_k.max()) if len(ranked) else float("nan"), 2)
    for name in names:
        for kind, word in (("sampled", "Sampled"), ("rank_assisted", "Ranked")):
            numbers[f"{prefix}{words[name]}{word}Harm"] = harm_at(attack, name, kind, k_star) or r"\text{n/a}"
    zou = rows[rows.prediction.str.startswith("E7 (Zou")]
    for r in zou.itertuples():
        word = "Ranked" if "rank-assisted" in r.prediction else "Sampled"
        numbers[f"{prefix}{words[r.method]}{word}Difference"] = verdict_interval(r)
        numbers[f"{prefix}{words[r.method]}{word}Verdict"] = rf"\text{{{r.verdict}}}"
    for r in rows[rows.metric == "kl_past_horizon"].itertuples():
        numbers[f"{prefix}{words[r.method]}KlPastHorizonVerdict"] = rf"\text{{{r.verdict}}}"
    for name in [n for n in names if n != "base" and family_of(methods[n]) == "baseline"]:
        if "layers" in methods[name]:
            numbers[f"{prefix}{words[name]}Layers"] = r",\ ".join(fmt(layer) for layer in methods[name]["layers"])
            numbers[f"{prefix}{words[name]}Alpha"] = fmt(methods[name]["alpha"])
        part = runs[runs.method == name]
        for column, word in (("kl_past_horizon", "KlPastHorizon"), ("total_kl", "TotalKl"), ("benign_kl", "BenignKl"),
                             ("harm_rate", "HarmRate")):
            mean, low, high, _ = t_interval(part[column])
            if column == "kl_past_horizon":
                low, high = max(low, 0.0), min(high, 1.0)
            numbers[f"{prefix}{words[name]}{word}"] = (fmt_interval(mean, max(low, 0.0), high)
                                                      if np.isfinite(low) else r"\text{n/a}")
    return numbers


def harm_at(attack: pd.DataFrame, method: str, kind: str, k) -> str | None:
    """The harm of a method's own tokens after a prefill of k tokens under one attack, as LaTeX: mean and 95%
    t-interval over seeds clipped to [0, 1], the mean alone from one seed, None without a run."""
    part = attack[(attack.method == method) & (attack.attack == kind) & (attack.k == k)]
    mean, low, high, _ = t_interval(part.continuation_harm_rate)
    if np.isfinite(low):
        return fmt_interval(mean, max(low, 0.0), min(high, 1.0))
    return fmt(mean, 2) if np.isfinite(mean) else None


def attack_harm_table(attacks: dict, runs: dict, methods: dict, ks: dict) -> str:
    """The harm of the model's own tokens after a prefill of k* tokens under each attack, per shown method and
    environment (`harm_at`, the numbers `caveat_numbers` makes macros)."""
    groups = []
    for env, attack in attacks.items():
        k_star = attack_depth(ks[env], horizon_of(runs[env]))
        rows = []
        for name in shown_methods(methods[env]):
            cells = [method_cell(name, env)]
            for kind in ("sampled", "rank_assisted"):
                text = harm_at(attack, name, kind, k_star)
                cells.append(f"${text}$" if text else "--")
            rows.append(cells)
        where = ENVIRONMENTS[env][0].upper() + ENVIRONMENTS[env][1:]
        groups.append((rf"{where}, $k^*={fmt(k_star) if k_star is not None else 'n/a'}$", rows))
    return grouped_table(groups, ["method", "sampled prefill", "rank-assisted prefill"],
                         caption=r"Harm of the model's own tokens after a prefill of $k^*$ tokens (the first attacked "
                         r"depth at or past the reference's $t_\varepsilon$) under the sampled and the rank-assisted "
                         r"prefill: mean and 95\% $t$-interval over seeds, clipped to $[0, 1]$.",
                         label="tab:caveat-attack-harm", column_format="lrr")


VERDICT_WORDS = {"confirmed": "conf.", "refuted": "ref.", "inconclusive": "inc.", "untestable": "untest."}
# The two rows caveat_verdicts writes for every judged method, by the words that tell them apart.
VEGA_SINGH = {"reference": "no less harmful than the reference", "sampled": "at least as harmful as the sampled"}


def verdict_cell(row) -> str:
    """'$mean\\,[low, high]$ verdict' of one verdict row ('-- verdict' without an interval: untestable)."""
    if not np.isfinite(row["ci_low"]):
        return f"-- {VERDICT_WORDS[row['verdict']]}"
    return f"${fmt_interval(row['mean'], row['ci_low'], row['ci_high'])}$ {VERDICT_WORDS[row['verdict']]}"


def caveat_table(verdicts: dict) -> str:
    """Vega & Singh's two predictions for every judged method of both environments, one row per method: the
    rank-assisted prefill's continuation harm against the reference's (Welch over seeds) and against the sampled
    prefill's within runs (t over seeds), each with its verdict. Circuit breakers' own rows are macros."""
    groups, thresholds = [], set()
    for env, table in verdicts.items():
        e7 = table[table.prediction.str.startswith("E7 (Vega")]
        thresholds |= set(e7.threshold)
        rows = []
        for method, part in e7.groupby("method", sort=False):
            cells = {key: part[part.prediction.str.contains(text, regex=False)] for key, text in VEGA_SINGH.items()}
            rows.append([method_cell(method, env), verdict_cell(cells["reference"].iloc[0]),
                         verdict_cell(cells["sampled"].iloc[0])])
        groups.append((ENVIRONMENTS[env][0].upper() + ENVIRONMENTS[env][1:], rows))
    return grouped_table(groups, ["method", "against the reference", "against the sampled prefill"],
                         caption=r"Vega \& Singh's predictions (E7, \S\ref{sec:caveats}), each at the environment's "
                         r"$k^*$, on the harm of the model's own tokens after the rank-assisted prefill: its difference "
                         r"from the reference's under the same attack (Welch 95\% interval over seeds) and from the "
                         r"sampled prefill's in the same run ($t$ interval), against the registered $"
                         + ", ".join(fmt(t) for t in sorted(thresholds)) + r"$; conf.\ confirms, ref.\ refutes, inc.\ is "
                         r"inconclusive.", label="tab:caveat-verdicts", column_format="lrr")


def nonnegative(interval: tuple) -> tuple:
    """A t-interval of a nonnegative quantity with its lower bound clipped at 0."""
    mean, low, high, n = interval
    return mean, max(low, 0.0) if np.isfinite(low) else low, high, n


def interval_cell(interval: tuple) -> str:
    """(mean, low, high, n) as table text, mean [low, high]; -- without an interval."""
    return f"${fmt_interval(*interval[:3])}$" if np.isfinite(interval[1]) else "--"


def stacked_cell(interval: tuple) -> str:
    """`interval_cell` with the interval set under the mean (a two-line cell)."""
    return stacked_interval(*interval[:3]) if np.isfinite(interval[1]) else "--"


def benign_cost_table(runs: dict, utility: pd.DataFrame | None = None,
                      over_refusal: pd.DataFrame | None = None) -> str:
    """The benign cost of every method against the reference, one table per environment (E7, docs/experiments.md):
    the change in the refusal rate on benign prompts and in their mid-sequence recovery rate (Welch 95% intervals
    over seeds, method − reference), the KL to the reference along benign reference responses (nats per response, t
    interval), and on the chat model the change in NLL per token of human-written benign answers (``utility``) and
    in the refusal rate on benign-but-edgy questions (``over_refusal``, raw/over_refusal.csv.gz). Labels:
    tab:benign-cost-<env>."""
    from ..real.over_refusal import refusal_rates

    deltas = utility_deltas(utility) if utility is not None else None
    edgy = refusal_rates(over_refusal) if over_refusal is not None else None
    tables = []
    for env, table in runs.items():
        # The chat model's six columns fit the text width with each interval set under its mean.
        cell = stacked_cell if env == "real" else interval_cell
        base, rows = table[table.method == "base"], []
        for method in [m for m in dict.fromkeys(table.method) if m != "base"]:
            part = table[table.method == method]
            row = {"method": method_cell(method, env),
                   "refusal": cell(welch_difference(part.benign_refusal_rate, base.benign_refusal_rate)),
                   "recovery": cell(welch_difference(part.benign_recovery_rate, base.benign_recovery_rate)),
                   "KL": cell(nonnegative(t_interval(part.benign_kl)))}
            if env == "real" and deltas is not None:
                row["NLL"] = cell(t_interval(deltas[deltas.method == method].delta))
            if env == "real" and edgy is not None:
                row["edgy"] = cell(welch_difference(edgy[edgy.method == method].edgy_refusal_rate,
                                                    edgy[edgy.method == "base"].edgy_refusal_rate))
            rows.append(row)
        frame = pd.DataFrame(rows)
        extra = (r"; the change in negative log-likelihood per token of human-written answers to benign questions "
                 r"(GSM8K; NLL) and in the refusal rate on benign-but-edgy questions (edgy)" if env == "real" else "")
        label = f"tab:benign-cost-{env}"
        tables.append(booktabs_table(
            frame, caption=rf"Benign cost against the reference on the {ENVIRONMENTS[env]} (E7): the change in the "
            r"refusal rate on benign prompts (refusal) and in their mid-sequence recovery rate (recovery; Welch 95\% "
            r"intervals over seeds), the KL to the reference along benign reference responses (nats per response)"
            + extra
            + ".", label=label, column_format=METHOD_COLUMN + "r" * (frame.shape[1] - 1), size="small",
            tabcolsep_pt=4))
    return "\n".join(tables)


# -- E7: a learned harm model in place of h ---------------------------------------------------------------------------
def reward_model_tables(information: dict, fits: list[dict], harm_information: pd.DataFrame,
                        epsilon: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reward_model.csv, reward_model_fit.csv) of one environment.

    The first: per proxy and block (t_start, t_end], the reference's I_t under r̂ (``harm_information_rm`` and its
    95% interval) beside I_t under h on the same block (``harm_information_h``). The second: per proxy, its view and
    flip rate, its held-out fit (methods.reward_model.fit_diagnostics), the total I under each and each ε-horizon.
    """
    from ..horizon import epsilon_horizon

    h = harm_information.rename(columns={"harm_information": "harm_information_h", "ci_low": "ci_low_h",
                                         "ci_high": "ci_high_h"})
    keep = ["t_start", "t_end", "t", "harm_information_h", "ci_low_h", "ci_high_h"] + (["exact"] if "exact" in h else [])
    h = h[keep].rename(columns={"exact": "harm_information_h_exact"})
    by_name = {fit["proxy"]: fit for fit in fits}
    tables, summary = [], []
    for name, table in information.items():
        fit = by_name[name]
        rm = table.rename(columns={"harm_information": "harm_information_rm", "ci_low": "ci_low_rm", "ci_high": "ci_high_rm"})
        merged = rm[["t_start", "t_end", "harm_information_rm", "ci_low_rm", "ci_high_rm", "n"]].merge(
            h, on=["t_start", "t_end"], how="inner")
        merged.insert(0, "noise", fit["noise"])
        merged.insert(0, "view", fit["view"])
        merged.insert(0, "proxy", name)
        tables.append(merged)
        summary.append({**fit, "total_information_rm": float(merged.harm_information_rm.clip(lower=0).sum()),
                        "total_information_h": float(merged.harm_information_h.clip(lower=0).sum()),
                        "horizon_rm": epsilon_horizon(merged.t_end, merged.harm_information_rm, epsilon),
                        "horizon_h": epsilon_horizon(merged.t_end, merged.harm_information_h, epsilon)})
    columns = ["proxy", "view", "noise", "t_start", "t_end", "t", "harm_information_rm", "ci_low_rm", "ci_high_rm",
               "harm_information_h", "ci_low_h", "ci_high_h", "n"]
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=columns)
    extra = [c for c in table.columns if c not in columns]
    return table[columns + extra], pd.DataFrame(summary)


def proxy_methods(methods: dict, comparators: list[str]) -> list[str]:
    """The comparators (RLHF against h: the section's, then its replication's where it was run) and every method
    aligned against a learned harm model."""
    shown = comparators[:1] + [name for name in comparators[1:] if name in methods]
    return shown + [name for name, spec in methods.items() if spec.get("reward_model")]


@print_figure
def reward_model_figure(tables: dict, kl: dict, methods: dict, comparators: list[str]) -> plt.Figure:
    """Per environment: left, the reference's I_t per token under h and under each learned harm model r̂ (95% bands
    of the Monte Carlo); right, KL_t (mean over seeds, 95% band; collapsed seeds included) of RLHF against h and
    against each r̂, each r̂ in the colour of its (first) run. Each panel's legend below it."""
    envs = list(tables)
    if not envs:
        fig, ax = plt.subplots(figsize=figure_size(1.0, 1.0))
        ax.text(0.5, 0.5, "no learned harm model in this configuration", ha="center", va="center")
        ax.set_axis_off()
        return fig
    fig, axes = plt.subplots(len(envs), 2, figsize=figure_size(1.0, 3.2 * len(envs)), squeeze=False)
    for (left, right), env in zip(axes, envs):
        table = tables[env]
        width = (table.t_end - table.t_start).clip(lower=1)
        h = table.drop_duplicates(["t_start", "t_end"])
        h_width = (h.t_end - h.t_start).clip(lower=1)
        left.plot(h.t_end, h.harm_information_h / h_width, color="0.2", marker="o", markersize=2.5, label="$h$ (judge)")
        left.fill_between(h.t_end, h.ci_low_h / h_width, h.ci_high_h / h_width, color="0.2", alpha=0.15, linewidth=0)
        names = proxy_methods(methods[env], comparators)
        # Each r̂ in the colour of the first run aligned against it (right panel).
        colour_of = {}
        for name in names:
            colour_of.setdefault(methods[env].get(name, {}).get("reward_model"), method_colour(name))
        for name, part in table.groupby("proxy", sort=False):
            colour = colour_of.get(name, "0.5")
            w = width[part.index]
            left.plot(part.t_end, part.harm_information_rm / w, color=colour, marker="o", markersize=2.5,
                      label=rf"$\hat r$ ({name.removeprefix('rm_').replace('_', ' ')})")
            left.fill_between(part.t_end, part.ci_low_rm / w, part.ci_high_rm / w, color=colour, alpha=0.15,
                              linewidth=0)
        left.set(xlabel="response position $t$", ylabel="$I_t$ per token",
                 title=f"{ENVIRONMENTS[env]}: harm information")
        left.set_yscale("symlog", linthresh=1e-3)
        left.set_ylim(0, None)
        left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
        part = kl[env][kl[env].method.isin(names)]
        method_lineplot(part, "t", "kl", right, env=env, errorbar=seed_band(part))
        right.set(xlabel="response position $t$", ylabel=r"KL$_t$ (nats)", title=f"{ENVIRONMENTS[env]}: KL by position",
                  yscale="log")
        right.legend(handles=method_handles(part.method.unique(), env), loc="upper center", bbox_to_anchor=(0.5, -0.22),
                     ncol=2)
    return fig


def over_refusal_numbers(table: pd.DataFrame, verdicts: pd.DataFrame, methods: dict) -> dict[str, str]:
    """Macros of a chat model's over-refusal: the reference's refusal rate on the benign-but-edgy questions (t-interval
    over seeds, clipped to [0, 1]), the questions and responses per run, the count of confirmed rows, and each judged
    method's difference and verdict (`caveat_verdicts`)."""
    from ..real.over_refusal import refusal_rates

    prefix = "CaveatsReal"
    rates = refusal_rates(table)
    mean, low, high, _ = t_interval(rates[rates.method == "base"].edgy_refusal_rate)
    rows = verdicts[verdicts.metric == "edgy_refusal_rate difference"]
    numbers = {f"{prefix}BaseEdgyRefusal": fmt_interval(mean, max(low, 0.0), min(high, 1.0)) if np.isfinite(low)
               else fmt(mean, 2),
               f"{prefix}EdgyQuestions": fmt(int(table.prompt_id.nunique())),
               f"{prefix}EdgyResponses": fmt(int(rates.n.iloc[0])) if len(rates) else r"\text{n/a}",
               f"{prefix}EdgyConfirmed": fmt(int((rows.verdict == "confirmed").sum())),
               f"{prefix}EdgyRows": fmt(len(rows))}
    words = macro_words(list(methods))
    for r in rows.itertuples():
        numbers[f"{prefix}{words[r.method]}EdgyRefusalDifference"] = verdict_interval(r)
        numbers[f"{prefix}{words[r.method]}EdgyRefusalVerdict"] = rf"\text{{{r.verdict}}}"
    return numbers


def reward_model_numbers(env: str, fit: pd.DataFrame, verdicts: pd.DataFrame, runs: pd.DataFrame, methods: dict,
                         comparators: list[str]) -> dict[str, str]:
    """Macros of one environment's learned harm models: per proxy its view, flip rate, held-out correlation with h,
    total information and ε-horizon under r̂ against h's; per method aligned against one its E7 verdict and the
    difference it rests on; and, beside the comparator's, its true harm rate and benign KL (t-intervals over seeds),
    its seed count and how many of them the collapse rule flags."""
    prefix = "RewardModel" + env.capitalize()
    numbers = {}
    words = macro_words(list(fit.proxy) + proxy_methods(methods, comparators))
    for r in fit.itertuples():
        word = prefix + words[r.proxy]
        numbers |= {f"{word}View": fmt(int(r.view)) if pd.notna(r.view) else r"\text{all}", f"{word}Noise": fmt(r.noise),
                    f"{word}Correlation": fmt(r.correlation_with_h, 2), f"{word}TotalRm": fmt(r.total_information_rm, 3),
                    f"{word}TotalH": fmt(r.total_information_h, 3), f"{word}HorizonRm": fmt(r.horizon_rm),
                    f"{word}HorizonH": fmt(r.horizon_h)}
    rows = verdicts[verdicts.prediction.str.startswith("E7 (learned")]
    for r in rows.itertuples():
        name = r.method.split(" - ")[0]
        fraction = matched_fraction(r.metric)
        # A row read at matched harm (post hoc): ...Matched<percent>Difference, e.g. MatchedTwentyFiveDifference.
        word = prefix + words[name] + ("" if fraction is None else "Matched" + macro_word(str(round(100 * fraction))))
        numbers[f"{word}Difference"] = verdict_interval(r)
        numbers[f"{word}Verdict"] = rf"\text{{{r.verdict}}}"
    for name in proxy_methods(methods, comparators):
        part = runs[runs.method == name]
        mean, low, high, _ = t_interval(part.harm_rate)
        numbers[f"{prefix}{words[name]}HarmRate"] = (fmt_interval(mean, max(low, 0.0), min(high, 1.0))
                                                     if np.isfinite(low) else r"\text{n/a}")
        mean, low, high, _ = nonnegative(t_interval(part.benign_kl))
        numbers[f"{prefix}{words[name]}BenignKl"] = fmt_interval(mean, low, high) if np.isfinite(low) else r"\text{n/a}"
        numbers[f"{prefix}{words[name]}Seeds"] = fmt(len(part))
        numbers[f"{prefix}{words[name]}Collapsed"] = fmt(int(part.collapsed.astype(bool).sum()) if "collapsed" in part else 0)
    return numbers


def matched_fraction(metric: str) -> float | None:
    """The harm fraction of a learned-harm-model verdict read at matched harm (`matched_reward_model_rows`), None for
    one read at the final checkpoint."""
    found = re.search(r"at harm fraction ([0-9.eE+-]+)", metric)
    return float(found.group(1)) if found else None


def reward_model_table(verdicts: dict, fits: dict, methods: dict) -> str:
    """Per method aligned against a learned harm model, both environments, a heading with the proxy's view, flip rate
    and ε-horizon against h's, then its rows: the registered statistic (difference from RLHF against h) at the final
    checkpoint and at matched harm, each with its verdict."""
    groups = {}
    for env, table in verdicts.items():
        fit = fits[env].set_index("proxy")
        for r in table[table.prediction.str.startswith("E7 (learned")].itertuples():
            name = r.method.split(" - ")[0]
            proxy = fit.loc[methods[env][name]["reward_model"]]
            early, fraction = pd.notna(proxy.view), matched_fraction(r.metric)
            share = r"KL share at $t\le k$" if early and fraction is None else r"KL share past $t_\varepsilon$"
            reading = "final checkpoint" if fraction is None else rf"matched harm, ${fmt(fraction)}\times$ reference$^\dagger$"
            view = rf"view $k={fmt(int(proxy.view))}$" if early else "whole view"
            heading = (rf"{ENVIRONMENTS[env][0].upper() + ENVIRONMENTS[env][1:]}, {method_cell(name, env)}: {view}, "
                       rf"$\rho={fmt(proxy.noise)}$, $t_\varepsilon$ ${fmt(proxy.horizon_rm)}$ under $\hat r$ and "
                       rf"${fmt(proxy.horizon_h)}$ under $h$")
            groups.setdefault(heading, []).append([share, reading, verdict_cell(r._asdict())])
    return grouped_table(list(groups.items()), ["statistic", "read at", "difference from RLHF on $h$"],
                         caption=r"RLHF against a learned harm model $\hat r$ (E7, \S\ref{sec:caveats}): per run, the "
                         r"proxy's view $k$ (response tokens it reads), label flip rate $\rho$ and the reference's "
                         r"$\varepsilon$-horizon under $\hat r$ and under $h$; then the registered statistic as a difference "
                         r"from RLHF against $h$ (Welch 95\% interval over seeds) with its verdict. $^\dagger$: read at "
                         r"matched harm (a fraction of the reference's harm rate, \S\ref{sec:synthetic}), registered after "
                         r"the runs (post hoc), except for the replication runs (fresh seeds, registered before them, against "
                         r"RLHF on $h$ on the same seeds).", label="tab:reward-model", column_format="llr")
