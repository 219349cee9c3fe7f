"""Record audit events: one database row and one structured log line each.

Usage, from a view that already has the objects at hand::

    from audit.events import EventType, record

    record(EventType.FACE_REJECTED, request=request, app=app, end_user=user,
           distance=0.61, reason="face_mismatch")

:func:`record` runs in the caller's database transaction. When that transaction
rolls back, the row goes with it but the log line has already been written, so
the log can show an event that the table does not.
"""

import ipaddress
import json
import logging
import re

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError
from django.utils import timezone

from .conf import settings as audit_settings
from .models import AuditEvent, EventType

__all__ = ["EventType", "ForbiddenDetail", "client_ip", "record"]

logger = logging.getLogger("audit")

# A details key is rejected when any of its words (split at "_", "-", "." and
# camelCase) is one of these, so "new_password" and "clientSecret" are
# rejected as well as "password".
SECRET_WORDS = frozenset({"password", "passwd", "secret", "token", "cookie", "otp"})
# A details key is rejected when its last word is one of these, because the
# key then names the data itself ("frames", "face_template"). A key that goes
# on to name a property of it ("frame_count", "frames_described") is allowed.
BIOMETRIC_WORDS = frozenset(
    {
        "template",
        "templates",
        "descriptor",
        "descriptors",
        "frame",
        "frames",
        "image",
        "images",
        "photo",
        "photos",
    }
)
# Keys whose single words are harmless ("code" alone names a reason code).
FORBIDDEN_KEYS = frozenset(
    {
        "recovery_code",
        "authorization_code",
        "auth_code",
        "session_key",
        "sessionid",
        "csrfmiddlewaretoken",
    }
)

# Details are short facts. A longer list or text could be a descriptor (128
# numbers) or an encoded frame under an innocent key, so it is rejected.
MAX_LIST_ITEMS = 16
MAX_TEXT_LENGTH = 500

WARNING_EVENTS = frozenset({EventType.FACE_LOCKED, EventType.PASSWORD_LOCKED})


class ForbiddenDetail(ValueError):
    """A details entry that could carry a secret or biometric data."""


def record(
    event,
    *,
    request=None,
    pool=None,
    app=None,
    end_user=None,
    actor=None,
    identifier="",
    **details,
):
    """Store one audit event and write it to the ``audit`` logger as JSON.

    :param event: an :class:`EventType` or its string value.
    :param request: the current request, read only for the client IP
        (:func:`client_ip`). The administrator is not taken from it: pass
        ``actor`` explicitly, because a browser can hold a console session and
        an end-user sign-in at once.
    :param pool: the user pool. When omitted it is taken from ``app`` or
        ``end_user``.
    :param app: the self-built application (``authn.Application``), if any.
    :param end_user: the ``authn.EndUser`` concerned, if known.
    :param actor: the console administrator who acted, if any.
    :param identifier: for an unknown account, the identifier that was typed.
        Defaults to the end user's display name.
    :param details: JSON-serializable facts, for example ``distance=0.42``,
        ``reason="face_mismatch"`` or ``switch="face_mfa_enabled", enabled=True``.
    :returns: the saved :class:`AuditEvent`.
    :raises ValueError: ``event`` is not an EventType, or ``pool``, ``app`` and
        ``end_user`` belong to different pools.
    :raises ForbiddenDetail: a details key names a secret or biometric data
        (password, token, template, frame and the like), or a value is bytes,
        a list of more than MAX_LIST_ITEMS items or a text of more than
        MAX_TEXT_LENGTH characters.
    :raises TypeError: a details value is not JSON-serializable.
    :raises DatabaseError: the row could not be written; the event is still
        logged, with ``"stored": false``.
    """
    event = EventType(event)
    check_details(details)
    json.dumps(details, cls=DjangoJSONEncoder)

    row = AuditEvent(
        event=event,
        pool_id=resolve_pool_id(pool, app, end_user),
        application=app,
        end_user=end_user,
        identifier=(identifier or (end_user.display_name if end_user else ""))[:254],
        actor=actor,
        client_ip=client_ip(request),
        details=details,
    )

    try:
        row.save()
    except DatabaseError:
        logger.error(log_line(row, stored=False))
        raise

    level = logging.WARNING if event in WARNING_EVENTS else logging.INFO
    logger.log(level, log_line(row, stored=True))
    return row


