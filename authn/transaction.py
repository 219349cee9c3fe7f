"""The hosted login state of a browser: login transactions and sign-on sessions.

Three session keys hold it, apart from the administrator's ``auth`` keys, so
an end-user sign-in in the same browser neither signs the administrator out
nor grants console access:

- ``authn.login``: one :class:`LoginTransaction` per app, the sign-in in
  progress (password passed, face step pending) or just completed.
- ``authn.sign_on``: one :class:`SignOnSession` per user pool, created when
  every factor an app required has passed. Every app of the pool accepts it
  (single sign-on) as long as it holds the factors that app requires.
- ``authn.resume``: per app, the page to return to once the user is signed
  in, for example the authorization request that sent the user here.
"""

import enum
import secrets
import time
from dataclasses import asdict, dataclass, field

from django.conf import settings

from .models import Application, EndUser
from .policy import face_mfa_required

SESSION_KEY = "authn.login"
SIGN_ON_SESSION_KEY = "authn.sign_on"
RESUME_SESSION_KEY = "authn.resume"

# RFC 8176 authentication method reference values.
FACTOR_PASSWORD = "pwd"  # noqa: S105 (an amr value, not a secret)
FACTOR_FACE = "face"
# Scan-code sign-in: the browser is signed in by a confirmation sent from a
# phone, which RFC 8176 calls multiple-channel authentication.
FACTOR_SCAN_CODE = "mca"
# A recovery code is a one-time code that replaces the face step.
FACTOR_RECOVERY_CODE = "otp"
MULTI_FACTOR = "mfa"

# Factors that satisfy an app's face MFA requirement.
SECOND_FACTORS = frozenset({FACTOR_FACE, FACTOR_RECOVERY_CODE})

# Seconds a page to return to after sign-in stays valid. It covers typing the
# password and the face step, and is short so that an abandoned authorization
# request does not resume at a later, unrelated sign-in.
RESUME_TTL = 600


class State(enum.StrEnum):
    # The password passed; the face step is still required.
    FIRST_FACTOR_PASSED = "first_factor_passed"
    # Every required factor passed.
    SIGNED_IN = "signed_in"


def face_step_required(app, identity_source, factors, upstream_sources=()):
    """Return True while a sign-in with ``factors`` still needs the face step for ``app``.

    :param upstream_sources: identity sources of the sign-ins this one was
        derived from without a second factor. A scan-code sign-in is only as
        strong as the phone's sign-in that confirmed it, so it needs the face
        step wherever the phone's own sign-in would.
    """
    if SECOND_FACTORS.intersection(factors):
        return False
    sources = (identity_source, *upstream_sources)
    return any(face_mfa_required(app.pool, app, source) for source in sources)


def amr_values(factors):
    """Return the RFC 8176 ``amr`` list for the passed factors, "mfa" appended
    when more than one factor passed."""
    values = list(factors)
    if len(values) > 1:
        values.append(MULTI_FACTOR)
    return values


@dataclass
class LoginTransaction:
    id: str
    app_id: int
    user_id: int
    identity_source: str
    state: State
    factors: list[str] = field(default_factory=list)
    started_at: float = field(default_factory=time.time)
    auth_time: float | None = None
    # See face_step_required.
    upstream_sources: list[str] = field(default_factory=list)
    # Unix time of the face check that completed this transaction, if any.
    face_time: float | None = None
    # Unix time of the first factor (password or scan code) this sign-in
    # rests on. A step-up or a face recheck keeps the sign-on session's.
    first_factor_time: float = field(default_factory=time.time)
    # A face check of a user already signed in (start_face_recheck), which
    # only a face can complete.
    recheck: bool = False

    @classmethod
    def begin(
        cls,
        app,
        user,
        identity_source,
        factors,
        upstream_sources=(),
        first_factor_time=None,
        recheck=False,
    ):
        """Return a new transaction for ``user`` whose first factor passed.

        :param first_factor_time: when that happened; now when None.
        """
        return cls(
            id=secrets.token_urlsafe(24),
            app_id=app.pk,
            user_id=user.pk,
            identity_source=str(identity_source),
            state=State.FIRST_FACTOR_PASSED,
            factors=list(factors),
            upstream_sources=[str(source) for source in upstream_sources],
            first_factor_time=first_factor_time or time.time(),
            recheck=recheck,
        )

    @classmethod
    def load(cls, request, app):
        """Return the transaction this browser holds for ``app``, or None.

        A transaction still waiting for the face step expires after
        ``AUTHN_FIRST_FACTOR_TTL`` seconds and is then dropped from the session.
        """
        stored = request.session.get(SESSION_KEY, {}).get(app.client_id)
        if not stored:
            return None

        transaction = cls(**{**stored, "state": State(stored["state"])})
        if transaction.app_id != app.pk:
            return None

        if transaction.state == State.FIRST_FACTOR_PASSED and transaction.expired():
            transaction.clear(request, app)
            return None

        return transaction

    def expired(self):
        return time.time() - self.started_at > settings.AUTHN_FIRST_FACTOR_TTL

    def save(self, request, app):
        transactions = dict(request.session.get(SESSION_KEY, {}))
        transactions[app.client_id] = {**asdict(self), "state": str(self.state)}
        request.session[SESSION_KEY] = transactions

    def clear(self, request, app):
        transactions = dict(request.session.get(SESSION_KEY, {}))
        transactions.pop(app.client_id, None)
        request.session[SESSION_KEY] = transactions

    def add_factor(self, factor):
        if factor not in self.factors:
            self.factors.append(factor)

    def complete(self):
        self.state = State.SIGNED_IN
        self.auth_time = time.time()


