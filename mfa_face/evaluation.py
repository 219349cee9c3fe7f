"""Accuracy evaluation of the face factor on labelled photos.

Each pair goes through the product's own code: ``file_x`` is enrolled with
``factor.enrollment_template`` and ``file_y`` verified with
``factor.match_burst``, each photo as a one-frame burst with liveness off.
A photo is analysed and described once, however many pairs it is in,
because the analysis of a photo does not depend on the pair. Photos that fail
to load, show no face or more than one, or fail a quality gate are reported
and excluded with the reason.

FMR (false match rate) is the share of impostor pairs whose distance is at
most the threshold, and FNMR (false non-match rate) the share of genuine
pairs whose distance is above it.
"""

import csv
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

from . import factor, liveness
from .burst import analyse_burst
from .errors import FaceError

TRUE_VALUES = {"1", "yes", "true"}
FALSE_VALUES = {"0", "no", "false"}

# Thresholds of the printed table, in descriptor distance.
TABLE_THRESHOLDS = [round(0.30 + 0.05 * step, 2) for step in range(11)]


class LabelFileError(ValueError):
    """A pairs or identities CSV file that cannot be read."""


@dataclass(frozen=True)
class Pair:
    file_x: str
    file_y: str
    same: bool


@dataclass(frozen=True)
class ScoredPair:
    pair: Pair
    distance: float


@dataclass(frozen=True)
class ErrorRates:
    """Error counts of one threshold."""

    threshold: float
    false_matches: int
    impostor_pairs: int
    false_non_matches: int
    genuine_pairs: int

    @property
    def fmr(self):
        return _rate(self.false_matches, self.impostor_pairs)

    @property
    def fnmr(self):
        return _rate(self.false_non_matches, self.genuine_pairs)


def read_pairs(path):
    """Read a CSV file with the columns ``file_x,file_y,same``.

    :param path: path of the CSV file. ``same`` is ``1``/``0``, ``yes``/``no``
        or ``true``/``false``, case-insensitive.
    :return: list of Pair.
    :raises LabelFileError: a missing column or an unreadable ``same`` value,
        with the line number.
    """
    rows = _read_rows(path, ("file_x", "file_y", "same"))
    pairs = []
    for line, row in rows:
        value = (row["same"] or "").strip().lower()
        if value in TRUE_VALUES:
            same = True
        elif value in FALSE_VALUES:
            same = False
        else:
            raise LabelFileError(
                f"{path}, line {line}: same is {row['same']!r}; "
                "expected 1/0, yes/no or true/false."
            )
        file_x = (row["file_x"] or "").strip()
        file_y = (row["file_y"] or "").strip()
        if not file_x or not file_y:
            raise LabelFileError(f"{path}, line {line}: file_x and file_y must be set.")
        pairs.append(Pair(file_x, file_y, same))
    return pairs


def read_identities(path):
    """Read a CSV file with the columns ``file,person``; other columns are ignored.

    :return: ``(entries, unlabelled)``: a list of ``(file, person)`` tuples in
        file order, and the files whose person is empty, which form no pair.
    :raises LabelFileError: a missing column or an empty file name.
    """
    rows = _read_rows(path, ("file", "person"))
    entries = []
    unlabelled = []
    for line, row in rows:
        file = (row["file"] or "").strip()
        person = (row["person"] or "").strip()
        if not file:
            raise LabelFileError(f"{path}, line {line}: file must be set.")
        if person:
            entries.append((file, person))
        else:
            unlabelled.append(file)
    return entries, unlabelled


def pairs_from_identities(entries):
    """Form every unordered pair of files: genuine for one person, else impostor.

    :param entries: list of ``(file, person)`` in file order; the earlier file
        of each pair is ``file_x``.
    :return: list of Pair.
    """
    return [
        Pair(first_file, second_file, first_person == second_person)
        for (first_file, first_person), (second_file, second_person) in (
            itertools.combinations(entries, 2)
        )
    ]


