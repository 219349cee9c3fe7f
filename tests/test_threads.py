"""Verification from many threads at once decides as one thread does.

A threaded server (gunicorn's gthread worker) runs several face steps in one
process at the same time, and they share one set of dlib models. No database
is needed: ``factor.verify_frames`` is the decision that the verify endpoint
stores.
"""

import random
import threading

import numpy as np
import pytest

from bench import material
from mfa_face import burst, engine, factor, liveness
from tests.faces import face_bytes

THREADS = 6


@pytest.fixture(scope="module")
def clip():
    return material.read_clip()


@pytest.fixture(scope="module")
def template(clip):
    enrollment = burst.analyse_burst(material.clip_burst(clip, 125))
    descriptors, _ = factor.enrollment_template(enrollment)
    return descriptors


@pytest.fixture(scope="module")
def cases(clip):
    """Bursts that match, mismatch and fail liveness, with their liveness level."""
    still = face_bytes(material.CLIP_PERSON_PHOTO)
    return {
        "genuine_early": (material.clip_burst(clip, 90), liveness.PASSIVE),
        "genuine_late": (material.clip_burst(clip, 146), liveness.PASSIVE),
        "impostor": ([face_bytes("people/obama/obama.jpg")], liveness.OFF),
        "still_photo": ([still] * 6, liveness.PASSIVE),
    }


def decide(template, frames, level):
    """Return a comparable outcome: the match and distances, or the error code."""
    try:
        result = factor.verify_frames(template, frames, level)
    except engine.FaceError as error:
        return ("rejected", error.code)
    return ("decided", result.matched, tuple(round(d, 6) for d in result.distances))


def test_single_thread_outcomes_cover_each_case(template, cases):
    outcomes = {name: decide(template, *case) for name, case in cases.items()}

    assert outcomes["genuine_early"][:2] == ("decided", True)
    assert outcomes["genuine_late"][:2] == ("decided", True)
    assert outcomes["impostor"][:2] == ("decided", False)
    assert outcomes["still_photo"] == ("rejected", "still_image")


def test_many_threads_decide_as_one(template, cases):
    expected = {name: decide(template, *case) for name, case in cases.items()}

    start = threading.Barrier(THREADS)
    results = [[] for _ in range(THREADS)]
    errors = []

    def work(index):
        order = list(cases)
        random.Random(index).shuffle(order)
        start.wait()
        try:
            for name in order:
                results[index].append((name, decide(template, *cases[name])))
        except Exception as exc:  # reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    for outcomes in results:
        assert len(outcomes) == len(cases)
        for name, outcome in outcomes:
            assert outcome == expected[name], name


@pytest.fixture
def fresh_models():
    engine._reset_models()
    yield
    engine._reset_models()


def test_models_load_once_for_many_threads(fresh_models, monkeypatch):
    calls = []
    original = engine._load

    def counting_load():
        calls.append(threading.get_ident())
        return original()

    monkeypatch.setattr(engine, "_load", counting_load)
    start = threading.Barrier(THREADS)
    seen = []

    def work():
        start.wait()
        seen.append(engine._get_models())

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(calls) == 1
    assert len(seen) == THREADS
    assert all(models is seen[0] for models in seen)


def test_template_descriptors_are_finite(template):
    assert template.shape == (3, 128)
    assert np.all(np.isfinite(template))
