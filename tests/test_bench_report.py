"""The sign-in load test's report helpers: percentiles and the docs section."""

import pytest

from bench.load_report import SECTION_HEADING, percentile, write_section
from bench.load_setup import check_database_name

SECTION = f"{SECTION_HEADING}\n\nnew numbers\n"


def test_percentile_median_of_odd_count():
    assert percentile([5, 1, 3], 0.5) == 3


def test_percentile_p95_of_twenty_values():
    assert percentile(list(range(1, 21)), 0.95) == 19


def test_percentile_p50_of_even_count_is_lower_middle():
    assert percentile([4, 1, 3, 2], 0.5) == 2


def test_percentile_of_one_value():
    assert percentile([7.5], 0.95) == 7.5


def test_percentile_of_nothing_is_none():
    assert percentile([], 0.5) is None


def test_section_is_appended_after_other_sections(tmp_path):
    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmarks\n\n## Face engine\n\nold\n")
    write_section(path, SECTION)
    assert path.read_text() == "# Benchmarks\n\n## Face engine\n\nold\n\n" + SECTION


def test_section_creates_missing_file(tmp_path):
    path = tmp_path / "load.md"
    write_section(path, SECTION)
    assert path.read_text() == SECTION


def test_section_replaces_previous_run_at_end(tmp_path):
    path = tmp_path / "benchmarks.md"
    path.write_text(f"# Benchmarks\n\n{SECTION_HEADING}\n\nold numbers\n")
    write_section(path, SECTION)
    assert path.read_text() == "# Benchmarks\n\n" + SECTION


def test_section_replaces_previous_run_before_others(tmp_path):
    path = tmp_path / "benchmarks.md"
    path.write_text(f"{SECTION_HEADING}\n\nold numbers\n\n## Later\n\nkept\n")
    write_section(path, SECTION)
    assert path.read_text() == SECTION + "\n## Later\n\nkept\n"


@pytest.mark.parametrize(
    "name", ["postgres", "test", "bench_x; DROP DATABASE postgres", "Bench_x", "bench_"]
)
def test_database_name_outside_bench_is_rejected(name):
    with pytest.raises(ValueError, match="bench_"):
        check_database_name(name)


def test_bench_database_name_is_accepted():
    check_database_name("bench_login_load")
