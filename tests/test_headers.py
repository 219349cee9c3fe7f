"""Security headers on the hosted login and the face step."""

import pytest
from django.urls import reverse

from .conftest import END_USER_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def hosted_pages(client, face_app, end_user):
    """Return the responses of the hosted login page and the face step page."""
    login_url = reverse("authn:login", args=[face_app.client_id])
    login_page = client.get(login_url)
    client.post(login_url, {"identifier": "alice", "password": END_USER_PASSWORD})
    face_page = client.get(reverse("mfa_face:step", args=[face_app.client_id]))
    assert face_page.status_code == 200
    return {"login": login_page, "face": face_page}


PAGES = ["login", "face"]


def csp_directives(response):
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize("page", PAGES)
def test_x_frame_options_deny(hosted_pages, page):
    assert hosted_pages[page].headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("page", PAGES)
def test_csp_frame_ancestors_none(hosted_pages, page):
    assert csp_directives(hosted_pages[page])["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("page", PAGES)
def test_csp_forbids_inline_script(hosted_pages, page):
    assert csp_directives(hosted_pages[page])["script-src"] == ["'self'"]


@pytest.mark.parametrize("page", PAGES)
def test_permissions_policy_allows_camera_for_self(hosted_pages, page):
    policy = hosted_pages[page].headers["Permissions-Policy"]
    assert "camera=(self)" in policy.split(", ")


@pytest.mark.parametrize("page", PAGES)
def test_referrer_policy(hosted_pages, page):
    assert hosted_pages[page].headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("page", PAGES)
def test_content_type_nosniff(hosted_pages, page):
    assert hosted_pages[page].headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("page", PAGES)
def test_hosted_pages_not_cached(hosted_pages, page):
    assert "no-store" in hosted_pages[page].headers["Cache-Control"]


def test_templates_have_no_inline_script():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    offenders = []
    for template in root.glob("**/templates/**/*.html"):
        if ".venv" in template.parts:
            continue
        text = template.read_text()
        for line in text.splitlines():
            if "<script" in line and "src=" not in line:
                offenders.append(str(template.relative_to(root)))
            if (
                " on" in line
                and '="' in line
                and any(
                    handler in line
                    for handler in (" onclick=", " onload=", " onchange=", " onsubmit=")
                )
            ):
                offenders.append(str(template.relative_to(root)))
    assert offenders == []