def client_ip(request):
    """Return the client's IP address for ``request``, or None.

    The address is ``REMOTE_ADDR``, so behind a reverse proxy the proxy must
    pass the client's address there (gunicorn does not rewrite it), or
    ``AUDIT_TRUST_X_FORWARDED_FOR`` must be on. A value that is not an IP
    address gives None.
    """
    if request is None:
        return None

    if audit_settings.AUDIT_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        address = parse_ip(forwarded.split(",")[-1])
        if address is not None:
            return address

    return parse_ip(request.META.get("REMOTE_ADDR", ""))


def parse_ip(text):
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def resolve_pool_id(pool, app, end_user):
    """Return the one pool id that ``pool``, ``app`` and ``end_user`` agree on."""
    pool_ids = {
        candidate
        for candidate in (
            pool.pk if pool is not None else None,
            app.pool_id if app is not None else None,
            end_user.pool_id if end_user is not None else None,
        )
        if candidate is not None
    }
    if len(pool_ids) > 1:
        raise ValueError(
            f"Audit event objects belong to different pools: {sorted(pool_ids)}."
        )
    return pool_ids.pop() if pool_ids else None


def check_details(details, prefix=""):
    """Raise ForbiddenDetail when a key of ``details`` (nested too) is forbidden."""
    for key, value in details.items():
        name = f"{prefix}{key}"
        if not isinstance(key, str):
            raise ForbiddenDetail(f"Audit detail key {name!r} is not a string.")
        if is_forbidden_key(key):
            raise ForbiddenDetail(
                f"Audit detail {name!r} may contain a secret or biometric data; "
                "record a reason code or a count instead."
            )
        check_value(value, name)


def check_value(value, name):
    if isinstance(value, bytes | bytearray | memoryview):
        raise ForbiddenDetail(
            f"Audit detail {name!r} is binary data; record a number or a short text."
        )
    if isinstance(value, str) and len(value) > MAX_TEXT_LENGTH:
        raise ForbiddenDetail(
            f"Audit detail {name!r} is {len(value)} characters long; at most "
            f"{MAX_TEXT_LENGTH} are accepted."
        )
    if isinstance(value, dict):
        check_details(value, prefix=f"{name}.")
    elif isinstance(value, list | tuple):
        if len(value) > MAX_LIST_ITEMS:
            raise ForbiddenDetail(
                f"Audit detail {name!r} has {len(value)} items; at most "
                f"{MAX_LIST_ITEMS} are accepted."
            )
        for item in value:
            check_value(item, name)


def is_forbidden_key(key):
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key).lower()
    if spaced in FORBIDDEN_KEYS or key.lower() in FORBIDDEN_KEYS:
        return True
    words = [word for word in re.split(r"[^a-z0-9]+", spaced) if word]
    if not SECRET_WORDS.isdisjoint(words):
        return True
    return bool(words) and words[-1] in BIOMETRIC_WORDS


def log_line(row, *, stored):
    """Return the JSON text logged for ``row``: the same fields as the table."""
    created_at = row.created_at or timezone.now()
    payload = {
        "id": row.pk,
        "created_at": created_at.isoformat(),
        "event": str(row.event),
        "pool": row.pool_id,
        "application": row.application_id,
        "end_user": row.end_user_id,
        "identifier": row.identifier,
        "actor": row.actor_id,
        "client_ip": row.client_ip,
        "details": row.details,
        "stored": stored,
    }
    return json.dumps(payload, cls=DjangoJSONEncoder, sort_keys=True)
