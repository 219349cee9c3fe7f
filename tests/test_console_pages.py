"""Every console page: needs sign-in, has a title, labels and no inline code.

The pages come from console/urls.py, so a page added later is checked as
soon as it is routed. Inline scripts, inline event handlers and style
attributes are rejected because the Content-Security-Policy allows neither.
"""

from collections import Counter
from html.parser import HTMLParser

import numpy as np
import pytest
from django.contrib.staticfiles import finders
from django.urls import URLResolver, reverse

from console import urls as console_urls
from mfa_face.models import FaceDevice

from .conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db

# Pages an anonymous visitor may open: the account pages themselves.
PUBLIC_ROUTES = {"console:register", "console:login", "console:logout"}

# Pages that must be among those audited, so the enumeration cannot come
# back empty or lose a page without notice.
EXPECTED_PAGES = {
    "console:register",
    "console:login",
    "console:password_change",
    "console:pool_list",
    "console:pool_create",
    "console:pool_rename",
    "console:pool_delete",
    "console:app_list",
    "console:app_create",
    "console:app_detail",
    "console:app_secret_rotate",
    "console:app_delete",
    "console:pool_mfa",
    "console:user_list",
    "console:user_create",
    "console:user_detail",
    "console:user_reset_face",
    "console:user_delete",
}

UNLABELLED_INPUT_TYPES = {"hidden", "submit", "button", "reset", "image"}


