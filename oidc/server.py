"""oauthlib servers bound to one pool, wrapped for Django requests."""

from datetime import UTC, datetime

from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.settings import oauth2_settings
from oauthlib import oauth2
from oauthlib.common import add_params_to_uri

from .validators import PoolOAuth2Validator


class PoolOAuthLibCore(OAuthLibCore):
    """django-oauth-toolkit's Django-to-oauthlib adapter for one pool's server.

    The parent class approves authorization requests for ``request.user``, the
    Django (administrator) user. End users are not Django users, so
    :meth:`create_authorization_response` takes the end user and how they
    authenticated explicitly.
    """

    def __init__(self, pool, issuer, **validator_options):
        validator = PoolOAuth2Validator(pool, issuer, **validator_options)
        server = oauth2_settings.OAUTH2_SERVER_CLASS(
            validator, **oauth2_settings.server_kwargs
        )
        super().__init__(server)
        self.pool = pool
        self.issuer = issuer

    @property
    def validator(self):
        return self.server.request_validator

    def create_authorization_response(
        self, request, scopes, credentials, allow, sign_in=None, acr=""
    ):
        """Issue the authorization code for ``sign_in`` and return
        (redirect URI, headers, body, status).

        :param sign_in: the :class:`~authn.transaction.SignIn` that approves the
            request: its user, ``auth_time`` and ``amr`` go on the code.
        :param acr: the authentication context class of that sign-in.
        :raises OAuthToolkitError: an error to send to the redirect URI,
            ``access_denied`` when ``allow`` is False.
        :raises FatalClientError: an error that must not be redirected.

        The response carries the RFC 9207 ``iss`` parameter, because one host
        runs an issuer per pool and a client talking to several of them must be
        able to tell which one answered.
        """
        try:
            if not allow:
                raise oauth2.AccessDeniedError(state=credentials.get("state"))

            credentials = {
                **credentials,
                "user": sign_in.user,
                "auth_time": sign_in_datetime(sign_in),
                "amr": sign_in.amr,
                "acr": acr,
            }
            uri, http_method, _, headers = self._extract_params(request)
            headers, body, status = self.server.create_authorization_response(
                uri=uri,
                http_method=http_method,
                headers=headers,
                scopes=scopes,
                credentials=credentials,
            )
        except oauth2.FatalClientError as error:
            raise FatalClientError(
                error=error, redirect_uri=credentials["redirect_uri"]
            ) from error
        except oauth2.OAuth2Error as error:
            raise OAuthToolkitError(
                error=error, redirect_uri=credentials["redirect_uri"]
            ) from error

        location = headers.get("Location")
        if location is not None:
            location = add_params_to_uri(location, [("iss", self.issuer)])
            headers["Location"] = location
        return location, headers, body, status


def sign_in_datetime(sign_in):
    """Return the ``auth_time`` claim: when the sign-in's first factor passed.

    A later face step (step-up, recheck) does not move it, so a relying party
    that checks ``auth_time`` against its own ``max_age`` gets what the
    provider's ``max_age`` check uses.
    """
    return datetime.fromtimestamp(sign_in.sign_on.signed_in_at, tz=UTC)
