"""User Management: the user list with search, user details and their actions."""

import logging

from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.urls import reverse

from audit.events import record
from audit.models import EventType
from authn.identifiers import search_filter
from mfa_face.models import FaceDevice
from mfa_recovery.factor import remaining, revoke_codes

from ..forms import EndUserCreateForm
from .base import ConfirmView, EndUserView, PoolView, redirect_with_message

logger = logging.getLogger(__name__)

USERS_PER_PAGE = 20


def confirmed_face_devices():
    """Prefetch of the enrollments that count: the face step uses only confirmed ones."""
    return Prefetch(
        "face_devices",
        queryset=FaceDevice.objects.filter(confirmed=True),
        to_attr="confirmed_face_devices",
    )


class UserListView(PoolView):
    section = "users"

    def get(self, request, **kwargs):
        query = request.GET.get("q", "").strip()
        users = (
            self.pool.users.filter(search_filter(query))
            .prefetch_related(confirmed_face_devices())
            .order_by("pk")
        )
        page = Paginator(users, USERS_PER_PAGE).get_page(request.GET.get("page"))
        return self.render_page(
            "console/user_list.html",
            {"page": page, "users": page.object_list, "query": query},
        )


class UserCreateView(PoolView):
    section = "users"
    template_name = "console/user_create.html"

    def get(self, request, **kwargs):
        return self.render_page(
            self.template_name, {"form": EndUserCreateForm(pool=self.pool)}
        )

    def post(self, request, **kwargs):
        form = EndUserCreateForm(request.POST, pool=self.pool)
        if not form.is_valid():
            return self.render_page(self.template_name, {"form": form}, status=400)

        user = form.save()
        logger.info("end user created pool=%s user=%s", self.pool.pk, user.pk)
        return redirect_with_message(
            request,
            f"User {user.display_name} created.",
            "console:user_list",
            self.pool.pk,
        )


def user_detail_url(end_user):
    return reverse("console:user_detail", args=[end_user.pool_id, end_user.pk])


class UserDetailView(EndUserView):
    def get(self, request, **kwargs):
        device = FaceDevice.objects.filter(user=self.end_user, confirmed=True).first()
        return self.render_page(
            "console/user_detail.html",
            {"face_device": device, "recovery_codes_left": remaining(self.end_user)},
        )


class UserActiveView(EndUserView):
    """Disables or enables an end user; a disabled user cannot sign in."""

    is_active = True

    def post(self, request, **kwargs):
        self.end_user.is_active = self.is_active
        self.end_user.save(update_fields=["is_active"])
        state = "enabled" if self.is_active else "disabled"
        logger.info(
            "end user %s admin=%s pool=%s user=%s",
            state,
            request.user.pk,
            self.pool.pk,
            self.end_user.pk,
        )
        return redirect_with_message(
            request,
            f"User {self.end_user.display_name} {state}.",
            user_detail_url(self.end_user),
        )


class UserEnableView(UserActiveView):
    is_active = True


class UserDisableView(UserActiveView):
    is_active = False


class UserResetFaceView(ConfirmView, EndUserView):
    confirm_label = "Reset face"

    def confirm_context(self):
        return {
            "title": f"Reset the face of {self.end_user.display_name}",
            "lead": "When the face is reset:",
            "consequences": [
                "The user's face template and recovery codes are deleted.",
                "At the next sign-in that asks for the face, the user enrolls again "
                "and receives new recovery codes.",
            ],
            "cancel_url": user_detail_url(self.end_user),
        }

    def perform(self):
        with transaction.atomic():
            _, deleted_by_model = FaceDevice.objects.filter(user=self.end_user).delete()
            codes_revoked = revoke_codes(self.end_user)
        deleted = deleted_by_model.get(FaceDevice._meta.label, 0)
        logger.info(
            "face reset admin=%s pool=%s user=%s devices=%s",
            self.request.user.pk,
            self.pool.pk,
            self.end_user.pk,
            deleted,
        )
        record(
            EventType.FACE_RESET,
            request=self.request,
            end_user=self.end_user,
            actor=self.request.user,
            devices=deleted,
            recovery_codes_revoked=codes_revoked,
        )
        return redirect_with_message(
            self.request,
            f"Face of {self.end_user.display_name} reset. They enroll again at the "
            "next face step.",
            user_detail_url(self.end_user),
        )


class UserDeleteView(ConfirmView, EndUserView):
    confirm_label = "Delete user"

    def confirm_context(self):
        return {
            "title": f"Delete user {self.end_user.display_name}",
            "lead": "When the user is deleted:",
            "consequences": [
                "The user and their face template are deleted.",
                "They can no longer sign in to any app of this user pool.",
            ],
            "cancel_url": user_detail_url(self.end_user),
        }

    def perform(self):
        user_id = self.end_user.pk
        name = self.end_user.display_name
        self.end_user.delete()
        logger.info(
            "end user deleted admin=%s pool=%s user=%s",
            self.request.user.pk,
            self.pool.pk,
            user_id,
        )
        return redirect_with_message(
            self.request, f"User {name} deleted.", "console:user_list", self.pool.pk
        )
