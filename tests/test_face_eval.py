"""The face_eval management command on small labelled sets of the shared photos."""

import csv
import re
import sys

import pytest
from django.core.management import CommandError, call_command

from mfa_face import evaluation
from tests.faces import faces_dir

OBAMA = "people/obama/obama.jpg"
OBAMA_2 = "people/obama/obama2.jpg"
BIDEN = "people/biden/biden.jpg"
BIDEN_2 = "people/biden/biden2.jpg"
TWO_PEOPLE = "groups/two_people.jpg"
TURNED_AWAY = "people/kit_harington/kit2.jpg"

# One row of the threshold table: threshold, FMR and FNMR as count/total (rate).
ROW = re.compile(r"^\s*\d\.\d{3}(\s+\d+/\d+ \(\d+\.\d\d%\)){2}$")


def write_csv(path, header, rows):
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command("face_eval", *args, "--images", str(faces_dir()), stdout=out)
    return out.getvalue().splitlines()


@pytest.fixture
def pairs_file(tmp_path):
    return write_csv(
        tmp_path / "pairs.csv",
        ["file_x", "file_y", "same"],
        [
            [OBAMA, OBAMA_2, "1"],
            [BIDEN, BIDEN_2, "Yes"],
            [OBAMA, BIDEN, "no"],
            [OBAMA_2, BIDEN_2, "FALSE"],
        ],
    )


def test_pairs_last_line_gives_default_threshold(pairs_file, settings):
    settings.MFA_FACE_MATCH_THRESHOLD = 0.5

    lines = run("--pairs", str(pairs_file))

    assert lines[-1] == "default threshold 0.5: FMR 0/2, FNMR 0/2"


def test_pairs_table_lists_counts_and_rates(pairs_file):
    lines = run("--pairs", str(pairs_file))

    rows = [line for line in lines if ROW.match(line)]
    low = next(line for line in rows if line.strip().startswith("0.300"))
    assert len(rows) == len(evaluation.TABLE_THRESHOLDS)
    assert low.split()[1:3] == ["0/2", "(0.00%)"]


def test_pairs_report_equal_error_rate(pairs_file):
    lines = run("--pairs", str(pairs_file))

    assert any(
        line.startswith("equal error rate: 0.00% at threshold") for line in lines
    )


def test_target_fmr_line_and_warning(pairs_file):
    lines = run("--pairs", str(pairs_file), "--target-fmr", "0.01")

    assert any(
        line.startswith("threshold for FMR <= 0.01: any threshold below")
        for line in lines
    )
    assert any(line.startswith("note: 2 impostor pairs cannot show") for line in lines)


def test_identities_form_every_pair(tmp_path):
    identities = write_csv(
        tmp_path / "identities.csv",
        ["file", "person", "faces"],
        [
            [OBAMA, "obama", "1"],
            [OBAMA_2, "obama", "1"],
            [BIDEN, "biden", "1"],
        ],
    )

    lines = run("--identities", str(identities))

    assert lines[0] == (
        "3 photos in 3 pairs; evaluated 3 pairs (1 genuine, 2 impostor)"
    )
    assert lines[-1].endswith("FMR 0/2, FNMR 0/1")


def test_unusable_photos_are_reported_not_dropped(tmp_path):
    identities = write_csv(
        tmp_path / "identities.csv",
        ["file", "person"],
        [
            [OBAMA, "obama"],
            [OBAMA_2, "obama"],
            ["groups/kit_with_rose.jpg", "kit_harington;rose_leslie"],
            [TURNED_AWAY, "kit_harington"],
            [TWO_PEOPLE, ""],
            ["people/nobody/missing.jpg", "nobody"],
        ],
    )

    lines = run("--identities", str(identities))

    assert "excluded groups/kit_with_rose.jpg: multiple_faces" in lines
    assert f"excluded {TURNED_AWAY}: bad_pose" in lines
    assert f"excluded {TWO_PEOPLE}: no person given" in lines
    assert any(
        line.startswith("excluded people/nobody/missing.jpg: not readable")
        for line in lines
    )
    assert "pairs left out because a photo was excluded: 9" in lines
    assert lines[-1].endswith("FMR 0/0, FNMR 0/1")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("TRUE", True),
        ("yes", True),
        ("0", False),
        ("No", False),
        ("false", False),
    ],
)
def test_same_column_accepts_each_spelling(tmp_path, value, expected):
    path = write_csv(
        tmp_path / "p.csv", ["file_x", "file_y", "same"], [["a", "b", value]]
    )

    (pair,) = evaluation.read_pairs(path)

    assert pair.same is expected


def test_unreadable_same_value_names_line(tmp_path):
    path = write_csv(
        tmp_path / "p.csv",
        ["file_x", "file_y", "same"],
        [[OBAMA, BIDEN, "0"], [OBAMA, BIDEN, "maybe"]],
    )

    with pytest.raises(CommandError, match="line 3: same is 'maybe'"):
        run("--pairs", str(path))


def test_missing_column_is_command_error(tmp_path):
    path = write_csv(tmp_path / "p.csv", ["file_x", "same"], [[OBAMA, "1"]])

    with pytest.raises(CommandError, match="missing column"):
        run("--pairs", str(path))


def test_pairs_and_identities_together_are_refused(pairs_file):
    with pytest.raises(CommandError):
        run("--pairs", str(pairs_file), "--identities", str(pairs_file))


def test_plot_writes_png(pairs_file, tmp_path):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "roc.png"

    lines = run("--pairs", str(pairs_file), "--plot", str(plot))

    assert plot.read_bytes().startswith(b"\x89PNG")
    assert f"ROC curve written to {plot}" in lines


def test_plot_without_matplotlib_says_how_to_install(pairs_file, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)

    with pytest.raises(CommandError, match="needs matplotlib"):
        run("--pairs", str(pairs_file), "--plot", str(tmp_path / "roc.png"))


def test_threshold_for_fmr_stays_below_impostor():
    scored = [
        evaluation.ScoredPair(evaluation.Pair("a", "b", False), 0.7),
        evaluation.ScoredPair(evaluation.Pair("a", "c", False), 0.9),
        evaluation.ScoredPair(evaluation.Pair("a", "d", True), 0.3),
    ]

    rates, limit = evaluation.threshold_for_fmr(scored, 0.0001)

    assert limit == 0.7
    assert rates.threshold < 0.7
    assert rates.false_matches == 0


def test_equal_error_rate_where_rates_cross():
    scored = [
        evaluation.ScoredPair(evaluation.Pair("a", "b", True), 0.3),
        evaluation.ScoredPair(evaluation.Pair("a", "c", True), 0.6),
        evaluation.ScoredPair(evaluation.Pair("a", "d", False), 0.5),
        evaluation.ScoredPair(evaluation.Pair("a", "e", False), 0.8),
    ]

    rates, eer = evaluation.equal_error_rate(scored)

    assert rates.threshold == 0.5
    assert eer == pytest.approx(0.5)
