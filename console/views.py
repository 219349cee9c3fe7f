"""Pages of the administrator console.

Every object is looked up through the signed-in administrator's own pools, so
a URL naming another administrator's pool, app or user is a 404.
"""

import logging

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from authn.models import Application, UserPool

from .experience import experience_login_url
from .forms import (
    AdminRegistrationForm,
    AdminSignInForm,
    ApplicationForm,
    EndUserCreateForm,
    UserPoolForm,
)

logger = logging.getLogger(__name__)

CURRENT_POOL_KEY = "console.current_pool"

APP_TABS = [
    ("basic", "Basic information"),
    ("advanced", "Advanced Configuration"),
    ("security", "Security Management"),
]


class RegisterView(View):
    template_name = "console/register.html"

    def get(self, request):
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
    pass


class ConsoleView(LoginRequiredMixin, View):
    """Base of every page that needs a signed-in administrator."""

    def owned_pools(self):
        return UserPool.objects.filter(owner=self.request.user)

    def render_page(self, template, context=None, status=200):
        pools = list(self.owned_pools())
        context = {"pools": pools, **(context or {})}
        return render(self.request, template, context, status=status)


class PoolView(ConsoleView):
    """Base of pages inside one pool; sets it as the current pool."""

    section = ""

    def dispatch(self, request, pool_id, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()

        self.pool = get_object_or_404(UserPool, pk=pool_id, owner=request.user)
        request.session[CURRENT_POOL_KEY] = self.pool.pk
        return super().dispatch(request, *args, **kwargs)

    def render_page(self, template, context=None, status=200):
        return super().render_page(
            template,
            {"pool": self.pool, "section": self.section, **(context or {})},
            status,
        )


class HomeView(ConsoleView):
    def get(self, request):
        pools = self.owned_pools()
        current = (
            pools.filter(pk=request.session.get(CURRENT_POOL_KEY)).first()
            or pools.first()
        )
        if current is None:
            return redirect("console:pool_create")
        return redirect("console:app_list", pool_id=current.pk)


class PoolListView(ConsoleView):
    def get(self, request):
        return self.render_page("console/pool_list.html")


class PoolCreateView(ConsoleView):
    template_name = "console/pool_create.html"

    def get(self, request):
        first = not self.owned_pools().exists()
        return self.render_page(
            self.template_name, {"form": UserPoolForm(), "first": first}
        )

    def post(self, request):
        form = UserPoolForm(request.POST)
        if not form.is_valid():
            return self.render_page(self.template_name, {"form": form}, status=400)

        pool = form.save(commit=False)
        pool.owner = request.user
        pool.save()
        logger.info("user pool created admin=%s pool=%s", request.user.pk, pool.pk)
        messages.success(request, f"User pool {pool.name} created.")
        return redirect("console:app_list", pool_id=pool.pk)


class PoolSwitchView(ConsoleView):
    def post(self, request):
        pool = get_object_or_404(
            UserPool, pk=request.POST.get("pool"), owner=request.user
        )
        request.session[CURRENT_POOL_KEY] = pool.pk
        return redirect("console:app_list", pool_id=pool.pk)


class AppListView(PoolView):
    section = "apps"

    def get(self, request):
        return self.render_page(
            "console/app_list.html", {"apps": self.pool.applications.all()}
        )


class AppCreateView(PoolView):
    section = "apps"
    template_name = "console/app_create.html"

    def get(self, request):
        return self.render_page(self.template_name, {"form": ApplicationForm()})

    def post(self, request):
        form = ApplicationForm(request.POST)
        if not form.is_valid():
            return self.render_page(self.template_name, {"form": form}, status=400)

        app = Application(
            pool=self.pool,
            user=request.user,
            name=form.cleaned_data["name"],
            redirect_uris=form.cleaned_data["redirect_uris"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            algorithm=Application.RS256_ALGORITHM,
        )
        app.save()
        logger.info("application created pool=%s app=%s", self.pool.pk, app.pk)
        messages.success(request, f"Self-built app {app.name} created.")
        return redirect("console:app_detail", pool_id=self.pool.pk, app_id=app.pk)


class AppView(PoolView):
    section = "apps"

    def get_app(self, app_id):
        return get_object_or_404(Application, pk=app_id, pool=self.pool)


class AppDetailView(AppView):
    def get(self, request, app_id):
        app = self.get_app(app_id)
        tabs = [
            tab for tab in APP_TABS if tab[0] != "security" or app.custom_security_rules
        ]
        tab = request.GET.get("tab", "basic")
        if tab not in {name for name, _ in tabs}:
            tab = "basic"

        return self.render_page(
            "console/app_detail.html",
            {
                "app": app,
                "tabs": tabs,
                "tab": tab,
                "hosted_login_url": reverse("authn:login", args=[app.client_id]),
                "experience_login_url": experience_login_url(app),
            },
        )


class SwitchView(View):
    """Saves one boolean switch; answers JSON to fetch() and redirects a form post."""

    field = ""
    label = ""

    def save_switch(self, request, target):
        enabled = request.POST.get("enabled") in {"on", "true", "1"}
        setattr(target, self.field, enabled)
        target.save(update_fields=[self.field])

        state = "on" if enabled else "off"
        logger.info(
            "switch changed admin=%s target=%s:%s field=%s enabled=%s",
            request.user.pk,
            type(target).__name__,
            target.pk,
            self.field,
            enabled,
        )
        message = f"{self.label} turned {state}."
        if request.headers.get("Accept") == "application/json":
            return JsonResponse({"enabled": enabled, "message": message})

        messages.success(request, message)
        return None


class AppSwitchView(SwitchView, AppView):
    tab = "basic"

    def post(self, request, app_id):
        app = self.get_app(app_id)
        response = self.save_switch(request, app)
        if response is not None:
            return response

        tab = self.tab
        if self.field == "custom_security_rules" and not app.custom_security_rules:
            tab = "advanced"
        url = reverse("console:app_detail", args=[self.pool.pk, app.pk])
        return redirect(f"{url}?tab={tab}")


class AppCustomRulesView(AppSwitchView):
    field = "custom_security_rules"
    label = "Customize security rules for this app"
    tab = "advanced"


class AppFaceMfaView(AppSwitchView):
    field = "face_mfa_enabled"
    label = "Face Recognition"
    tab = "security"

    def post(self, request, app_id):
        app = self.get_app(app_id)
        if not app.custom_security_rules:
            messages.error(
                request,
                "Turn on Customize security rules for this app before changing its MFA.",
            )
            url = reverse("console:app_detail", args=[self.pool.pk, app.pk])
            return redirect(f"{url}?tab=advanced")
        return super().post(request, app_id)


class PoolMfaView(PoolView):
    section = "security"

    def get(self, request):
        return self.render_page("console/pool_mfa.html")


class PoolSwitchFieldView(SwitchView, PoolView):
    section = "security"

    def post(self, request):
        response = self.save_switch(request, self.pool)
        if response is not None:
            return response
        return redirect("console:pool_mfa", pool_id=self.pool.pk)


class PoolFaceMfaView(PoolSwitchFieldView):
    field = "face_mfa_enabled"
    label = "Face Recognition for the user pool"


class PoolPasswordSourceView(PoolSwitchFieldView):
    field = "mfa_on_password"
    label = "MFA for password sign-in"


class PoolScanCodeSourceView(PoolSwitchFieldView):
    field = "mfa_on_scan_code"
    label = "MFA for scan-code sign-in"


class UserListView(PoolView):
    section = "users"

    def get(self, request):
        users = self.pool.users.prefetch_related("face_devices")
        return self.render_page("console/user_list.html", {"users": users})


class UserCreateView(PoolView):
    section = "users"
    template_name = "console/user_create.html"

    def get(self, request):
        return self.render_page(
            self.template_name, {"form": EndUserCreateForm(pool=self.pool)}
        )

    def post(self, request):
        form = EndUserCreateForm(request.POST, pool=self.pool)
        if not form.is_valid():
            return self.render_page(self.template_name, {"form": form}, status=400)

        user = form.save()
        logger.info("end user created pool=%s user=%s", self.pool.pk, user.pk)
        messages.success(request, f"User {user.display_name} created.")
        return redirect("console:user_list", pool_id=self.pool.pk)
