"""Scan-code sign-in: issue a QR code, confirm it on a phone, sign the browser in.

States of a code: pending, then scanned when a phone opens its URL, then
confirmed or declined on that phone, then used when the browser that displayed
it completes the sign-in. A code that is not used within ``SCAN_CODE_TTL``
seconds of its creation is expired, whatever its state.
"""

import hashlib
import logging
import re
import secrets
from datetime import timedelta

import segno
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from authn import transaction as login
from authn.models import IdentitySource

from .conf import settings as scan_settings
from .models import ScanCode

logger = logging.getLogger(__name__)

REQUESTER_SESSION_KEY = "scan_code.requester"
PHONE_SESSION_KEY = "scan_code.phone"
# Secrets of at most this many codes are kept per browser session; older ones
# belong to codes long expired.
MAX_SECRETS_PER_SESSION = 10

Status = ScanCode.Status


class ScanCodeError(Exception):
    """A scan code that cannot be used as requested. ``code`` is a stable identifier."""

    MESSAGES = {
        "not_found": "This sign-in code is not valid. Get a new code on your computer.",
        "expired": "This sign-in code has expired. Get a new code on your computer.",
        "used": "This sign-in code was already used. Get a new code on your computer.",
        "declined": "This sign-in was declined on the phone. Get a new code to try again.",
        "other_browser": (
            "This sign-in code belongs to another browser. Get a new code in this browser."
        ),
        "not_confirmed": "The sign-in has not been confirmed on the phone yet.",
        "sign_in_again": (
            "This sign-in asks for your password again. Sign in on this phone, "
            "then confirm."
        ),
    }

    def __init__(self, code):
        self.code = code
        self.message = self.MESSAGES[code]
        super().__init__(self.message)


def hash_secret(value):
    return hashlib.sha256(value.encode()).hexdigest()


def remember_secret(request, key, code, secret):
    secrets_by_code = dict(request.session.get(key, {}))
    secrets_by_code[str(code.pk)] = secret
    # Dicts keep insertion order, so the first entries are the oldest codes.
    while len(secrets_by_code) > MAX_SECRETS_PER_SESSION:
        secrets_by_code.pop(next(iter(secrets_by_code)))
    request.session[key] = secrets_by_code


def holds_secret(request, key, code, expected_hash):
    secret = request.session.get(key, {}).get(str(code.pk))
    if not secret or not expected_hash:
        return False
    return constant_time_compare(hash_secret(secret), expected_hash)


def issue(request, app):
    """Create a scan code for ``app`` bound to this browser and return (code, token).

    ``token`` goes into the one-time URL and is not stored. Codes that expired
    more than ``SCAN_CODE_RETENTION_HOURS`` ago are deleted on the way.
    """
    now = timezone.now()
    ScanCode.objects.filter(
        expires_at__lt=now - timedelta(hours=scan_settings.SCAN_CODE_RETENTION_HOURS)
    ).delete()

    token = secrets.token_urlsafe(32)
    requester_secret = secrets.token_urlsafe(32)
    fresh_after = None
    if login.fresh_sign_in_pending(request, app):
        fresh_after = login.peek_resume(request, app)["signed_in_after"]
    code = ScanCode.objects.create(
        fresh_after=fresh_after,
        application=app,
        token_hash=hash_secret(token),
        requester_binding=hash_secret(requester_secret),
        requester_ip=request.META.get("REMOTE_ADDR") or None,
        requester_user_agent=request.headers.get("User-Agent", "")[:512],
        created_at=now,
        expires_at=now + timedelta(seconds=scan_settings.SCAN_CODE_TTL),
    )
    remember_secret(request, REQUESTER_SESSION_KEY, code, requester_secret)
    logger.info("scan code issued app=%s code=%s", app.pk, code.pk)
    return code, token


def qr_code_data_uri(url):
    """Return an SVG data URI of a QR code that encodes ``url``."""
    qr = segno.make(url, error="m")
    return qr.svg_data_uri(scale=scan_settings.SCAN_CODE_QR_SCALE, border=2)


def requester_code(request, app, code_id):
    """Return the code ``code_id`` of ``app`` if this browser displayed it.

    :raises ScanCodeError: ``not_found`` for an unknown code, ``other_browser``
        when this browser did not display it.
    """
    code = ScanCode.objects.filter(pk=code_id, application=app).first()
    if code is None:
        raise ScanCodeError("not_found")
    if not holds_secret(request, REQUESTER_SESSION_KEY, code, code.requester_binding):
        raise ScanCodeError("other_browser")
    return code


def public_status(code):
    """Return the status shown to the waiting browser: a Status value or "expired"."""
    if code.status != Status.USED and code.is_expired():
        return "expired"
    return code.status


