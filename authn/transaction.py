"""The hosted login transaction: which factors a browser has passed, per app.

The state lives in the Django session under its own key, apart from the
administrator's ``auth`` keys, so an end-user sign-in in the same browser
neither signs the administrator out nor grants console access.
"""

import enum
import secrets
import time
from dataclasses import asdict, dataclass, field

from django.conf import settings

from .models import Application, EndUser
from .policy import face_mfa_required

SESSION_KEY = "authn.login"

FACTOR_PASSWORD = "pwd"  # noqa: S105 (an RFC 8176 amr value, not a secret)
FACTOR_FACE = "face"


class State(enum.StrEnum):
    # The password passed; the face step is still required.
    FIRST_FACTOR_PASSED = "first_factor_passed"
    # Every required factor passed.
    SIGNED_IN = "signed_in"


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

    @classmethod
    def begin(cls, app, user, identity_source, factors):
        """Return a new transaction for ``user`` whose first factor just passed."""
        return cls(
            id=secrets.token_urlsafe(24),
            app_id=app.pk,
            user_id=user.pk,
            identity_source=str(identity_source),
            state=State.FIRST_FACTOR_PASSED,
            factors=list(factors),
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


def start_sign_in(request, app, user, identity_source, factors):
    """Record a passed first factor and return the new transaction.

    The session key is rotated first, so a session id planted before the
    sign-in is worthless after it. When face MFA does not apply, the
    transaction is complete at once.
    """
    request.session.cycle_key()

    transaction = LoginTransaction.begin(app, user, identity_source, factors)
    if not face_mfa_required(app.pool, app, identity_source):
        transaction.complete()

    transaction.save(request, app)
    return transaction


def pending_face_step(request, app):
    """Return the transaction waiting for the face step for ``app``, or None."""
    transaction = LoginTransaction.load(request, app)
    if transaction is None or transaction.state != State.FIRST_FACTOR_PASSED:
        return None
    return transaction


def complete_face_step(request, app, transaction):
    """Mark the face factor as passed and the sign-in as complete."""
    request.session.cycle_key()
    transaction.add_factor(FACTOR_FACE)
    transaction.complete()
    transaction.save(request, app)


def signed_in_user(request, app):
    """Return the end user signed in to ``app`` in this browser, or None.

    The MFA rule is evaluated again on every call, against the current
    switches: a password-only sign-in made while face MFA was off no longer
    counts once an administrator turns it on.
    """
    transaction = LoginTransaction.load(request, app)
    if transaction is None or transaction.state != State.SIGNED_IN:
        return None

    pool = app.pool
    if FACTOR_FACE not in transaction.factors and face_mfa_required(
        pool, app, transaction.identity_source
    ):
        return None

    user = EndUser.objects.filter(
        pk=transaction.user_id, pool=pool, is_active=True
    ).first()
    return user


def sign_out(request, app):
    """End this browser's sign-in to ``app`` and nothing else."""
    transaction = LoginTransaction.load(request, app)
    if transaction is not None:
        transaction.clear(request, app)
    request.session.cycle_key()


def get_app(client_id):
    """Return the application for ``client_id`` with its pool, or None."""
    return (
        Application.objects.select_related("pool").filter(client_id=client_id).first()
    )