@dataclass
class SignOnSession:
    """The pool-wide sign-on of one end user in this browser.

    ``auth_time`` is the Unix time of the last authentication, so a face step
    taken later for another app (step-up) moves it forward. ``session_id`` is a
    random identifier that stays the same through step-ups and changes at every
    new sign-in.
    """

    pool_id: int
    user_id: int
    identity_source: str
    factors: list[str]
    auth_time: float
    session_id: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    # See face_step_required.
    upstream_sources: list[str] = field(default_factory=list)
    # Unix time of the latest face check in this sign-on, if any.
    face_time: float | None = None
    # Unix time of the password or scan code this sign-on rests on; None in
    # sessions stored before the field existed, where auth_time is used instead.
    first_factor_time: float | None = None

    @property
    def signed_in_at(self):
        """Unix time of the first factor: what prompt=login and max_age measure."""
        return self.first_factor_time or self.auth_time

    @classmethod
    def load(cls, request, pool):
        """Return the sign-on session of ``pool`` in this browser, or None.

        A session whose first factor is older than ``AUTHN_SIGN_ON_TTL``
        seconds is dropped; later face steps do not extend it.
        """
        stored = request.session.get(SIGN_ON_SESSION_KEY, {}).get(str(pool.pk))
        if not stored:
            return None

        sign_on = cls(**stored)
        if time.time() - sign_on.signed_in_at > settings.AUTHN_SIGN_ON_TTL:
            cls.end(request, pool)
            return None
        return sign_on

    @classmethod
    def from_transaction(
        cls, app, transaction, session_id=None, previous_face_time=None
    ):
        sign_on = cls(
            pool_id=app.pool_id,
            user_id=transaction.user_id,
            identity_source=transaction.identity_source,
            factors=list(transaction.factors),
            auth_time=transaction.auth_time or time.time(),
            upstream_sources=list(transaction.upstream_sources),
            first_factor_time=transaction.first_factor_time,
        )
        if previous_face_time is not None and transaction.face_time is None:
            sign_on.face_time = previous_face_time
        else:
            sign_on.face_time = transaction.face_time
        if session_id:
            sign_on.session_id = session_id
        return sign_on

    @classmethod
    def end(cls, request, pool):
        sessions = dict(request.session.get(SIGN_ON_SESSION_KEY, {}))
        sessions.pop(str(pool.pk), None)
        request.session[SIGN_ON_SESSION_KEY] = sessions

    def save(self, request):
        sessions = dict(request.session.get(SIGN_ON_SESSION_KEY, {}))
        sessions[str(self.pool_id)] = asdict(self)
        request.session[SIGN_ON_SESSION_KEY] = sessions

    def satisfies(self, app):
        """Return True when this session contains every factor ``app`` requires now."""
        return not face_step_required(
            app, self.identity_source, self.factors, self.upstream_sources
        )

    def weak_sources(self):
        """Return the identity sources that a sign-in derived from this one inherits.

        Empty when this session includes a second factor; else this session's
        identity source and its own upstream sources.
        """
        if SECOND_FACTORS.intersection(self.factors):
            return []
        return [self.identity_source, *self.upstream_sources]

    @property
    def amr(self):
        return amr_values(self.factors)


@dataclass
class SignIn:
    """An end user signed in to one app, and how they authenticated."""

    user: EndUser
    sign_on: SignOnSession

    @property
    def factors(self):
        return self.sign_on.factors

    @property
    def amr(self):
        return self.sign_on.amr

    @property
    def auth_time(self):
        return self.sign_on.auth_time


