"""bench.team keeps a library's store only while the articles and the ingest code are the same, and says which
cases a change gained and lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.team import compare, groups, set_name, store_key, tally


def test_a_store_is_kept_only_for_the_same_articles(tmp_path: Path):
    library = tmp_path / "unseen9" / "library"
    library.mkdir(parents=True)
    (library / "a.md").write_text("# Pay\nAnalysts earn a lot.\n")
    first = store_key(library)
    assert store_key(library) == first and first.startswith("unseen9-library-")
    (library / "a.md").write_text("# Pay\nAnalysts earn a little.\n")
    assert store_key(library) != first
    assert store_key(library, settings='{"chunk_words": 90}') != store_key(library)
    (library / "a.md").rename(library / "b.md")  # the same text under another name is another article
    assert store_key(library) != first


def test_sets_are_named_by_their_file_or_folder():
    assert set_name(Path("bench/unseen7/questions.jsonl")) == "unseen7"
    assert set_name(Path("bench/casual_questions3.jsonl")) == "casual_questions3"


def record(case_id: str, passed: bool, kind: str = "fact", refused: bool = False) -> dict:
    return {"set": "s", "id": case_id, "kind": kind, "passed": passed, "refused": refused}


def test_gained_and_lost_cases_are_listed(capsys):
    compare([record("A1", True), record("A2", False), record("A3", True), record("A4", True)],
            [record("A1", False), record("A2", True), record("A3", True)])
    assert capsys.readouterr().out.splitlines() == ["gained 1: s:A1", "lost 1: s:A2", "only now 1: s:A4"]


def test_sets_are_chosen_by_name_and_a_name_no_set_has_is_refused():
    assert [[set_name(f) for f in files] for _, files in groups(True, ["unseen5", "paraphrase"])] == [
        ["paraphrase"], ["unseen5"]]
    with pytest.raises(ValueError, match="paraphrase"):  # a graded file only with --graded
        groups(False, ["paraphrase"])
    with pytest.raises(ValueError, match="unsen6"):
        groups(False, ["unseen5", "unsen6"])


def test_offtopic_cases_are_counted_apart_from_the_answerable():
    records = [record("A1", True), record("A2", False, refused=True), record("O1", True, kind="offtopic")]
    assert tally(records) == "answerable right 1/2 (50%), declined 1, offtopic declined 1/1"
