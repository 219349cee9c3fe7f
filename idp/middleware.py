"""Middleware of the whole site: extra response headers and a request body limit."""

import logging

logger = logging.getLogger(__name__)

# Paths of the face step's frame uploads.
FRAME_UPLOAD_SUFFIXES = ("/face/enroll/", "/face/verify/")


class PermissionsPolicyMiddleware:
    """Add ``Permissions-Policy`` from the ``PERMISSIONS_POLICY`` setting.

    The camera is allowed for this origin only, because the face step needs
    it; every other powerful feature listed in the setting is off.
    """

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(allowlist)})"
            for feature, allowlist in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response


class RequestBodyLimitMiddleware:
    """Reject a request whose declared body is too large, before anything reads it.

    Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not count uploaded files, and
    the CSRF check parses a multipart body, spooling files to disk, before a
    view could reject it. This middleware returns 413 from ``Content-Length``
    alone: frame uploads may carry ``MFA_FACE_MAX_FRAMES`` frames of
    ``MFA_FACE_MAX_FRAME_BYTES`` each, every other request
    ``IDP_MAX_REQUEST_BYTES``.

    A body without ``Content-Length`` (chunked) is never read: Django's WSGI
    request reads exactly ``CONTENT_LENGTH`` bytes, 0 when it is missing.
    Django's development server keeps reading the declared body after the
    413, so the limit saves the server's time only under gunicorn.
    """

    # Form fields and multipart boundaries beside the frames.
    FRAME_UPLOAD_OVERHEAD = 64 * 1024

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = self.limit_for(request.path)
        declared = self.declared_length(request)
        if declared is not None and declared > limit:
            logger.warning(
                "request body too large path=%s content_length=%d limit=%d",
                request.path,
                declared,
                limit,
            )
            return self.too_large(request, declared, limit)
        return self.get_response(request)

    def limit_for(self, path):
        from django.conf import settings

        from mfa_face.conf import settings as face_settings

        if path.endswith(FRAME_UPLOAD_SUFFIXES):
            frames = face_settings.MFA_FACE_MAX_FRAMES
            return frames * face_settings.MFA_FACE_MAX_FRAME_BYTES + (
                self.FRAME_UPLOAD_OVERHEAD
            )
        return settings.IDP_MAX_REQUEST_BYTES

    @staticmethod
    def declared_length(request):
        try:
            return int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None

    @staticmethod
    def too_large(request, declared, limit):
        from django.http import HttpResponse, JsonResponse

        message = (
            f"The request body is {declared} bytes, more than the maximum of "
            f"{limit} bytes. Send less data."
        )
        if request.path.endswith(FRAME_UPLOAD_SUFFIXES) or (
            "application/json" in request.headers.get("Accept", "")
        ):
            return JsonResponse(
                {"code": "request_too_large", "message": message}, status=413
            )
        return HttpResponse(message, status=413, content_type="text/plain")
