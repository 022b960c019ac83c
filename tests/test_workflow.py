"""The DAG: dry runs of both configs, lint, and the tiny end-to-end run of config/test.yaml to the PDF."""

import json
import re

import pandas as pd
import pytest

from conftest import REPO, run_snakemake

pytestmark = pytest.mark.workflow


@pytest.mark.parametrize("config", ["config/config.yaml", "config/test.yaml"])
def test_dry_run(config, tmp_path):
    result = run_snakemake("--dry-run", "--cores", "1", "--configfile", str(REPO / config), workdir=tmp_path)
    planned = set(re.findall(r"^(?:local)?rule (\w+):$", result.stdout, re.M))
    # The whole DAG down to the PDF: every track's data rules and the paper rule itself.
    assert {"paper", "paper_macros", "exact_identities", "synthetic_base", "align", "evaluate", "collect",
            "verdicts"} <= planned, sorted(planned)


def test_bad_config_stops_before_the_dag(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((REPO / "config/test.yaml").read_text().replace("automaton: {T: 12}", "automaton: {T: 12, c: 1.7}"))
    result = run_snakemake("--dry-run", "--cores", "1", "--configfile", str(bad), workdir=tmp_path, check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "'c'" in output and "1.7" in output, output[-2000:]


@pytest.fixture(scope="module")
def end_to_end(reviewer_workdir):
    """config/test.yaml end to end in a scratch working directory, shared with the reviewer tests."""
    return reviewer_workdir


def test_end_to_end_builds_the_pdf(end_to_end):
    pdf = end_to_end / "paper/build/main.pdf"
    assert pdf.exists() and pdf.read_bytes()[:4] == b"%PDF"


def test_end_to_end_exact_contracts(end_to_end):
    identities = json.loads((end_to_end / "results/exact/identities.json").read_text())
    for key in ("gradient_covariance_max_abs_error", "variance_decomposition_abs_error", "p_harm_base"):
        assert key in identities
    assert identities["gradient_covariance_max_abs_error"] <= 1e-10
    assert identities["variance_decomposition_abs_error"] <= 1e-10
    contracts = {
        "harm_information.csv": {"m", "t", "harm_information"},
        "kl_profile.csv": {"m", "beta", "t", "kl", "harm_information"},
        "prefill.csv": {"policy", "beta", "mu", "gamma", "m", "k", "j", "recovery_next", "recovery_eventual"},
    }
    for name, columns in contracts.items():
        frame = pd.read_csv(end_to_end / "results/exact" / name)
        assert columns <= set(frame.columns), name
        assert len(frame) > 0


def test_end_to_end_macros_cover_every_macro_the_paper_uses(end_to_end):
    """No hand-typed numbers: every custom macro used in the sections is generated."""
    import re

    macros = (end_to_end / "paper/generated/macros.tex").read_text()
    defined = set(re.findall(r"\\newcommand\{\\([A-Za-z]+)\}", macros))
    sections = "".join(p.read_text() for p in (REPO / "paper/sections").glob("*.tex"))
    used = set(re.findall(r"\\([A-Z][A-Za-z]+)", sections))
    latex = {"S", "P", "L", "R", "Bigl", "Bigr", "Big", "Delta", "Gamma", "Lambda", "Sigma", "Pi", "Phi", "Psi", "Omega",
             "LaTeX", "TeX", "Pr", "Rightarrow", "Leftarrow", "Longrightarrow"}  # fmt: skip
    assert used <= defined | latex, sorted(used - defined - latex)
