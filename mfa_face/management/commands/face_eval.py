"""Evaluate the face factor's accuracy on labelled photos.

    python manage.py face_eval --pairs PAIRS.csv --images DIR
    python manage.py face_eval --identities IDENTITIES.csv --images DIR

The last line is ``default threshold T: FMR a/b, FNMR c/d`` for the
configured MFA_FACE_MATCH_THRESHOLD.
"""

import math

from django.core.management.base import BaseCommand, CommandError

from mfa_face import evaluation
from mfa_face.conf import settings as face_settings

# Pairs listed at each end of the distance range: the genuine pairs that came
# out farthest apart and the impostor pairs that came closest.
EXTREME_PAIRS = 3


class Command(BaseCommand):
    help = (
        "Measure false match and false non-match rates of the face factor on "
        "labelled photos, enrolling file_x and verifying file_y of every pair "
        "through the same code as a sign-in."
    )

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument(
            "--pairs",
            metavar="PAIRS.csv",
            help="CSV file with the columns file_x,file_y,same (same: 1/0, yes/no "
            "or true/false).",
        )
        source.add_argument(
            "--identities",
            metavar="IDENTITIES.csv",
            help="CSV file with the columns file,person; every pair of files is "
            "evaluated, genuine when the person is the same.",
        )
        parser.add_argument(
            "--images",
            metavar="DIR",
            required=True,
            help="Folder that the file paths in the CSV file are relative to.",
        )
        parser.add_argument(
            "--target-fmr",
            type=float,
            default=0.0001,
            help="False match rate for which the largest threshold is reported "
            "(default 0.0001, 1 in 10,000).",
        )
        parser.add_argument(
            "--plot",
            metavar="FILE",
            help="Write the ROC curve to this PNG file (needs matplotlib).",
        )

    def handle(self, *args, **options):
        target = options["target_fmr"]
        if not 0 <= target < 1:
            raise CommandError(
                f"--target-fmr must be at least 0 and below 1, got {target}."
            )

        pairs, unlabelled = self.read_pairs(options)
        photos = evaluation.PhotoSet(options["images"])
        scored, skipped = evaluation.score_pairs(pairs, photos)

        self.report_input(pairs, unlabelled, photos, skipped, scored)
        if not scored:
            raise CommandError(
                "No pair could be evaluated: every pair has an excluded photo."
            )

        self.report_extremes(scored)
        self.report_table(scored)
        self.report_summary(scored, target)
        if options["plot"]:
            self.write_plot(scored, options["plot"])

        default = evaluation.error_rates(scored, face_settings.MFA_FACE_MATCH_THRESHOLD)
        self.stdout.write(
            f"default threshold {default.threshold:g}: "
            f"FMR {default.false_matches}/{default.impostor_pairs}, "
            f"FNMR {default.false_non_matches}/{default.genuine_pairs}"
        )

    def read_pairs(self, options):
        try:
            if options["pairs"]:
                return evaluation.read_pairs(options["pairs"]), []
            entries, unlabelled = evaluation.read_identities(options["identities"])
        except evaluation.LabelFileError as error:
            raise CommandError(str(error)) from error
        return evaluation.pairs_from_identities(entries), unlabelled

    def report_input(self, pairs, unlabelled, photos, skipped, scored):
        genuine = sum(item.pair.same for item in scored)
        files = {name for pair in pairs for name in (pair.file_x, pair.file_y)}
        self.stdout.write(
            f"{len(files)} photos in {len(pairs)} pairs; evaluated {len(scored)} pairs "
            f"({genuine} genuine, {len(scored) - genuine} impostor)"
        )

        for file in unlabelled:
            self.stdout.write(f"excluded {file}: no person given")
        for file, reason in sorted(photos.excluded.items()):
            self.stdout.write(f"excluded {file}: {reason}")
        if skipped:
            self.stdout.write(f"pairs left out because a photo was excluded: {skipped}")
        self.stdout.write("")

    def report_extremes(self, scored):
        genuine = sorted(
            (item for item in scored if item.pair.same), key=lambda item: -item.distance
        )
        impostor = sorted(
            (item for item in scored if not item.pair.same),
            key=lambda item: item.distance,
        )
        for title, items in (
            ("farthest genuine pairs", genuine),
            ("closest impostor pairs", impostor),
        ):
            if not items:
                continue
            self.stdout.write(f"{title}:")
            for item in items[:EXTREME_PAIRS]:
                self.stdout.write(
                    f"  {item.distance:.3f}  {item.pair.file_x}  {item.pair.file_y}"
                )
        self.stdout.write("")

    def report_table(self, scored):
        thresholds = sorted(
            {*evaluation.TABLE_THRESHOLDS, face_settings.MFA_FACE_MATCH_THRESHOLD}
        )
        self.stdout.write(f"{'threshold':>9}  {'FMR':>18}  {'FNMR':>18}")
        for threshold in thresholds:
            rates = evaluation.error_rates(scored, threshold)
            fmr = _count_and_rate(rates.false_matches, rates.impostor_pairs, rates.fmr)
            fnmr = _count_and_rate(
                rates.false_non_matches, rates.genuine_pairs, rates.fnmr
            )
            self.stdout.write(f"{threshold:>9.3f}  {fmr:>18}  {fnmr:>18}")
        self.stdout.write("")

    def report_summary(self, scored, target):
        rates, eer = evaluation.equal_error_rate(scored)
        if rates is None:
            self.stdout.write("equal error rate: needs both genuine and impostor pairs")
        else:
            self.stdout.write(
                f"equal error rate: {eer:.2%} at threshold {rates.threshold:.3f} "
                f"(FMR {rates.false_matches}/{rates.impostor_pairs}, "
                f"FNMR {rates.false_non_matches}/{rates.genuine_pairs})"
            )

        rates, limit = evaluation.threshold_for_fmr(scored, target)
        if rates is None:
            self.stdout.write(f"threshold for FMR <= {target:g}: needs impostor pairs")
            return

        if limit is None:
            reached = f"{rates.threshold:.3f} and above"
        else:
            reached = f"any threshold below {limit:.3f}"
        self.stdout.write(
            f"threshold for FMR <= {target:g}: {reached} "
            f"(FMR {rates.false_matches}/{rates.impostor_pairs}, "
            f"FNMR {rates.false_non_matches}/{rates.genuine_pairs})"
        )

        # With n impostor pairs and no false match, the rule of three bounds
        # the FMR below 3/n at 95 % confidence, so n must exceed 3/target
        # before a measured 0 supports the target.
        needed = math.ceil(3 / target) if target > 0 else None
        if needed is not None and rates.impostor_pairs < needed:
            self.stdout.write(
                f"note: {rates.impostor_pairs} impostor pairs cannot show an FMR of "
                f"{target:g}: with no false match, the 95 % upper bound is "
                f"3/{rates.impostor_pairs} = {3 / rates.impostor_pairs:.2%}, and "
                f"{needed} independent impostor pairs are needed."
            )
        self.stdout.write("")

    def write_plot(self, scored, path):
        try:
            import matplotlib
        except ImportError as error:
            raise CommandError(
                "--plot needs matplotlib, which is not installed. Install it with "
                "'pip install -r requirements-dev.txt' or 'pip install matplotlib'."
            ) from error

        matplotlib.use("Agg")
        from matplotlib import pyplot

        thresholds = sorted({0.0, *(item.distance for item in scored), math.inf})
        points = [evaluation.error_rates(scored, value) for value in thresholds]
        default = evaluation.error_rates(scored, face_settings.MFA_FACE_MATCH_THRESHOLD)

        figure, axes = pyplot.subplots(figsize=(6, 5))
        axes.plot(
            [rates.fmr for rates in points],
            [1 - rates.fnmr for rates in points],
            drawstyle="steps-post",
            label="face factor",
        )
        axes.plot(
            [default.fmr],
            [1 - default.fnmr],
            "o",
            label=f"default threshold {default.threshold:g}",
        )
        axes.set_xlabel("false match rate (FMR)")
        axes.set_ylabel("true match rate (1 - FNMR)")
        axes.set_xlim(-0.02, 1.02)
        axes.set_ylim(-0.02, 1.02)
        axes.set_title(
            f"ROC: {default.genuine_pairs} genuine, {default.impostor_pairs} impostor pairs"
        )
        axes.legend(loc="lower right")
        axes.grid(True, alpha=0.3)
        try:
            figure.savefig(path, format="png", dpi=100)
        except OSError as error:
            raise CommandError(
                f"Could not write the plot to {path}: {error}"
            ) from error
        finally:
            pyplot.close(figure)
        self.stdout.write(f"ROC curve written to {path}")


def _count_and_rate(count, total, rate):
    return f"{count}/{total} ({rate:.2%})"
