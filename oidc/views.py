"""Endpoints of each pool's OpenID provider, under /oidc/<pool id>/."""

import logging

from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import TokenView as BaseTokenView
from oauth2_provider.views import UserInfoView as BaseUserInfoView
from oauthlib.oauth2.rfc6749 import errors

from authn.models import UserPool

from . import authorization, keys, logout
from .claims import acr_value
from .metadata import discovery_document

logger = logging.getLogger(__name__)


class PoolEndpointMixin:
    """Resolves the pool from the URL and builds its oauthlib server per request."""

    def dispatch(self, request, pool_id, *args, **kwargs):
        self.pool = get_object_or_404(UserPool, pk=pool_id)
        return super().dispatch(request, *args, **kwargs)

    def get_oauthlib_core(self):
        # An instance method, unlike the parent's cached classmethod: every
        # request needs a server bound to its pool and browser.
        return authorization.oauthlib_core(self.request, self.pool)


def public_json(data, max_age=None):
    """Return ``data`` as JSON that any origin may read, as metadata must be."""
    response = JsonResponse(data)
    response["Access-Control-Allow-Origin"] = "*"
    if max_age is not None:
        response["Cache-Control"] = f"public, max-age={max_age}"
    return response


class DiscoveryView(PoolEndpointMixin, View):
    def get(self, request):
        return public_json(discovery_document(request, self.pool))


class JwksView(PoolEndpointMixin, View):
    def get(self, request):
        return public_json(
            keys.jwks_document(self.pool),
            max_age=oauth2_settings.OIDC_JWKS_MAX_AGE_SECONDS,
        )


def error_page(request, error, status=400):
    """Render an error that must not be redirected, such as an unknown redirect URI."""
    return render(
        request,
        "oidc/error.html",
        {"error": error.error, "description": error.description},
        status=status,
    )


@method_decorator([csrf_exempt, never_cache], name="dispatch")
class AuthorizationView(PoolEndpointMixin, View):
    """The authorization endpoint: approves a request from the browser's sign-in.

    A browser signed on to the pool with every factor the app requires gets its
    code at once. Otherwise it is sent to the hosted login, or to the face step
    alone when the sign-on session lacks only the face factor, and comes back
    here afterwards. A password-only sign-in never gets a code for an app that
    requires face MFA.
    """

    def get(self, request):
        return self.authorize(request)

    # OpenID Connect Core 1.0, section 3.1.2.1: the endpoint supports POST too.
    # A cross-site form post carries no CSRF token, so the check is off here.
    def post(self, request):
        return self.authorize(request)

    def authorize(self, request):
        core = self.get_oauthlib_core()
        try:
            scopes, credentials = core.validate_authorization_request(request)
        except FatalClientError as error:
            logger.info(
                "authorization request rejected without redirect pool=%s error=%s",
                self.pool.pk,
                error.oauthlib_error.error,
            )
            return error_page(request, error.oauthlib_error)
        except OAuthToolkitError as error:
            return self.redirect_error(error.oauthlib_error, core.issuer)

        app = credentials["request"].client
        params = authorization.authorization_parameters(request)
        problem = authorization.parameter_error(params, credentials)
        if problem is not None:
            problem.redirect_uri = credentials["redirect_uri"]
            return self.redirect_error(problem, core.issuer)

        prompt = set(params.get("prompt", "").split())
        max_age = int(params["max_age"]) if params.get("max_age") else None
        sign_in = None
        if "login" not in prompt:
            sign_in = authorization.browser_sign_in(request)(app, max_age)

        if sign_in is not None:
            return self.issue_code(request, core, app, scopes, credentials, sign_in)

        if "none" in prompt:
            error = errors.LoginRequired(state=credentials.get("state"))
            error.redirect_uri = credentials["redirect_uri"]
            return self.redirect_error(error, core.issuer)

        return redirect(
            authorization.next_step(request, app, params, credentials, core.issuer)
        )

    def issue_code(self, request, core, app, scopes, credentials, sign_in):
        try:
            uri, _, _, _ = core.create_authorization_response(
                request,
                scopes,
                credentials,
                allow=True,
                sign_in=sign_in,
                acr=acr_value(sign_in.amr),
            )
        except FatalClientError as error:
            return error_page(request, error.oauthlib_error)
        except OAuthToolkitError as error:
            return self.redirect_error(error.oauthlib_error, core.issuer)

        logger.info(
            "authorization code issued pool=%s app=%s user=%s amr=%s",
            self.pool.pk,
            app.pk,
            sign_in.user.pk,
            ",".join(sign_in.amr),
        )
        return OAuth2ResponseRedirect(uri, app.get_allowed_schemes())

    def redirect_error(self, error, issuer):
        """Send an OAuth 2.0 error to the redirect URI that oauthlib validated."""
        logger.info(
            "authorization request rejected pool=%s error=%s", self.pool.pk, error.error
        )
        url = authorization.error_redirect_url(error.redirect_uri, error, issuer)
        return OAuth2ResponseRedirect(url, oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES)


@method_decorator(csrf_exempt, name="dispatch")
class TokenView(PoolEndpointMixin, BaseTokenView):
    """The token endpoint: client_secret_basic, client_secret_post, or PKCE alone
    for public clients."""


@method_decorator(csrf_exempt, name="dispatch")
class UserInfoView(PoolEndpointMixin, BaseUserInfoView):
    """The userinfo endpoint: claims of the access token's user, by scope."""


@method_decorator([csrf_exempt, never_cache], name="dispatch")
class EndSessionView(PoolEndpointMixin, View):
    """RP-initiated logout: ends the pool's sign-on session in this browser.

    The sign-on sessions of other pools and the administrator's console session
    stay. Without an ``id_token_hint`` of the signed-on user, the user confirms
    first, so a link on another site cannot sign them out. Relying parties may
    send GET or POST (RP-Initiated Logout 1.0, section 2), so the CSRF check is
    off and the confirmation form carries its own one-time token instead.
    """

    def get(self, request):
        return self.handle(request, request.GET)

    def post(self, request):
        return self.handle(request, request.POST)

    def handle(self, request, params):
        validator = self.get_oauthlib_core().validator
        try:
            logout_request = logout.parse_logout_request(self.pool, validator, params)
        except logout.LogoutRequestError as error:
            logger.info(
                "logout request rejected pool=%s error=%s", self.pool.pk, error.code
            )
            return render(
                request,
                "oidc/error.html",
                {"error": error.code, "description": error.message},
                status=400,
            )

        confirmed = logout.take_confirmation(request, params.get("confirmation", ""))
        if confirmed and "cancel" in params:
            return render(request, "oidc/signed_out.html", {"cancelled": True})

        if not confirmed and logout.must_confirm(request, self.pool, logout_request):
            return render(
                request,
                "oidc/logout_confirm.html",
                {
                    "pool": self.pool,
                    "app": logout_request.app,
                    "confirmation": logout.new_confirmation(request),
                    "fields": logout.forwarded_fields(params),
                },
            )

        # Without a sign-on session nothing is signed in, and a sign-in that
        # waits for its face step stays: a link on another site must not
        # cancel it.
        if logout.is_signed_on(request, self.pool):
            logout.sign_out_of_pool(request, self.pool)
            logger.info(
                "signed out by relying party pool=%s app=%s",
                self.pool.pk,
                logout_request.app.pk if logout_request.app else None,
            )

        url = logout_request.redirect_url()
        if url:
            return OAuth2ResponseRedirect(url, logout_request.app.get_allowed_schemes())
        return render(request, "oidc/signed_out.html", {"cancelled": False})
