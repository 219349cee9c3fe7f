"""Error pages of the whole site."""

import logging
import sys

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import DatabaseError
from django.http import JsonResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)


JSON_PATH_SUFFIXES = ("/enroll/", "/verify/", "/challenge/")


def json_error(code, message, status, headers=None):
    """Return the JSON error body of the face step's endpoints."""
    return JsonResponse(
        {"code": code, "message": message}, status=status, headers=headers
    )


def wants_json(request):
    accept = request.headers.get("Accept", "")
    return "application/json" in accept or request.path.endswith(JSON_PATH_SUFFIXES)


# OAuth endpoints that clients call directly, which return RFC 6749 JSON
# errors.
OAUTH_JSON_PATH_SUFFIXES = ("/token/", "/userinfo/")


def bad_request(request, exception):
    """Return a 400 response for a request Django could not parse (bad multipart body)."""
    logger.info("bad request path=%s error=%s", request.path, type(exception).__name__)
    if request.path.startswith("/oidc/") and request.path.endswith(
        OAUTH_JSON_PATH_SUFFIXES
    ):
        return JsonResponse(
            {
                "error": "invalid_request",
                "error_description": "The request body could not be read. Send it "
                "as application/x-www-form-urlencoded in UTF-8.",
            },
            status=400,
        )
    if wants_json(request):
        code, message = upload_rejection(exception)
        return json_error(code, message, status=400)
    return render(request, "400.html", status=400)


def upload_rejection(exception):
    """Return the error code and message for a multipart body that Django rejected."""
    if isinstance(exception, TooManyFilesSent):
        return (
            "too_many_files",
            f"The upload has more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES} "
            "files. Send only the camera frames of one attempt.",
        )
    if isinstance(exception, TooManyFieldsSent):
        return (
            "too_many_fields",
            f"The upload has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} "
            "fields. Send only the frames, the transaction and the challenge.",
        )
    if isinstance(exception, RequestDataTooBig):
        return (
            "field_too_large",
            "A form field of the upload is larger than "
            f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes. Send the camera "
            "frames as files.",
        )
    return (
        "malformed_upload",
        "The upload could not be read. Reload the page and try again.",
    )


def not_found(request, exception):
    """Return a 404 response, in JSON for the face step's endpoints."""
    if wants_json(request):
        return json_error(
            "not_found",
            "Nothing is at this address. Start the sign-in again from the application.",
            status=404,
        )
    return render(request, "404.html", status=404)


def csrf_failure(request, reason=""):
    """Return a 403 response for a POST whose CSRF token is missing or wrong."""
    logger.info("csrf failure path=%s reason=%s", request.path, reason)
    if wants_json(request):
        return json_error(
            "csrf_failed",
            "The CSRF token is missing or expired (CSRF check failed). Reload the "
            "page and try again.",
            status=403,
        )
    return render(request, "403_csrf.html", status=403)


def server_error(request):
    """Render 503 while the database is unreachable, 500 for anything else.

    Django calls this handler inside its ``except`` block, so the exception
    being handled is still available from ``sys.exc_info()``.
    """
    error = sys.exc_info()[1]
    if isinstance(error, DatabaseError):
        logger.error("database unavailable path=%s error=%s", request.path, error)
        if wants_json(request):
            return json_error(
                "service_unavailable",
                "The service is briefly unavailable. Try again in a minute.",
                status=503,
                headers={"Retry-After": "30"},
            )
        response = render(request, "503.html", status=503)
        response["Retry-After"] = "30"
        return response

    if wants_json(request):
        return json_error(
            "server_error", "Something went wrong. Try again.", status=500
        )
    return render(request, "500.html", status=500)
