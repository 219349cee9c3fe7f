"""Count liveness and verification outcomes on clip bursts and simulated prints.

Run from the repository root:

    .venv/bin/python -m bench.burst_eval

Genuine bursts are 6 frames of the shared video clip, 12 frames (400 ms)
apart, starting at every frame from which the whole burst stays inside the
range where only the one moving person is in view. Attacks are bursts of the
same person's still photo projected as a hand-held print (see
``bench.material.print_attack_burst``) at several tilts and face sizes, and
series of different shared photos of one person shown one after another
(``bench.material.photo_series_burst``), plain or with every other photo
mirrored, and with or without camera noise. Each burst goes through
``burst.analyse_burst`` and the passive liveness check, as a sign-in does.

Verification counts come from enrolling one clip burst with
``factor.enrollment_template`` and matching every third genuine burst
against it with ``factor.match_burst``.
"""

import argparse
import os
import platform
from collections import Counter

import django
import numpy as np

# factor.py imports the FaceDevice model, so Django must be set up first. No
# database is used.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idp.settings")
django.setup()

from bench import material  # noqa: E402
from mfa_face import burst, engine, factor, liveness  # noqa: E402
from mfa_face.conf import settings as face_settings  # noqa: E402

BURST_FRAMES = 6
BURST_STEP = 12
ATTACK_TILTS = (5.0, 10.0, 20.0, 30.0, 40.0)
ATTACK_FACE_WIDTHS = (70, 90, 150, 230)
ENROLL_STARTS = (90, 125)
VERIFY_EVERY = 3
# Standard deviations of the camera noise of photo series attacks, in gray
# levels.
SERIES_NOISE = (0.0, 3.0)


def outcome(frames):
    """Return ``"accepted"`` or the kind and code of the liveness error, and figures.

    The figures are measured first and then judged, which is what
    ``liveness.check`` does at the passive level, so that rejected bursts
    have figures too.
    """
    analysed = burst.analyse_burst(frames)
    figures = None
    try:
        figures = liveness.measure(analysed.faces())
        liveness.judge_passive(figures)
    except liveness.PresentationAttack as error:
        return f"rejected:{error.code}", figures
    except liveness.LivenessRetry as error:
        return f"retry:{error.code}", figures
    return "accepted", figures


def genuine_outcomes(clip):
    results = []
    for start in genuine_starts():
        frames = material.clip_burst(clip, start, BURST_FRAMES, BURST_STEP)
        results.append((start, *outcome(frames)))
    return results


def attack_outcomes(photo, seeds):
    results = []
    for tilt in ATTACK_TILTS:
        for face_width in ATTACK_FACE_WIDTHS:
            for seed in range(seeds):
                rng = np.random.default_rng([int(tilt), face_width, seed])
                frames = material.print_attack_burst(
                    photo, rng, BURST_FRAMES, face_width=face_width, max_tilt=tilt
                )
                results.append(((tilt, face_width, seed), *outcome(frames)))
    return results


def series_outcomes():
    results = []
    for person, files in material.SERIES_PHOTOS.items():
        photos = [material.read_photo(relative) for relative in files]
        for mirror in (False, True):
            for noise in SERIES_NOISE:
                rng = np.random.default_rng(0)
                frames = material.photo_series_burst(
                    photos, rng, BURST_FRAMES, mirror_every_other=mirror, noise=noise
                )
                results.append(((person, mirror, noise), *outcome(frames)))
    return results


def genuine_starts():
    first = material.CLIP_PERSON_FRAMES.start
    last = material.CLIP_PERSON_FRAMES.stop - 1 - BURST_STEP * (BURST_FRAMES - 1)
    return range(first, last + 1)


def verification_outcomes(clip):
    """Match every third genuine burst against enrollments from the clip."""
    results = []
    for enroll_start in ENROLL_STARTS:
        enrollment = burst.analyse_burst(
            material.clip_burst(clip, enroll_start, BURST_FRAMES, BURST_STEP)
        )
        template, _ = factor.enrollment_template(enrollment)
        for start in genuine_starts()[::VERIFY_EVERY]:
            probe = burst.analyse_burst(
                material.clip_burst(clip, start, BURST_FRAMES, BURST_STEP)
            )
            # The same burst decided by the majority of frames alone, to show
            # what the clear match on the best frame changes.
            majority = factor.match_burst(template, probe, clear_match_distance=None)
            result = factor.match_burst(template, probe)
            results.append((enroll_start, start, result, majority))
    return results


def shares_enrollment_frames(enroll_start, start):
    """Tell whether a probe burst contains a frame of the enrollment burst."""
    enrolled = range(enroll_start, enroll_start + BURST_STEP * BURST_FRAMES, BURST_STEP)
    probed = range(start, start + BURST_STEP * BURST_FRAMES, BURST_STEP)
    return bool(set(enrolled) & set(probed))


