"""The hosted login pages of one self-built application."""

import logging
from datetime import UTC, datetime

from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from . import transaction as login
from .backends import authenticate_password
from .forms import PasswordSignInForm
from .models import IdentitySource

logger = logging.getLogger(__name__)

INVALID_CREDENTIALS = "The account or password is incorrect. Check both and try again."


def client_ip(request):
    return request.META.get("REMOTE_ADDR", "")


class HostedLoginView(View):
    """Base for hosted login views: resolves the application from the URL."""

    @method_decorator(never_cache)
    def dispatch(self, request, client_id, *args, **kwargs):
        self.app = login.get_app(client_id)
        if self.app is None:
            raise Http404("No application has this client id.")
        return super().dispatch(request, *args, **kwargs)

    def render_page(self, template, context=None, status=200):
        return render(
            request=self.request,
            template_name=template,
            status=status,
            context={"app": self.app, **(context or {})},
        )


class SignInView(HostedLoginView):
    def get(self, request):
        if login.signed_in_user(request, self.app) is not None:
            return redirect("authn:done", client_id=self.app.client_id)
        return self.render_page("authn/login.html", {"form": PasswordSignInForm()})

    def post(self, request):
        form = PasswordSignInForm(request.POST)
        if not form.is_valid():
            return self.render_page("authn/login.html", {"form": form}, status=400)

        user = authenticate_password(
            self.app.pool,
            form.cleaned_data["identifier"],
            form.cleaned_data["password"],
        )
        if user is None:
            logger.info(
                "sign-in failed app=%s pool=%s ip=%s reason=invalid_credentials",
                self.app.pk,
                self.app.pool_id,
                client_ip(request),
            )
            form.add_error(None, INVALID_CREDENTIALS)
            return self.render_page("authn/login.html", {"form": form}, status=400)

        transaction = login.start_sign_in(
            request, self.app, user, IdentitySource.PASSWORD, [login.FACTOR_PASSWORD]
        )
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
        logger.info(
            "first factor passed app=%s pool=%s user=%s ip=%s face_required=%s",
            self.app.pk,
            self.app.pool_id,
            user.pk,
            client_ip(request),
            transaction.state == login.State.FIRST_FACTOR_PASSED,
        )

        if transaction.state == login.State.FIRST_FACTOR_PASSED:
            return redirect("mfa_face:step", client_id=self.app.client_id)
        return redirect("authn:done", client_id=self.app.client_id)


class SignedInView(HostedLoginView):
    """The page shown after every required factor passed."""

    def get(self, request):
        user = login.signed_in_user(request, self.app)
        if user is None:
            return redirect("authn:login", client_id=self.app.client_id)

        transaction = login.LoginTransaction.load(request, self.app)
        return self.render_page(
            "authn/done.html",
            {
                "end_user": user,
                "factors": factor_labels(transaction.factors),
                "auth_time": datetime.fromtimestamp(transaction.auth_time, tz=UTC),
            },
        )


class CurrentUserView(HostedLoginView):
    """JSON description of the signed-in end user, for the app's own pages."""

    def get(self, request):
        user = login.signed_in_user(request, self.app)
        if user is None:
            return JsonResponse(
                {
                    "code": "not_signed_in",
                    "message": "Sign in to this application first.",
                    "login_url": reverse("authn:login", args=[self.app.client_id]),
                },
                status=401,
            )

        transaction = login.LoginTransaction.load(request, self.app)
        return JsonResponse(
            {
                "sub": str(user.sub),
                "username": user.username,
                "email": user.email,
                "phone": user.phone,
                "app": self.app.name,
                "amr": amr_values(transaction.factors),
            }
        )


class SignOutView(HostedLoginView):
    def post(self, request):
        login.sign_out(request, self.app)
        return redirect("authn:login", client_id=self.app.client_id)


FACTOR_LABELS = {
    login.FACTOR_PASSWORD: "Password",
    login.FACTOR_FACE: "Face Recognition",
}


def factor_labels(factors):
    return [FACTOR_LABELS.get(factor, factor) for factor in factors]


def amr_values(factors):
    """Return RFC 8176 ``amr`` values for the passed factors."""
    values = list(factors)
    if len(values) > 1:
        values.append("mfa")
    return values
