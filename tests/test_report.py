"""The HTML report: every figure and table is a report() output with a category and a caption."""

import re
import zipfile

import pytest

from conftest import REPO, run_snakemake

def report_calls():
    """(rule file, first argument, argument text) of every report(...) call, parentheses balanced."""
    calls = []
    for path in sorted((REPO / "workflow/rules").glob("*.smk")):
        text = path.read_text()
        for match in re.finditer(r"\breport\(", text):
            depth, end = 1, match.end()
            while depth:
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                end += 1
            body = text[match.end() : end - 1]
            calls.append((path.name, body.strip().split(",")[0].strip(), body))
    return calls


def test_every_report_output_has_a_caption_and_a_category():
    calls = report_calls()
    assert len(calls) >= 5
    missing = [(rules, output) for rules, output, body in calls if "caption=" not in body or "category=" not in body]
    assert not missing, f"report() outputs without caption or category: {missing}"
    for rules, output, body in calls:
        caption = re.search(r'caption="([^"]+)"', body)
        if caption:
            assert (REPO / "workflow/rules" / caption.group(1)).resolve().exists(), f"{rules}: caption file of {output}"


@pytest.mark.workflow
def test_report_contains_every_figure_and_table(tmp_path, reviewer_workdir):
    from _reviewer_run import TEST_CONFIG

    workdir = reviewer_workdir
    archive = tmp_path / "report.zip"
    run_snakemake("--report", str(archive), "--configfile", str(TEST_CONFIG), workdir=workdir)
    names = {name.rsplit("/", 1)[-1] for name in zipfile.ZipFile(archive).namelist()}
    made = [p for p in (workdir / "results").rglob("*") if p.suffix in (".png", ".tex") and {"figures", "tables"} & set(p.parts)]
    assert made, "the test run drew no figure"
    absent = sorted(str(p.relative_to(workdir)) for p in made if p.name not in names)
    assert not absent, f"figures or tables missing from the report: {absent}"
    assert "explore.html" in names
