"""Time the face factor against the plain face_recognition pipeline, in one run.

Run from the repository root with ``make bench``, or:

    .venv/bin/python -m bench.face_bench

All timings use the same five 640x480 JPEG frames: frames of the shared video
clip, 400 ms apart, with black bars above and below. Each figure is the median
of ``--rounds`` runs (``--attempt-rounds`` for the 5-frame attempts) after one
warm-up run:

1. the plain face_recognition 1.3.0 pipeline on one frame: load_image_file,
   face_locations and face_encodings with their defaults;
2. the project's verification path for one frame of a burst: decode, find the
   face near its box in the previous frame, 68 landmarks, quality gates and
   the descriptor. The first frame of a burst scans the whole frame instead,
   and is timed on its own line;
3. dlib's descriptor alone (compute_face_descriptor) on a face whose 5
   landmarks are already known: the floor that no path can go below;
4. one whole 5-frame attempt: ``factor.verify_frames`` with passive liveness,
   against the plain pipeline run on all 5 frames and compared with the same
   template.

With ``--steps`` the bench also times each step of an attempt on its own:
decoding, the full-frame and the nearby face search, landmarks, quality
gates, the analysis of all frames, liveness and one descriptor.

The machine, the dlib build and the load average at the start and the end
come first. The functions take turns within each round, and each ratio of
the last line is the median over rounds of the ratio of that round's two
timings (``bench.timing.paired_ratio``), so that a slow stretch of the
machine falls on both sides of a ratio. The line before it gives the ratios of the
medians for comparison. The last line is ``face-verify ratios:
path/floor=X.XX baseline/path=Y.YY attempt-speedup=Z.ZZ``.
"""

import argparse
import datetime
import io
import os
import platform
import statistics
import sys
from pathlib import Path

import django
import numpy as np

# OpenBLAS starts one thread per core by default, and a second thread would
# hide part of the descriptor's cost. The bench compares single-threaded work,
# so a dlib built with OpenBLAS runs on one thread unless OPENBLAS_NUM_THREADS
# is set. The variable must be set before dlib loads OpenBLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# factor.py imports the FaceDevice model, so Django must be set up first. The
# bench uses no database.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idp.settings")
django.setup()

from bench import material  # noqa: E402
from bench.timing import paired_ratio, time_interleaved  # noqa: E402
from mfa_face import burst, engine, factor, liveness, quality  # noqa: E402
from mfa_face.conf import settings as face_settings  # noqa: E402

SHIMS_DIR = Path(__file__).resolve().parent / "shims"
ATTEMPT_START = 146
ENROLL_START = 125
ATTEMPT_FRAMES = 5


def import_face_recognition():
    """Import face_recognition 1.3.0 for the baseline, in this process only.

    face_recognition_models 0.3.0 imports pkg_resources, which setuptools 81
    and later no longer ship, and face_recognition then calls quit(). A
    one-function stand-in on sys.path (bench/shims/pkg_resources.py) lets the
    import succeed; the project's own engine finds the model files without it.
    """
    if "pkg_resources" not in sys.modules:
        try:
            import pkg_resources  # noqa: F401
        except ImportError:
            sys.path.insert(0, str(SHIMS_DIR))
    try:
        import face_recognition
    except ImportError as error:
        raise SystemExit(
            "The baseline needs face_recognition 1.3.0. Install it with "
            "'.venv/bin/pip install --no-deps face_recognition==1.3.0'."
        ) from error
    return face_recognition


def decode(data):
    return engine.decode_image(
        data,
        max_bytes=face_settings.MFA_FACE_MAX_FRAME_BYTES,
        max_pixels=face_settings.MFA_FACE_MAX_FRAME_PIXELS,
    )


def time_steps(frames, analysed, rounds):
    """Time the steps of one attempt on their own, to show where its time goes.

    :param frames: the encoded frames of the attempt.
    :param analysed: their ``burst.Burst``, for the boxes and landmarks.
    :return: dict of label to a list of timings in milliseconds.
    """
    first, later = analysed.frames[0], analysed.frames[1]

    def gates():
        measured = quality.measure(later.rgb, later.box, later.landmarks)
        return quality.failed_gate(measured)

    steps = {
        "step: decode one frame": lambda: decode(frames[1]),
        "step: full-frame face search": lambda: engine.face_locations(first.rgb),
        "step: nearby face search": lambda: engine.face_locations_near(
            later.rgb, first.box
        ),
        "step: 68 landmarks": lambda: engine.face_landmarks(later.rgb, later.box),
        "step: quality gates": gates,
        "step: analyse all frames": lambda: burst.analyse_burst(frames),
        "step: passive liveness": lambda: liveness.check(analysed, liveness.PASSIVE),
        "step: one descriptor": lambda: engine.face_descriptor(later.rgb, later.box),
    }
    return time_interleaved(steps, rounds)


