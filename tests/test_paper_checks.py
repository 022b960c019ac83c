"""The paper rule's checks (report/paper_checks.py): hand-typed numbers, overfull lines, dangling references."""

from pathlib import Path

import pytest

from harmhorizon.report.paper_checks import (overfull_boxes, oversized_floats, typed_numbers, typed_numbers_in,
                                             unresolved_references)

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("text, number", [
    ("The deviation is 0.013 at the largest beta.", "0.013"),
    (r"its deviation is $\Dev$ at $\beta=20$ and", "20"),
    ("a margin of $0.05$ over the reference", "0.05"),
    (r"clipped at $10^{-7}$", "10"),
    ("That paper states 29 numbered results.", "29"),
    (r"we ran 3 seeds", "3"),
    (r"$x=1.5$", "1.5"),
])
def test_a_typed_result_is_reported(text, number):
    found = typed_numbers(text)
    assert [f.number for f in found] == [number]


@pytest.mark.parametrize("text", [
    r"Young (2026) and \citet{young2026shallow} in 2025",
    r"Young's Thm.~8, Thms.~8--10 and~13, Defs.~1, 3 and 5, Cor.~23's bound, eq.~52, Appendix~A, its \S10.1",
    r"\S\ref{sec:theory}, Figure~\ref{fig:kl-2}, \label{tab:3}, \includegraphics[width=0.6\linewidth]{a/b2.pdf}",
    "SmolLM2-135M-Instruct, GPT-2, Llama-2-7B-Chat, E5, P1--P6, the Q4\\_1 file, AVX-512, SHA-256",
    r"95\% intervals over $\RealNSeeds$ seeds",
    r"$2\beta^2\mathrm{KL}_t/I_t$, $I_t\le P/4$, $\sum_{t=1}^{T}$, $Z_0$, $h\in[0,1]$",
    "\\begin{equation}\n  H_t = 1 - 2\\rho\n\\end{equation}",
    "% a comment may say 0.05 or 1024\nplain text",
    r"the macro \SynDpoKlTen{} and a percentage as \Percent",
])
def test_what_is_not_a_result_passes(text):
    assert typed_numbers(text) == []


def test_findings_carry_file_and_line():
    text = "first line\n% 0.5 in a comment\nthird line has 42 in it\n"
    (finding,) = typed_numbers(text, "paper/sections/x.tex")
    assert (finding.path, finding.line, finding.number) == ("paper/sections/x.tex", 3, "42")
    assert "third line has 42" in str(finding)


def test_the_papers_sections_type_no_number():
    sources = sorted((REPO / "paper/sections").glob("*.tex")) + [REPO / "paper/main.tex"]
    assert [str(f) for f in typed_numbers_in(sources)] == []


def test_overfull_boxes_above_the_limit():
    log = ("Overfull \\hbox (13.26825pt too wide) in paragraph at lines 247--249\n"
           "Overfull \\hbox (2.10435pt too wide) in paragraph at lines 15--15\n"
           "Overfull \\vbox (30.0pt too high) has occurred while \\output is active\n"
           "Overfull \\hbox (5.0pt too wide) in alignment at lines 3--9\n")
    assert overfull_boxes(log, 5.0) == ["13.26825pt in paragraph at lines 247--249"]
    assert len(overfull_boxes(log, 1.0)) == 3


def test_oversized_floats():
    log = ("LaTeX Warning: Float too large for page by 132.63669pt on input line 73.\n"
           "LaTeX Warning: Reference `fig:x' on page 3 undefined on input line 12.\n")
    assert oversized_floats(log) == ["132.63669pt too tall: input line 73"]
    assert oversized_floats("LaTeX Warning: Label(s) may have changed.\n") == []


def test_a_table_taller_than_a_page_is_refused_unless_it_is_a_longtable(tmp_path):
    """A float of ninety rows runs past the page; the same rows as a longtable break across pages (both compiled)."""
    import logging
    import shutil

    from harmhorizon.report.latex import grouped_table
    from harmhorizon.report.paper import compile_paper

    if shutil.which("latexmk") is None:
        pytest.skip("latexmk is not installed")
    rows = [[f"row {i}", f"${i}$"] for i in range(90)]
    for long, fails in ((False, True), (True, False)):
        stage = tmp_path / f"long{long}"
        stage.mkdir()
        table = grouped_table([("all rows", rows)], ["name", "value"], "Many rows.", "tab:many", "lr", long=long)
        (stage / "main.tex").write_text("\\documentclass{article}\\usepackage{booktabs,longtable,array}\n"
                                        "\\begin{document}\n" + table + "\n\\end{document}\n")
        if fails:
            with pytest.raises(RuntimeError, match="taller than a page"):
                compile_paper(stage, tmp_path / "out.pdf", logging.getLogger("test"))
        else:
            compile_paper(stage, tmp_path / "out.pdf", logging.getLogger("test"))
            assert (tmp_path / "out.pdf").read_bytes()[:4] == b"%PDF"


def test_unresolved_references():
    log = "LaTeX Warning: Reference `fig:x' on page 3 undefined on input line 12.\n" \
          "LaTeX Warning: Citation `foo2024' on page 1 undefined on input line 4.\n"
    assert len(unresolved_references(log)) == 2
    assert unresolved_references("nothing to see") == []


def test_sections_come_in_the_order_main_tex_inputs_them(tmp_path):
    from harmhorizon.report.paper import sections_in_paper_order

    (tmp_path / "sections").mkdir()
    for name in ("a", "b"):
        (tmp_path / "sections" / f"{name}.tex").write_text(name)
    (tmp_path / "main.tex").write_text("\\input{generated/macros.tex}\\input{sections/b.tex}\\input{sections/a}")
    paths = [tmp_path / "main.tex", tmp_path / "sections/a.tex", tmp_path / "sections/b.tex"]
    assert sections_in_paper_order(paths) == ["b", "a"]
