"""Experience Login: the console signs in to an app the way a relying party does.

The console registers its own redirect URI on the app, then runs the real
authorization code flow with PKCE against the pool's authorization endpoint.
The administrator's browser goes through the hosted login, and through the
face step when the app's rule applies, and the code comes back to the console.
The console exchanges it at the pool's token endpoint and calls userinfo. It
then shows the verified ID token claims, ``amr`` included, and the userinfo
response: what the developer's app would receive.

The exchange runs in-process through the same oauthlib server that serves the
token endpoint. The app's client secret is stored hashed, so the console cannot
present it. Instead the validator accepts the code without client
authentication for the console's redirect URI only. PKCE binds the code to the
verifier kept in this console session.
"""

import base64
import hashlib
import json
import logging
import secrets
import time
from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from jwcrypto import jwt
from jwcrypto.common import JWException

from authn.models import Application
from oidc import keys
from oidc.authorization import oauthlib_core
from oidc.issuer import absolute_url, endpoint_url

from .views.base import AppView, ConsoleView

logger = logging.getLogger(__name__)

SESSION_KEY = "console.experience"
# Seconds an Experience Login may take from the button to the callback.
FLOW_TTL = 900
# Experience Logins kept per console session; older ones are dropped.
MAX_PENDING_FLOWS = 5
SCOPE = "openid profile email phone"
# The ID token claims shown first on the result page, in this order.
CLAIM_ORDER = ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "acr"]


def experience_login_url(app):
    """Return the URL the Experience Login button opens for ``app``."""
    return reverse("console:experience_start", args=[app.pool_id, app.pk])


def callback_uri(request):
    return absolute_url(request, reverse("console:experience_callback"))


def signed_out_uri(request):
    return absolute_url(request, reverse("console:experience_signed_out"))


def register_console_uris(request, app):
    """Add the console's redirect and post-logout URIs to ``app`` if missing.

    They show up in the app's Redirect URIs like any other, so the developer
    can see why they are there and remove them.
    """
    changed = []
    redirect_uris = app.redirect_uris.split()
    if callback_uri(request) not in redirect_uris:
        app.redirect_uris = " ".join([*redirect_uris, callback_uri(request)])
        changed.append("redirect_uris")

    logout_uris = app.post_logout_redirect_uris.split()
    if signed_out_uri(request) not in logout_uris:
        app.post_logout_redirect_uris = " ".join(
            [*logout_uris, signed_out_uri(request)]
        )
        changed.append("post_logout_redirect_uris")

    if changed:
        app.save(update_fields=changed)
        logger.info(
            "experience login redirect URIs registered app=%s fields=%s",
            app.pk,
            ",".join(changed),
        )


def pkce_challenge(verifier):
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def remember_flow(request, state, flow):
    flows = {
        key: value
        for key, value in request.session.get(SESSION_KEY, {}).items()
        if value["started_at"] > time.time() - FLOW_TTL
    }
    flows[state] = flow
    while len(flows) > MAX_PENDING_FLOWS:
        flows.pop(next(iter(flows)))
    request.session[SESSION_KEY] = flows


def take_flow(request, state):
    """Return and forget the unexpired flow of ``state``, or None."""
    flows = dict(request.session.get(SESSION_KEY, {}))
    flow = flows.pop(state, None) if state else None
    request.session[SESSION_KEY] = flows
    if flow is None or flow["started_at"] < time.time() - FLOW_TTL:
        return None
    return flow


class ExperienceStartView(AppView):
    """Starts an authorization request of the app with the console as client."""

    def get(self, request, **kwargs):
        register_console_uris(request, self.app)

        state = secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        flow = {
            "app_id": self.app.pk,
            "nonce": secrets.token_urlsafe(24),
            "code_verifier": verifier,
            "redirect_uri": callback_uri(request),
            "started_at": time.time(),
        }
        remember_flow(request, state, flow)

        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.app.client_id,
                "redirect_uri": flow["redirect_uri"],
                "scope": SCOPE,
                "state": state,
                "nonce": flow["nonce"],
                "code_challenge": pkce_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        return redirect(endpoint_url(request, self.app.pool, "authorize") + "?" + query)


