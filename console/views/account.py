"""Administrator accounts: register, sign in, sign out, change password."""

import logging

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views import View

from authn import throttle
from authn.views import client_ip, too_many_failures_message

from ..forms import AdminRegistrationForm, AdminSignInForm
from .base import console_context

logger = logging.getLogger(__name__)


class RegisterView(View):
    template_name = "console/register.html"

    def get(self, request):
        if request.user.is_authenticated:
            return redirect("console:home")
        return render(request, self.template_name, {"form": AdminRegistrationForm()})

    def post(self, request):
        form = AdminRegistrationForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)

        admin = form.save()
        auth_login(request, admin, backend="django.contrib.auth.backends.ModelBackend")
        logger.info("administrator registered admin=%s", admin.pk)
        messages.success(request, "Your account is ready. Create your first user pool.")
        return redirect("console:pool_create")


class SignInView(auth_views.LoginView):
    """Django's sign-in, with failed attempts limited per email and client IP.

    An administrator can turn face MFA off for a whole pool, so guessing an
    administrator password is limited like an end user's sign-in.
    """

    template_name = "console/login.html"
    authentication_form = AdminSignInForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        email = request.POST.get("username", "")
        ip = client_ip(request)
        if throttle.is_admin_throttled(email, ip):
            logger.warning("console sign-in throttled ip=%s", ip)
            # Bound without the password, so validating the form checks no
            # password, and the only error shown is the throttle's.
            form = self.get_form_class()(request, data={"username": email})
            form.errors.clear()
            form.add_error(None, too_many_failures_message())
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        throttle.reset_admin(form.cleaned_data["username"])
        return super().form_valid(form)

    def form_invalid(self, form):
        if form.has_error(NON_FIELD_ERRORS, "invalid_login"):
            ip = client_ip(self.request)
            throttle.record_admin_failure(form.data.get("username", ""), ip)
            logger.info("console sign-in failed ip=%s reason=invalid_credentials", ip)
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class SignOutView(auth_views.LogoutView):
    """Signs the administrator out. Django accepts only POST here."""


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change with the console's layout.

    Django keeps the current session signed in after the change and ends
    every other session of the administrator, because their session hash no
    longer matches.
    """

    template_name = "console/password_change.html"
    success_url = reverse_lazy("console:home")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **console_context(self.request)}

    def form_valid(self, form):
        response = super().form_valid(form)
        logger.info("administrator password changed admin=%s", self.request.user.pk)
        messages.success(self.request, "Your password has been changed.")
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response
