from bench.calibrate import Point, accuracy, choose, report_amount, report_kind

SETTINGS = (0.25, 0.1, 2.5, 1.6)  # threshold, min_coverage, similarity_weight, min_evidence: all these points pass


def test_the_occupation_threshold_lies_halfway_between_answerable_and_decline_cases_of_the_calibration_half(capsys):
    calibration = [Point("answer", True, 0.8, 1.0, False, 0.30), Point("decline", False, 0.8, 1.0, False, 0.50)]
    held = [Point("held decline", False, 0.8, 1.0, True, 0.45), Point("held answer", True, 0.8, 1.0, True, 0.35)]
    report_kind("occupation", "occupation_similarity", calibration, held, SETTINGS, current=0.6)
    printed = capsys.readouterr().out
    assert "occupation settings held: also declines 0 [], loses 0 answerable [] (occupation_similarity 0.6)" in printed
    assert ("occupation chosen held: also declines 1 ['held decline'], loses 0 answerable [] "
            "(occupation_similarity 0.4)") in printed


def test_bounds_never_decline_more_answerable_cases_to_catch_near_misses_that_look_like_them():
    # Each near-miss sits beside an answerable case: only declining nearly everything declines them all.
    answerable = [Point(f"a{i}", True, 0.40 + 0.02 * i, 0.5 + 0.02 * i, False) for i in range(20)]
    near_misses = [Point(f"n{i}", False, 0.41 + 0.04 * i, 0.51 + 0.04 * i, False) for i in range(5)]
    points = answerable + near_misses + [Point("far", False, 0.15, 0.1, False)]
    right, _, kept, total = accuracy(points, *choose(points))
    assert kept == total == 20 and right >= 1


def test_the_place_margin_is_chosen_by_how_like_a_place_words_are_wherever_the_question_puts_them(capsys):
    # Only the decline case puts its place somewhere ("in Lisbon"); the answerable one names "international".
    calibration = [Point("answer", True, 0.8, 1.0, False, place=0.0, any_place=0.20),
                   Point("decline", False, 0.8, 1.0, False, place=0.30, any_place=0.30)]
    report_kind("place", "place_margin", calibration, [], SETTINGS, current=0.5, choose_by="any_place")
    assert "place chosen calib: also declines 1 ['decline'], loses 0 answerable [] (place_margin 0.25)" in (
        capsys.readouterr().out)


def test_the_pay_amount_bounds_lie_halfway_between_the_calibration_halfs_cases(capsys):
    # A near-miss names little of its subject in any unit with an amount; one answerable question names little
    # too but says the same in other words (similarity 0.8).
    def point(name: str, answer: bool, share: float, similarity: float, held: bool = False) -> Point:
        return Point(name, answer, 0.8, 1.0, held, amount_share=share, amount_similarity=similarity)

    report_amount([point("named", True, 0.6, 0.5), point("reworded", True, 0.05, 0.8), point("near", False, 0.1, 0.4),
                   point("held near", False, 0.3, 0.5, held=True), point("held reworded", True, 0.1, 0.7, held=True),
                   point("no amount asked", True, 1.0, 1.0)])
    assert ("amount chosen held: also declines 1 ['held near'], loses 0 answerable [] (amount_share 0.35, "
            "amount_similarity 0.6)") in capsys.readouterr().out