def open_on_phone(request, app, token):
    """Return the code of ``token`` for the phone browser that opened its URL.

    The first browser to open the URL claims the code, which moves it from
    pending to scanned.

    :raises ScanCodeError: ``not_found``, ``expired``, ``declined``, or
        ``used`` when the code was used or another browser claimed it.
    """
    with transaction.atomic():
        code = (
            ScanCode.objects.select_for_update()
            .filter(token_hash=hash_secret(token), application=app)
            .first()
        )
        if code is None:
            raise ScanCodeError("not_found")

        if code.status == Status.PENDING and not code.is_expired():
            phone_secret = secrets.token_urlsafe(32)
            code.phone_binding = hash_secret(phone_secret)
            code.status = Status.SCANNED
            code.scanned_at = timezone.now()
            code.save(update_fields=["phone_binding", "status", "scanned_at"])
            remember_secret(request, PHONE_SESSION_KEY, code, phone_secret)
            logger.info("scan code scanned app=%s code=%s", app.pk, code.pk)

    check_usable(code)
    if not holds_secret(request, PHONE_SESSION_KEY, code, code.phone_binding):
        raise ScanCodeError("used")
    return code


def check_usable(code):
    """Raise ScanCodeError unless the phone may still confirm or decline ``code``."""
    if code.status == Status.USED:
        raise ScanCodeError("used")
    if code.status == Status.DECLINED:
        raise ScanCodeError("declined")
    if code.is_expired():
        raise ScanCodeError("expired")


def decide(request, app, token, sign_in, approve):
    """Confirm (``approve``) or decline the code of ``token`` on the phone.

    :param sign_in: the phone's :class:`~authn.transaction.SignIn` to ``app``;
        the browser that displayed the code will be signed in as its user,
        and inherits the identity sources of a sign-in without a second
        factor (``SignOnSession.weak_sources``).
    :raises ScanCodeError: as :func:`open_on_phone`, and ``used`` when the code
        was already confirmed.
    """
    code = open_on_phone(request, app, token)
    if approve and not phone_is_fresh(code, sign_in):
        raise ScanCodeError("sign_in_again")
    with transaction.atomic():
        code = ScanCode.objects.select_for_update().get(pk=code.pk)
        check_usable(code)
        if code.status != Status.SCANNED:
            raise ScanCodeError("used")

        code.status = Status.CONFIRMED if approve else Status.DECLINED
        code.user = sign_in.user if approve else None
        code.phone_sources = sign_in.sign_on.weak_sources() if approve else []
        code.phone_signed_in_at = sign_in.sign_on.signed_in_at if approve else None
        code.decided_at = timezone.now()
        code.save(
            update_fields=[
                "status",
                "user",
                "phone_sources",
                "phone_signed_in_at",
                "decided_at",
            ]
        )

    logger.info(
        "scan code %s app=%s code=%s user=%s",
        code.status,
        app.pk,
        code.pk,
        sign_in.user.pk,
    )
    return code


def phone_is_fresh(code, sign_in):
    """Return True unless ``code`` needs a newer first factor than the phone's sign-in."""
    return code.fresh_after is None or sign_in.sign_on.signed_in_at >= code.fresh_after


def complete(request, app, code_id):
    """Sign this browser in as the user who confirmed code ``code_id``.

    The code must have been displayed by this browser, confirmed, and not be
    expired; it is then used and cannot sign in again. The sign-in's identity
    source is scan-code, so the pool's MFA policy for scan-code sign-in decides
    whether the face step follows, together with the policy for the phone's
    sign-in when that had no second factor.

    :returns: the new :class:`~authn.transaction.LoginTransaction`.
    :raises ScanCodeError: ``not_found``, ``other_browser``, ``expired``,
        ``declined``, ``used`` or ``not_confirmed``.
    """
    requester_code(request, app, code_id)
    with transaction.atomic():
        # Lock only the code's row: PostgreSQL cannot lock the nullable side
        # of the outer join to the user.
        code = (
            ScanCode.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=code_id)
        )
        if code.status == Status.USED:
            raise ScanCodeError("used")
        if code.status == Status.DECLINED:
            raise ScanCodeError("declined")
        if code.is_expired():
            raise ScanCodeError("expired")
        if code.status != Status.CONFIRMED:
            raise ScanCodeError("not_confirmed")
        if code.user is None or not code.user.is_active:
            raise ScanCodeError("not_found")

        code.status = Status.USED
        code.used_at = timezone.now()
        code.save(update_fields=["status", "used_at"])

    user = code.user
    sign_in = login.start_sign_in(
        request,
        app,
        user,
        IdentitySource.SCAN_CODE,
        [login.FACTOR_SCAN_CODE],
        upstream_sources=code.phone_sources,
        first_factor_time=code.phone_signed_in_at,
    )
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    logger.info(
        "scan code used app=%s code=%s user=%s face_required=%s",
        app.pk,
        code.pk,
        user.pk,
        sign_in.state == login.State.FIRST_FACTOR_PASSED,
    )
    return sign_in


BROWSERS = [
    ("Edge", re.compile(r"Edg(e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/")),
    ("Safari", re.compile(r"Safari/")),
]
SYSTEMS = [
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux|X11")),
]


def describe_user_agent(user_agent):
    """Return a short description such as "Chrome on Linux" of a User-Agent header.

    Browsers are tested in order because most User-Agent strings name several
    engines; for example Edge's also contains "Chrome/" and "Safari/".
    """
    browser = next(
        (name for name, pattern in BROWSERS if pattern.search(user_agent)),
        "Unknown browser",
    )
    system = next(
        (name for name, pattern in SYSTEMS if pattern.search(user_agent)), None
    )
    if system is None:
        return browser
    return f"{browser} on {system}"
