"""Administrator accounts: register, sign in, sign out, change password."""

import logging

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views import View

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
    template_name = "console/login.html"
    authentication_form = AdminSignInForm
    redirect_authenticated_user = True


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
