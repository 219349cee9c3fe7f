"""Fake camera input for the browser tests.

Chromium's fake capture device (``--use-fake-device-for-media-stream`` with
``--use-file-for-fake-video-capture=FILE``) plays a raw Y4M video file as the
camera and loops it, so a still photo written as Y4M frames becomes a camera
that always shows that photo, and frames of a video become a camera that shows
a person moving.
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
    _check_size(size)
    bgr = cv2.imread(str(photo_path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"OpenCV could not read the photo {photo_path}.")

    return _write_frames([letterbox(bgr, size)] * frames, out_path, size)


def write_y4m_from_video(video_path, out_path, first, last, size=(640, 480)):
    """Write a Y4M video of the frames ``first`` to ``last`` of a video file.

    The frames are read with OpenCV's VideoCapture and letterboxed like
    ``write_y4m``'s photo. Chromium loops the result, so the camera jumps back
    to ``first`` after ``last``.

    :param video_path: a video file that OpenCV can read, such as an MP4.
    :param out_path: the ``.y4m`` file to create or overwrite.
    :param first: index of the first frame to write, counting from 0.
    :param last: index of the last frame to write, included.
    :param size: (width, height) of the video in pixels, both even.
    :returns: ``out_path`` as a Path.
    """
    _check_size(size)
    capture = cv2.VideoCapture(str(video_path))
    if not capture.isOpened():
        raise ValueError(f"OpenCV could not open the video {video_path}.")

    frames = []
    try:
        index = 0
        while index <= last:
            ok, bgr = capture.read()
            if not ok:
                raise ValueError(
                    f"The video {video_path} ends at frame {index - 1}, before "
                    f"frame {last}."
                )
            if index >= first:
                frames.append(letterbox(bgr, size))
            index += 1
    finally:
        capture.release()
    return _write_frames(frames, out_path, size)


def _check_size(size):
    width, height = size
    if width % 2 or height % 2:
        raise ValueError(
            f"Y4M 4:2:0 needs an even width and height, got {width}x{height}."
        )


def _write_frames(frames, out_path, size):
    width, height = size
    out_path = Path(out_path)
    header = f"YUV4MPEG2 W{width} H{height} F{FRAME_RATE}:1 Ip A1:1 C420jpeg\n"
    with out_path.open("wb") as video:
        video.write(header.encode("ascii"))
        for frame in frames:
            # I420 is the Y plane followed by the quarter-size U and V planes,
            # which is the byte layout of one Y4M C420 frame.
            video.write(b"FRAME\n")
            video.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    return out_path
