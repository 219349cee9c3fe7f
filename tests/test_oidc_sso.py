"""Pool-wide single sign-on at the authorization endpoint: second apps, step-up
to the face step, prompt, max_age, and sign-out."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from authn import transaction as login
from authn.models import Application
from oidc.models import Grant
from oidc.server import sign_in_datetime

from .conftest import ADMIN_PASSWORD
from .oidc_setup import (
    authorization_path,
    follow_to_code,
    is_code_redirect,
    pass_face_step,
    password_sign_in,
    register_client,
    turn_liveness_off,
)

pytestmark = pytest.mark.django_db


def new_app(pool, name, face=False):
    app = Application.objects.create(
        pool=pool,
        user=pool.owner,
        name=name,
        custom_security_rules=face,
        face_mfa_enabled=face,
    )
    return register_client(app)


@pytest.fixture
def first_app(app):
    return register_client(app)


@pytest.fixture
def second_app(pool):
    return new_app(pool, "App B")


@pytest.fixture
def face_app_b(pool):
    turn_liveness_off(pool)
    return new_app(pool, "App B with face", face=True)


@pytest.fixture
def other_pool_app(admin):
    pool = admin.user_pools.create(name="Pool B")
    return new_app(pool, "App of Pool B")


def sign_in_through(client, app, **params):
    """Authorize ``app`` with a password sign-in; return the code redirect."""
    response = client.get(authorization_path(app, **params))
    assert response["Location"] == reverse("authn:login", args=[app.client_id])
    return follow_to_code(client, password_sign_in(client, app))


def query(response):
    return {k: v[-1] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def test_first_sign_in_ends_with_code(client, first_app, end_user):
    response = sign_in_through(client, first_app)
    assert is_code_redirect(response)


def test_second_app_gets_code_without_password(client, first_app, second_app, end_user):
    sign_in_through(client, first_app)

    response = client.get(authorization_path(second_app))

    assert is_code_redirect(response)
    assert Grant.objects.filter(application=second_app).get().amr == ["pwd"]


def test_second_app_requiring_face_asks_face_step_only(
    client, first_app, face_app_b, end_user
):
    sign_in_through(client, first_app)

    response = client.get(authorization_path(face_app_b))

    assert response["Location"] == reverse("mfa_face:step", args=[face_app_b.client_id])
    face_page = client.get(response["Location"])
    assert face_page.status_code == 200
    assert face_page.context["end_user"] == end_user


def test_step_up_issues_code_with_face_in_amr(client, first_app, face_app_b, end_user):
    sign_in_through(client, first_app)
    client.get(authorization_path(face_app_b))

    result = pass_face_step(client, face_app_b)
    response = follow_to_code(client, client.get(result.json()["redirect"]))

    assert is_code_redirect(response)
    grant = Grant.objects.get(application=face_app_b)
    assert grant.amr == ["pwd", "face", "mfa"]
    assert grant.acr.endswith("multi-factor")


def test_face_sign_in_serves_password_only_app(client, first_app, face_app_b, end_user):
    client.get(authorization_path(face_app_b))
    password_sign_in(client, face_app_b)
    follow_to_code(
        client, client.get(pass_face_step(client, face_app_b).json()["redirect"])
    )

    response = client.get(authorization_path(first_app))

    assert is_code_redirect(response)
    assert Grant.objects.get(application=first_app).amr == ["pwd", "face", "mfa"]


def test_app_of_other_pool_needs_own_sign_in(
    client, first_app, other_pool_app, end_user
):
    sign_in_through(client, first_app)

    response = client.get(authorization_path(other_pool_app))

    assert response["Location"] == reverse(
        "authn:login", args=[other_pool_app.client_id]
    )


def test_prompt_none_without_session_is_login_required(client, first_app):
    response = client.get(authorization_path(first_app, prompt="none", state="s1"))

    params = query(response)
    assert params["error"] == "login_required"
    assert params["state"] == "s1"
    assert not Grant.objects.exists()


def test_prompt_none_with_session_issues_code(client, first_app, second_app, end_user):
    sign_in_through(client, first_app)

    response = client.get(authorization_path(second_app, prompt="none"))

    assert is_code_redirect(response)


def test_prompt_none_without_required_face_is_login_required(
    client, first_app, face_app_b, end_user
):
    sign_in_through(client, first_app)

    response = client.get(authorization_path(face_app_b, prompt="none"))

    assert query(response)["error"] == "login_required"


def test_prompt_login_asks_for_password_again(client, first_app, end_user):
    sign_in_through(client, first_app)

    response = client.get(authorization_path(first_app, prompt="login"))

    login_path = reverse("authn:login", args=[first_app.client_id])
    assert response["Location"] == login_path
    form = client.get(login_path)
    assert form.status_code == 200
    assert "form" in form.context


def test_prompt_login_keeps_current_sign_in(client, first_app, end_user):
    """A link on another site with prompt=login cannot sign the user out."""
    sign_in_through(client, first_app)

    client.get(authorization_path(first_app, prompt="login"))

    me = client.get(reverse("authn:me", args=[first_app.client_id]))
    assert me.status_code == 200


def test_prompt_login_not_resumed_by_old_sign_in(client, first_app, end_user):
    sign_in_through(client, first_app)
    grants = Grant.objects.count()
    client.get(authorization_path(first_app, prompt="login"))

    done = client.get(reverse("authn:done", args=[first_app.client_id]))

    assert done["Location"] == reverse("authn:login", args=[first_app.client_id])
    assert Grant.objects.count() == grants


def test_prompt_login_then_password_issues_code(client, first_app, end_user):
    sign_in_through(client, first_app)
    client.get(authorization_path(first_app, prompt="login"))

    response = follow_to_code(client, password_sign_in(client, first_app))

    assert is_code_redirect(response)


def age_sign_on(client, pool, seconds):
    session = client.session
    stored = session[login.SIGN_ON_SESSION_KEY]
    stored[str(pool.pk)]["auth_time"] = time.time() - seconds
    stored[str(pool.pk)]["first_factor_time"] = time.time() - seconds
    session[login.SIGN_ON_SESSION_KEY] = stored
    session.save()


def test_max_age_exceeded_asks_for_password(client, first_app, end_user):
    sign_in_through(client, first_app)
    age_sign_on(client, first_app.pool, 120)

    response = client.get(authorization_path(first_app, max_age="60"))

    assert response["Location"] == reverse("authn:login", args=[first_app.client_id])


def test_max_age_after_fresh_sign_in_issues_code(client, first_app, end_user):
    sign_in_through(client, first_app)
    age_sign_on(client, first_app.pool, 120)
    client.get(authorization_path(first_app, max_age="60"))

    response = follow_to_code(client, password_sign_in(client, first_app))

    assert is_code_redirect(response)


def test_max_age_within_limit_issues_code(client, first_app, end_user):
    sign_in_through(client, first_app)
    age_sign_on(client, first_app.pool, 120)

    response = client.get(authorization_path(first_app, max_age="3600"))

    assert is_code_redirect(response)


def test_invalid_max_age_is_invalid_request(client, first_app):
    response = client.get(authorization_path(first_app, max_age="soon"))

    assert query(response)["error"] == "invalid_request"


def test_sign_out_ends_pool_session_only(
    client, admin, first_app, second_app, other_pool_app, end_user
):
    other_user = other_pool_app.pool.users.create(username="bob")
    other_user.set_password("another password 77")
    other_user.save()
    client.login(username=admin.username, password=ADMIN_PASSWORD)
    sign_in_through(client, first_app)
    client.get(authorization_path(other_pool_app))
    password_sign_in(client, other_pool_app, "bob", "another password 77")

    client.post(reverse("authn:logout", args=[second_app.client_id]))

    assert (
        client.get(reverse("authn:me", args=[first_app.client_id])).status_code == 401
    )
    assert (
        client.get(reverse("authn:me", args=[second_app.client_id])).status_code == 401
    )
    assert (
        client.get(reverse("authn:me", args=[other_pool_app.client_id])).status_code
        == 200
    )
    assert client.get(reverse("console:pool_list")).status_code == 200


def test_session_key_rotates_at_step_up(client, first_app, face_app_b, end_user):
    sign_in_through(client, first_app)
    client.get(authorization_path(face_app_b))
    before = client.session.session_key

    pass_face_step(client, face_app_b)

    assert client.session.session_key != before


def test_disabled_user_loses_sign_on(client, first_app, second_app, end_user):
    sign_in_through(client, first_app)
    end_user.is_active = False
    end_user.save()

    response = client.get(authorization_path(second_app))

    assert response["Location"] == reverse("authn:login", args=[second_app.client_id])


def test_step_up_does_not_answer_prompt_login(client, first_app, face_app_b, end_user):
    """After prompt=login, a face step for another app of the pool moves the
    sign-on's auth_time but is no new sign-in."""
    sign_in_through(client, first_app)
    grants = Grant.objects.count()
    client.get(authorization_path(first_app, prompt="login"))

    client.get(reverse("authn:login", args=[face_app_b.client_id]))
    assert pass_face_step(client, face_app_b).status_code == 200

    done = client.get(reverse("authn:done", args=[first_app.client_id]))
    assert done["Location"] == reverse("authn:login", args=[first_app.client_id])
    assert Grant.objects.count() == grants