def summarize(title, results):
    counts = Counter(result for _, result, _ in results)
    print(f"{title}: {len(results)} bursts")
    for result, count in sorted(counts.items()):
        print(f"  {result}: {count}")

    planar = [figures.planar_error for _, _, figures in results if figures]
    turns = [figures.pose_change for _, _, figures in results if figures]
    scenes = [figures.scene_change for _, _, figures in results if figures]
    backgrounds = [figures.background for _, _, figures in results if figures]
    if planar:
        print(
            f"  planar error: min {min(planar):.3f}, median {np.median(planar):.3f}, "
            f"max {max(planar):.3f}"
        )
        print(
            f"  pose change (degrees): min {min(turns):.1f}, "
            f"median {np.median(turns):.1f}, max {max(turns):.1f}"
        )
        print(
            f"  scene change (gray levels): min {min(scenes):.1f}, "
            f"median {np.median(scenes):.1f}, max {max(scenes):.1f}"
        )
        print(
            f"  background fraction: min {min(backgrounds):.2f}, "
            f"median {np.median(backgrounds):.2f}, max {max(backgrounds):.2f}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seeds", type=int, default=10, help="attack bursts per tilt and face size"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="print every burst's outcome"
    )
    args = parser.parse_args()

    print(f"machine: {platform.machine()} {platform.processor() or ''}".strip())
    clip = material.read_clip()
    genuine = genuine_outcomes(clip)
    attacks = attack_outcomes(material.read_photo(), args.seeds)
    series = series_outcomes()

    verifications = verification_outcomes(clip)

    if args.verbose:
        for key, result, figures in genuine + attacks + series:
            print(key, result, figures)
    summarize("genuine clip bursts", genuine)
    summarize("simulated print attacks", attacks)
    summarize("photo series attacks", series)

    threshold = face_settings.MFA_FACE_MATCH_THRESHOLD
    clear = face_settings.MFA_FACE_CLEAR_MATCH_DISTANCE
    matched = sum(result.matched for _, _, result, _ in verifications)
    distances = [result.distance for _, _, result, _ in verifications]
    described = Counter(len(result.distances) for _, _, result, _ in verifications)
    print(
        f"clip verification at threshold {threshold:g}, clear match at {clear}: "
        f"{matched} of {len(verifications)} bursts matched; median distance "
        f"{np.median(distances):.3f}, largest {max(distances):.3f}; descriptors "
        f"computed per burst: {dict(sorted(described.items()))}"
    )
    differ = sum(
        result.matched != majority.matched for _, _, result, majority in verifications
    )
    majority_matched = sum(majority.matched for _, _, _, majority in verifications)
    print(
        f"  by the majority of frames alone: {majority_matched} matched; "
        f"{differ} decisions differ"
    )
    spread_of_first_three(clip)
    farthest_frame_of_burst(clip)


def spread_of_first_three(clip):
    """Print how far apart the first three good frames of one burst lie from a template.

    Every genuine burst that shares no frame with the enrollment is compared,
    so the figure shows how much one frame can differ from the others of its
    burst.
    """
    spreads = []
    for enroll_start in ENROLL_STARTS:
        enrollment = burst.analyse_burst(
            material.clip_burst(clip, enroll_start, BURST_FRAMES, BURST_STEP)
        )
        template, _ = factor.enrollment_template(enrollment)
        for start in genuine_starts():
            if shares_enrollment_frames(enroll_start, start):
                continue
            probe = burst.analyse_burst(
                material.clip_burst(clip, start, BURST_FRAMES, BURST_STEP)
            )
            first_three = probe.good_frames()[:3]
            distances = [
                engine.face_distance(template, descriptor)
                for descriptor in burst.describe(first_three)
            ]
            spreads.append(max(distances) - min(distances))
    print(
        f"  first three good frames of {len(spreads)} bursts that share no frame "
        f"with the enrollment: distances spread by {np.median(spreads):.3f} "
        f"(median) to {max(spreads):.3f}"
    )


def farthest_frame_of_burst(clip):
    """Print how far the best frame of each genuine burst lies from its farthest frame.

    The distance is between the two frames' descriptors, without a template,
    so it shows how far apart frames of one person in one burst can be.
    """
    farthest = []
    for start in genuine_starts():
        probe = burst.analyse_burst(
            material.clip_burst(clip, start, BURST_FRAMES, BURST_STEP)
        )
        best, *others = burst.describe(probe.good_frames())
        farthest.append(max(engine.face_distance(best, other) for other in others))
    print(
        f"  best frame to the farthest good frame of its burst, {len(farthest)} "
        f"bursts: median {np.median(farthest):.3f}, largest {max(farthest):.3f}"
    )


if __name__ == "__main__":
    main()
