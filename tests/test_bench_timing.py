"""The face bench's timing helpers: interleaved rounds and paired ratios."""

import pytest

from bench.timing import paired_ratio, time_interleaved


def test_paired_ratio_median_of_rounds():
    # Rounds 2 and 3 ran on a slow machine, on both sides alike.
    baseline = [100.0, 300.0, 310.0, 104.0, 98.0]
    project = [25.0, 75.0, 62.0, 26.0, 28.0]

    assert paired_ratio(baseline, project) == pytest.approx(4.0)


def test_paired_ratio_differs_from_median_ratio():
    # The medians give 5 / 5 = 1.0, but two of the three rounds ran the
    # numerator twice as long as the denominator.
    assert paired_ratio([10.0, 1.0, 5.0], [5.0, 0.5, 10.0]) == pytest.approx(2.0)


def test_paired_ratio_rejects_unequal_lengths():
    with pytest.raises(ValueError, match="one timing per round"):
        paired_ratio([1.0, 2.0], [1.0])


def test_paired_ratio_rejects_no_timings():
    with pytest.raises(ValueError, match="no timings given"):
        paired_ratio([], [])


def test_time_interleaved_takes_turns():
    # One warm-up call each, then three rounds in the given order.
    calls = []
    functions = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}

    timings = time_interleaved(functions, rounds=3)

    assert calls == ["a", "b"] + ["a", "b"] * 3
    assert {label: len(values) for label, values in timings.items()} == {
        "a": 3,
        "b": 3,
    }
    assert all(value >= 0 for values in timings.values() for value in values)
