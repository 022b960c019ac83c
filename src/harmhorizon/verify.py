"""`make verify`: rerun the DAG in a scratch directory and compare every committed result with the fresh one.

The reference of a config is a committed folder: ``results/`` for ``config/config.yaml`` (the paper) and
``results/reference-<name>/`` for ``config/<name>.yaml`` (``results/reference-test/`` for the test config,
refreshed with ``--update-reference``). The fresh run asks Snakemake for the target rule ``result_data``
(every CSV/JSON result) plus every committed file, in ``--scratch``. Tolerances live in one file,
``config/verify_tolerances.yaml``. The verdict table has one row per (file, metric): for a CSV a column
(the row where it is worst), for a JSON a dotted key. Exit status 1 on any FAIL, MISSING or NEW.

    python -m harmhorizon.verify                                # test config vs results/reference-test/
    python -m harmhorizon.verify --config config/config.yaml    # the paper vs results/
    python -m harmhorizon.verify --emulate-cpu avx2             # as if on a CPU without AVX-512
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .repository import default_repository, find_repository

# Defaults for the library functions and the tests; `main` takes `--repo`.
REPO = default_repository()
TOLERANCES_FILE = "config/verify_tolerances.yaml"  # inside the repository; named in error messages
TOLERANCES = REPO / TOLERANCES_FILE if REPO else None
DATA_SUFFIXES = (".csv", ".json")
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
TIMES_TEN = re.compile(r"([-+]?(?:\d+\.?\d*|\.\d+))\\times\s*10\^\{([-+]?\d+)\}")


# --- tolerances -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tolerance:
    """What a fresh value may differ from the committed one (docs/architecture.md, "Verification").

    allowed = abs + rel·|committed| + |committed|·floor/|row[relative_to]| + spread_factor·sd_seeds,
    where the third term is the float64 conditioning of a quotient (its relative error grows as the
    column ``relative_to`` that it divides by or is proportional to shrinks towards ``floor``), and the
    fourth is the committed spread over seeds: the standard deviation over the rows that share the
    ``spread`` columns (the seeds of one method at one position), or, for a row that summarises seeds,
    the half-width of its committed interval ``width`` = [low, high]. With
    ``interval`` the fresh value must lie inside the committed row's [low, high] interval, widened
    about the committed value by ``factor``.
    """

    abs: float = 0.0
    rel: float = 0.0
    interval: tuple[str, str] | None = None
    factor: float = 1.0
    relative_to: str | None = None
    floor: float = 0.0
    spread: tuple[str, ...] | None = None
    width: tuple[str, str] | None = None
    spread_factor: float = 0.0
    macro_interval: bool = False

    def describe(self) -> str:
        if self.interval:
            widened = f" x{self.factor:g}" if self.factor != 1 else ""
            return f"in committed [{self.interval[0]}, {self.interval[1]}]{widened}"
        parts = [f"abs {self.abs:g} + rel {self.rel:g}"]
        if self.relative_to:
            parts.append(f"{self.floor:g}/|{self.relative_to}|")
        if self.spread:
            parts.append(f"{self.spread_factor:g} seed sd")
        if self.width:
            parts.append(f"{self.spread_factor:g} half-width")
        return " + ".join(parts)

    def passes(self, committed: float, fresh: float) -> bool:
        if math.isnan(committed) or math.isnan(fresh):
            return math.isnan(committed) and math.isnan(fresh)
        if math.isinf(committed) or math.isinf(fresh):
            return committed == fresh
        return abs(fresh - committed) <= self.abs + self.rel * abs(committed)


TOLERANCE_KEYS = {"abs", "rel", "interval", "factor", "relative_to", "floor", "spread", "width", "spread_factor",
                  "macro_interval"}


def _tolerance(spec: dict) -> Tolerance:
    unknown = set(spec) - TOLERANCE_KEYS
    if unknown:
        raise ValueError(f"{TOLERANCES_FILE}: unknown tolerance keys {sorted(unknown)}; use {sorted(TOLERANCE_KEYS)}")
    interval = tuple(spec["interval"]) if "interval" in spec else None
    spread = tuple(spec["spread"]) if "spread" in spec else None
    width = tuple(spec["width"]) if "width" in spec else None
    return Tolerance(abs=float(spec.get("abs", 0.0)), rel=float(spec.get("rel", 0.0)), interval=interval,
                     factor=float(spec.get("factor", 1.0)), relative_to=spec.get("relative_to"),
                     floor=float(spec.get("floor", 0.0)), spread=spread, width=width,
                     spread_factor=float(spec.get("spread_factor", 0.0)),
                     macro_interval=bool(spec.get("macro_interval", False)))


@dataclass
class Tolerances:
    """The parsed tolerances file: exclusions, ordered rules (first match wins) and the files whose rows of
    collapsed runs are listed but not judged (``collapsed``: patterns ``runs`` keyed by (method, seed) through
    the folder's runs.csv, ``points`` flagged by their own ``collapsed`` column), with the registered collapse
    maxima of config/predictions.yaml (section frontier) beside the tolerances file."""

    exclude: list[dict]
    rules: list[dict]
    collapsed: dict | None = None
    collapse_maxima: dict | None = None

    @classmethod
    def load(cls, path=TOLERANCES) -> "Tolerances":
        spec = yaml.safe_load(Path(path).read_text())
        collapsed, maxima = spec.get("collapsed"), None
        if collapsed:
            predictions = Path(path).with_name("predictions.yaml")
            if not predictions.exists():
                raise ValueError(f"{TOLERANCES_FILE}: section collapsed reads the collapse rule of {predictions}, "
                                 "which does not exist; restore it or remove the section")
            rule = yaml.safe_load(predictions.read_text())["frontier"]
            maxima = {"benign_kl": float(rule["benign_kl_max"]), "total_kl": float(rule["harmful_kl_max"])}
        return cls(exclude=spec.get("exclude", []), rules=spec["rules"], collapsed=collapsed, collapse_maxima=maxima)

    def collapse_kind(self, relative: str) -> str | None:
        """'runs', 'points' or None: how rows of collapsed runs are found in this file."""
        for kind in ("runs", "points"):
            if any(fnmatch.fnmatchcase(relative, pattern) for pattern in (self.collapsed or {}).get(kind, [])):
                return kind
        return None

    def excluded(self, relative: str) -> str | None:
        """The reason a reference path is not compared, or None."""
        for entry in self.exclude:
            if fnmatch.fnmatchcase(relative, entry["pattern"]):
                return entry["reason"]
        return None

    def for_file(self, relative: str):
        """(default Tolerance, {column pattern: Tolerance}) of the first rule matching the path."""
        for rule in self.rules:
            if fnmatch.fnmatchcase(relative, rule["pattern"]):
                columns = {pattern: _tolerance(spec) for pattern, spec in (rule.get("columns") or {}).items()}
                return _tolerance(rule.get("default", {})), columns
        return Tolerance(), {}


def column_tolerance(default: Tolerance, columns: dict, name: str) -> Tolerance:
    for pattern, tolerance in columns.items():
        if fnmatch.fnmatchcase(name, pattern):
            return tolerance
    return default


# --- comparisons ------------------------------------------------------------------------------------


def row(file, metric, committed, fresh, tolerance, verdict, note="") -> dict:
    return {
        "file": file,
        "metric": metric,
        "committed": committed,
        "fresh": fresh,
        "tolerance": tolerance,
        "verdict": verdict,
        "note": note,
    }


def last_digit(number: str) -> float:
    """One unit in the last printed digit of a rounded real's text (0.01 for '6.16', 1e-7 for '1.3e-6');
    0 for a number printed without a decimal point, which may be a count and is compared as it is."""
    mantissa, _, exponent = number.lower().partition("e")
    if "." not in mantissa:
        return 0.0
    return 10.0 ** (int(exponent or 0) - len(mantissa.split(".")[1]))


def latex_numbers(text: str) -> tuple[str, list[float], list[float]] | None:
    """A macro text split into its shape (numbers replaced by #), its numbers and the unit of each number's
    last printed digit; m\\times 10^{e} is one number (printed as m, so its unit is m's scaled by 10^e)."""
    text = TIMES_TEN.sub(lambda m: f"{m.group(1)}e{m.group(2)}", text)
    tokens = NUMBER.findall(text)
    if not tokens:
        return None
    return NUMBER.sub("#", text), [float(v) for v in tokens], [last_digit(v) for v in tokens]


INTERVAL_SHAPE = "#\\,[#, #]"  # a mean over seeds and its 95% interval, as the paper prints them


def interval_macro_passes(committed, fresh) -> bool:
    """The summary rule for a printed mean [low, high]: the fresh mean inside the committed interval, each
    end within two committed half-widths, each up to one unit of its last printed digit (rounding)."""
    (mean, low, high), units = committed[1], committed[2]
    new_mean, new_low, new_high = fresh[1]
    half = (high - low) / 2
    return (low - units[1] <= new_mean <= high + units[2] and abs(new_low - low) <= 2 * half + units[1]
            and abs(new_high - high) <= 2 * half + units[2])


def compare_values(committed, fresh, tolerance: Tolerance) -> tuple[bool, float]:
    """(passes, discrepancy) for two JSON leaves: numbers, LaTeX macro texts, or other strings."""
    if isinstance(committed, bool) or isinstance(fresh, bool) or committed is None or fresh is None:
        return committed == fresh, 0.0 if committed == fresh else math.inf
    if isinstance(committed, (int, float)) and isinstance(fresh, (int, float)):
        ok = tolerance.passes(float(committed), float(fresh))
        return ok, abs(float(fresh) - float(committed)) if not (math.isnan(committed) or math.isnan(fresh)) else 0.0
    if isinstance(committed, str) and isinstance(fresh, str):
        if committed == fresh:
            return True, 0.0
        a, b = latex_numbers(committed), latex_numbers(fresh)
        if a is None or b is None or a[0] != b[0] or len(a[1]) != len(b[1]):
            return False, math.inf
        if tolerance.macro_interval and a[0] == INTERVAL_SHAPE:
            return interval_macro_passes(a, b), max(abs(x - y) for x, y in zip(a[1], b[1]))
        # A printed real is rounded: the smallest change can flip its last digit, so adjacent printed values
        # are consistent with any tolerance; a change of more than one unit must pass the tolerance itself.
        ok = all(tolerance.passes(x, y) or abs(x - y) <= 1.000001 * unit for x, y, unit in zip(a[1], b[1], a[2]))
        return ok, max(abs(x - y) for x, y in zip(a[1], b[1]))
    return committed == fresh, 0.0 if committed == fresh else math.inf


def flatten(payload, prefix: str = "") -> dict:
    """A JSON document as {dotted key: leaf}; list items are keyed by their index."""
    if isinstance(payload, dict):
        items = payload.items()
    elif isinstance(payload, list):
        items = enumerate(payload)
    else:
        return {prefix: payload}
    out = {}
    for key, value in items:
        out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def compare_json(name: str, committed_path: Path, fresh_path: Path, default: Tolerance, columns: dict) -> list[dict]:
    committed = flatten(json.loads(committed_path.read_text()))
    fresh = flatten(json.loads(fresh_path.read_text()))
    rows = []
    for key in sorted(set(committed) | set(fresh)):
        if key not in fresh or key not in committed:
            where = "fresh run" if key not in fresh else "committed file"
            rows.append(row(name, key, committed.get(key), fresh.get(key), "", "FAIL", f"key missing from the {where}"))
            continue
        tolerance = column_tolerance(default, columns, key)
        ok, _ = compare_values(committed[key], fresh[key], tolerance)
        rows.append(row(name, key, committed[key], fresh[key], tolerance.describe(), "ok" if ok else "FAIL"))
    return rows


def seed_spread(frame: pd.DataFrame, column: str, within: tuple[str, ...] | None = None,
                width: tuple[str, str] | None = None):
    """Per row, the committed spread over seeds: the standard deviation of ``column`` over the rows that share
    the ``within`` columns (NaN for a group of one row), or half the row's interval ``width`` = (low, high);
    None when neither is given."""
    if not pd.api.types.is_numeric_dtype(frame[column]):
        return None
    if width:
        low, high = (frame[c].astype(float).to_numpy() for c in width)
        return (high - low) / 2
    if not within:
        return None
    missing = [c for c in within if c not in frame.columns]
    if missing:
        raise ValueError(f"{TOLERANCES_FILE}: spread columns {missing} are not in the file (columns: {list(frame.columns)})")
    return frame.groupby(list(within), dropna=False)[column].transform("std").to_numpy(dtype=float)


def exact(tolerance: Tolerance) -> bool:
    """A tolerance of zero (a discrete outcome: steps, set sizes, counts), which collapse does not excuse."""
    return (tolerance.abs == 0 and tolerance.rel == 0 and not tolerance.interval and not tolerance.spread
            and not tolerance.width and not tolerance.relative_to)


def collapsed_verdict(name, column, a, b, tolerance, bad, exempt) -> dict | None:
    """The verdict row of a column whose only differences lie in rows of collapsed runs: COLLAPSED (listed, not
    judged); None where a difference lies elsewhere, or the column is exact."""
    if exempt is None or exact(tolerance) or not bad.any() or (bad & ~exempt).any():
        return None
    worst = int(bad.argmax())
    return row(name, column, a.iloc[worst], b.iloc[worst], tolerance.describe(), "COLLAPSED",
               f"{int(bad.sum())} of {len(a)} rows differ, all of collapsed runs (not judged)")


def compare_csv(name: str, committed_path: Path, fresh_path: Path, default: Tolerance, columns: dict,
                exempt_rows=None) -> list[dict]:
    """Row-by-row (the DAG writes rows in a fixed order); one verdict row per column, at its worst row.
    ``exempt_rows(committed, fresh)`` marks the rows of collapsed runs (see ``collapsed_rows``)."""
    committed, fresh = pd.read_csv(committed_path), pd.read_csv(fresh_path)
    if list(committed.columns) != list(fresh.columns) or len(committed) != len(fresh):
        return [
            row(name, "shape", f"{len(committed)}x{list(committed.columns)}", f"{len(fresh)}x{list(fresh.columns)}",
                "same columns and rows", "FAIL", "columns or number of rows differ")
        ]  # fmt: skip
    if committed.empty:  # same columns, no rows on either side: nothing to compare value by value
        return [row(name, "shape", f"0x{list(committed.columns)}", f"0x{list(fresh.columns)}", "same columns and rows",
                    "ok", "no rows")]
    exempt = exempt_rows(committed, fresh) if exempt_rows is not None else None
    rows = []
    for column in committed.columns:
        tolerance = column_tolerance(default, columns, column)
        a, b = committed[column], fresh[column]
        numeric = pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b)
        if tolerance.interval is not None:
            low, high = (committed[c].astype(float) for c in tolerance.interval)
            centre, values = a.astype(float), b.astype(float)
            low, high = centre - tolerance.factor * (centre - low), centre + tolerance.factor * (high - centre)
            # A row without a committed interval (one seed) falls back to the file's default tolerance.
            bounded = low.notna() & high.notna()
            both_nan = centre.isna() & values.isna()
            allowed = default.abs + default.rel * centre.abs()
            outside = ((values < low) | (values > high)) & bounded
            outside |= ~bounded & ~both_nan & ~((values - centre).abs() <= allowed)
            excused = collapsed_verdict(name, column, a, b, tolerance, outside.to_numpy(), exempt)
            if excused:
                rows.append(excused)
                continue
            worst = int(outside.values.argmax()) if outside.any() else int((values - centre).abs().values.argmax())
            rows.append(row(name, column, a.iloc[worst], b.iloc[worst], tolerance.describe(),
                            "FAIL" if outside.any() else "ok", f"{int(outside.sum())} of {len(a)} rows outside"))  # fmt: skip
            continue
        if numeric:
            x, y = a.astype(float).to_numpy(), b.astype(float).to_numpy()
            both_nan = pd.isna(x) & pd.isna(y)
            error = abs(y - x)
            allowed = tolerance.abs + tolerance.rel * abs(x)
            if tolerance.relative_to:
                scale = committed[tolerance.relative_to].astype(float).abs().to_numpy()
                allowed = allowed + np.where(scale > 0, abs(x) * tolerance.floor / np.where(scale > 0, scale, 1.0), 0.0)
            sd = seed_spread(committed, column, tolerance.spread, tolerance.width)
            if sd is not None:
                allowed = allowed + tolerance.spread_factor * np.nan_to_num(sd, nan=0.0)
            bad = ~both_nan & ~(error <= allowed) & ~((x == y))
            excused = collapsed_verdict(name, column, a, b, tolerance, bad, exempt)
            if excused:
                rows.append(excused)
                continue
            excess = pd.Series(error - allowed).fillna(math.inf).where(~both_nan, -math.inf)
            worst = int(excess.values.argmax())
            note = f"{int(bad.sum())} of {len(a)} rows differ" if bad.any() else ""
            if bad.any() and sd is not None and sd[worst] > 0:
                note += f"; worst by {error[worst] / sd[worst]:.2g} seed sd"
            rows.append(row(name, column, a.iloc[worst], b.iloc[worst], tolerance.describe(),
                            "FAIL" if bad.any() else "ok", note))  # fmt: skip
        else:
            # Missing on both sides is agreement (pandas keeps NaN through astype(str), and NaN != NaN).
            different = ((a.astype(str) != b.astype(str)) & ~(a.isna() & b.isna())).to_numpy()
            # A point's own collapse flag is a threshold on a chaotic quantity: where it flips, it is listed.
            excused = collapsed_verdict(name, column, a, b, Tolerance(rel=1.0), different, exempt) \
                if column == "collapsed" else None
            if excused:
                rows.append(excused)
                continue
            worst = int(different.argmax())
            rows.append(row(name, column, a.iloc[worst], b.iloc[worst], "equal", "FAIL" if different.any() else "ok",
                            f"{int(different.sum())} of {len(a)} rows differ" if different.any() else ""))  # fmt: skip
    return rows


def data_files(folder: Path, tolerances: Tolerances) -> dict[str, Path]:
    """{path inside folder: path} of every CSV/JSON under folder that is not excluded."""
    if not folder.exists():
        return {}
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and path.suffix in DATA_SUFFIXES and tolerances.excluded(relative) is None:
            found[relative] = path
    return found


def collapsed_runs(runs: Path, maxima: dict) -> set:
    """(method, seed) of the runs whose final model the registered collapse rule flags (runs.csv: benign_kl or
    total_kl above its maximum)."""
    if not runs.exists():
        return set()
    frame = pd.read_csv(runs)
    if not {"method", "seed", *maxima} <= set(frame.columns):
        return set()
    flagged = np.zeros(len(frame), dtype=bool)
    for column, maximum in maxima.items():
        flagged |= (frame[column].astype(float) > maximum).to_numpy()
    return set(zip(frame.method[flagged], frame.seed[flagged]))


def collapsed_rows(kind: str, reference: Path, fresh: Path, relative: str, maxima: dict):
    """The ``exempt_rows`` of compare_csv: rows of a run collapsed in the committed or the fresh results
    (``runs``), or points flagged collapsed on either side (``points``)."""
    def runs_of(committed: pd.DataFrame, fresh_frame: pd.DataFrame) -> np.ndarray:
        if not {"method", "seed"} <= set(committed.columns):
            return np.zeros(len(committed), dtype=bool)
        folder = Path(relative).parent
        flagged = collapsed_runs(reference / folder / "runs.csv", maxima) | collapsed_runs(fresh / folder / "runs.csv", maxima)
        return np.array([key in flagged for key in zip(committed.method, committed.seed)], dtype=bool)

    def points(committed: pd.DataFrame, fresh_frame: pd.DataFrame) -> np.ndarray:
        if "collapsed" not in committed.columns:
            return np.zeros(len(committed), dtype=bool)
        flag = lambda column: column.astype(str).str.lower().eq("true").to_numpy()  # noqa: E731
        return flag(committed.collapsed) | flag(fresh_frame.collapsed)

    return runs_of if kind == "runs" else points


def compare_folders(reference: Path, fresh: Path, tolerances: Tolerances) -> pd.DataFrame:
    """The verdict table of a committed reference folder against a fresh results folder."""
    committed_files, fresh_files = data_files(reference, tolerances), data_files(fresh, tolerances)
    rows = []
    for relative in sorted(set(committed_files) | set(fresh_files)):
        if relative not in fresh_files:
            rows.append(row(relative, "(file)", "present", "absent", "", "MISSING", "the fresh run did not make it"))
            continue
        if relative not in committed_files:
            rows.append(row(relative, "(file)", "absent", "present", "", "NEW", "not in the reference: commit it"))
            continue
        default, columns = tolerances.for_file(relative)
        if relative.endswith(".csv"):
            kind = tolerances.collapse_kind(relative)
            exempt = collapsed_rows(kind, reference, fresh, relative, tolerances.collapse_maxima) if kind else None
            rows.extend(compare_csv(relative, committed_files[relative], fresh_files[relative], default, columns, exempt))
        else:
            rows.extend(compare_json(relative, committed_files[relative], fresh_files[relative], default, columns))
    return pd.DataFrame(rows, columns=["file", "metric", "committed", "fresh", "tolerance", "verdict", "note"])


# The columns that name a verdict row in any verdicts.csv (the rest are its statistics): one row per key.
VERDICT_KEYS = ("environment", "policy", "gradient", "beta", "lambda", "harm_fraction", "prediction", "method", "metric")


def verdict_agreement(reference: Path, fresh: Path, tolerances: Tolerances) -> pd.DataFrame:
    """One row per committed verdict (every ``verdicts.csv``): prediction, method, committed and fresh verdict."""
    rows = []
    for relative, path in data_files(reference, tolerances).items():
        if not relative.endswith("verdicts.csv"):
            continue
        committed = pd.read_csv(path)
        other = fresh / relative
        fresh_verdicts = pd.read_csv(other) if other.exists() else committed.iloc[0:0]
        keys = [c for c in VERDICT_KEYS if c in committed.columns]
        joined = committed.merge(fresh_verdicts[keys + ["verdict"]], on=keys, how="left", suffixes=("", "_fresh"))
        for record in joined.to_dict("records"):
            # Where a file has no method column, the row is named by its other keys (e.g. the ablation's cells).
            method = record.get("method", " ".join(f"{k}={record[k]}" for k in keys if k not in ("prediction", "metric")))
            rows.append({"file": relative, "prediction": record["prediction"], "method": method,
                         "metric": record.get("metric", np.nan), "committed": record["verdict"],
                         "fresh": record["verdict_fresh"] if isinstance(record["verdict_fresh"], str) else "(absent)"})
    return pd.DataFrame(rows, columns=["file", "prediction", "method", "metric", "committed", "fresh"])


def read_paper_index(reference: Path) -> pd.DataFrame | None:
    """The committed table from each figure and table of the paper to the result files it reads (rule paper_index)."""
    path = reference / "reproducibility" / "paper_index.csv"
    return pd.read_csv(path, keep_default_na=False) if path.exists() else None


def shown_in(index: pd.DataFrame | None, relative: str) -> list[str]:
    """The figures and tables of the paper drawn from results/<relative>."""
    if index is None:
        return []
    return [f"{row.artefact} (rule {row.rule})" for row in index.itertuples(index=False)
            if f"results/{relative}" in row.data.split()]


def summary_lines(table: pd.DataFrame, verdicts: pd.DataFrame, index: pd.DataFrame | None = None) -> list[str]:
    """The reviewer's first screen: verdicts identical, numbers within tolerance, and what lies outside
    (with the figures and tables of the paper that show it, from the paper index)."""
    same = verdicts.committed == verdicts.fresh
    lines = [f"verdicts identical: {int(same.sum())} of {len(verdicts)}"]
    lines += [f"  CHANGED {r.file}: {r.prediction} [{r.method}] {r.committed} -> {r.fresh}"
              for r in verdicts[~same].itertuples(index=False)]
    ok = table.verdict == "ok"
    excused = table.verdict == "COLLAPSED"
    lines.append(f"numbers within tolerance: {int(ok.sum())} of {len(table)} compared values "
                 f"({table.file.nunique()} files)")
    if excused.any():
        lines.append(f"differences only in rows of collapsed runs (listed, not judged): {int(excused.sum())}")
    for r in table[~ok].itertuples(index=False):
        lines.append(f"  {r.verdict} {r.file} {r.metric}: committed {r.committed}, fresh {r.fresh}"
                     f" (tolerance {r.tolerance}{'; ' + r.note if r.note else ''})")
    for relative in sorted(set(table[~ok & ~excused].file)):
        lines += [f"  {relative} is shown in {artefact}" for artefact in shown_in(index, relative)]
    return lines


def failed(table: pd.DataFrame) -> bool:
    """Any verdict other than ok, or COLLAPSED (a difference confined to rows of collapsed runs)."""
    return bool((~table.verdict.isin(["ok", "COLLAPSED"])).any())


def format_table(table: pd.DataFrame, only_failures: bool = False, width: int = 28) -> str:
    shown = table[table.verdict != "ok"] if only_failures else table
    shown = shown.copy()
    for column in ("metric", "committed", "fresh"):
        shown[column] = shown[column].map(lambda v: (s if len(s := str(v)) <= width else s[: width - 1] + "…"))
    return shown.to_string(index=False)


# --- running the DAG --------------------------------------------------------------------------------


def reference_for(config: Path, repo: Path = REPO) -> Path:
    """results/ for the paper config, results/reference-<stem>/ for any other config."""
    config = config.resolve()
    if config == (repo / "config" / "config.yaml").resolve():
        return repo / "results"
    return repo / "results" / f"reference-{config.stem}"


def snakemake_executable() -> str:
    beside = Path(sys.executable).with_name("snakemake")
    return str(beside) if beside.exists() else (shutil.which("snakemake") or "snakemake")


# Another CPU on this one: the math libraries' vectorised code paths that a machine without AVX-512 (e.g. an
# AMD EPYC of the Zen 2/3 generations) or without AVX would take. Different paths sum in different orders,
# which is all that differs between two x86 CPUs running the same pinned wheels.
# MKL picks the BLAS kernels, ATen torch's own vectorised kernels, numpy's dispatcher its float64 exp/log.
EMULATED_CPUS = {
    "avx2": {"MKL_ENABLE_INSTRUCTIONS": "AVX2", "ATEN_CPU_CAPABILITY": "avx2",
             "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"},
    "sse": {"MKL_ENABLE_INSTRUCTIONS": "SSE4_2", "ATEN_CPU_CAPABILITY": "default",
            "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"},
}


def emulation_env(cpu: str | None) -> dict:
    """The environment of the fresh run: this process's, plus the code-path overrides of ``EMULATED_CPUS[cpu]``."""
    if cpu is None:
        return dict(os.environ)
    if cpu not in EMULATED_CPUS:
        raise ValueError(f"--emulate-cpu {cpu!r} is not known; use one of {sorted(EMULATED_CPUS)}")
    return {**os.environ, **EMULATED_CPUS[cpu]}


def run_dag(config: Path, scratch: Path, targets: list[str], cores: int, repo: Path = REPO,
            cpu: str | None = None) -> subprocess.CompletedProcess:
    command = [
        snakemake_executable(), *targets,
        "--snakefile", str(repo / "Snakefile"),
        "--directory", str(scratch),
        "--configfile", str(config),
        "--cores", str(cores),
    ]  # fmt: skip
    print("$ " + " ".join(command), flush=True)
    return subprocess.run(command, cwd=repo, text=True, capture_output=True, env=emulation_env(cpu))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Rerun the DAG and compare with the committed results.")
    parser.add_argument("--config", default="config/test.yaml", help="config file (default: the test config)")
    parser.add_argument("--reference", help="committed folder to compare with (default: see module doc)")
    parser.add_argument("--scratch", help="working directory of the fresh run (default: a temporary one)")
    parser.add_argument("--cores", default=str(os.cpu_count() or 1))
    parser.add_argument("--only", nargs="*", default=None, help="compare only these top folders (e.g. exact)")
    parser.add_argument("--no-run", action="store_true", help="compare an existing --scratch without running")
    parser.add_argument("--all", action="store_true", help="print every row, not only the failures")
    parser.add_argument("--update-reference", action="store_true", help="replace the reference with the fresh run")
    parser.add_argument("--tolerances", help="tolerances file (default: config/verify_tolerances.yaml of --repo)")
    parser.add_argument("--repo", help="the repository (default: the one holding the current directory)")
    parser.add_argument("--emulate-cpu", choices=sorted(EMULATED_CPUS),
                        help="run the DAG on the code paths of another CPU (avx2: no AVX-512; sse: no AVX)")
    args = parser.parse_args(argv)

    try:
        repo = find_repository(args.repo)
    except FileNotFoundError as error:
        print(f"verify: {error}", file=sys.stderr)
        return 2
    config = (repo / args.config).resolve() if not Path(args.config).is_absolute() else Path(args.config)
    if not config.exists():
        print(f"verify: config file {config} does not exist; pass --config config/<name>.yaml", file=sys.stderr)
        return 2
    reference = Path(args.reference).resolve() if args.reference else reference_for(config, repo)
    tolerances = Tolerances.load(args.tolerances or repo / TOLERANCES_FILE)
    if args.update_reference and reference == repo / "results":
        print("verify: results/ is the paper's output; rebuild it with `make paper`, not --update-reference", file=sys.stderr)
        return 2
    if not args.update_reference and not reference.exists():
        print(f"verify: no reference {reference}; create it with --update-reference", file=sys.stderr)
        return 2

    keep = args.scratch is not None or args.no_run
    scratch = Path(args.scratch).resolve() if args.scratch else Path(tempfile.mkdtemp(prefix="harmhorizon-verify-"))
    only = tuple(f"{folder.strip('/')}/" for folder in args.only) if args.only else None
    committed = {
        relative: path for relative, path in data_files(reference, tolerances).items() if not only or relative.startswith(only)
    }
    try:
        if not args.no_run:
            # The whole run asks for `result_data` (every result the DAG makes, whatever the reference holds, so that
            # a committed file the DAG no longer makes reads MISSING); --only asks for the folder's committed files.
            targets = [f"results/{relative}" for relative in committed] if only else ["result_data"]
            result = run_dag(config, scratch, targets, args.cores, repo, args.emulate_cpu)
            if result.returncode != 0:
                print(result.stdout[-3000:], result.stderr[-5000:], sep="\n", file=sys.stderr)
                print(f"verify: the fresh run failed (exit {result.returncode}); nothing compared", file=sys.stderr)
                return 1
        fresh_root = scratch / "results"
        if args.update_reference:
            if reference.exists():
                shutil.rmtree(reference)
            for relative, path in data_files(fresh_root, tolerances).items():
                (reference / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, reference / relative)
            print(f"verify: reference {reference.relative_to(repo)} rewritten from {config.relative_to(repo)}")
            return 0
        table = compare_folders(reference, fresh_root, tolerances)
        verdicts = verdict_agreement(reference, fresh_root, tolerances)
        if only:
            table = table[table.file.str.startswith(only)]
            verdicts = verdicts[verdicts.file.str.startswith(only)]
        out = scratch / "verify.csv"
        table.to_csv(out, index=False)
        keep = keep or failed(table)
        print("\n".join(summary_lines(table, verdicts, read_paper_index(reference))) + "\n")
        print(format_table(table, only_failures=not args.all and failed(table)) if len(table) else "(nothing compared)")
        counts = table.verdict.value_counts().to_dict()
        print(
            f"\nverify: {config.relative_to(repo) if config.is_relative_to(repo) else config} against "
            f"{reference.relative_to(repo) if reference.is_relative_to(repo) else reference}: "
            f"{table.file.nunique()} files, {len(table)} metrics, {counts}"
            + (f"; full table in {out}" if keep else "")
        )
        if len(table) == 0:
            print("verify: FAILED (no file compared)")
            return 1
        print("verify: FAILED" if failed(table) else "verify: passed")
        return 1 if failed(table) else 0
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
