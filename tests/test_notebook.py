"""The reviewer notebook: a valid notebook run by the `notebook` rule, executed without errors into HTML."""

import json

import nbformat
import pandas as pd
import pytest

from conftest import REPO

NOTEBOOK = REPO / "workflow/notebooks/explore.py.ipynb"


def test_notebook_is_valid_and_uses_the_snakemake_object():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    source = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert "snakemake.input" in source and "snakemake.output[0]" in source
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), "commit the notebook without outputs"


def test_notebook_rule_is_a_notebook_directive():
    rules = (REPO / "workflow/rules/reviewer.smk").read_text()
    assert 'notebook:\n        "../notebooks/explore.py.ipynb"' in rules


@pytest.mark.workflow
def test_executed_notebook_has_no_errors_and_renders_figures_and_numbers(reviewer_workdir):
    workdir = reviewer_workdir
    executed = nbformat.read(workdir / "results/reproducibility/explore.ipynb", as_version=4)
    outputs = [output for cell in executed.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    figures = list((workdir / "results/figures").rglob("*.png"))
    assert len(images) >= len(figures) + 1  # every paper figure plus the redrawn exact-track curves
    html = (workdir / "results/reproducibility/explore.html").read_text()
    assert html.count("data:image/png;base64") >= len(images)
    numbers = pd.read_csv(workdir / "results/reproducibility/paper_numbers.csv")
    expected = sum(
        len(json.loads(path.read_text()))
        for path in (workdir / "results").rglob("numbers.json")
        if "reproducibility" not in path.parts
    )
    assert len(numbers) == expected > 0
