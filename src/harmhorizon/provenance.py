"""Provenance of a results folder: code version, config, packages, seeds, device and wall time per rule.

`results/<folder>/provenance.json` is written by the `provenance` rule (workflow/rules/reviewer.smk)
after every file of the folder; the paper's reproducibility appendix is generated from it.

Which rules belong to a folder F (e.g. ``exact``, ``synthetic``, ``real/smollm2-135m``): a rule whose
output pattern lies under ``results/F/``, ``results/figures/F/`` or ``results/tables/F/``, or a rule
defined in ``workflow/rules/<first part of F>.smk`` (training rules write outside results/).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pandas as pd

PACKAGES = (
    "torch",
    "transformers",
    "trl",
    "peft",
    "accelerate",
    "datasets",
    "tokenizers",
    "numpy",
    "scipy",
    "pandas",
    "matplotlib",
    "seaborn",
    "snakemake",
)
RESULT_PREFIXES = ("results/{}/", "results/figures/{}/", "results/tables/{}/")
WILDCARD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?:,[^}]*)?\}")


# --- which rules make a results folder -------------------------------------------------------------


def _segment_regex(segment: str) -> re.Pattern:
    """A path segment of a Snakemake pattern as a regex whose groups are the wildcards in it."""
    parts, last = [], 0
    for match in WILDCARD.finditer(segment):
        parts.append(re.escape(segment[last : match.start()]))
        parts.append(f"(?P<{match.group(1)}>[^/]+)")
        last = match.end()
    parts.append(re.escape(segment[last:]))
    return re.compile("".join(parts))


def match_under(pattern: str, directory: str) -> dict | None:
    """Wildcard values if the output `pattern` lies strictly under `directory`, else None.

    >>> match_under("results/real/{model}/kl.csv", "results/real/tiny")
    {'model': 'tiny'}
    """
    pattern_parts = Path(pattern).parts
    dir_parts = Path(directory).parts
    if len(pattern_parts) <= len(dir_parts):
        return None
    values: dict = {}
    for segment, wanted in zip(pattern_parts, dir_parts):
        match = _segment_regex(segment).fullmatch(wanted)
        if match is None:
            return None
        values.update(match.groupdict())
    return values


def folder_rules(rules: list[dict], folder: str) -> dict[str, str]:
    """{rule name: benchmark glob} of the rules that make results folder `folder`.

    `rules` holds {"name", "snakefile", "outputs", "benchmark"} per rule. Wildcards that the folder
    fixes (e.g. {model} of results/real/{model}/) are filled in; other wildcards become `*`.
    """
    track = folder.split("/")[0]
    members, fixed = [], {}
    for rule in rules:
        hits = [
            values
            for output in rule["outputs"]
            for prefix in RESULT_PREFIXES
            if (values := match_under(output, prefix.format(folder).rstrip("/"))) is not None
        ]
        if hits or Path(rule["snakefile"]).name == f"{track}.smk":
            members.append(rule)
        for values in hits:
            fixed.update(values)
    out = {}
    for rule in members:
        if not rule["benchmark"]:
            continue
        out[rule["name"]] = WILDCARD.sub(lambda m: fixed.get(m.group(1), "*"), rule["benchmark"])
    return dict(sorted(out.items()))


# --- what is recorded -------------------------------------------------------------------------------


def config_hash(config: dict) -> str:
    """SHA-256 of the config as canonical JSON (sorted keys): equal configs give equal hashes."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def seeds(config, path: str = "") -> dict:
    """Every config entry whose key contains 'seed', by dotted key."""
    found = {}
    if isinstance(config, dict):
        for key, value in config.items():
            dotted = f"{path}.{key}" if path else str(key)
            if "seed" in str(key).lower():
                found[dotted] = value
            else:
                found.update(seeds(value, dotted))
    return found