def iter_routes(patterns, namespace="console", parameters=frozenset()):
    """Yield (route name, parameter names) for every named console URL pattern."""
    for entry in patterns:
        names = parameters | set(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            child = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
            yield from iter_routes(entry.url_patterns, child, names)
        elif entry.name:
            yield f"{namespace}:{entry.name}", names


class PageAudit(HTMLParser):
    """Collects what a screen reader and the Content-Security-Policy need from a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.title = ""
        self.lang = ""
        self.ids = Counter()
        self.label_targets = set()
        self.labelled_by = []
        self.controls = []
        self.h1_count = 0
        self.in_title = False
        self.label_depth = 0
        # Open links and buttons with the text seen inside them so far.
        self.named = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in attrs:
            if name.startswith("on"):
                self.problems.append(f"inline event handler {name} on <{tag}>")
        if "style" in attrs:
            self.problems.append(f"style attribute on <{tag}>")
        if tag == "script" and "src" not in attrs:
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("inline <style>")
        if attrs.get("href", "").startswith("javascript:"):
            self.problems.append("javascript: link")

        if "id" in attrs:
            self.ids[attrs["id"]] += 1
        if "aria-labelledby" in attrs:
            self.labelled_by.extend(attrs["aria-labelledby"].split())

        if tag == "html":
            self.lang = attrs.get("lang", "")
        elif tag == "title":
            self.in_title = True
        elif tag == "h1":
            self.h1_count += 1
        elif tag == "label":
            self.label_depth += 1
            if attrs.get("for"):
                self.label_targets.add(attrs["for"])
        elif tag in {"input", "select", "textarea"}:
            if attrs.get("type") not in UNLABELLED_INPUT_TYPES:
                self.controls.append((tag, attrs, self.label_depth > 0))
        elif tag in {"a", "button", "summary"}:
            self.named.append([tag, attrs, ""])

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        elif tag == "label":
            self.label_depth -= 1
        elif self.named and self.named[-1][0] == tag:
            _, attrs, text = self.named.pop()
            if not text.strip() and not attrs.get("aria-label"):
                self.problems.append(f"<{tag}> without a name: {attrs}")

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        for item in self.named:
            item[2] += data

    def report(self):
        """Return the list of problems found in the whole page."""
        problems = list(self.problems)
        if not self.lang:
            problems.append("<html> without lang")
        if not self.title.strip() or self.title.strip().startswith("·"):
            problems.append(f"missing page title: {self.title!r}")
        if self.h1_count != 1:
            problems.append(f"{self.h1_count} <h1> headings instead of one")

        for element_id, count in self.ids.items():
            if count > 1:
                problems.append(f"id {element_id!r} used {count} times")
        for element_id in self.labelled_by:
            if element_id not in self.ids:
                problems.append(f"aria-labelledby names missing id {element_id!r}")

        for tag, attrs, inside_label in self.controls:
            labelled = (
                attrs.get("id") in self.label_targets
                or attrs.get("aria-label")
                or attrs.get("aria-labelledby")
                or inside_label
            )
            if not labelled:
                problems.append(f"<{tag} name={attrs.get('name')!r}> without a label")
        return problems


def audit(response):
    parser = PageAudit()
    parser.feed(response.content.decode())
    parser.close()
    return parser.report()


@pytest.fixture
def face_device(end_user):
    device = FaceDevice(user=end_user, name="Face", confirmed=True)
    device.descriptors = np.zeros((1, 128))
    device.save()
    return device


@pytest.fixture
def route_values(pool, app, end_user, face_device):
    return {
        "pool_id": pool.pk,
        "app_id": app.pk,
        "user_id": end_user.pk,
        "client_id": app.client_id,
    }


def test_routes_are_enumerated():
    names = {name for name, _ in iter_routes(console_urls.urlpatterns)}
    missing = EXPECTED_PAGES - names
    assert missing == set()


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_page_needs_signed_in_administrator(client, route_values, method):
    login_url = reverse("console:login")
    answers = {}
    for name, parameters in iter_routes(console_urls.urlpatterns):
        if name in PUBLIC_ROUTES:
            continue
        url = reverse(name, kwargs={key: route_values[key] for key in parameters})
        response = getattr(client, method)(url)
        answers[f"{method.upper()} {url}"] = response.headers.get("Location", "")

    not_redirected = {
        route: location
        for route, location in answers.items()
        if not location.startswith(login_url)
    }
    assert not_redirected == {}


def audited_pages(client, route_values, app):
    """Return {description: response} for every console page an owner can GET."""
    pages = {}
    for name, parameters in iter_routes(console_urls.urlpatterns):
        url = reverse(name, kwargs={key: route_values[key] for key in parameters})
        response = client.get(url)
        if response.status_code == 200 and "html" in response["Content-Type"]:
            pages[name] = response

    app.custom_security_rules = True
    app.save()
    detail = reverse("console:app_detail", args=[app.pool_id, app.pk])
    for tab in ("advanced", "security"):
        pages[f"app_detail?tab={tab}"] = client.get(f"{detail}?tab={tab}")
    return pages


def test_every_page_passes_audit(client, admin, route_values, app):
    client.login(username=admin.username, password=ADMIN_PASSWORD)
    pages = audited_pages(client, route_values, app)

    client.logout()
    for name in ("console:login", "console:register"):
        pages[name] = client.get(reverse(name))

    problems = {name: audit(response) for name, response in pages.items()}
    assert EXPECTED_PAGES <= set(pages)
    assert {name: found for name, found in problems.items() if found} == {}


def test_pages_with_form_errors_keep_labels(client, admin, pool, app):
    client.login(username=admin.username, password=ADMIN_PASSWORD)
    responses = {
        "app_create": client.post(
            reverse("console:app_create", args=[pool.pk]),
            {"name": "", "redirect_uris": "http://example.com/cb"},
        ),
        "user_create": client.post(
            reverse("console:user_create", args=[pool.pk]),
            {"username": "", "email": "bad", "phone": "1", "password": ""},
        ),
        "pool_delete": client.post(
            reverse("console:pool_delete", args=[pool.pk]), {"confirm_name": "nope"}
        ),
    }

    statuses = {name: response.status_code for name, response in responses.items()}
    problems = {name: audit(response) for name, response in responses.items()}
    assert statuses == {name: 400 for name in responses}
    assert {name: found for name, found in problems.items() if found} == {}


def test_field_error_is_linked_to_its_input(client, admin, pool):
    client.login(username=admin.username, password=ADMIN_PASSWORD)
    response = client.post(
        reverse("console:app_create", args=[pool.pk]),
        {"name": "Portal", "redirect_uris": "http://example.com/cb"},
    )
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_redirect_uris_helptext id_redirect_uris_error"' in html
    assert 'id="id_redirect_uris_error"' in html


def test_audit_detects_problems():
    """The checks above can fail: a page with each problem is reported."""
    parser = PageAudit()
    parser.feed(
        "<html><head><title></title></head><body>"
        '<input name="q"><script>alert(1)</script>'
        '<button onclick="x()"></button><p style="color:red">x</p>'
        "</body></html>"
    )
    problems = " | ".join(parser.report())
    assert "without lang" in problems
    assert "missing page title" in problems
    assert "<input name='q'> without a label" in problems
    assert "inline <script>" in problems
    assert "inline event handler onclick" in problems
    assert "<button> without a name" in problems
    assert "style attribute" in problems
    assert "0 <h1> headings" in problems


def test_pages_link_an_icon_that_exists(client, db):
    html = client.get(reverse("console:login")).content.decode()

    assert '<link rel="icon" href="/static/img/favicon.svg"' in html
    assert finders.find("img/favicon.svg") is not None
