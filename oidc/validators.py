"""The oauthlib request validator of one pool's OpenID provider.

django-oauth-toolkit's :class:`~oauth2_provider.oauth2_validators.OAuth2Validator`
does the protocol bookkeeping. This subclass binds it to one user pool. Only
that pool's apps are clients, the pool's own key signs ID tokens, and the
issuer is the pool's. The ID token reports how the end user authenticated
(``amr``, ``acr``, ``auth_time``), taken from the sign-on session that
approved the code.
"""

import json
import logging
from collections import OrderedDict

from django.db import transaction
from django.utils import timezone
from jwcrypto import jwt
from jwcrypto.common import JWException
from oauth2_provider.models import (
    AbstractApplication,
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors

from . import keys

logger = logging.getLogger(__name__)

AccessToken = get_access_token_model()
Grant = get_grant_model()
IDToken = get_id_token_model()
RefreshToken = get_refresh_token_model()


class PoolOAuth2Validator(OAuth2Validator):
    """Validates OAuth 2.0 and OpenID Connect requests against one pool.

    :param pool: the :class:`~authn.models.UserPool` whose endpoints are used.
    :param issuer: the pool's issuer identifier (see :mod:`oidc.issuer`).
    :param browser_sign_in: a callable ``(app, max_age) -> SignIn or None``
        that returns the browser's current sign-in to ``app``, for the
        ``prompt=none`` and ``id_token_hint`` checks. None means there is no
        browser session, as for token and userinfo requests.
    :param trusted_redirect_uri: a redirect URI whose codes this validator
        exchanges without client authentication. Only the console's Experience
        Login passes one, in-process, for the redirect URI it registered on the
        app; PKCE still binds the code to the console session that asked.
    """

    def __init__(self, pool, issuer, browser_sign_in=None, trusted_redirect_uri=None):
        super().__init__()
        self.pool = pool
        self.issuer = issuer
        self.browser_sign_in = browser_sign_in
        self.trusted_redirect_uri = trusted_redirect_uri

    # Clients

    def _load_application(self, client_id, request):
        """Load the client like the parent class, but only an app of this pool."""
        client = super()._load_application(client_id, request)
        if client is None:
            return None

        if client.pool_id != self.pool.pk:
            request.client = None
            return None

        client.pool = self.pool
        return client

    def client_authentication_required(self, request, *args, **kwargs):
        if self.trusted_exchange(request):
            return False
        return super().client_authentication_required(request, *args, **kwargs)

    def authenticate_client_id(self, client_id, request, *args, **kwargs):
        if self.trusted_exchange(request):
            return self._load_application(client_id, request) is not None
        return super().authenticate_client_id(client_id, request, *args, **kwargs)

    def trusted_exchange(self, request):
        return (
            self.trusted_redirect_uri is not None
            and request.grant_type == "authorization_code"
            and request.redirect_uri == self.trusted_redirect_uri
        )

    def validate_user(self, username, password, client, request, *args, **kwargs):
        """Reject every resource owner password credentials request.

        End users sign in on the hosted login page only, and discovery offers
        no password grant. The parent class checks the password against
        Django's users, who are the console administrators, and oauthlib calls
        that check before it checks the grant type. Any client of any
        pool could then tell a right administrator password from a wrong one.
        """
        return False

    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs):
        """Accept only a registered redirect URI, compared as a plain string.

        OpenID Connect Core 1.0, section 3.1.2.1 requires simple string
        comparison. The parent class also accepts any port on a loopback IP
        address (RFC 8252, section 7.3), which is not wanted here.
        """
        return redirect_uri in request.client.redirect_uris.split()

    def is_pkce_required(self, client_id, request):
        """Require PKCE from public clients, which have no secret to prove the
        code is theirs. Confidential clients may use it."""
        client = request.client or self._load_application(client_id, request)
        if client is None:
            return True
        return client.client_type == AbstractApplication.CLIENT_PUBLIC

    # Authorization endpoint

    def validate_silent_login(self, request):
        """Return True when ``prompt=none`` can get a code without a login page."""
        return self.sign_in_for(request) is not None

    def validate_silent_authorization(self, request):
        # Self-built apps belong to the pool's administrator, so no consent
        # page is shown and none is needed for prompt=none.
        return True

    def validate_user_match(self, id_token_hint, scopes, claims, request):
        """Reject an ``id_token_hint`` that is invalid or names another user
        than the one signed in."""
        if not id_token_hint:
            return True

        hint_claims = self.verified_id_token_claims(id_token_hint)
        if hint_claims is None:
            return False

        sign_in = self.sign_in_for(request)
        if sign_in is None:
            return True
        return hint_claims.get("sub") == str(sign_in.user.sub)

    def sign_in_for(self, request):
        if self.browser_sign_in is None or request.client is None:
            return None
        return self.browser_sign_in(request.client, max_age_from(request))

    def _create_authorization_code(self, request, code, expires=None):
        """Store the code with how the user authenticated for it.

        The authorization view passes ``auth_time``, ``amr`` and ``acr`` as
        credentials, which oauthlib sets on ``request``.
        """
        grant = super()._create_authorization_code(request, code, expires)
        grant.auth_time = getattr(request, "auth_time", None)
        grant.amr = list(getattr(request, "amr", []))
        grant.acr = getattr(request, "acr", "")
        grant.save(update_fields=["auth_time", "amr", "acr"])
        return grant

    # Token endpoint

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        grant = Grant.objects.select_related("user").filter(
            code=code, application=client
        )
        grant = grant.first()
        if grant is None:
            return False

        if grant.used_at is not None:
            revoke_tokens_of_grant(grant)
            logger.warning(
                "authorization code reused app=%s grant=%s: its tokens are revoked",
                client.pk,
                grant.pk,
            )
            return False

        if grant.is_expired() or not grant.user.is_active:
            return False

        request.scopes = grant.scope.split(" ")
        request.user = grant.user
        if grant.nonce:
            request.nonce = grant.nonce
        if grant.claims:
            request.claims = json.loads(grant.claims)
        request.grant = grant
        request.auth_time = grant.auth_time
        request.amr = grant.amr
        request.acr = grant.acr
        return True

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        """Mark the code used instead of deleting it, so reuse is detectable.

        The conditional update lets only one of two concurrent exchanges pass.
        """
        used = Grant.objects.filter(
            code=code, application=request.client, used_at__isnull=True
        ).update(used_at=timezone.now())
        if not used:
            raise errors.InvalidGrantError(request=request)

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        access_token = super()._create_access_token(
            expires, request, token, source_refresh_token
        )
        grant = getattr(request, "grant", None)
        if grant is not None:
            access_token.source_grant = grant
            access_token.save(update_fields=["source_grant"])
        return access_token

    def refresh_id_token(self, request):
        # A refresh is not an authentication, so it gets no new ID token: its
        # amr and auth_time would describe a sign-in the refresh request did
        # not perform. OpenID Connect Core 1.0 section 12.2 allows omitting it.
        return False

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        if not super().validate_refresh_token(refresh_token, client, request):
            return False
        return request.user is not None and request.user.is_active

    # ID token

    def get_oidc_issuer_endpoint(self, request):
        return self.issuer

    def get_additional_claims(self, request):
        """Return the end user's claims; ``oidc_claim_scope`` filters them by scope."""
        user = request.user
        claims = {"sub": str(user.sub)}
        if user.username:
            claims["preferred_username"] = user.username
        if user.email:
            claims["email"] = user.email
        if user.phone:
            claims["phone_number"] = user.phone
        return claims

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration_time = super().get_id_token_dictionary(
            token, token_handler, request
        )
        auth_time = getattr(request, "auth_time", None)
        if auth_time is not None:
            claims["auth_time"] = int(auth_time.timestamp())
        claims["amr"] = list(getattr(request, "amr", []))
        claims["acr"] = getattr(request, "acr", "")
        return claims, expiration_time

    def finalize_id_token(self, id_token, token, token_handler, request):
        """Sign the ID token with the pool's active key (RS256) and store its jti."""
        claims, expiration_time = self.get_id_token_dictionary(
            token, token_handler, request
        )
        id_token.update(**claims)
        if "nonce" not in id_token and request.nonce:
            id_token["nonce"] = request.nonce

        signing_key = keys.active_signing_key(self.pool)
        header = {"typ": "JWT", "alg": keys.ALGORITHM, "kid": signing_key.kid}
        signed = jwt.JWT(header=header, claims=json.dumps(id_token, default=str))
        signed.make_signed_token(keys.private_jwk(signing_key))

        with transaction.atomic():
            record = self._save_id_token(id_token["jti"], request, expiration_time)
        request.access_token = record
        request.id_token = record
        return signed.serialize()

    def _get_key_for_token(self, token):
        """Return the pool's published keys; the token's "kid" selects one."""
        return keys.verification_key_set(self.pool)

    def verified_id_token_claims(self, token):
        """Return the claims of an ID token this pool issued, or None.

        The signature and issuer are checked; an expired token is accepted,
        because ``id_token_hint`` names a past sign-in (OpenID Connect Core
        1.0, section 3.1.2.1).
        """
        try:
            verified = jwt.JWT(
                key=keys.verification_key_set(self.pool),
                jwt=token,
                check_claims={"iss": self.issuer},
                expected_type="JWS",
            )
            return json.loads(verified.claims)
        except (JWException, ValueError, TypeError):
            return None

    # Resource endpoints (userinfo)

    def validate_bearer_token(self, token, scopes, request):
        if not super().validate_bearer_token(token, scopes, request):
            return False

        valid = (
            request.client is not None
            and request.client.pool_id == self.pool.pk
            and request.user is not None
            and request.user.is_active
        )
        if not valid:
            request.oauth2_error = OrderedDict(
                [
                    ("error", "invalid_token"),
                    ("error_description", "The access token is invalid."),
                ]
            )
        return valid


def max_age_from(request):
    """Return the ``max_age`` parameter in seconds, or None when absent or invalid.

    The authorization view rejects an invalid value with ``invalid_request``.
    """
    raw = request.max_age
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


def revoke_tokens_of_grant(grant):
    """Revoke the access and refresh tokens issued for ``grant``, with their
    refreshed successors (the whole refresh token family)."""
    families = set(
        RefreshToken.objects.filter(access_token__source_grant=grant)
        .exclude(token_family=None)
        .values_list("token_family", flat=True)
    )
    for family in families:
        RefreshToken.revoke_family(family)
    for access_token in AccessToken.objects.filter(source_grant=grant):
        access_token.revoke()
