"""Timing helpers for the benchmarks: interleaved runs and paired ratios.

A shared machine slows down for seconds at a time, and a slow stretch can
fall on more runs of one function than of another. Interleaved runs and
ratios taken within one round keep such stretches from tilting a
comparison.
"""

import statistics
import time


def time_interleaved(functions, rounds):
    """Time each function ``rounds`` times, taking turns, after one warm-up run each.

    Each round runs every function once, in the order given, so the i-th
    timings of all functions were taken within one round, seconds apart.

    :param functions: dict of label to a function without arguments.
    :param rounds: number of timed rounds.
    :return: dict of label to a list of ``rounds`` timings in milliseconds,
        in round order.
    """
    for function in functions.values():
        function()

    timings = {label: [] for label in functions}
    for _ in range(rounds):
        for label, function in functions.items():
            started = time.perf_counter()
            function()
            timings[label].append((time.perf_counter() - started) * 1000)
    return timings


def paired_ratio(numerators, denominators):
    """Return the median over rounds of one timing divided by another.

    Both lists come from the same rounds of ``time_interleaved``, so each
    ratio compares two runs made seconds apart under the same load.

    :param numerators: timings in milliseconds, in round order.
    :param denominators: timings of the same rounds, in the same order.
    :return: the median of ``numerators[i] / denominators[i]``.
    :raises ValueError: for lists of different lengths or empty lists.
    """
    if len(numerators) != len(denominators):
        raise ValueError(
            "numerators and denominators need one timing per round each, got "
            f"{len(numerators)} and {len(denominators)} timings"
        )
    if not numerators:
        raise ValueError("no timings given: pass the timings of at least one round")
    return statistics.median(
        numerator / denominator
        for numerator, denominator in zip(numerators, denominators, strict=True)
    )
