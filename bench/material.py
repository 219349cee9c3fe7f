"""Camera material for the liveness tests and the measurement scripts.

Genuine bursts are frames of the shared video clip, in which one person moves
and talks. Presentation attacks are simulated: a still photo of the same
person is projected as a flat, hand-held print would be, with a fresh random
tilt, turn, roll, shift and distance for every frame, then given camera noise
and JPEG compression. Nothing is written to disk.
"""

import math

import cv2
import numpy as np

from tests.faces import face_path

CLIP = "video/short_hamilton_clip.mp4"
# The person in the still photo is the one who moves in the clip.
CLIP_PERSON_PHOTO = "people/lin_manuel_miranda/lin-manuel-miranda.png"
# Frames of the clip that show the one moving person and no other. Some
# frames inside the range show no face (his hand or the microphone covers
# it); another person appears from about frame 212.
CLIP_PERSON_FRAMES = range(85, 211)
# Shared photos of one person each that show different pictures, for the
# photo series attacks. Files that are one picture at several sizes or crops
# are listed once.
SERIES_PHOTOS = {
    "obama": [
        "people/obama/obama.jpg",
        "people/obama/obama2.jpg",
        "people/obama/obama3.jpg",
        "people/obama/obama4.jpg",
    ],
    "kit_harington": ["people/kit_harington/kit1.jpg", "people/kit_harington/kit3.jpg"],
    "alex_lacamoire": [
        "people/alex_lacamoire/alex2.jpg",
        "people/alex_lacamoire/alex3.jpg",
        "people/alex_lacamoire/alex-lacamoire.png",
    ],
    "biden": ["people/biden/biden.jpg", "people/biden/biden2.jpg"],
    "rose_leslie": ["people/rose_leslie/rose1.jpg", "people/rose_leslie/rose2.jpg"],
}

FRAME_SIZE = (640, 480)
JPEG_QUALITY = 90


def read_clip(relative=CLIP):
    """Return every frame of a shared video as a list of HxWx3 RGB arrays."""
    capture = cv2.VideoCapture(str(face_path(relative)))
    if not capture.isOpened():
        raise OSError(f"OpenCV could not open the video {relative}.")

    frames = []
    try:
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    finally:
        capture.release()
    return frames


def pad_to_frame(rgb, size=FRAME_SIZE):
    """Center ``rgb`` on a black canvas of ``size`` (width, height), unscaled.

    The clip is 640x360, and browsers capture 640x480, so its frames get
    black bars above and below, as a letterboxed camera image would.
    """
    width, height = size
    source_height, source_width = rgb.shape[:2]
    if source_width > width or source_height > height:
        raise ValueError(
            f"a {source_width}x{source_height} image does not fit in {width}x{height}"
        )

    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    top = (height - source_height) // 2
    left = (width - source_width) // 2
    canvas[top : top + source_height, left : left + source_width] = rgb
    return canvas


def encode_jpeg(rgb, quality=JPEG_QUALITY):
    """Return an RGB array as JPEG bytes, as a browser's canvas.toBlob makes them."""
    ok, encoded = cv2.imencode(
        ".jpg",
        cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
        [cv2.IMWRITE_JPEG_QUALITY, quality],
    )
    if not ok:
        raise ValueError("OpenCV could not encode the frame as JPEG.")
    return encoded.tobytes()


def clip_burst(clip_frames, start, count=6, step=12):
    """Return ``count`` clip frames from ``start``, ``step`` frames apart, as JPEGs.

    At the clip's 29.97 frames a second, a step of 12 frames is 400 ms, the
    camera page's default interval.
    """
    indices = [start + step * position for position in range(count)]
    return [encode_jpeg(pad_to_frame(clip_frames[index])) for index in indices]


