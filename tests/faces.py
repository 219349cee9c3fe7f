"""Location of the shared development photos used by the face tests.

The folder is ``$FACES_DIR`` when that variable is set, else ``faces`` in the
``shared`` folder next to the repository. Its files are read-only: tests copy a
photo into a temporary folder before altering it.
"""

import os
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent


def faces_dir():
    """Return the folder of shared photos as a Path."""
    configured = os.environ.get("FACES_DIR")
    if configured:
        return Path(configured)
    return REPO_DIR.parent / "shared" / "faces"


def face_path(relative):
    """Return the path of one photo, given relative to the photo folder."""
    path = faces_dir() / relative
    if not path.is_file():
        raise FileNotFoundError(
            f"Test photo not found: {path}. Set FACES_DIR to the folder of "
            f"shared face photos."
        )
    return path


def face_bytes(relative):
    """Return the file contents of one photo."""
    return face_path(relative).read_bytes()