def describe_machine():
    import dlib

    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    blas = bool(getattr(dlib, "DLIB_USE_BLAS", False))
    build = "built with BLAS" if blas else "built without BLAS (dlib-bin wheel)"
    started = datetime.datetime.now(datetime.UTC)
    print(f"date: {started:%Y-%m-%d %H:%M} UTC")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {cpu or 'unknown CPU'}"
    )
    print(f"python {platform.python_version()}, numpy {np.__version__}")
    print(f"dlib {dlib.__version__}, DLIB_USE_BLAS={blas}: {build}")
    if blas:
        print(f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    print_load("load average at start")


def print_load(label):
    """Print the 1, 5 and 15 minute load averages, to judge how shared the CPU was."""
    load_1, load_5, load_15 = os.getloadavg()
    print(f"{label}: {load_1:.2f} {load_5:.2f} {load_15:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=30, help="timed runs per figure (default 30)"
    )
    parser.add_argument(
        "--attempt-rounds",
        type=int,
        default=15,
        help="timed runs of the whole 5-frame attempts (default 15)",
    )
    parser.add_argument(
        "--steps",
        action="store_true",
        help="also time each step of an attempt on its own, --rounds times",
    )
    args = parser.parse_args()

    face_recognition = import_face_recognition()
    describe_machine()

    clip = material.read_clip()
    frames = material.clip_burst(clip, ATTEMPT_START, count=ATTEMPT_FRAMES)
    enrollment = burst.analyse_burst(material.clip_burst(clip, ENROLL_START))
    template, _ = factor.enrollment_template(enrollment)
    print(
        f"frames: {len(frames)} JPEGs of 640x480, {min(map(len, frames))} to "
        f"{max(map(len, frames))} bytes, clip frames {ATTEMPT_START} onwards"
    )

    # The project's analysis of the burst gives the boxes that later frames
    # are searched near, and the 5-point landmarks for the floor.
    images = [decode(data) for data in frames]
    analysed = burst.analyse_burst(frames)
    boxes = [frame.box for frame in analysed.frames]
    if any(box is None for box in boxes):
        raise SystemExit("A bench frame shows no face; choose other clip frames.")

    models = engine._get_models()
    floor_image = images[1]
    floor_shape = models.shape_predictor(floor_image, engine._box_to_rect(boxes[1]))
    probe = io.BytesIO(frames[1])

    def baseline_frame():
        probe.seek(0)
        image = face_recognition.load_image_file(probe)
        locations = face_recognition.face_locations(image)
        return face_recognition.face_encodings(image, locations)

    def project_tracked_frame():
        rgb = decode(frames[1])
        frame = burst.analyse_frame(1, rgb, previous_box=boxes[0])
        return frame.descriptor()

    def project_first_frame():
        rgb = decode(frames[1])
        frame = burst.analyse_frame(0, rgb)
        return frame.descriptor()

    def floor():
        return models.resnet.compute_face_descriptor(floor_image, floor_shape)

    def baseline_attempt():
        distances = []
        for data in frames:
            image = face_recognition.load_image_file(io.BytesIO(data))
            locations = face_recognition.face_locations(image)
            for encoding in face_recognition.face_encodings(image, locations):
                distances.append(
                    face_recognition.face_distance(template, encoding).min()
                )
        return distances

    def project_attempt():
        return factor.verify_frames(template, frames, liveness.PASSIVE)

    result = project_attempt()
    print(
        f"project attempt: matched={result.matched}, described "
        f"{len(result.distances)} of {len(frames)} frames, median distance "
        f"{result.distance:.3f}"
    )

    per_frame = {
        "baseline face_recognition, one frame": baseline_frame,
        "project path, later frame of a burst": project_tracked_frame,
        "project path, first frame of a burst": project_first_frame,
        "floor: dlib descriptor alone": floor,
    }
    attempts = {
        "baseline face_recognition, 5 frames": baseline_attempt,
        "project attempt, 5 frames": project_attempt,
    }
    timings = time_interleaved(per_frame, args.rounds)
    timings.update(time_interleaved(attempts, args.attempt_rounds))
    if args.steps:
        timings.update(time_steps(frames, analysed, args.rounds))

    medians = {}
    for label, values in timings.items():
        medians[label] = statistics.median(values)
        print(
            f"{label}: median {medians[label]:.1f} ms (min {min(values):.1f}, "
            f"max {max(values):.1f}, {len(values)} runs)"
        )

    path_label = "project path, later frame of a burst"
    floor_label = "floor: dlib descriptor alone"
    baseline_label = "baseline face_recognition, one frame"
    baseline_attempt_label = "baseline face_recognition, 5 frames"
    attempt_label = "project attempt, 5 frames"
    print_load("load average at end")
    print(
        "ratios of the medians above: "
        f"path/floor={medians[path_label] / medians[floor_label]:.2f} "
        f"baseline/path={medians[baseline_label] / medians[path_label]:.2f} "
        "attempt-speedup="
        f"{medians[baseline_attempt_label] / medians[attempt_label]:.2f}"
    )
    print(
        "face-verify ratios: "
        f"path/floor={paired_ratio(timings[path_label], timings[floor_label]):.2f} "
        "baseline/path="
        f"{paired_ratio(timings[baseline_label], timings[path_label]):.2f} "
        "attempt-speedup="
        f"{paired_ratio(timings[baseline_attempt_label], timings[attempt_label]):.2f}"
    )


if __name__ == "__main__":
    main()