def start_sign_in(
    request,
    app,
    user,
    identity_source,
    factors,
    upstream_sources=(),
    first_factor_time=None,
):
    """Record a passed first factor and return the new transaction.

    :param upstream_sources: see :func:`face_step_required`.
    :param first_factor_time: Unix time of the first factor this sign-in
        rests on, when earlier than now: for a scan code, the confirming
        phone's own sign-in.

    The session key is rotated first, so a session id planted before the
    sign-in is worthless after it. Any sign-on session of the pool ends, because
    a new sign-in replaces it. When face MFA does not apply, the transaction is
    complete at once and starts the pool's new sign-on session.
    """
    request.session.cycle_key()
    SignOnSession.end(request, app.pool)

    transaction = LoginTransaction.begin(
        app,
        user,
        identity_source,
        factors,
        upstream_sources,
        first_factor_time=first_factor_time,
    )
    if not face_step_required(app, identity_source, factors, upstream_sources):
        transaction.complete()
        SignOnSession.from_transaction(app, transaction).save(request)

    transaction.save(request, app)
    return transaction


def start_step_up(request, app):
    """Return a transaction that asks the signed-on user for the face step only.

    Applies when the pool's sign-on session lacks the face factor that ``app``
    requires. Returns None when there is no sign-on session, or when it already
    satisfies ``app``, or when its user is no longer active.
    """
    sign_on = SignOnSession.load(request, app.pool)
    if sign_on is None or sign_on.satisfies(app):
        return None

    user = EndUser.objects.filter(
        pk=sign_on.user_id, pool_id=app.pool_id, is_active=True
    ).first()
    if user is None:
        return None

    pending = pending_face_step(request, app)
    if pending is not None and pending.user_id == user.pk:
        return pending

    transaction = LoginTransaction.begin(
        app,
        user,
        sign_on.identity_source,
        sign_on.factors,
        sign_on.upstream_sources,
        first_factor_time=sign_on.signed_in_at,
    )
    transaction.save(request, app)
    return transaction


def pending_face_step(request, app):
    """Return the transaction waiting for the face step for ``app``, or None."""
    transaction = LoginTransaction.load(request, app)
    if transaction is None or transaction.state != State.FIRST_FACTOR_PASSED:
        return None
    return transaction


def pending_face_step_user(request, app):
    """Return (transaction, end user) of the sign-in waiting for the face step.

    Both are None when no sign-in waits, and the user is None when the account
    was disabled or deleted since the password passed.
    """
    transaction = pending_face_step(request, app)
    if transaction is None:
        return None, None

    user = EndUser.objects.filter(
        pk=transaction.user_id, pool_id=app.pool_id, is_active=True
    ).first()
    return transaction, user


def complete_face_step(request, app, transaction, factor=FACTOR_FACE):
    """Mark the face step as passed and the sign-in as complete.

    :param factor: the factor that passed it, ``FACTOR_FACE`` or
        ``FACTOR_RECOVERY_CODE``.

    Rotates the session key and stores the pool's sign-on session with the
    factor. A step-up of the user already signed on keeps the sign-on session
    id; a face step for another user replaces that sign-on.
    """
    if factor not in SECOND_FACTORS:
        raise ValueError(f"{factor!r} cannot complete the face step")

    request.session.cycle_key()
    transaction.add_factor(factor)
    transaction.complete()
    if factor == FACTOR_FACE:
        transaction.face_time = transaction.auth_time
    transaction.save(request, app)

    previous = SignOnSession.load(request, app.pool)
    session_id = None
    previous_face_time = None
    if previous is not None and previous.user_id == transaction.user_id:
        session_id = previous.session_id
        previous_face_time = previous.face_time
    SignOnSession.from_transaction(
        app, transaction, session_id, previous_face_time
    ).save(request)


def current_sign_in(request, app):
    """Return the :class:`SignIn` of ``app`` in this browser, or None.

    The MFA rule is evaluated again on every call, against the current
    switches: a password-only sign-in made while face MFA was off no longer
    counts once an administrator turns it on.
    """
    sign_on = SignOnSession.load(request, app.pool)
    if sign_on is None or not sign_on.satisfies(app):
        return None

    user = EndUser.objects.filter(
        pk=sign_on.user_id, pool_id=app.pool_id, is_active=True
    ).first()
    if user is None:
        return None
    return SignIn(user=user, sign_on=sign_on)