def read_photo(relative=CLIP_PERSON_PHOTO):
    """Return one shared photo as an RGB array, transparency on white."""
    bgr = cv2.imread(str(face_path(relative)), cv2.IMREAD_COLOR)
    if bgr is None:
        raise OSError(f"OpenCV could not read the photo {relative}.")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def print_attack_burst(
    photo,
    rng,
    count=6,
    face_width=150,
    max_tilt=20.0,
    max_roll=5.0,
    max_shift=12.0,
    noise=3.0,
):
    """Simulate a burst of a printed photo held up to a camera.

    The photo is a flat rectangle in front of a pinhole camera with a focal
    length of one frame width. For every frame it gets a new random
    orientation: up to ``max_tilt`` degrees about the horizontal and the
    vertical axis, and up to ``max_roll`` degrees in the image plane. It also
    drifts by up to ``max_shift`` pixels, and its distance varies by 5 %.
    Gaussian camera noise of ``noise`` gray levels and JPEG compression follow.

    :param photo: HxWx3 RGB array of the still photo.
    :param rng: a numpy Generator, so a burst can be made again.
    :param face_width: approximate width of the face in the frames, in pixels,
        assuming the face spans about 40 % of the photo's width.
    :return: list of ``count`` JPEG frames (bytes) of 640x480.
    """
    width, height = FRAME_SIZE
    focal = float(width)
    distance = 500.0
    photo_height, photo_width = photo.shape[:2]

    # Size of one photo pixel on the plane, so that the face is face_width px
    # wide in the frame at the base distance.
    pixel_size = face_width / (0.4 * photo_width) * distance / focal
    half_width = photo_width * pixel_size / 2
    half_height = photo_height * pixel_size / 2
    corners = np.array(
        [
            [-half_width, -half_height, 0.0],
            [half_width, -half_height, 0.0],
            [half_width, half_height, 0.0],
            [-half_width, half_height, 0.0],
        ]
    )
    source = np.array(
        [[0, 0], [photo_width, 0], [photo_width, photo_height], [0, photo_height]],
        dtype=np.float32,
    )
    center = np.array([rng.uniform(-40, 40), rng.uniform(-30, 30)])
    background = np.full((height, width, 3), 35, dtype=np.uint8)

    frames = []
    for _ in range(count):
        rotation = _rotation(
            rng.uniform(-max_tilt, max_tilt),
            rng.uniform(-max_tilt, max_tilt),
            rng.uniform(-max_roll, max_roll),
        )
        drift = center + rng.uniform(-max_shift, max_shift, 2)
        depth = distance * rng.uniform(0.95, 1.05)
        placed = corners @ rotation.T + np.array(
            [drift[0] * depth / focal, drift[1] * depth / focal, depth]
        )
        projected = placed[:, :2] / placed[:, 2:] * focal + np.array(
            [width / 2, height / 2]
        )

        homography = cv2.getPerspectiveTransform(source, projected.astype(np.float32))
        frame = cv2.warpPerspective(
            photo,
            homography,
            (width, height),
            dst=background.copy(),
            borderMode=cv2.BORDER_TRANSPARENT,
        )
        noisy = frame.astype(np.float64) + rng.normal(0.0, noise, frame.shape)
        frames.append(encode_jpeg(np.clip(noisy, 0, 255).astype(np.uint8)))
    return frames


def fit_to_frame(rgb, size=FRAME_SIZE):
    """Scale ``rgb`` to fit ``size`` (width, height) and center it on black."""
    width, height = size
    source_height, source_width = rgb.shape[:2]
    factor = min(width / source_width, height / source_height)
    scaled_size = (
        max(1, round(source_width * factor)),
        max(1, round(source_height * factor)),
    )
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    scaled = cv2.resize(rgb, scaled_size, interpolation=interpolation)
    return pad_to_frame(scaled, size)


def photo_series_burst(photos, rng, count=6, mirror_every_other=False, noise=0.0):
    """Simulate a burst of different photos of one person shown to the camera.

    Each photo is scaled to fit a 640x480 frame, with black bars where its
    shape differs, and the photos follow each other in the order given,
    repeating from the start when there are fewer than ``count``. Mirroring
    every other photo turns its head the other way, which is how such a
    series fakes the head turns of an active liveness check.

    :param photos: list of HxWx3 RGB arrays, at least one.
    :param rng: a numpy Generator for the camera noise.
    :param noise: standard deviation of Gaussian noise added to every pixel,
        in gray levels, so that the black bars are no longer uniform.
    :return: list of ``count`` JPEG frames (bytes) of 640x480.
    """
    frames = []
    for position in range(count):
        photo = photos[position % len(photos)]
        if mirror_every_other and position % 2 == 1:
            photo = photo[:, ::-1]
        frame = fit_to_frame(np.ascontiguousarray(photo)).astype(np.float64)
        if noise:
            frame += rng.normal(0.0, noise, frame.shape)
        frames.append(encode_jpeg(np.clip(frame, 0, 255).astype(np.uint8)))
    return frames


def _rotation(tilt_degrees, turn_degrees, roll_degrees):
    tilt, turn, roll = (
        math.radians(tilt_degrees),
        math.radians(turn_degrees),
        math.radians(roll_degrees),
    )
    about_x = np.array(
        [
            [1, 0, 0],
            [0, math.cos(tilt), -math.sin(tilt)],
            [0, math.sin(tilt), math.cos(tilt)],
        ]
    )
    about_y = np.array(
        [
            [math.cos(turn), 0, math.sin(turn)],
            [0, 1, 0],
            [-math.sin(turn), 0, math.cos(turn)],
        ]
    )
    about_z = np.array(
        [
            [math.cos(roll), -math.sin(roll), 0],
            [math.sin(roll), math.cos(roll), 0],
            [0, 0, 1],
        ]
    )
    return about_z @ about_y @ about_x
