import json
import pickle

from bench.composer_cases import main, retrieved_cases


def test_the_composer_is_scored_on_saved_passages_against_an_earlier_run(tmp_path, capsys):
    library = tmp_path / "library"
    library.mkdir()
    (library / "pay.md").write_text("# Analyst Pay\n\nJunior data analysts earn $70,000 a year. Senior data analysts "
                                    "earn $110,000.\n\n## Hours\n\nMost analysts work 40 hours a week.\n")
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(json.dumps(case) for case in [
        {"id": "a1", "q": "what do junior data analysts earn?", "sources": ["pay"], "must_any": ["$70,000"]},
        {"id": "a2", "q": "how many hours do analysts work?", "sources": ["pay"], "must_any": ["no such phrase"]},
        {"id": "o1", "q": "what does a nurse earn?", "refuse": True, "sources": [], "must_any": []}]) + "\n")
    saved = retrieved_cases([(library, [cases])], tmp_path / "stores")
    # The offtopic case is not the composer's; the others are known by their file and id.
    assert [case.case["key"] for case in saved] == [f"{tmp_path.name}/cases.jsonl:{i}" for i in ("a1", "a2")]
    (tmp_path / "cases.pkl").write_bytes(pickle.dumps(saved))
    keys = [case.case["key"] for case in saved]
    # A baseline in which the first case failed and the second passed: one gained, one lost.
    (tmp_path / "base.json").write_text(json.dumps({keys[0]: False, keys[1]: True}))
    capsys.readouterr()
    main(["--cases", str(tmp_path / "cases.pkl"), "--baseline", str(tmp_path / "base.json"),
          "--write", str(tmp_path / "now.json")])
    printed = capsys.readouterr().out
    assert f"gained 1: {keys[0]}" in printed and f"lost 1: {keys[1]}" in printed
    assert "against the baseline: 1 vs 1 right (ratio 1.000)" in printed
    assert json.loads((tmp_path / "now.json").read_text()) == {keys[0]: True, keys[1]: False}
