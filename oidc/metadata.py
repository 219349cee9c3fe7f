"""The OpenID Provider Metadata document of one pool (OpenID Connect Discovery 1.0)."""

from oauth2_provider.settings import oauth2_settings

from . import claims, keys
from .issuer import endpoint_url, issuer_url

CLAIMS_SUPPORTED = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "amr",
    "acr",
    "preferred_username",
    "email",
    "phone_number",
]


def discovery_document(request, pool):
    """Return the provider metadata of ``pool`` as a dict."""
    return {
        "issuer": issuer_url(request, pool),
        "authorization_endpoint": endpoint_url(request, pool, "authorize"),
        "token_endpoint": endpoint_url(request, pool, "token"),
        "userinfo_endpoint": endpoint_url(request, pool, "userinfo"),
        "jwks_uri": endpoint_url(request, pool, "jwks"),
        "end_session_endpoint": endpoint_url(request, pool, "end_session"),
        "scopes_supported": list(oauth2_settings.SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [keys.ALGORITHM],
        # "none" is for public clients, which prove the code with PKCE instead.
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": CLAIMS_SUPPORTED,
        "acr_values_supported": claims.ACR_VALUES,
        "prompt_values_supported": ["none", "login"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
    }
