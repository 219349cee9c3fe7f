"""A relying party built on Authlib's OAuth 2.0 client, and a scripted browser.

The protocol tests sign users in the way a real app would: Authlib builds the
authorization request (PKCE S256, state, nonce), exchanges the code, and
validates the ID token against the keys the pool publishes. The provider code
under test takes no part in that validation.

:class:`ScriptedBrowser` plays the end user's browser with requests: it follows
the provider's redirects, fills the hosted login form and uploads face frames,
and stops when the provider redirects to the relying party.

:class:`RelyingPartyServer` runs the same client as a small web app on a
loopback port, for the Chromium tests.
"""

import html
import json
import re
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet

REDIRECT_LIMIT = 20


class RelyingParty:
    """One OpenID Connect client of one pool, driven through Authlib.

    :param issuer: the pool's issuer URL; the client reads the discovery
        document under it, as a standard client library does.
    :param auth_method: "client_secret_basic", "client_secret_post", or "none"
        for a public client.
    """

    def __init__(
        self,
        issuer,
        client_id,
        client_secret,
        redirect_uri,
        scope="openid profile email phone",
        auth_method="client_secret_basic",
    ):
        self.issuer = issuer
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.metadata = requests.get(
            issuer + "/.well-known/openid-configuration", timeout=10
        ).json()
        self.session = OAuth2Session(
            client_id,
            client_secret,
            scope=scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method=auth_method,
        )
        self.code_verifier = None
        self.nonce = None
        self.state = None

    def authorization_url(self, **params):
        """Return a new authorization request URL; extra ``params`` are added to it."""
        self.code_verifier = generate_token(48)
        self.nonce = generate_token(20)
        url, self.state = self.session.create_authorization_url(
            self.metadata["authorization_endpoint"],
            code_verifier=self.code_verifier,
            nonce=self.nonce,
            **params,
        )
        return url

    def fetch_token(self, callback_url, code_verifier=None):
        """Exchange the code in ``callback_url`` and return Authlib's token dict."""
        if code_verifier is None:
            code_verifier = self.code_verifier
        return self.session.fetch_token(
            self.metadata["token_endpoint"],
            authorization_response=callback_url,
            code_verifier=code_verifier,
            state=self.state,
        )

    def token_request(self, data, auth=None):
        """Send a raw token request and return the requests response."""
        return requests.post(
            self.metadata["token_endpoint"], data=data, auth=auth, timeout=10
        )

    def jwks(self):
        return requests.get(self.metadata["jwks_uri"], timeout=10).json()

    def validate_id_token(self, token):
        """Verify the ID token's signature with the published JWKS and validate
        its claims with Authlib's OpenID Connect rules; return the claims."""
        decoded = jwt.decode(token["id_token"], KeySet.import_key_set(self.jwks()))
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            options={"iss": {"values": [self.metadata["issuer"]]}},
            params={
                "nonce": self.nonce,
                "client_id": self.client_id,
                "access_token": token["access_token"],
            },
        )
        claims.validate(leeway=30)
        return claims, decoded.header

    def userinfo(self, token):
        response = requests.get(
            self.metadata["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {token['access_token']}"},
            timeout=10,
        )
        return response

    def logout_url(self, id_token, post_logout_redirect_uri=None, state=None):
        params = {"id_token_hint": id_token, "client_id": self.client_id}
        if post_logout_redirect_uri:
            params["post_logout_redirect_uri"] = post_logout_redirect_uri
        if state:
            params["state"] = state
        return (
            requests.Request(
                "GET", self.metadata["end_session_endpoint"], params=params
            )
            .prepare()
            .url
        )


