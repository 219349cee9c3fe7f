"""Decisions of the authorization endpoint that depend on the browser's sign-in.

oauthlib validates the request and issues the code. This module decides
whether the browser's sign-on session may approve the request now, or where
the user must go first: the hosted login or, for step-up, the face step only.
"""

import re
import time

from django.urls import reverse
from oauthlib.common import add_params_to_uri
from oauthlib.oauth2.rfc6749 import errors

from authn import transaction as login

from .issuer import issuer_url
from .server import PoolOAuthLibCore

S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")


def browser_sign_in(request):
    """Return ``lookup(app, max_age)``: the browser's sign-in to ``app`` if it is
    at most ``max_age`` seconds old, else None."""

    def lookup(app, max_age=None):
        sign_in = login.current_sign_in(request, app)
        if sign_in is None or is_older_than(sign_in.sign_on, max_age):
            return None
        return sign_in

    return lookup


def is_older_than(sign_on, max_age):
    """Return True when the first factor of ``sign_on`` is older than ``max_age``.

    A later face step (step-up, recheck) does not count, so ``max_age`` makes
    the user type the password again, as ``prompt=login`` does.
    """
    return max_age is not None and time.time() - sign_on.signed_in_at > max_age


def oauthlib_core(request, pool, **validator_options):
    """Return a :class:`~oidc.server.PoolOAuthLibCore` for ``pool`` and this browser."""
    return PoolOAuthLibCore(
        pool,
        issuer_url(request, pool),
        browser_sign_in=browser_sign_in(request),
        **validator_options,
    )


def authorization_parameters(request):
    """Return the parameters of an authorization request sent by GET or POST."""
    return request.POST if request.method == "POST" else request.GET


def parameter_error(params, credentials):
    """Return an oauthlib error for parameters oauthlib accepts but this provider
    does not, or None.

    Only S256 is accepted as PKCE method, because "plain" sends the verifier
    itself through the browser (RFC 9700, section 2.1.1). ``max_age`` must be a
    non-negative integer (OpenID Connect Core 1.0, section 3.1.2.1).
    """
    method = credentials.get("code_challenge_method")
    if "code_challenge" in credentials and method != "S256":
        return errors.InvalidRequestError(
            description="Unsupported code_challenge_method; use S256.",
            state=credentials.get("state"),
        )
    # An S256 challenge is the base64url form of a 32-byte SHA-256 digest,
    # without padding (RFC 7636, section 4.2 and appendix A): 43 characters.
    # Any other value never matches a verifier, and the client would learn
    # that only at the token endpoint.
    challenge = credentials.get("code_challenge")
    if challenge is not None and not S256_CHALLENGE.fullmatch(challenge):
        return errors.InvalidRequestError(
            description="code_challenge must be the 43-character base64url "
            "SHA-256 of the code verifier.",
            state=credentials.get("state"),
        )

    # An empty parameter counts as omitted (RFC 6749, section 3.1).
    max_age = params.get("max_age")
    if max_age and not (max_age.isascii() and max_age.isdigit()):
        return errors.InvalidRequestError(
            description="max_age must be a non-negative number of seconds.",
            state=credentials.get("state"),
        )
    return None


def error_redirect_url(redirect_uri, error, issuer):
    """Return ``redirect_uri`` with the error response parameters and ``iss``."""
    return add_params_to_uri(redirect_uri, [*error.twotuples, ("iss", issuer)])


def next_step(request, app, params, credentials, issuer):
    """Send a browser that cannot approve the request yet to the right page.

    Stores the request as the page to resume after sign-in, with an
    ``access_denied`` response as the Cancel target, and returns the path of
    the face step (a pending one, or a step-up) or of the hosted login.

    ``prompt=login`` and an exceeded ``max_age`` force a fresh sign-in: the
    hosted login shows the password form even though the pool's sign-on session
    continues, and resumes the request only after a newer sign-in. The resumed
    request no longer carries those parameters, so that sign-in satisfies it.
    """
    prompt = set(params.get("prompt", "").split())
    max_age = int(params["max_age"]) if params.get("max_age") else None

    sign_on = login.SignOnSession.load(request, app.pool)
    fresh_sign_in_required = "login" in prompt or (
        sign_on is not None and is_older_than(sign_on, max_age)
    )

    resume_params = params.copy()
    if fresh_sign_in_required:
        resume_params.pop("max_age", None)
        other_prompts = sorted(prompt - {"login"})
        if other_prompts:
            resume_params["prompt"] = " ".join(other_prompts)
        else:
            resume_params.pop("prompt", None)

    denied = errors.AccessDeniedError(state=credentials.get("state"))
    login.set_resume(
        request,
        app,
        request.path + "?" + resume_params.urlencode(),
        cancel_url=error_redirect_url(credentials["redirect_uri"], denied, issuer),
        fresh_sign_in=fresh_sign_in_required,
    )
    if fresh_sign_in_required:
        return reverse("authn:login", args=[app.client_id])

    # A password that passed moments ago only awaits the face step, and a
    # sign-on session without the face factor needs only the face step.
    if login.pending_face_step(request, app) is not None:
        return reverse("mfa_face:step", args=[app.client_id])
    if login.start_step_up(request, app) is not None:
        return reverse("mfa_face:step", args=[app.client_id])
    return reverse("authn:login", args=[app.client_id])