def git_state(repo) -> dict:
    """HEAD commit and whether the work tree differs from it (None where repo is not a git checkout)."""

    def git(*args):
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout

    try:
        commit = git("rev-parse", "HEAD").strip()
        dirty = bool(git("status", "--porcelain", "--untracked-files=no").strip())
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def package_versions(packages=PACKAGES) -> dict:
    versions = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def device() -> dict:
    """CPU model, core count, the vectorised code path torch's kernels took (AVX512, AVX2, ... and the MKL
    override, if any: ``verify --emulate-cpu`` sets it), and the accelerator torch sees (if torch is installed)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {"cpu": cpu, "cpu_count": os.cpu_count(), "platform": platform.platform(), "accelerator": None}
    try:
        import torch

        info["torch_threads"] = torch.get_num_threads()
        info["cpu_code_path"] = torch.backends.cpu.get_cpu_capability()
        info["mkl_instructions"] = os.environ.get("MKL_ENABLE_INSTRUCTIONS", "native")
        info["numpy_disabled_features"] = os.environ.get("NPY_DISABLE_CPU_FEATURES", "")
        if torch.cuda.is_available():
            info["accelerator"] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return info


def rule_wall_times(benchmarks: dict[str, str]) -> dict:
    """{rule: {"jobs", "wall_s", "cpu_s", "max_rss_mb"}} summed over the rule's benchmark files (Snakemake TSV)."""
    out = {}
    for rule, pattern in benchmarks.items():
        paths = sorted(glob.glob(pattern))
        if not paths:
            continue
        frame = pd.concat([pd.read_csv(path, sep="\t") for path in paths], ignore_index=True)
        out[rule] = {
            "jobs": len(paths),
            "wall_s": round(float(frame["s"].sum()), 3),
            "cpu_s": round(float(pd.to_numeric(frame.get("cpu_time"), errors="coerce").sum()), 3),
            "max_rss_mb": round(float(pd.to_numeric(frame.get("max_rss"), errors="coerce").max()), 1),
        }
    return out


def provenance(folder: str, config: dict, benchmarks: dict[str, str], repo) -> dict:
    """The provenance record of one results folder (see module doc)."""
    times = rule_wall_times(benchmarks)
    return {
        "folder": f"results/{folder}",
        "git": git_state(repo),
        "config_hash": config_hash(config),
        "config": config,
        "seeds": seeds(config),
        "packages": package_versions(),
        "device": device(),
        "rules": times,
        "wall_s_total": round(sum(rule["wall_s"] for rule in times.values()), 3),
    }


# --- the reproducibility appendix ------------------------------------------------------------------

