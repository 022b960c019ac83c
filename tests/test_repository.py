"""The tools find the repository from --repo or from the current directory, not from where the package sits."""

import subprocess
import sys

import pytest

from conftest import REPO
from harmhorizon.repository import find_repository


def test_explicit_repository_and_the_folder_above(tmp_path, monkeypatch):
    assert find_repository(REPO) == REPO
    monkeypatch.chdir(REPO / "workflow" / "rules")
    assert find_repository() == REPO


def test_a_folder_that_is_not_the_repository_is_refused_naming_the_option(tmp_path):
    with pytest.raises(FileNotFoundError, match="--repo"):
        find_repository(tmp_path)


def test_verify_takes_the_repository_from_the_option(tmp_path):
    command = [sys.executable, "-m", "harmhorizon.verify", "--repo", str(REPO), "--config", "config/nope.yaml"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2 and str(REPO / "config/nope.yaml") in result.stderr
    result = subprocess.run([*command[:3], "--repo", str(tmp_path)], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2 and "is not a harm-horizon repository" in result.stderr