def test_step_up_does_not_reset_max_age(client, first_app, face_app_b, end_user):
    sign_in_through(client, first_app)
    age_sign_on(client, first_app.pool, 120)
    client.get(reverse("authn:login", args=[face_app_b.client_id]))
    assert pass_face_step(client, face_app_b).status_code == 200

    response = client.get(authorization_path(first_app, max_age="60"))

    assert response["Location"] == reverse("authn:login", args=[first_app.client_id])


def test_scan_code_answers_prompt_login(client, first_app, end_user):
    sign_in_through(client, first_app)
    client.get(authorization_path(first_app, prompt="login"))

    response = client.get(reverse("scan_code:start", args=[first_app.client_id]))

    assert response.status_code == 200
    assert "qr_code" in response.context


def test_auth_time_claim_is_first_factor(client, first_app, face_app_b, end_user):
    sign_in_through(client, first_app)
    age_sign_on(client, first_app.pool, 100)
    client.get(reverse("authn:login", args=[face_app_b.client_id]))
    assert pass_face_step(client, face_app_b).status_code == 200

    request = client.get("/").wsgi_request
    sign_in = login.current_sign_in(request, face_app_b)
    assert sign_in.auth_time - sign_in.sign_on.signed_in_at >= 100
    claim = sign_in_datetime(sign_in).timestamp()
    assert claim == pytest.approx(sign_in.sign_on.signed_in_at)


def test_face_steps_do_not_extend_sign_on(
    client, first_app, face_app_b, end_user, settings
):
    sign_in_through(client, first_app)
    client.get(reverse("authn:login", args=[face_app_b.client_id]))
    assert pass_face_step(client, face_app_b).status_code == 200
    age_first_factor = client.session
    stored = age_first_factor[login.SIGN_ON_SESSION_KEY]
    stored[str(first_app.pool_id)]["first_factor_time"] = (
        time.time() - settings.AUTHN_SIGN_ON_TTL - 1
    )
    age_first_factor[login.SIGN_ON_SESSION_KEY] = stored
    age_first_factor.save()

    me = client.get(reverse("authn:me", args=[first_app.client_id]))

    assert me.status_code == 401