LATEX_SPECIAL = {c: "\\" + c for c in "&%$#_{}"} | {"~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def latex_text(text) -> str:
    """Plain text as LaTeX text inside math mode (the macros are wrapped in \\ensuremath)."""
    if text is None:
        return r"\text{n/a}"
    return r"\text{" + "".join(LATEX_SPECIAL.get(c, c) for c in str(text)) + "}"


def latex_code(text) -> str:
    return r"\text{\ttfamily " + "".join(LATEX_SPECIAL.get(c, c) for c in str(text)) + "}" if text else r"\text{n/a}"


def reproducibility_numbers(records: list[dict], notebook_benchmark=None) -> dict:
    """Macros `Repro*` of the appendix from the provenance records of every results folder.

    `notebook_benchmark` is the benchmark TSV of the reviewer notebook's rule (its wall time is cited).
    """
    from .report.latex import fmt

    first = records[0] if records else {"git": {}, "packages": {}, "device": {}, "config": {}}
    commits = {record["git"]["commit"] for record in records}
    dirty = any(record["git"]["dirty"] for record in records)
    commit = first["git"].get("commit")
    packages, device_info = first["packages"], first["device"]
    numbers = {
        "ReproCommit": latex_code(commit[:10] if commit else None),
        "ReproTreeState": latex_text(
            "mixed commits" if len(commits) > 1 else ("has uncommitted changes" if dirty else "clean")
        ),
        "ReproConfigHash": latex_code(first.get("config_hash", "")[:12]),
        "ReproSeed": fmt(first["config"].get("seed")) if first["config"].get("seed") is not None else r"\text{n/a}",
        "ReproCPU": latex_text(device_info.get("cpu")),
        "ReproCores": fmt(device_info.get("cpu_count") or 0),
        "ReproAccelerator": latex_text(device_info.get("accelerator") or "none"),
        "ReproNFolders": fmt(len(records)),
        "ReproNRules": fmt(sum(len(record["rules"]) for record in records)),
        "ReproWallTotal": fmt(sum(record["wall_s_total"] for record in records), 3),
        "ReproNotebookWall": r"\text{n/a}",
    }
    if notebook_benchmark and Path(notebook_benchmark).exists():
        numbers["ReproNotebookWall"] = fmt(float(pd.read_csv(notebook_benchmark, sep="\t")["s"].sum()), 2)
    for package, macro in (
        ("python", "Python"),
        ("torch", "Torch"),
        ("transformers", "Transformers"),
        ("trl", "Trl"),
        ("peft", "Peft"),
        ("snakemake", "Snakemake"),
        ("numpy", "Numpy"),
        ("pandas", "Pandas"),
    ):
        numbers[f"ReproVersion{macro}"] = latex_text(packages.get(package))
    return numbers


def wall_time_table(records: list[dict]) -> str:
    """Booktabs table: per results folder, rules, summed wall and CPU time, and the slowest rule."""
    from .report.latex import booktabs_table, fmt

    rows = []
    for record in records:
        rules = record["rules"]
        slowest = max(rules.items(), key=lambda item: item[1]["wall_s"]) if rules else (None, {"wall_s": float("nan")})
        rows.append(
            {
                "Folder": latex_code(record["folder"]).replace(r"\text", r"\textnormal"),
                "Rules": f"${fmt(len(rules))}$",
                "Jobs": f"${fmt(sum(rule['jobs'] for rule in rules.values()))}$",
                "Wall time (s)": f"${fmt(record['wall_s_total'], 3)}$",
                "CPU time (s)": f"${fmt(sum(rule['cpu_s'] for rule in rules.values()), 3)}$",
                "Slowest rule": latex_code(slowest[0]).replace(r"\text", r"\textnormal"),
                "its time (s)": f"${fmt(slowest[1]['wall_s'], 3)}$",
            }
        )
    frame = pd.DataFrame(rows, columns=["Folder", "Rules", "Jobs", "Wall time (s)", "CPU time (s)", "Slowest rule", "its time (s)"])
    return booktabs_table(
        frame,
        caption=(
            "Wall time of each results folder of this run: the sum over its rules' \\texttt{benchmark:} files "
            "(recorded in \\texttt{results/<folder>/provenance.json}). Generated by rule \\texttt{reproducibility}."
        ),
        label="tab:wall-time",
        column_format="lrrrrlr",
    )


# --- helpers of workflow/rules/reviewer.smk (rule objects are duck-typed: name, snakefile, output, benchmark) --


def rule_table(rules, skip=()) -> list[dict]:
    """The fields of Snakemake rules that `folder_rules` needs."""
    return [
        {
            "name": rule.name,
            "snakefile": str(rule.snakefile),
            "outputs": [str(output) for output in rule.output],
            "benchmark": str(rule.benchmark) if rule.benchmark else None,
        }
        for rule in rules
        if rule.name not in skip
    ]


def paper_index(rules, paper_inputs, root) -> list[dict]:
    """One row per figure or table of the paper: the rule and script that made it and the result files it reads.

    A reviewer goes from a figure to its code in one step, and `make verify` from a result file that
    moved to every figure and table that shows it. Scripts are relative to ``root`` (the repository);
    inputs given by functions are listed as "(computed)".
    """
    wanted = set(paper_inputs)
    rows = []
    for rule in rules:
        made = [str(output) for output in rule.output if str(output) in wanted]
        if not made:
            continue
        data = [str(path) for path in rule.input if isinstance(path, str) and path.startswith("results/")
                and path.endswith((".csv", ".json"))]
        if any(callable(path) for path in rule.input):
            data.append("(computed)")
        code = rule.script or rule.notebook or ""
        script = os.path.relpath(Path(rule.snakefile).parent / code, root) if code else ""
        rows += [{"artefact": path, "rule": rule.name, "script": script, "data": " ".join(data)} for path in made]
    return sorted(rows, key=lambda row: row["artefact"])


def result_folders(paper_numbers, skip=()) -> list[str]:
    """Folders F of results/F/numbers.json (exact, synthetic, real/<model>, …)."""
    return sorted(str(Path(path).parent.relative_to("results")) for path in paper_numbers if path not in skip)


def folder_files(folder: str, paper_files) -> list[str]:
    """The paper's figures, tables and numbers that lie in one results folder."""
    prefixes = tuple(prefix.format(folder) for prefix in RESULT_PREFIXES)
    return [path for path in paper_files if path.startswith(prefixes)]


def result_data_files(rules, paper_numbers, skip_rules=(), skip_files=(), environments=()) -> list[str]:
    """Every CSV/JSON result: the numbers files and the rule outputs under results/ without a wildcard, or
    whose only wildcards are an environment and its model (``environments``: dicts such as
    {"env": "real", "model": "smollm2-135m"}), filled in where the path then lies under results/<env>/;
    never a path of ``skip_files``."""
    files = set(paper_numbers)
    for rule in rules:
        if rule.name in skip_rules:
            continue
        for output in map(str, rule.output):
            if not (output.startswith("results/") and output.endswith((".csv", ".json"))
                    and not output.startswith(("results/bench/", "results/benchmarks/"))):
                continue
            if not WILDCARD.search(output):
                files.add(output)
                continue
            for values in environments:
                filled = WILDCARD.sub(lambda m: values.get(m.group(1), m.group(0)), output)
                if not WILDCARD.search(filled) and filled.startswith(f"results/{values['env']}/"):
                    files.add(filled)
    return sorted(files - set(skip_files))


def put_interpreter_on_path() -> None:
    """Snakemake runs `notebook:` rules with jupyter from PATH: put the running interpreter's bin first."""
    bin_dir = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