class PhotoSet:
    """Analyses photos of one folder once each, enrolling and verifying from them."""

    def __init__(self, images_dir):
        self.images_dir = Path(images_dir)
        self.bursts = {}
        self.templates = {}
        self.excluded = {}

    def burst(self, file):
        """Return the analysed one-frame burst of ``file``, or None when excluded."""
        if file in self.excluded:
            return None
        if file in self.bursts:
            return self.bursts[file]

        path = self.images_dir / file
        try:
            data = path.read_bytes()
        except OSError as error:
            self.excluded[file] = f"not readable ({error.strerror or error})"
            return None

        try:
            analysed = analyse_burst([data])
            liveness.check(analysed, liveness.OFF)
            analysed.require_good_frames(1)
        except FaceError as error:
            self.excluded[file] = error.code
            return None

        self.bursts[file] = analysed
        return analysed

    def template(self, file):
        """Return the enrollment template of ``file``, or None when excluded."""
        if file in self.templates:
            return self.templates[file]

        analysed = self.burst(file)
        if analysed is None:
            return None
        try:
            descriptors, _ = factor.enrollment_template(analysed)
        except FaceError as error:
            self.excluded[file] = error.code
            return None

        self.templates[file] = descriptors
        return descriptors


def score_pairs(pairs, photos):
    """Return the distance of every pair whose two photos are usable.

    :param pairs: list of Pair.
    :param photos: a PhotoSet.
    :return: ``(scored, skipped)``: a list of ScoredPair and the number of
        pairs left out because a photo was excluded.
    """
    scored = []
    skipped = 0
    for pair in pairs:
        template = photos.template(pair.file_x)
        probe = photos.burst(pair.file_y)
        if template is None or probe is None:
            skipped += 1
            continue

        # A one-frame burst is decided by its one distance, whatever the
        # threshold, so a threshold of infinity only keeps the distance.
        result = factor.match_burst(template, probe, threshold=math.inf)
        scored.append(ScoredPair(pair, result.distance))
    return scored, skipped


def error_rates(scored, threshold):
    """Count the errors of ``scored`` pairs at one threshold."""
    genuine = [item.distance for item in scored if item.pair.same]
    impostor = [item.distance for item in scored if not item.pair.same]
    return ErrorRates(
        threshold=threshold,
        false_matches=sum(distance <= threshold for distance in impostor),
        impostor_pairs=len(impostor),
        false_non_matches=sum(distance > threshold for distance in genuine),
        genuine_pairs=len(genuine),
    )


def equal_error_rate(scored):
    """Return the ErrorRates where FMR and FNMR are closest, and their mean.

    Every measured distance is tried as a threshold. When the two rates never
    meet (genuine and impostor distances do not overlap), the threshold is the
    midpoint of the gap and the equal error rate is 0.

    :return: ``(rates, eer)``, or ``(None, None)`` without both kinds of pairs.
    """
    genuine = sorted(item.distance for item in scored if item.pair.same)
    impostor = sorted(item.distance for item in scored if not item.pair.same)
    if not genuine or not impostor:
        return None, None

    if genuine[-1] < impostor[0]:
        rates = error_rates(scored, (genuine[-1] + impostor[0]) / 2)
        return rates, 0.0

    candidates = sorted({item.distance for item in scored})
    best = min(
        (error_rates(scored, threshold) for threshold in candidates),
        key=lambda rates: (abs(rates.fmr - rates.fnmr), rates.threshold),
    )
    return best, (best.fmr + best.fnmr) / 2


def threshold_for_fmr(scored, target):
    """Return the largest threshold whose FMR is at most ``target``.

    A pair matches at distances up to and including the threshold, so the
    result lies just below the impostor distance that would exceed the
    target, and is 0.0 when even the closest impostor pair would.

    :return: ``(rates, limit)``: the ErrorRates at that threshold and the
        impostor distance it stays below (None without impostor pairs).
    """
    impostor = sorted(item.distance for item in scored if not item.pair.same)
    if not impostor:
        return None, None

    allowed = math.floor(target * len(impostor) + 1e-9)
    if allowed >= len(impostor):
        return error_rates(scored, impostor[-1]), None

    limit = impostor[allowed]
    threshold = math.nextafter(limit, 0.0)
    return error_rates(scored, threshold), limit


def _read_rows(path, required):
    try:
        handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115
    except OSError as error:
        raise LabelFileError(f"{path}: {error.strerror or error}") from error

    with handle:
        reader = csv.DictReader(handle)
        columns = [name.strip() for name in reader.fieldnames or []]
        missing = [name for name in required if name not in columns]
        if missing:
            raise LabelFileError(
                f"{path}: missing column(s) {', '.join(missing)}; the header must "
                f"name {', '.join(required)}."
            )
        reader.fieldnames = columns
        # Line 1 is the header, so the first row is line 2.
        return [(line, row) for line, row in enumerate(reader, start=2)]


def _rate(count, total):
    return count / total if total else 0.0
