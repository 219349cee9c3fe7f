"""Errors of the face factor that a user can fix by trying again.

Each error carries a stable snake_case ``code`` for clients and a ``message``
that states what the user should do.
"""


class FaceError(Exception):
    """Base class of the errors a user can fix by taking another photo.

    ``code`` is a stable snake_case identifier for clients, and ``message`` is a
    sentence for the user that states what to do. Both default to the class
    attributes, so ``NoFace()`` needs no arguments.
    """

    code = "face_error"
    message = "The photo could not be processed. Take the photo again."

    def __init__(self, code=None, message=None):
        if code is not None:
            self.code = code
        if message is not None:
            self.message = message
        super().__init__(self.message)


class ImageRejected(FaceError):
    """Rejection of an upload that is not an acceptable JPEG or PNG image."""

    code = "invalid_image"
    message = "The photo could not be read. Take the photo again."


class NoFace(FaceError):
    """Absence of any face that the detector can find in the image."""

    code = "no_face"
    message = "No face found. Face the camera in good light and try again."


class MultipleFaces(FaceError):
    """Presence of more than one face in the image."""

    code = "multiple_faces"
    message = (
        "More than one face in view. Make sure only you are in front of the camera."
    )