class ExperienceCallbackView(ConsoleView):
    """Receives the authorization response and shows what the app would get."""

    section = "apps"
    template_name = "console/experience_result.html"

    def get(self, request):
        flow = take_flow(request, request.GET.get("state", ""))
        if flow is None:
            return self.render_failure(
                None,
                "unknown_state",
                "This sign-in result does not belong to an Experience Login started in "
                "this console session, or it took too long. Start Experience Login again.",
            )

        app = self.owned_apps().filter(pk=flow["app_id"]).select_related("pool").first()
        if app is None:
            return self.render_failure(
                None,
                "unknown_app",
                "The app of this Experience Login no longer exists.",
            )

        if "error" in request.GET:
            return self.render_failure(
                app,
                request.GET["error"],
                request.GET.get("error_description", "The sign-in did not complete."),
            )

        result = run_token_exchange(request, app, flow, request.GET.get("code", ""))
        if "failure" in result:
            return self.render_failure(app, *result["failure"])

        logger.info(
            "experience login completed admin=%s app=%s", request.user.pk, app.pk
        )
        return self.render_page(
            self.template_name, {"app": app, "pool": app.pool, **result}
        )

    def owned_apps(self):
        return Application.objects.filter(pool__owner=self.request.user)

    def render_failure(self, app, code, message):
        logger.info(
            "experience login failed admin=%s app=%s error=%s",
            self.request.user.pk,
            app.pk if app else None,
            code,
        )
        context = {"app": app, "pool": app.pool if app else None}
        return self.render_page(
            self.template_name,
            {**context, "failure": {"code": code, "message": message}},
            status=400,
        )


class ExperienceSignedOutView(ConsoleView):
    """Landing page of the pool's end_session endpoint after an Experience Login."""

    section = "apps"

    def get(self, request):
        return self.render_page("console/experience_result.html", {"signed_out": True})


def run_token_exchange(request, app, flow, code):
    """Exchange ``code``, verify the ID token and call userinfo.

    :returns: the result page context, or ``{"failure": (code, message)}``.
    """
    core = oauthlib_core(request, app.pool, trusted_redirect_uri=flow["redirect_uri"])
    token_url = endpoint_url(request, app.pool, "token")
    body = urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": flow["redirect_uri"],
            "client_id": app.client_id,
            "code_verifier": flow["code_verifier"],
        }
    )
    _, token_body, status = core.server.create_token_response(
        token_url,
        http_method="POST",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    token = json.loads(token_body)
    if status != 200:
        return {
            "failure": (
                token.get("error", "token_error"),
                token.get("error_description", "The token endpoint rejected the code."),
            )
        }

    try:
        header, claims = verify_id_token(core, app, token["id_token"], flow["nonce"])
    except (JWException, KeyError, ValueError) as error:
        return {
            "failure": ("invalid_id_token", f"The ID token did not verify: {error}")
        }

    _, userinfo_body, userinfo_status = core.server.create_userinfo_response(
        endpoint_url(request, app.pool, "userinfo"),
        http_method="GET",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )

    ordered = [(name, claims[name]) for name in CLAIM_ORDER if name in claims]
    ordered += [
        (name, value) for name, value in claims.items() if name not in CLAIM_ORDER
    ]
    logout_query = urlencode(
        {
            "id_token_hint": token["id_token"],
            "client_id": app.client_id,
            "post_logout_redirect_uri": signed_out_uri(request),
        }
    )
    return {
        "id_token_header": header,
        "claims": ordered,
        "claims_json": json.dumps(claims, indent=2, sort_keys=True),
        "userinfo_status": userinfo_status,
        "userinfo_json": json.dumps(
            json.loads(userinfo_body), indent=2, sort_keys=True
        ),
        "token_type": token.get("token_type"),
        "expires_in": token.get("expires_in"),
        "scope": token.get("scope"),
        "has_refresh_token": "refresh_token" in token,
        "logout_url": endpoint_url(request, app.pool, "end_session")
        + "?"
        + logout_query,
        "again_url": experience_login_url(app),
    }


def verify_id_token(core, app, id_token, nonce):
    """Return (header, claims) of ``id_token`` after checking it as a relying
    party must: signature with the pool's published keys, issuer, audience,
    expiry and nonce (OpenID Connect Core 1.0, section 3.1.3.7)."""
    verified = jwt.JWT(
        key=keys.verification_key_set(app.pool),
        jwt=id_token,
        check_claims={
            "iss": core.issuer,
            "aud": app.client_id,
            "exp": None,
            "nonce": nonce,
        },
        expected_type="JWS",
    )
    return json.loads(verified.header), json.loads(verified.claims)