def face_checked_sign_in(request, app):
    """Return the :class:`SignIn` of ``app`` when its face check is recent, else None.

    Changing the face factor itself (deleting the face data, new recovery
    codes) needs this. The password alone on an app without face MFA is not
    enough, and neither is a recovery code. A face check older than
    ``AUTHN_FACE_RECHECK_TTL`` seconds is not enough either, because a browser
    left signed in would offer it. :func:`start_face_recheck` requests a new
    one.
    """
    sign_in = current_sign_in(request, app)
    if sign_in is None or FACTOR_FACE not in sign_in.factors:
        return None
    face_time = sign_in.sign_on.face_time
    if face_time is None or time.time() - face_time > settings.AUTHN_FACE_RECHECK_TTL:
        return None
    return sign_in


def start_face_recheck(request, app, sign_in):
    """Return a transaction that requests a new face check of the signed-in user.

    The sign-on session stays as it is until the face passes; the completed
    check then moves its ``face_time`` forward.
    """
    sign_on = sign_in.sign_on
    pending = pending_face_step(request, app)
    if pending is not None and pending.user_id == sign_in.user.pk:
        return pending

    transaction = LoginTransaction.begin(
        app,
        sign_in.user,
        sign_on.identity_source,
        [factor for factor in sign_on.factors if factor != FACTOR_FACE],
        sign_on.upstream_sources,
        first_factor_time=sign_on.signed_in_at,
        recheck=True,
    )
    transaction.save(request, app)
    return transaction


def signed_in_user(request, app):
    """Return the end user signed in to ``app`` in this browser, or None.

    Any app of the same pool may have made the sign-in. See
    :func:`current_sign_in` for the MFA check.
    """
    sign_in = current_sign_in(request, app)
    return sign_in.user if sign_in is not None else None


def end_pool_session(request, pool):
    """End the sign-on session of ``pool`` and its apps' transactions.

    Other pools' sessions and the administrator's console session stay. The
    session key is rotated.
    """
    SignOnSession.end(request, pool)

    client_ids = set(
        Application.objects.filter(pool=pool).values_list("client_id", flat=True)
    )
    for key in (SESSION_KEY, RESUME_SESSION_KEY):
        entries = request.session.get(key, {})
        request.session[key] = {
            client_id: value
            for client_id, value in entries.items()
            if client_id not in client_ids
        }
    request.session.cycle_key()


def sign_out(request, app):
    """End this browser's sign-in to ``app``: the whole sign-on session of its pool."""
    end_pool_session(request, app.pool)


def set_resume(request, app, url, cancel_url=None, fresh_sign_in=False):
    """Remember ``url`` as the page to open once the user is signed in to ``app``.

    :param url: a path on this site, for example an authorization request.
    :param cancel_url: where the sign-in page's Cancel button leads, for
        example an ``access_denied`` response to the relying party; None hides
        the button.
    :param fresh_sign_in: open ``url`` only after a sign-in made from now on
        (``prompt=login``, an exceeded ``max_age``). The current sign-on
        session stays until that sign-in replaces it, so a link on another
        site cannot sign the user out.
    """
    entries = dict(request.session.get(RESUME_SESSION_KEY, {}))
    now = time.time()
    entries[app.client_id] = {
        "url": url,
        "cancel_url": cancel_url,
        "expires_at": now + RESUME_TTL,
        "signed_in_after": now if fresh_sign_in else None,
    }
    request.session[RESUME_SESSION_KEY] = entries


def fresh_sign_in_pending(request, app):
    """Return True while the resume entry of ``app`` waits for a newer sign-in.

    See ``fresh_sign_in`` of :func:`set_resume`.
    """
    entry = peek_resume(request, app)
    if entry is None or not entry.get("signed_in_after"):
        return False
    sign_on = SignOnSession.load(request, app.pool)
    return sign_on is None or sign_on.signed_in_at < entry["signed_in_after"]


def peek_resume(request, app):
    """Return the unexpired resume entry of ``app`` (url, cancel_url) or None."""
    entry = request.session.get(RESUME_SESSION_KEY, {}).get(app.client_id)
    if not entry or entry["expires_at"] < time.time():
        return None
    return entry


def pop_resume(request, app):
    """Return and forget the unexpired resume entry of ``app``, or None."""
    entry = peek_resume(request, app)
    entries = dict(request.session.get(RESUME_SESSION_KEY, {}))
    if entries.pop(app.client_id, None) is not None:
        request.session[RESUME_SESSION_KEY] = entries
    return entry


def get_app(client_id):
    """Return the application for ``client_id`` with its pool, or None."""
    return (
        Application.objects.select_related("pool").filter(client_id=client_id).first()
    )
