"""The repository stands alone: no tracked file points to documents outside it.

The theory, the experiments and the architecture are the project's own `docs/`. A pointer to a file
beside the repository (a sibling folder, or design notes that are not committed) leaves someone who
clones it with a dead reference, so any such pointer fails this test, generated results included.
"""

import re
import subprocess

from conftest import REPO

# Assembled here so that this file does not match its own patterns.
OUTSIDE = re.compile("|".join([re.escape(".." + "/shared"), "THEORY" + r"\.md", "THEORY" + r"\s*(?:§|\\S)", "DESIGN" + r"\.md"]))


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return [name for name in listed.split("\0") if name]


def test_no_tracked_file_points_outside_the_repository():
    offenders = []
    for name in tracked_files():
        path = REPO / name
        if not path.is_file() or path.suffix in (".pdf", ".png", ".safetensors", ".lock"):
            continue
        text = path.read_text(errors="ignore")
        offenders += [f"{name}: {match.group(0)}" for match in OUTSIDE.finditer(text)]
    assert not offenders, "tracked files point outside the repository:\n" + "\n".join(offenders[:40])


def test_the_docs_exist_and_are_linked_from_the_readme():
    readme = (REPO / "README.md").read_text()
    for name in ("theory.md", "experiments.md", "architecture.md"):
        assert (REPO / "docs" / name).is_file(), name
        assert f"docs/{name}" in readme, f"README.md does not point to docs/{name}"


def test_the_pattern_catches_what_it_should():
    assert OUTSIDE.search("see ../" + "shared/notes") and OUTSIDE.search("THEORY" + " §4 E6")
    assert OUTSIDE.search("THEORY" + r" \S4") and OUTSIDE.search("DESIGN" + ".md")
    assert not OUTSIDE.search("docs/theory.md §P5")
