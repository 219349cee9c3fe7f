"""Self-built apps: list, create, details with tabs, secret rotation, switches."""

import logging

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from authn.models import Application

from ..experience import experience_login_url
from ..forms import ApplicationBasicForm, ApplicationForm
from .base import (
    AppView,
    ConfirmView,
    PoolView,
    SwitchMixin,
    json_error,
    redirect_with_message,
    wants_json,
)

logger = logging.getLogger(__name__)

APP_TABS = [
    ("basic", "Basic information"),
    ("advanced", "Advanced Configuration"),
    ("security", "Security Management"),
]

# Session key of a client secret waiting to be shown once on the details page.
NEW_SECRET_KEY = "console.new_client_secret"  # noqa: S105 (a session key name)


def hand_over_secret(request, app, secret):
    """Keep ``secret`` in the session until the details page of ``app`` shows it."""
    request.session[NEW_SECRET_KEY] = {"app": app.pk, "secret": secret}


def take_secret(request, app):
    """Return the secret waiting for ``app`` and drop it from the session, or None.

    A secret waiting for another app is dropped too: it was not shown in time.
    """
    stored = request.session.pop(NEW_SECRET_KEY, None)
    if not stored or stored.get("app") != app.pk:
        return None
    return stored.get("secret")


def app_detail_url(app, tab="basic"):
    url = reverse("console:app_detail", args=[app.pool_id, app.pk])
    if tab == "basic":
        return url
    return f"{url}?tab={tab}"


class AppListView(PoolView):
    section = "apps"

    def get(self, request, **kwargs):
        return self.render_page(
            "console/app_list.html", {"apps": self.pool.applications.all()}
        )


class AppCreateView(PoolView):
    section = "apps"
    template_name = "console/app_create.html"

    def get(self, request, **kwargs):
        return self.render_page(self.template_name, {"form": ApplicationForm()})

    def post(self, request, **kwargs):
        form = ApplicationForm(request.POST)
        if not form.is_valid():
            return self.render_page(self.template_name, {"form": form}, status=400)

        # The hosted login is an OpenID Connect authorization-code flow for a
        # server-side client, so every self-built app gets these three values.
        app = Application(
            pool=self.pool,
            user=request.user,
            name=form.cleaned_data["name"],
            redirect_uris=form.cleaned_data["redirect_uris"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            algorithm=Application.RS256_ALGORITHM,
        )
        secret = app.generate_new_client_secret()
        app.save()
        hand_over_secret(request, app, secret)

        logger.info("application created pool=%s app=%s", self.pool.pk, app.pk)
        return redirect_with_message(
            request, f"Self-built app {app.name} created.", app_detail_url(app)
        )


class AppDetailView(AppView):
    """The details page of an app with its three tabs."""

    template_name = "console/app_detail.html"

    def get(self, request, **kwargs):
        return self.render_detail(request.GET.get("tab", "basic"))

    def render_detail(self, tab, form=None, status=200):
        app = self.app
        tabs = [
            (name, label)
            for name, label in APP_TABS
            if name != "security" or app.custom_security_rules
        ]
        if tab not in {name for name, _ in tabs}:
            tab = "basic"

        return self.render_page(
            self.template_name,
            {
                "tabs": tabs,
                "tab": tab,
                "form": form or ApplicationBasicForm.for_app(app),
                "new_secret": take_secret(self.request, app),
                "hosted_login_url": self.request.build_absolute_uri(
                    reverse("authn:login", args=[app.client_id])
                ),
                "experience_login_url": experience_login_url(app),
            },
            status=status,
        )


class AppBasicView(AppDetailView):
    """Saves the Basic information tab: name and redirect URIs."""

    def get(self, request, **kwargs):
        return redirect(app_detail_url(self.app))

    def post(self, request, **kwargs):
        form = ApplicationBasicForm.for_app(self.app, request.POST)
        if not form.is_valid():
            return self.render_detail("basic", form, status=400)

        form.save(self.app)
        logger.info("application updated pool=%s app=%s", self.pool.pk, self.app.pk)
        return redirect_with_message(
            request, "Basic information saved.", app_detail_url(self.app)
        )


class AppSecretRotateView(ConfirmView, AppView):
    confirm_label = "Rotate client secret"

    def confirm_context(self):
        return {
            "title": f"Rotate the client secret of {self.app.name}",
            "lead": "When the secret is rotated:",
            "consequences": [
                "A new client secret is generated and shown once.",
                "The current secret stops working at once: update your app's "
                "configuration with the new one.",
            ],
            "cancel_url": app_detail_url(self.app),
        }

    def perform(self):
        secret = self.app.generate_new_client_secret()
        self.app.save(update_fields=["client_secret", "updated"])
        hand_over_secret(self.request, self.app, secret)

        logger.info(
            "client secret rotated admin=%s app=%s", self.request.user.pk, self.app.pk
        )
        return redirect_with_message(
            self.request,
            "New client secret generated. Copy it now: it is shown only once.",
            app_detail_url(self.app),
        )


class AppDeleteView(ConfirmView, AppView):
    confirm_label = "Delete app"

    def confirm_context(self):
        return {
            "title": f"Delete self-built app {self.app.name}",
            "lead": "When the app is deleted:",
            "consequences": [
                "Its hosted login stops working at once.",
                "Its client id and secret are deleted with it.",
                "The end users of the user pool are kept.",
            ],
            "cancel_url": app_detail_url(self.app),
        }

    def perform(self):
        app_id = self.app.pk
        name = self.app.name
        self.app.delete()
        logger.info("application deleted admin=%s app=%s", self.request.user.pk, app_id)
        return redirect_with_message(
            self.request,
            f"Self-built app {name} deleted.",
            "console:app_list",
            self.pool.pk,
        )


class AppSwitchView(SwitchMixin, AppView):
    # Tab that the details page opens on after a form post.
    tab = "basic"

    def switch_target(self):
        return self.app

    def switch_saved(self, target):
        return redirect(app_detail_url(self.app, self.tab))


class AppCustomRulesView(AppSwitchView):
    field = "custom_security_rules"
    label = "Customize security rules for this app"
    tab = "advanced"


class AppFaceMfaView(AppSwitchView):
    field = "face_mfa_enabled"
    label = "Face Recognition"
    tab = "security"

    def post(self, request, *args, **kwargs):
        # While the app follows the pool's rules its own switch has no effect,
        # so changing it would only mislead.
        if not self.app.custom_security_rules:
            logger.warning(
                "app face switch rejected admin=%s app=%s reason=custom_rules_off",
                request.user.pk,
                self.app.pk,
            )
            message = (
                "Turn on Customize security rules for this app before changing its MFA."
            )
            if wants_json(request):
                return json_error("custom_rules_off", message, 409)
            messages.error(request, message)
            return redirect(app_detail_url(self.app, "advanced"))
        return super().post(request, *args, **kwargs)
