"""One-time challenges of the face step, kept in the Django session.

Every enrollment or verification attempt carries a nonce that the server
issued for it, so a recorded upload cannot be sent again. The challenge lives
in the session under ``SESSION_KEY``, next to the login transaction and keyed
by the app's client id like it. For active liveness it also contains the
actions that the page must prompt for, and its deadline is short. A consumed
nonce is also recorded in the database (:class:`UsedChallenge`), which settles
concurrent uploads of one nonce.

The active actions of an account stay the same from challenge to challenge,
in Django's cache, until an attempt passes, mismatches or is rejected as a
presentation attack, or until ``MFA_FACE_ACTIVE_ACTIONS_TTL`` seconds pass. Otherwise a
client could request challenges until the actions matched a recording it
had prepared.
"""

import hashlib
import hmac
import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import liveness
from .conf import settings as face_settings
from .errors import FaceError
from .models import UsedChallenge

SESSION_KEY = "mfa_face.challenge"

# Number of actions in an active liveness challenge. They are distinct, so
# every challenge has at least one head turn, which the flatness test needs.
ACTIVE_ACTION_COUNT = 2

_random = secrets.SystemRandom()


class ChallengeRejected(FaceError):
    """A frame upload whose nonce is unknown, already used or expired."""


@dataclass
class Challenge:
    """One attempt's nonce, liveness level, requested actions and expiry time."""

    nonce: str
    transaction_id: str
    liveness: str
    actions: list[str] = field(default_factory=list)
    issued_at: float = field(default_factory=time.time)
    expires_at: float = 0.0
    used: bool = False

    def expires_in(self):
        """Return the seconds left until the challenge expires, at least 0."""
        return max(0.0, self.expires_at - time.time())


def issue(request, app, transaction):
    """Issue a new challenge for the next attempt and store it in the session.

    It replaces any earlier challenge for ``app`` in this session, so only the
    newest nonce is accepted.

    :param request: the HttpRequest, whose session stores the challenge.
    :param app: the Application whose face step is running.
    :param transaction: the pending LoginTransaction.
    :return: the new Challenge.
    """
    level = app.pool.liveness
    actions = []
    lifetime = face_settings.MFA_FACE_CHALLENGE_TTL
    if level == liveness.ACTIVE:
        actions = _account_actions(transaction.user_id)
        lifetime = face_settings.MFA_FACE_ACTIVE_DEADLINE

    now = time.time()
    # A challenge ends no later than its sign-in, so expires_in is the time
    # that the attempt has left.
    transaction_end = transaction.started_at + settings.AUTHN_FIRST_FACTOR_TTL
    challenge = Challenge(
        nonce=secrets.token_urlsafe(24),
        transaction_id=transaction.id,
        liveness=level,
        actions=actions,
        issued_at=now,
        expires_at=min(now + lifetime, transaction_end),
    )
    _save(request, app, challenge)
    return challenge


def consume(request, app, transaction, nonce):
    """Mark the challenge with ``nonce`` as used and return it.

    The challenge is marked used before any check of its age, so an expired
    nonce cannot be tried again either.

    :param request: the HttpRequest, whose session stores the challenge.
    :param app: the Application whose face step is running.
    :param transaction: the pending LoginTransaction the upload belongs to.
    :param nonce: the nonce the upload carries.
    :return: the Challenge.
    :raises ChallengeRejected: with code ``challenge_unknown`` when no
        challenge of this session and transaction has ``nonce``,
        ``challenge_used`` when it was used before, or ``challenge_expired``.
    """
    stored = request.session.get(SESSION_KEY, {}).get(app.client_id)
    challenge = Challenge(**stored) if stored else None

    if (
        challenge is None
        or not nonce
        or not hmac.compare_digest(challenge.nonce.encode(), str(nonce).encode())
        or challenge.transaction_id != transaction.id
    ):
        raise ChallengeRejected(
            "challenge_unknown",
            "This face check was not started on this page. Reload the page and try again.",
        )
    if challenge.used:
        raise ChallengeRejected(
            "challenge_used",
            "These camera frames were already sent. Press the button to try again.",
        )

    # The session is saved only after the response, so two requests with the
    # same nonce at the same moment both read it as unused. The database
    # insert decides which of them consumes it.
    if not _claim(challenge):
        raise ChallengeRejected(
            "challenge_used",
            "These camera frames were already sent. Press the button to try again.",
        )
    challenge.used = True
    _save(request, app, challenge)

    if challenge.expires_in() <= 0:
        raise ChallengeRejected(
            "challenge_expired",
            "The face check took too long. Press the button to try again.",
        )
    return challenge


def forget_actions(user_id):
    """Let the next active challenge of the account draw new actions.

    Called after an attempt passed, or failed as a face mismatch or a
    presentation attack.
    """
    cache.delete(_actions_key(user_id))


def _account_actions(user_id):
    """Return the account's current active actions, drawn on first use."""
    key = _actions_key(user_id)
    actions = cache.get(key)
    if actions is None:
        actions = _random.sample(liveness.ACTIONS, ACTIVE_ACTION_COUNT)
        cache.set(key, actions, timeout=face_settings.MFA_FACE_ACTIVE_ACTIONS_TTL)
    return list(actions)


def _actions_key(user_id):
    return f"mfa_face:active-actions:{user_id}"


def liveness_level(app, challenge):
    """Return the liveness level that applies to an attempt.

    An administrator can change the pool's level while a challenge is out.
    The stricter of the two levels applies, and a challenge issued without
    actions cannot satisfy the active level.

    :raises ChallengeRejected: with code ``challenge_unknown`` when the pool
        now requires active liveness and the challenge has no actions.
    """
    current = app.pool.liveness
    strictest = max(current, challenge.liveness, key=liveness.LEVELS.index)
    if strictest == liveness.ACTIVE and not challenge.actions:
        raise ChallengeRejected(
            "challenge_unknown",
            "The security settings of this sign-in changed. Press the button to try again.",
        )
    return strictest


def _claim(challenge):
    """Record the challenge's nonce as used; return False when it already was.

    Expired rows are deleted first, so the table contains only nonces that could
    still be presented.
    """
    now = timezone.now()
    UsedChallenge.objects.filter(expires_at__lt=now).delete()

    nonce_hash = hashlib.sha256(challenge.nonce.encode()).hexdigest()
    # An expired challenge is claimed too, with a short lifetime, so that its
    # nonce is rejected as used if it comes back.
    expires_at = datetime.fromtimestamp(max(challenge.expires_at, time.time()), tz=UTC)
    try:
        with transaction.atomic():
            UsedChallenge.objects.create(nonce_hash=nonce_hash, expires_at=expires_at)
    except IntegrityError:
        return False
    return True


def _save(request, app, challenge):
    challenges = dict(request.session.get(SESSION_KEY, {}))
    challenges[app.client_id] = asdict(challenge)
    request.session[SESSION_KEY] = challenges
