"""Recovery codes in the hosted login: in place of the face step, and renewal.

A recovery code completes a sign-in that waits for the face step, for a user
without a camera or whose face factor is locked. New codes need a sign-in
that included the face check, so a password and a used recovery code cannot
mint more codes.
"""

import logging

from django.shortcuts import redirect, render
from django.urls import reverse

from audit.events import record
from audit.models import EventType
from authn import transaction as login
from authn.views import HostedLoginView

from . import factor
from .forms import RecoveryCodeForm

logger = logging.getLogger(__name__)

INVALID_CODE = (
    "This recovery code is not valid or has already been used. "
    "Check it and try again, or use another of your codes."
)

# From this many codes left, the page after a sign-in with a code suggests
# getting new codes.
FEW_CODES_LEFT = 3


def throttled_message(locked_until):
    if locked_until is None:
        return "Too many wrong recovery codes. Wait a moment, then try again."
    return (
        "Too many wrong recovery codes. The next code is checked after "
        f"{locked_until:%H:%M:%S} UTC; try again then."
    )


class RecoveryCodeSignInView(HostedLoginView):
    """The form that completes the face step with a recovery code."""

    def pending_sign_in_redirect(self):
        """Resolve the sign-in waiting for the face step; return a redirect when
        a recovery code cannot complete it, else None."""
        self.transaction, self.end_user = login.pending_face_step_user(
            self.request, self.app
        )
        if self.end_user is None:
            return redirect("authn:login", client_id=self.app.client_id)
        # A recheck before changing the face factor needs the face itself.
        if self.transaction.recheck:
            return redirect("mfa_face:step", client_id=self.app.client_id)
        return None

    def get(self, request):
        unusable = self.pending_sign_in_redirect()
        if unusable is not None:
            return unusable
        return self.render_form(RecoveryCodeForm())

    def post(self, request):
        unusable = self.pending_sign_in_redirect()
        if unusable is not None:
            return unusable

        form = RecoveryCodeForm(request.POST)
        if not form.is_valid():
            return self.render_form(form, status=400)

        locked_until = factor.locked_until(self.end_user)
        if locked_until is not None:
            self.audit(EventType.RECOVERY_CODE_REJECTED, reason="throttled")
            form.add_error(None, throttled_message(locked_until))
            return self.render_form(form, status=429)

        try:
            left = factor.use_code(self.end_user, form.cleaned_data["code"])
        except factor.CodesThrottled as throttled:
            self.audit(EventType.RECOVERY_CODE_REJECTED, reason="throttled")
            form.add_error(None, throttled_message(throttled.locked_until))
            return self.render_form(form, status=429)
        if left is None:
            self.audit(EventType.RECOVERY_CODE_REJECTED, reason="invalid_code")
            form.add_error(None, INVALID_CODE)
            return self.render_form(form, status=400)

        login.complete_face_step(
            request, self.app, self.transaction, login.FACTOR_RECOVERY_CODE
        )
        self.audit(EventType.RECOVERY_CODE_USED, remaining=left)
        self.audit(EventType.SIGN_IN_SUCCEEDED, factors=list(self.transaction.factors))
        logger.info(
            "face step passed with a recovery code app=%s user=%s remaining=%d",
            self.app.pk,
            self.end_user.pk,
            left,
        )
        return render(
            request,
            "mfa_recovery/code_used.html",
            {
                "app": self.app,
                "end_user": self.end_user,
                "remaining": left,
                "few_left": left <= FEW_CODES_LEFT,
                "done_url": reverse("authn:done", args=[self.app.client_id]),
            },
        )

    def audit(self, event, **details):
        record(
            event, request=self.request, app=self.app, end_user=self.end_user, **details
        )

    def render_form(self, form, status=200):
        return render(
            self.request,
            "mfa_recovery/use_code.html",
            {
                "app": self.app,
                "end_user": self.end_user,
                "form": form,
                "has_codes": factor.remaining(self.end_user) > 0,
                "face_step_url": reverse("mfa_face:step", args=[self.app.client_id]),
            },
            status=status,
        )


class NewRecoveryCodesView(HostedLoginView):
    """Replaces the signed-in user's recovery codes and shows the new ones once."""

    def post(self, request):
        app = self.app
        sign_in = login.face_checked_sign_in(request, app)
        if sign_in is None:
            return redirect("authn:login", client_id=app.client_id)

        user = sign_in.user
        if not user.face_devices.filter(confirmed=True).exists():
            return redirect("authn:done", client_id=app.client_id)

        codes = factor.issue_codes(user)
        record(
            EventType.RECOVERY_CODES_ISSUED,
            request=request,
            app=app,
            end_user=user,
            count=len(codes),
        )
        return render(
            request,
            "mfa_recovery/new_codes.html",
            {
                "app": app,
                "end_user": user,
                "codes": codes,
                "done_url": reverse("authn:done", args=[app.client_id]),
            },
        )
