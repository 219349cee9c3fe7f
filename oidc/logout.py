"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) for one pool."""

import secrets
from dataclasses import dataclass

from django.utils.crypto import constant_time_compare
from oauthlib.common import add_params_to_uri

from authn import transaction as login
from authn.models import Application


class LogoutRequestError(Exception):
    """A logout request that must not be followed; ``message`` gives the reason."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class LogoutRequest:
    app: Application | None
    hint_claims: dict | None
    post_logout_redirect_uri: str
    state: str

    def redirect_url(self):
        """Return where to send the browser after sign-out, or "" for none."""
        if not self.post_logout_redirect_uri:
            return ""
        if not self.state:
            return self.post_logout_redirect_uri
        return add_params_to_uri(self.post_logout_redirect_uri, [("state", self.state)])


def parse_logout_request(pool, validator, params):
    """Validate the logout parameters and return a :class:`LogoutRequest`.

    :param validator: the pool's :class:`~oidc.validators.PoolOAuth2Validator`,
        which verifies ``id_token_hint``.
    :raises LogoutRequestError: the hint is not a valid ID token of this pool,
        ``client_id`` names no app of the pool or another app than the hint, or
        ``post_logout_redirect_uri`` is not registered on the app. The browser
        is then never redirected.
    """
    hint = params.get("id_token_hint", "")
    client_id = params.get("client_id", "")
    redirect_uri = params.get("post_logout_redirect_uri", "")

    hint_claims = None
    if hint:
        hint_claims = validator.verified_id_token_claims(hint)
        if hint_claims is None:
            raise LogoutRequestError(
                "invalid_id_token_hint",
                "The id_token_hint is not an ID token issued by this user pool.",
            )

    audiences = []
    if hint_claims is not None:
        audiences = hint_claims.get("aud", [])
        if isinstance(audiences, str):
            audiences = [audiences]

    if client_id and hint_claims is not None and client_id not in audiences:
        raise LogoutRequestError(
            "client_id_mismatch",
            "The client_id does not match the audience of the id_token_hint.",
        )

    app = None
    candidate_ids = [client_id] if client_id else audiences
    if candidate_ids:
        app = Application.objects.filter(pool=pool, client_id__in=candidate_ids).first()
        if app is None:
            raise LogoutRequestError(
                "invalid_client", "No application of this user pool has that client_id."
            )

    if redirect_uri:
        if app is None:
            raise LogoutRequestError(
                "invalid_request",
                "A post_logout_redirect_uri needs a client_id or an id_token_hint.",
            )
        # Simple string comparison, as for redirect URIs.
        if redirect_uri not in app.post_logout_redirect_uris.split():
            raise LogoutRequestError(
                "invalid_post_logout_redirect_uri",
                "The post_logout_redirect_uri is not registered on this application.",
            )

    return LogoutRequest(
        app=app,
        hint_claims=hint_claims,
        post_logout_redirect_uri=redirect_uri,
        state=params.get("state", ""),
    )


def must_confirm(request, pool, logout_request):
    """Return True when the user must confirm the sign-out.

    The OP must ask unless a valid ``id_token_hint`` names the user signed on
    to this pool (RP-Initiated Logout 1.0, section 2). Without a sign-on
    session there is nothing to end, so nothing to ask.
    """
    sign_on = login.SignOnSession.load(request, pool)
    if sign_on is None:
        return False

    if logout_request.hint_claims is None:
        return True

    user = pool.users.filter(pk=sign_on.user_id).first()
    return user is None or logout_request.hint_claims.get("sub") != str(user.sub)


CONFIRMATION_SESSION_KEY = "oidc.logout_confirmation"
FORWARDED_FIELDS = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state")


def new_confirmation(request):
    """Store and return a one-time token for the sign-out confirmation form."""
    token = secrets.token_urlsafe(24)
    request.session[CONFIRMATION_SESSION_KEY] = token
    return token


def take_confirmation(request, token):
    """Return True when ``token`` is the stored confirmation token, and forget it."""
    expected = request.session.pop(CONFIRMATION_SESSION_KEY, "")
    return bool(token and expected) and constant_time_compare(token, expected)


def forwarded_fields(params):
    """Return the logout parameters the confirmation form sends back."""
    return [(name, params[name]) for name in FORWARDED_FIELDS if params.get(name)]


def is_signed_on(request, pool):
    """Return True when this browser has a sign-on session of ``pool``."""
    return login.SignOnSession.load(request, pool) is not None


def sign_out_of_pool(request, pool):
    """End the browser's sign-on session of ``pool`` and nothing else."""
    login.end_pool_session(request, pool)
