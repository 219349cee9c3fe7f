"""Password sign-in on the hosted login and the gate in front of signed-in pages."""

import time

import pytest
from django.urls import reverse

from authn import transaction as login
from authn.backends import authenticate_password
from authn.models import EndUser

from .conftest import END_USER_PASSWORD

pytestmark = pytest.mark.django_db


def login_url(app):
    return reverse("authn:login", args=[app.client_id])


def sign_in(client, app, identifier="alice", password=END_USER_PASSWORD):
    return client.post(login_url(app), {"identifier": identifier, "password": password})


def test_login_page_renders(client, app):
    response = client.get(login_url(app))
    assert response.status_code == 200
    assert b"Username, email or phone" in response.content


def test_unknown_client_id_is_404(client, db):
    response = client.get(reverse("authn:login", args=["no-such-app"]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "identifier", ["alice", "alice@example.com", "ALICE@example.COM", "+1 202 555 0100"]
)
def test_sign_in_accepts_each_identifier(client, app, end_user, identifier):
    response = sign_in(client, app, identifier=identifier)
    assert response.status_code == 302
    assert response["Location"] == reverse("authn:done", args=[app.client_id])


def test_wrong_password_and_unknown_account_give_same_message(client, app, end_user):
    wrong_password = sign_in(client, app, password="not the password")
    unknown_account = sign_in(client, app, identifier="nobody")
    assert wrong_password.status_code == 400
    assert unknown_account.status_code == 400
    assert b"The account or password is incorrect" in wrong_password.content
    assert (
        wrong_password.context["form"].non_field_errors()
        == unknown_account.context["form"].non_field_errors()
    )


def test_disabled_user_cannot_sign_in(client, app, end_user):
    end_user.is_active = False
    end_user.save()
    response = sign_in(client, app)
    assert response.status_code == 400


def test_user_of_other_pool_cannot_sign_in(client, app, admin):
    other_pool = admin.user_pools.create(name="Pool B")
    stranger = EndUser(pool=other_pool, username="alice")
    stranger.set_password(END_USER_PASSWORD)
    stranger.save()

    response = sign_in(client, app)
    assert response.status_code == 400


def test_same_username_in_two_pools_is_two_people(client, app, admin, end_user):
    other_pool = admin.user_pools.create(name="Pool B")
    other_app = other_pool.applications.create(name="App B")
    namesake = EndUser(pool=other_pool, username="alice")
    namesake.set_password("a different password")
    namesake.save()

    assert sign_in(client, other_app, password=END_USER_PASSWORD).status_code == 400
    assert (
        sign_in(client, other_app, password="a different password").status_code == 302
    )


def test_without_face_mfa_password_signs_in(client, app, end_user):
    sign_in(client, app)
    response = client.get(reverse("authn:done", args=[app.client_id]))
    assert response.status_code == 200
    assert response.context["factors"] == ["Password"]


def test_with_face_mfa_password_leads_to_face_step(client, face_app, end_user):
    response = sign_in(client, face_app)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_face:step", args=[face_app.client_id])


def test_password_only_session_cannot_see_done_page(client, face_app, end_user):
    sign_in(client, face_app)
    response = client.get(reverse("authn:done", args=[face_app.client_id]))
    assert response.status_code == 302
    assert response["Location"] == login_url(face_app)


def test_password_only_session_cannot_read_me(client, face_app, end_user):
    sign_in(client, face_app)
    response = client.get(reverse("authn:me", args=[face_app.client_id]))
    assert response.status_code == 401
    assert response.json()["code"] == "not_signed_in"


def test_password_only_session_cannot_reach_console(client, face_app, end_user):
    sign_in(client, face_app)
    response = client.get(reverse("console:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("console:login"))


def test_pool_switch_applies_when_app_does_not_customize(client, app, end_user):
    app.pool.face_mfa_enabled = True
    app.pool.save()
    response = sign_in(client, app)
    assert response["Location"] == reverse("mfa_face:step", args=[app.client_id])


def test_app_rules_override_pool_switch(client, app, end_user):
    app.pool.face_mfa_enabled = True
    app.pool.save()
    app.custom_security_rules = True
    app.face_mfa_enabled = False
    app.save()
    response = sign_in(client, app)
    assert response["Location"] == reverse("authn:done", args=[app.client_id])


def test_turning_face_mfa_on_invalidates_password_only_session(client, app, end_user):
    sign_in(client, app)
    app.custom_security_rules = True
    app.face_mfa_enabled = True
    app.save()
    response = client.get(reverse("authn:me", args=[app.client_id]))
    assert response.status_code == 401


def test_turning_face_mfa_off_applies_to_next_sign_in(client, face_app, end_user):
    face_app.face_mfa_enabled = False
    face_app.save()
    response = sign_in(client, face_app)
    assert response["Location"] == reverse("authn:done", args=[face_app.client_id])


def test_sign_in_covers_whole_pool(client, app, end_user):
    other_app = app.pool.applications.create(name="App B")
    sign_in(client, app)
    response = client.get(reverse("authn:me", args=[other_app.client_id]))
    assert response.status_code == 200
    assert response.json()["sub"] == str(end_user.sub)


def test_sign_in_does_not_reach_other_pool(client, app, admin, end_user):
    other_app = admin.user_pools.create(name="Pool B").applications.create(
        name="App of Pool B"
    )
    sign_in(client, app)
    response = client.get(reverse("authn:me", args=[other_app.client_id]))
    assert response.status_code == 401


def test_second_app_skips_login_form(client, app, end_user):
    other_app = app.pool.applications.create(name="App B")
    sign_in(client, app)
    response = client.get(login_url(other_app))
    assert response.status_code == 302
    assert response["Location"] == reverse("authn:done", args=[other_app.client_id])


def test_face_app_starts_step_up(client, app, end_user):
    face_app = app.pool.applications.create(
        name="App B", custom_security_rules=True, face_mfa_enabled=True
    )
    sign_in(client, app)

    response = client.get(login_url(face_app))

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_face:step", args=[face_app.client_id])
    assert client.get(reverse("authn:me", args=[face_app.client_id])).status_code == 401


def test_new_sign_in_replaces_sign_on(client, app, end_user):
    bob = EndUser(pool=app.pool, username="bob")
    bob.set_password(END_USER_PASSWORD)
    bob.save()
    sign_in(client, app)

    sign_in(client, app, identifier="bob")

    me = client.get(reverse("authn:me", args=[app.client_id])).json()
    assert me["sub"] == str(bob.sub)


def test_me_reports_amr_of_password_sign_in(client, app, end_user):
    sign_in(client, app)
    response = client.get(reverse("authn:me", args=[app.client_id]))
    assert response.json()["amr"] == ["pwd"]


def test_signed_out_page_shows_login_form_again(client, app, end_user):
    sign_in(client, app)
    response = client.post(reverse("authn:logout", args=[app.client_id]))
    assert response["Location"] == login_url(app)
    assert client.get(login_url(app)).status_code == 200


def test_national_phone_number_uses_pool_default_country(app, end_user):
    # The backend reads UserPool.default_country with getattr until the model
    # has the field, so the test sets it on the instance.
    app.pool.default_country = "US"

    user = authenticate_password(app.pool, "(202) 555-0100", END_USER_PASSWORD)

    assert user == end_user


def test_national_phone_number_without_default_country_is_unknown(app, end_user):
    user = authenticate_password(app.pool, "(202) 555-0100", END_USER_PASSWORD)

    assert user is None


def test_session_key_rotates_at_sign_in(client, app, end_user):
    client.get(login_url(app))
    before = client.session.session_key
    sign_in(client, app)
    assert client.session.session_key != before


def test_face_step_expires(client, face_app, end_user, settings):
    sign_in(client, face_app)
    session = client.session
    stored = session[login.SESSION_KEY]
    stored[face_app.client_id]["started_at"] = (
        time.time() - settings.AUTHN_FIRST_FACTOR_TTL - 1
    )
    session[login.SESSION_KEY] = stored
    session.save()

    response = client.get(reverse("mfa_face:step", args=[face_app.client_id]))
    assert response.status_code == 302
    assert response["Location"] == login_url(face_app)


def test_sign_out_ends_end_user_session_only(client, admin, app, end_user):
    from .conftest import ADMIN_PASSWORD

    client.login(username=admin.username, password=ADMIN_PASSWORD)
    sign_in(client, app)
    client.post(reverse("authn:logout", args=[app.client_id]))

    assert client.get(reverse("authn:me", args=[app.client_id])).status_code == 401
    assert client.get(reverse("console:pool_list")).status_code == 200


def test_end_user_sign_in_keeps_administrator_signed_in(client, admin, app, end_user):
    from .conftest import ADMIN_PASSWORD

    client.login(username=admin.username, password=ADMIN_PASSWORD)
    sign_in(client, app)
    assert client.get(reverse("console:pool_list")).status_code == 200
