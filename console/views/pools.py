"""User pools: list, create, rename, delete, and the header's pool switcher."""

import logging

from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from authn.models import UserPool
from mfa_face.models import FaceDevice

from ..forms import PoolDeleteForm, UserPoolForm
from .base import (
    CURRENT_POOL_KEY,
    ConfirmView,
    ConsoleView,
    PoolView,
    current_pool,
    redirect_with_message,
)

logger = logging.getLogger(__name__)

# Landing page of each left navigation section, for the pool switcher.
SECTION_PAGES = {
    "apps": "console:app_list",
    "users": "console:user_list",
    "security": "console:pool_mfa",
}


def count_of(number, noun):
    """Return ``number`` with ``noun``, plural unless it is 1: "2 end users"."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


class HomeView(ConsoleView):
    """Opens the current pool, or the first-pool page for a new administrator."""

    def get(self, request):
        pool = current_pool(request)
        if pool is None:
            return redirect("console:pool_create")
        return redirect("console:app_list", pool_id=pool.pk)


class PoolListView(ConsoleView):
    def get(self, request):
        rows = self.owned_pools().annotate(
            app_count=Count("applications", distinct=True),
            user_count=Count("users", distinct=True),
        )
        return self.render_page("console/pool_list.html", {"pool_rows": rows})


class PoolCreateView(ConsoleView):
    template_name = "console/pool_create.html"

    def get(self, request):
        return self.render_create(UserPoolForm(owner=request.user))

    def post(self, request):
        form = UserPoolForm(request.POST, owner=request.user)
        if not form.is_valid():
            return self.render_create(form, status=400)

        pool = form.save(commit=False)
        pool.owner = request.user
        pool.save()
        request.session[CURRENT_POOL_KEY] = pool.pk
        logger.info("user pool created admin=%s pool=%s", request.user.pk, pool.pk)
        return redirect_with_message(
            request, f"User pool {pool.name} created.", "console:app_list", pool.pk
        )

    def render_create(self, form, status=200):
        first = not self.owned_pools().exists()
        return self.render_page(
            self.template_name, {"form": form, "first": first}, status=status
        )


class PoolSwitchView(ConsoleView):
    """Sets the current pool and opens the same section in it."""

    def post(self, request):
        pool_id = request.POST.get("pool", "")
        if not pool_id.isdecimal():
            raise Http404("Choose a user pool from the list.")

        pool = get_object_or_404(UserPool, pk=int(pool_id), owner=request.user)
        request.session[CURRENT_POOL_KEY] = pool.pk
        page = SECTION_PAGES.get(request.POST.get("section"), "console:app_list")
        return redirect(page, pool_id=pool.pk)


class PoolRenameView(PoolView):
    template_name = "console/pool_rename.html"

    def get(self, request, **kwargs):
        form = UserPoolForm(instance=self.pool, owner=request.user)
        return self.render_page(self.template_name, {"form": form})

    def post(self, request, **kwargs):
        old_name = self.pool.name
        form = UserPoolForm(request.POST, instance=self.pool, owner=request.user)
        if not form.is_valid():
            return self.render_page(self.template_name, {"form": form}, status=400)

        form.save()
        logger.info("user pool renamed admin=%s pool=%s", request.user.pk, self.pool.pk)
        return redirect_with_message(
            request,
            f"User pool {old_name} renamed to {self.pool.name}.",
            "console:pool_list",
        )


class PoolDeleteView(ConfirmView, PoolView):
    """Deletes a pool with its apps, end users and face enrollments."""

    confirm_label = "Delete user pool"

    def confirm_context(self):
        pool = self.pool
        apps = pool.applications.count()
        users = pool.users.count()
        faces = FaceDevice.objects.filter(user__pool=pool).count()
        return {
            "title": f"Delete user pool {pool.name}",
            "lead": "Deleting the user pool also deletes:",
            "consequences": [
                f"{count_of(apps, 'self-built app')}, with their client ids and "
                "secrets. Their hosted logins stop working.",
                f"{count_of(users, 'end user')} and "
                f"{count_of(faces, 'face enrollment')}.",
                "The pool's security settings.",
            ],
            "cancel_url": reverse("console:pool_list"),
        }

    def confirm_form(self, data=None):
        return PoolDeleteForm(data, pool=self.pool)

    def perform(self):
        pool_id = self.pool.pk
        name = self.pool.name
        with transaction.atomic():
            self.pool.delete()

        self.request.session.pop(CURRENT_POOL_KEY, None)
        logger.info("user pool deleted admin=%s pool=%s", self.request.user.pk, pool_id)
        return redirect_with_message(
            self.request, f"User pool {name} deleted.", "console:pool_list"
        )
