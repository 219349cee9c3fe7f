"""Base views of the console: sign-in check, tenancy lookups, switches, confirmations."""

import logging

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views import View

from audit.events import record
from audit.models import EventType
from authn.models import Application, EndUser, UserPool

logger = logging.getLogger(__name__)

# Session key of the pool the header's switcher shows and the home page opens.
CURRENT_POOL_KEY = "console.current_pool"

SWITCH_ON = {"on", "true", "1"}
SWITCH_OFF = {"off", "false", "0"}


def owned_pools(admin):
    return UserPool.objects.filter(owner=admin)


def current_pool(request):
    """Return the pool stored as current in the session, else the first one, or None."""
    pools = owned_pools(request.user)
    stored = request.session.get(CURRENT_POOL_KEY)
    pool = pools.filter(pk=stored).first() if stored else None
    return pool or pools.first()


def console_context(request, pool=None):
    """Return the template context of the header and the left navigation.

    :param pool: the pool the page is about, or None on pages outside a pool,
        where the navigation shows the current pool instead.
    """
    return {
        "pools": list(owned_pools(request.user)),
        "current_pool": pool or current_pool(request),
    }


class ConsoleView(LoginRequiredMixin, View):
    """Base of every page that needs a signed-in administrator.

    Subclasses resolve the objects named in the URL in :meth:`resolve`, which
    runs before the handler and raises Http404 for anything the administrator
    does not own. Responses are never cached, because they show tenant data
    and, once, client secrets.
    """

    # Left navigation entry to highlight: "apps", "users" or "security".
    section = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()

        self.resolve(**kwargs)
        response = super().dispatch(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    def resolve(self, **kwargs):
        """Load the objects named by the URL keyword arguments. Does nothing here."""

    def owned_pools(self):
        return owned_pools(self.request.user)

    def get_context(self):
        return {
            **console_context(self.request, getattr(self, "pool", None)),
            "section": self.section,
        }

    def render_page(self, template, context=None, status=200):
        context = {**self.get_context(), **(context or {})}
        return render(self.request, template, context, status=status)


class PoolView(ConsoleView):
    """Base of pages inside one pool of the administrator, which becomes the current one."""

    def resolve(self, pool_id, **kwargs):
        self.pool = get_object_or_404(UserPool, pk=pool_id, owner=self.request.user)
        self.request.session[CURRENT_POOL_KEY] = self.pool.pk

    def get_context(self):
        return {**super().get_context(), "pool": self.pool}


class AppView(PoolView):
    """Base of pages about one self-built app of the pool in the URL."""

    section = "apps"

    def resolve(self, app_id, **kwargs):
        super().resolve(**kwargs)
        self.app = get_object_or_404(Application, pk=app_id, pool=self.pool)

    def get_context(self):
        return {**super().get_context(), "app": self.app}


class EndUserView(PoolView):
    """Base of pages about one end user of the pool in the URL."""

    section = "users"

    def resolve(self, user_id, **kwargs):
        super().resolve(**kwargs)
        self.end_user = get_object_or_404(EndUser, pk=user_id, pool=self.pool)

    def get_context(self):
        return {**super().get_context(), "end_user": self.end_user}


def wants_json(request):
    return request.headers.get("Accept") == "application/json"


def json_error(code, message, status):
    return JsonResponse({"code": code, "message": message}, status=status)


class SwitchMixin:
    """Saves one boolean field from the POST value ``enabled`` (on or off).

    The console's script posts with ``Accept: application/json`` and gets
    JSON back, so the switch saves without a reload. A plain form post gets
    a confirmation message and the redirect of :meth:`switch_saved`.
    """

    field = ""
    label = ""

    def switch_target(self):
        raise NotImplementedError

    def switch_saved(self, target):
        """Return the redirect that follows a form post."""
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        value = request.POST.get("enabled", "")
        if value not in SWITCH_ON | SWITCH_OFF:
            logger.warning(
                "switch rejected admin=%s field=%s value=%r",
                request.user.pk,
                self.field,
                value[:20],
            )
            message = f"{self.label}: send enabled=on or enabled=off."
            if wants_json(request):
                return json_error("invalid_switch_value", message, 400)
            messages.error(request, message)
            return self.switch_saved(self.switch_target())

        enabled = value in SWITCH_ON
        target = self.switch_target()
        setattr(target, self.field, enabled)
        target.save(update_fields=[self.field])
        logger.info(
            "switch changed admin=%s target=%s:%s field=%s enabled=%s",
            request.user.pk,
            type(target).__name__,
            target.pk,
            self.field,
            enabled,
        )
        record(
            EventType.MFA_SWITCH_CHANGED,
            request=request,
            pool=self.pool,
            app=target if isinstance(target, Application) else None,
            actor=request.user,
            switch=self.field,
            enabled=enabled,
        )

        message = f"{self.label} turned {'on' if enabled else 'off'}."
        if wants_json(request):
            return JsonResponse({"enabled": enabled, "message": message})

        messages.success(request, message)
        return self.switch_saved(target)


class ConfirmView:
    """A confirmation page (GET) for an action that its POST performs.

    Subclasses set the button label, return the page texts from
    :meth:`confirm_context` and implement :meth:`perform`, which does the work
    and returns the redirect to follow.
    """

    template_name = "console/confirm.html"
    confirm_label = ""
    # A dangerous action gets a red button and a "cannot be undone" warning.
    danger = True

    def confirm_context(self):
        """Return ``title``, ``lead``, ``consequences`` (list of str), ``cancel_url``."""
        raise NotImplementedError

    def confirm_form(self, data=None):
        """Return the form the page must validate, or None for a plain button."""
        return None

    def render_confirm(self, form=None, status=200):
        return self.render_page(
            self.template_name,
            {
                "confirm_label": self.confirm_label,
                "danger": self.danger,
                "form": form,
                **self.confirm_context(),
            },
            status=status,
        )

    def get(self, request, *args, **kwargs):
        return self.render_confirm(self.confirm_form())

    def post(self, request, *args, **kwargs):
        form = self.confirm_form(request.POST)
        if form is not None and not form.is_valid():
            return self.render_confirm(form, status=400)
        return self.perform()

    def perform(self):
        raise NotImplementedError


def redirect_with_message(request, message, *args, **kwargs):
    messages.success(request, message)
    return redirect(*args, **kwargs)
