"""Single sign-on across two apps of one pool, in Chromium with a fake camera.

Each app is a relying party running on a loopback port (see
tests/relying_party.py) that signs its users in with Authlib through the
pool's OpenID provider and shows the ID token claims it received.

The pool's liveness check is off because the fake camera shows a still photo,
which passive liveness detection rightly rejects. These tests are about the
sign-on session, not about presentation attacks.
"""

import re

import pytest
from playwright.sync_api import expect

from authn.models import Application, EndUser, LivenessLevel, UserPool
from oidc.models import Grant
from tests.conftest import END_USER_PASSWORD
from tests.faces import face_path
from tests.oidc_setup import CLIENT_SECRET
from tests.relying_party import RelyingPartyServer

from .camera import write_y4m
from .hosted import finish_enrollment

pytestmark = pytest.mark.e2e

# A face attempt takes about 1 to 2 s on a 2-core machine. The wait is far
# longer, so that a busy CI machine does not fail the test.
FACE_RESULT_TIMEOUT_MS = 30_000


@pytest.fixture
def relying_parties():
    servers = []

    def start(name):
        server = RelyingPartyServer(name)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def register(pool, server, face=False):
    app = Application(
        pool=pool,
        user=pool.owner,
        name=server.name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.RS256_ALGORITHM,
        redirect_uris=server.redirect_uri,
        client_secret=CLIENT_SECRET,
        custom_security_rules=face,
        face_mfa_enabled=face,
    )
    app.save()
    return app


@pytest.fixture
def pool(admin):
    return UserPool.objects.create(
        owner=admin, name="Staff", liveness=LivenessLevel.OFF
    )


@pytest.fixture
def alice(pool):
    user = EndUser(pool=pool, username="alice")
    user.set_password(END_USER_PASSWORD)
    user.save()
    return user


def start_servers(live_server, pool, servers_and_apps):
    issuer = f"{live_server.url}/oidc/{pool.pk}"
    for server, app in servers_and_apps:
        server.start(issuer, app.client_id, CLIENT_SECRET)


def sign_in_with_password(page):
    page.get_by_label("Username, email or phone").fill("alice")
    page.get_by_label("Password").fill(END_USER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_second_app_signs_in_without_password(
    live_server, browsers, snap, tmp_path, pool, alice, relying_parties
):
    portal = relying_parties("Staff Portal")
    wiki = relying_parties("Staff Wiki")
    portal_app = register(pool, portal)
    wiki_app = register(pool, wiki)
    start_servers(live_server, pool, [(portal, portal_app), (wiki, wiki_app)])
    camera = write_y4m(face_path("people/obama/obama.jpg"), tmp_path / "camera.y4m")

    page = browsers.open(camera).new_page()
    page.goto(portal.base_url + "/")

    expect(page).to_have_url(f"{live_server.url}/login/{portal_app.client_id}/")
    snap(page, "portal-hosted-login")
    sign_in_with_password(page)

    expect(
        page.get_by_role("heading", name="Signed in to Staff Portal")
    ).to_be_visible()
    expect(page.get_by_test_id("amr")).to_have_text("pwd")
    expect(page.get_by_test_id("username")).to_have_text("alice")
    snap(page, "portal-signed-in")

    # The second app of the pool gets its code without any sign-in page.
    page.goto(wiki.base_url + "/")

    expect(page.get_by_role("heading", name="Signed in to Staff Wiki")).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape(wiki.redirect_uri) + r"\?"))
    expect(page.get_by_test_id("amr")).to_have_text("pwd")
    expect(page.get_by_test_id("sub")).to_have_text(str(alice.sub))
    snap(page, "wiki-signed-in-by-sso")

    browsers.stop()
    assert Grant.objects.filter(application=wiki_app, user=alice).count() == 1


def test_face_app_steps_up_to_face_only(
    live_server, browsers, snap, tmp_path, pool, alice, relying_parties
):
    portal = relying_parties("Staff Portal")
    payroll = relying_parties("Payroll")
    portal_app = register(pool, portal)
    payroll_app = register(pool, payroll, face=True)
    start_servers(live_server, pool, [(portal, portal_app), (payroll, payroll_app)])
    camera = write_y4m(face_path("people/obama/obama.jpg"), tmp_path / "camera.y4m")

    page = browsers.open(camera).new_page()
    page.goto(portal.base_url + "/")
    sign_in_with_password(page)
    expect(page.get_by_test_id("amr")).to_have_text("pwd")

    # Payroll requires Face Recognition: the browser goes to the face step
    # straight away, with no password form in between.
    page.goto(payroll.base_url + "/")

    expect(page).to_have_url(f"{live_server.url}/login/{payroll_app.client_id}/face/")
    enroll = page.get_by_role("button", name="Enroll my face")
    expect(enroll).to_be_enabled()
    expect(page.get_by_label("Password")).to_have_count(0)
    snap(page, "payroll-face-step-only")

    enroll.click()
    finish_enrollment(page, FACE_RESULT_TIMEOUT_MS)

    expect(page.get_by_role("heading", name="Signed in to Payroll")).to_be_visible(
        timeout=FACE_RESULT_TIMEOUT_MS
    )
    expect(page.get_by_test_id("amr")).to_have_text("pwd face mfa")
    expect(page.get_by_test_id("acr")).to_contain_text("multi-factor")
    snap(page, "payroll-signed-in-with-face")

    # The face factor now belongs to the pool's session, so the first app's
    # next sign-in carries it too.
    page.goto(portal.base_url + "/")

    expect(
        page.get_by_role("heading", name="Signed in to Staff Portal")
    ).to_be_visible()
    expect(page.get_by_test_id("amr")).to_have_text("pwd face mfa")
    snap(page, "portal-signed-in-with-face")

    browsers.stop()
    assert Grant.objects.get(application=payroll_app).amr == ["pwd", "face", "mfa"]
