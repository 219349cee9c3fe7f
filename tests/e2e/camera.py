"""Fake camera input for the browser tests.

Chromium's fake capture device (``--use-fake-device-for-media-stream`` with
``--use-file-for-fake-video-capture=FILE``) plays a raw Y4M video file as the
camera and loops it, so a still photo written as Y4M frames becomes a camera
that always shows that photo.
"""

from pathlib import Path

import cv2
import numpy as np

FRAME_RATE = 30


def letterbox(bgr, size):
    """Return ``bgr`` scaled to fit ``size`` (width, height), centered on black.

    The aspect ratio is kept, so a portrait photo gets black bars on its left
    and right instead of being stretched.
    """
    width, height = size
    source_height, source_width = bgr.shape[:2]
    scale = min(width / source_width, height / source_height)
    scaled_width = max(1, round(source_width * scale))
    scaled_height = max(1, round(source_height * scale))

    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    scaled = cv2.resize(bgr, (scaled_width, scaled_height), interpolation=interpolation)

    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    top = (height - scaled_height) // 2
    left = (width - scaled_width) // 2
    canvas[top : top + scaled_height, left : left + scaled_width] = scaled
    return canvas


def write_y4m(photo_path, out_path, frames=30, size=(640, 480)):
    """Write a Y4M video of ``frames`` identical frames showing one photo.

    Chromium's fake capture device plays a Y4M file as the camera, so this
    is how a photo becomes the browser's camera.

    :param photo_path: a JPEG or PNG file that OpenCV can read.
    :param out_path: the ``.y4m`` file to create or overwrite.
    :param frames: number of frames; Chromium loops the file, so a still
        photo needs only a few.
    :param size: (width, height) of the video in pixels. Both must be even,
        because 4:2:0 chroma planes have half the width and height.
    :returns: ``out_path`` as a Path.
    """
    width, height = size
    if width % 2 or height % 2:
        raise ValueError(
            f"Y4M 4:2:0 needs an even width and height, got {width}x{height}."
        )

    bgr = cv2.imread(str(photo_path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"OpenCV could not read the photo {photo_path}.")

    frame = letterbox(bgr, size)
    # I420 is the Y plane followed by the quarter-size U and V planes, which is
    # the byte layout of one Y4M C420 frame.
    planes = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes()

    out_path = Path(out_path)
    header = f"YUV4MPEG2 W{width} H{height} F{FRAME_RATE}:1 Ip A1:1 C420jpeg\n"
    with out_path.open("wb") as video:
        video.write(header.encode("ascii"))
        for _ in range(frames):
            video.write(b"FRAME\n")
            video.write(planes)
    return out_path
