"""The hosted login pages of one self-built application."""

import logging
from datetime import UTC, datetime

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from oauth2_provider.http import OAuth2ResponseRedirect

from audit.events import record
from audit.models import EventType
from mfa_recovery import factor as recovery_codes

from . import throttle
from . import transaction as login
from .backends import authenticate_password
from .forms import PasswordSignInForm
from .models import IdentitySource

logger = logging.getLogger(__name__)

INVALID_CREDENTIALS = "The account or password is incorrect. Check both and try again."


def too_many_failures_message():
    minutes = max(1, settings.AUTHN_PASSWORD_FAILURE_WINDOW // 60)
    return f"Too many failed sign-in attempts. Wait {minutes} minutes, then try again."


# Kept for callers that imported it from here.
amr_values = login.amr_values


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
    """The password form; a browser already signed on to the pool skips it."""

    def get(self, request):
        # An authorization request asked for a new sign-in (prompt=login or
        # max_age), so the current one does not skip the form.
        if login.fresh_sign_in_pending(request, self.app):
            return self.render_form(PasswordSignInForm())

        if login.signed_in_user(request, self.app) is not None:
            return redirect("authn:done", client_id=self.app.client_id)

        # Signed on to the pool without the face factor this app requires:
        # the face step alone completes the sign-in.
        if login.start_step_up(request, self.app) is not None:
            return redirect("mfa_face:step", client_id=self.app.client_id)

        return self.render_form(PasswordSignInForm())

    def post(self, request):
        form = PasswordSignInForm(request.POST)
        if not form.is_valid():
            return self.render_form(form, status=400)

        identifier = form.cleaned_data["identifier"]
        ip = client_ip(request)
        if throttle.is_throttled(self.app.pool, identifier, ip):
            logger.warning(
                "sign-in throttled app=%s pool=%s ip=%s",
                self.app.pk,
                self.app.pool_id,
                ip,
            )
            record(
                EventType.PASSWORD_LOCKED,
                request=request,
                app=self.app,
                identifier=identifier[:150],
            )
            form.add_error(None, too_many_failures_message())
            return self.render_form(form, status=429)

        user = authenticate_password(
            self.app.pool,
            identifier,
            form.cleaned_data["password"],
        )
        if user is None:
            throttle.record_failure(self.app.pool, identifier, ip)
            logger.info(
                "sign-in failed app=%s pool=%s ip=%s reason=invalid_credentials",
                self.app.pk,
                self.app.pool_id,
                client_ip(request),
            )
            record(
                EventType.SIGN_IN_FAILED,
                request=request,
                app=self.app,
                identifier=form.cleaned_data["identifier"][:150],
                reason="invalid_credentials",
            )
            form.add_error(None, INVALID_CREDENTIALS)
            return self.render_form(form, status=400)

        throttle.reset_account(self.app.pool, identifier)
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

        record(
            EventType.SIGN_IN_SUCCEEDED,
            request=request,
            app=self.app,
            end_user=user,
            factors=list(transaction.factors),
        )
        return redirect("authn:done", client_id=self.app.client_id)

    def render_form(self, form, status=200):
        resume = login.peek_resume(self.request, self.app)
        return self.render_page(
            "authn/login.html",
            {
                "form": form,
                "scan_code_url": reverse("scan_code:start", args=[self.app.client_id]),
                "can_cancel": bool(resume and resume["cancel_url"]),
            },
            status=status,
        )


class SignedInView(HostedLoginView):
    """The page shown after every required factor passed.

    When the sign-in was started by another page, such as an authorization
    request of the app, the browser returns there instead.
    """

    def get(self, request):
        sign_in = login.current_sign_in(request, self.app)
        if sign_in is None or login.fresh_sign_in_pending(request, self.app):
            return redirect("authn:login", client_id=self.app.client_id)

        resume = login.pop_resume(request, self.app)
        if resume is not None:
            return redirect(resume["url"])

        return self.render_page(
            "authn/done.html",
            {
                "end_user": sign_in.user,
                "factors": factor_labels(sign_in.factors),
                "auth_time": datetime.fromtimestamp(
                    sign_in.sign_on.signed_in_at, tz=UTC
                ),
                "face_enrolled": sign_in.user.face_devices.exists(),
                "face_checked": login.face_checked_sign_in(request, self.app)
                is not None,
                "recovery_codes_left": recovery_codes.remaining(sign_in.user),
            },
        )


class CurrentUserView(HostedLoginView):
    """JSON description of the signed-in end user, for the app's own pages."""

    def get(self, request):
        sign_in = login.current_sign_in(request, self.app)
        if sign_in is None:
            return JsonResponse(
                {
                    "code": "not_signed_in",
                    "message": "Sign in to this application first.",
                    "login_url": reverse("authn:login", args=[self.app.client_id]),
                },
                status=401,
            )

        user = sign_in.user
        return JsonResponse(
            {
                "sub": str(user.sub),
                "username": user.username,
                "email": user.email,
                "phone": user.phone,
                "app": self.app.name,
                "amr": sign_in.amr,
            }
        )


class SignOutView(HostedLoginView):
    """Ends the sign-on session of the app's pool in this browser."""

    def post(self, request):
        login.sign_out(request, self.app)
        logger.info("signed out app=%s pool=%s", self.app.pk, self.app.pool_id)
        return redirect("authn:login", client_id=self.app.client_id)


class CancelView(HostedLoginView):
    """Abandons the sign-in and returns the pending request's cancel response.

    For an authorization request that is an ``access_denied`` error sent to the
    redirect URI the request was validated with.
    """

    def post(self, request):
        resume = login.pop_resume(request, self.app)
        if resume is None or not resume["cancel_url"]:
            return redirect("authn:login", client_id=self.app.client_id)

        logger.info("sign-in cancelled app=%s pool=%s", self.app.pk, self.app.pool_id)
        return OAuth2ResponseRedirect(
            resume["cancel_url"], self.app.get_allowed_schemes()
        )


FACTOR_LABELS = {
    login.FACTOR_PASSWORD: "Password",
    login.FACTOR_FACE: "Face Recognition",
    login.FACTOR_SCAN_CODE: "Scan code",
    login.FACTOR_RECOVERY_CODE: "Recovery code",
}


def factor_labels(factors):
    return [FACTOR_LABELS.get(factor, factor) for factor in factors]
