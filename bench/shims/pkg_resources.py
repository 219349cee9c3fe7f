"""The one pkg_resources function that face_recognition_models 0.3.0 calls.

setuptools 81 and later ship no pkg_resources, and face_recognition 1.3.0
calls quit() when importing face_recognition_models fails. bench/face_bench.py
puts this folder on sys.path in its own process only, so that the plain
face_recognition pipeline can run as the baseline. The project itself never
imports this module.
"""

import os
import sys


def resource_filename(package, resource):
    """Return the path of ``resource`` inside the folder of the imported ``package``."""
    module = sys.modules[package]
    return os.path.join(os.path.dirname(module.__file__), resource)
