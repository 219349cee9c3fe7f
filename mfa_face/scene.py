"""Comparison of the backgrounds of a burst's frames, for passive liveness.

One camera capture keeps its background from frame to frame while the user
moves, and a series of different photos shown to the camera does not. The
comparison leaves out the head and body, which move in a live capture, and
the flat borders that photos scaled to the frame size get.
"""

import math

import cv2
import numpy as np

# Width, in pixels, that frames are scaled to before their backgrounds are
# compared. At 64 px a hand-held camera that shakes by a few pixels changes
# the background little, and the comparison of five 640x480 frames took
# about 2 ms (OpenCV 5.1, 2 cores).
SCENE_WIDTH = 64
# Fraction of the face box's side by which the left-out head and body region
# grows to the left, the right and the top. The region also reaches down to
# the bottom of the frame.
SCENE_BODY_MARGIN = 0.5
# Pixels whose 3x3 neighbourhood has a gray-level variance below this, in
# both frames, are left out of the background as well. A camera's noise
# keeps real backgrounds above it, and uniform borders added around a photo
# stay below it, so such borders do not count as a background that two
# photos share.
SCENE_FLAT_VARIANCE = 0.01


def scene_change(faces):
    """Compare the backgrounds of consecutive frames.

    Each frame is scaled to ``SCENE_WIDTH`` pixels wide in gray. The head and
    body regions of both frames (``SCENE_BODY_MARGIN``) and the pixels that
    are flat in both (``SCENE_FLAT_VARIANCE``) are left out. The difference
    is taken after each background's mean is subtracted, so that a camera's
    exposure adjusting between frames does not count as a change.

    :param faces: ``burst.FrameAnalysis`` objects of one size, in capture
        order.
    :return: ``(change, background)``: the largest mean absolute difference
        of a pair, in gray levels from 0 to 255, and the smallest fraction of
        a pair's pixels that were compared, from 0 to 1.
    """
    if len(faces) < 2:
        return 0.0, 1.0

    small = [_scene_gray(face.rgb) for face in faces]
    flat = [_flat_pixels(gray) for gray in small]
    scale = SCENE_WIDTH / faces[0].rgb.shape[1]

    largest = 0.0
    smallest_background = 1.0
    for index in range(len(faces) - 1):
        first, second = faces[index], faces[index + 1]
        mask = _background_mask(small[index].shape, (first.box, second.box), scale)
        mask &= ~(flat[index] & flat[index + 1])

        background = float(mask.mean())
        smallest_background = min(smallest_background, background)
        if not mask.any():
            continue

        first_values = small[index][mask]
        second_values = small[index + 1][mask]
        difference = (first_values - first_values.mean()) - (
            second_values - second_values.mean()
        )
        largest = max(largest, float(np.abs(difference).mean()))
    return largest, smallest_background


def _scene_gray(rgb):
    height, width = rgb.shape[:2]
    size = (SCENE_WIDTH, max(1, round(height * SCENE_WIDTH / width)))
    # Gray first, because scaling one channel down takes a third less time
    # than scaling three.
    gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    # float64, because the variance of a bright, flat patch is the difference
    # of two numbers near 65,000, which float32 resolves only to about 0.01.
    return small.astype(np.float64)


def _flat_pixels(gray):
    mean = cv2.blur(gray, (3, 3))
    variance = cv2.blur(gray * gray, (3, 3)) - mean * mean
    return variance < SCENE_FLAT_VARIANCE


def _background_mask(shape, boxes, scale):
    """Return True where a scaled frame shows neither head nor body of ``boxes``."""
    height, width = shape
    mask = np.ones((height, width), dtype=bool)
    for top, right, bottom, left in boxes:
        margin = SCENE_BODY_MARGIN * max(right - left, bottom - top)
        mask_top = max(0, math.floor((top - margin) * scale))
        mask_left = max(0, math.floor((left - margin) * scale))
        mask_right = min(width, math.ceil((right + margin) * scale))
        mask[mask_top:, mask_left:mask_right] = False
    return mask