class ScriptedBrowser:
    """An end user's browser: one cookie jar, redirects followed by hand.

    :param base_url: the provider's URL; a redirect elsewhere ends a navigation
        and is returned as ``left_to``.
    """

    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()

    @dataclass
    class Result:
        response: requests.Response | None
        left_to: str | None

        @property
        def url(self):
            return self.response.url if self.response is not None else None

    def open(self, url, method="GET", data=None, headers=None):
        """Load ``url`` and follow redirects on the provider's host.

        :returns: a Result whose ``left_to`` is the first redirect to another
            host (the relying party's callback), or whose ``response`` is the
            provider page the navigation ended on.
        """
        response = self.session.request(
            method, url, data=data, headers=headers, allow_redirects=False, timeout=30
        )
        for _ in range(REDIRECT_LIMIT):
            if not response.is_redirect:
                return self.Result(response=response, left_to=None)

            location = urljoin(response.url, response.headers["Location"])
            if not location.startswith(self.base_url + "/"):
                return self.Result(response=response, left_to=location)
            response = self.session.get(location, allow_redirects=False, timeout=30)
        raise AssertionError(f"More than {REDIRECT_LIMIT} redirects from {url}")

    def csrf_token(self, page):
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert match, f"No CSRF token on {page.url}"
        return match.group(1)

    def submit_password(self, login_page, identifier, password):
        """Fill and send the hosted login form shown by ``login_page``."""
        return self.open(
            login_page.url,
            method="POST",
            data={
                "csrfmiddlewaretoken": self.csrf_token(login_page),
                "identifier": identifier,
                "password": password,
            },
            headers={"Referer": login_page.url},
        )

    def pass_face_step(self, face_page, frames):
        """Run one attempt of the face step shown by ``face_page`` with camera
        frames, as the camera page's script does, then open the page the step
        redirects to.

        The page first requests a one-time challenge, then uploads the frames
        with it. Still photos pass only when the pool's liveness check is off.
        """

        def attribute(name):
            match = re.search(rf'data-{name}="([^"]+)"', face_page.text)
            assert match, f"No data-{name} on {face_page.url}"
            return html.unescape(match.group(1))

        transaction = attribute("transaction")
        headers = {
            "X-CSRFToken": self.csrf_token(face_page),
            "Referer": face_page.url,
            "Accept": "application/json",
        }
        challenge = self.session.post(
            urljoin(face_page.url, attribute("challenge-url")),
            data={"transaction": transaction},
            headers=headers,
            timeout=30,
        )
        assert challenge.status_code == 200, challenge.text

        uploads = [
            ("frame", (f"frame-{index}.jpg", data, "image/jpeg"))
            for index, data in enumerate(frames)
        ]
        response = self.session.post(
            urljoin(face_page.url, attribute("upload-url")),
            data={"transaction": transaction, "challenge": challenge.json()["nonce"]},
            files=uploads,
            headers=headers,
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return self.open(urljoin(face_page.url, response.json()["redirect"]))


def query_params(url):
    """Return the query parameters of ``url`` as a dict of single values."""
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the parent's signature)
        pass


class RelyingPartyServer:
    """A minimal web app that signs its users in with a pool's provider.

    ``/`` redirects to the authorization endpoint. ``/callback`` exchanges the
    code with Authlib and validates the ID token. Its page shows the claims and
    the userinfo response, with ``data-testid`` attributes for the browser
    tests. It serves one sign-in at a time, which is all a test needs.

    Start it with :meth:`bind` before registering its redirect URI, because
    the port is known only then; :meth:`start` needs the client id.
    """

    def __init__(self, name):
        self.name = name
        self.server = make_server(
            "127.0.0.1",
            0,
            self.wsgi_app,
            server_class=WSGIServer,
            handler_class=QuietHandler,
        )
        # "localhost" rather than the IP: the browser tests' Chromium resolves
        # no other host name, and it maps IP literals through the same rules.
        self.base_url = f"http://localhost:{self.server.server_port}"
        self.redirect_uri = self.base_url + "/callback"
        self.relying_party = None
        self.thread = None
        self.extra_params = {}

    def start(self, issuer, client_id, client_secret):
        self.relying_party = RelyingParty(
            issuer, client_id, client_secret, self.redirect_uri
        )
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def wsgi_app(self, environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/":
            url = self.relying_party.authorization_url(**self.extra_params)
            start_response("302 Found", [("Location", url)])
            return [b""]

        if path == "/callback":
            query = environ.get("QUERY_STRING", "")
            body = self.callback_page(self.redirect_uri + "?" + query)
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [body.encode()]

        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    def callback_page(self, callback_url):
        params = query_params(callback_url)
        if "error" in params:
            return self.page(
                f'<p data-testid="error">{html.escape(params["error"])}</p>'
            )

        token = self.relying_party.fetch_token(callback_url)
        claims, _ = self.relying_party.validate_id_token(token)
        userinfo = self.relying_party.userinfo(token).json()
        return self.page(
            f"<h1>Signed in to {html.escape(self.name)}</h1>"
            f'<p data-testid="sub">{html.escape(claims["sub"])}</p>'
            f'<p data-testid="amr">{html.escape(" ".join(claims["amr"]))}</p>'
            f'<p data-testid="acr">{html.escape(claims["acr"])}</p>'
            f'<p data-testid="username">{html.escape(userinfo.get("preferred_username", ""))}</p>'
            f'<pre data-testid="claims">{html.escape(json.dumps(dict(claims), indent=2))}</pre>'
        )

    def page(self, content):
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.name)}</title></head><body>{content}</body></html>"
        )
