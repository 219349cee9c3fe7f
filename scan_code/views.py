"""Pages and endpoints of scan-code sign-in under /login/<client id>/scan/.

The browser that wants to sign in shows a QR code and polls its status. The
phone opens the code's URL, signs in if needed, and confirms or declines.
"""

import logging

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from authn import transaction as login
from authn.views import HostedLoginView

from . import flow
from .conf import settings as scan_settings

logger = logging.getLogger(__name__)

ERROR_STATUS = {
    "not_found": 404,
    "other_browser": 403,
    "expired": 410,
    "used": 409,
    "declined": 409,
    "not_confirmed": 409,
    "sign_in_again": 403,
}

STATUS_MESSAGES = {
    flow.Status.PENDING: "Scan the code with your phone's camera.",
    flow.Status.SCANNED: "Code scanned. Confirm the sign-in on your phone.",
    flow.Status.CONFIRMED: "Confirmed on your phone. Signing you in…",
    flow.Status.DECLINED: flow.ScanCodeError.MESSAGES["declined"],
    flow.Status.USED: flow.ScanCodeError.MESSAGES["used"],
    "expired": flow.ScanCodeError.MESSAGES["expired"],
}


def error_json(error):
    return JsonResponse(
        {"code": error.code, "message": error.message},
        status=ERROR_STATUS[error.code],
    )


class ScanStartView(HostedLoginView):
    """The QR code page; every load shows a new code."""

    def get(self, request):
        # A pending fresh sign-in (prompt=login, max_age) may use a scan code.
        signed_in = login.signed_in_user(request, self.app) is not None
        if signed_in and not login.fresh_sign_in_pending(request, self.app):
            return redirect("authn:done", client_id=self.app.client_id)

        code, token = flow.issue(request, self.app)
        phone_url = request.build_absolute_uri(
            reverse("scan_code:phone", args=[self.app.client_id, token])
        )
        client_id = self.app.client_id
        return self.render_page(
            "scan_code/start.html",
            {
                "qr_code": flow.qr_code_data_uri(phone_url),
                "phone_url": phone_url,
                "code": code,
                "ttl": scan_settings.SCAN_CODE_TTL,
                "poll_interval_ms": scan_settings.SCAN_CODE_POLL_INTERVAL_MS,
                "status_url": reverse("scan_code:status", args=[client_id, code.pk]),
                "complete_url": reverse(
                    "scan_code:complete", args=[client_id, code.pk]
                ),
                "new_code_url": reverse("scan_code:start", args=[client_id]),
                "password_url": reverse("authn:login", args=[client_id]),
            },
        )


class ScanStatusView(HostedLoginView):
    """JSON status of a code, for the browser that displayed it."""

    def get(self, request, code_id):
        try:
            code = flow.requester_code(request, self.app, code_id)
        except flow.ScanCodeError as error:
            logger.info(
                "scan code status rejected app=%s code=%s reason=%s",
                self.app.pk,
                code_id,
                error.code,
            )
            return error_json(error)

        status = flow.public_status(code)
        return JsonResponse({"status": str(status), "message": STATUS_MESSAGES[status]})


class ScanCompleteView(HostedLoginView):
    """Signs the displaying browser in once the phone confirmed; returns JSON."""

    def post(self, request, code_id):
        try:
            transaction = flow.complete(request, self.app, code_id)
        except flow.ScanCodeError as error:
            logger.info(
                "scan code completion rejected app=%s code=%s reason=%s",
                self.app.pk,
                code_id,
                error.code,
            )
            return error_json(error)

        if transaction.state == login.State.FIRST_FACTOR_PASSED:
            next_url = reverse("mfa_face:step", args=[self.app.client_id])
        else:
            next_url = reverse("authn:done", args=[self.app.client_id])
        return JsonResponse({"status": "signed_in", "redirect": next_url})


class PhoneView(HostedLoginView):
    """The page the QR code opens on the phone: sign in, then confirm or decline."""

    def get(self, request, token):
        try:
            code = flow.open_on_phone(request, self.app, token)
        except flow.ScanCodeError as error:
            return self.render_error(error)

        sign_in = self.fresh_enough_sign_in(request, code)
        user = sign_in.user if sign_in is not None else None
        if user is None:
            # The hosted login returns here after the password and, when the
            # rule applies to this phone sign-in, the face step. A code shown
            # for a fresh sign-in (prompt=login, max_age) needs a new password
            # on the phone too.
            login.set_resume(
                request,
                self.app,
                request.get_full_path(),
                fresh_sign_in=code.fresh_after is not None,
            )
        return self.render_page(
            "scan_code/phone.html",
            {
                "code": code,
                "end_user": user,
                "requester": flow.describe_user_agent(code.requester_user_agent),
                "login_url": reverse("authn:login", args=[self.app.client_id]),
            },
        )

    def post(self, request, token):
        sign_in = login.current_sign_in(request, self.app)
        if sign_in is None:
            return redirect(request.get_full_path())

        approve = request.POST.get("decision") == "confirm"
        try:
            code = flow.decide(request, self.app, token, sign_in, approve)
        except flow.ScanCodeError as error:
            return self.render_error(error)

        return self.render_page(
            "scan_code/phone_done.html", {"code": code, "approved": approve}
        )

    def fresh_enough_sign_in(self, request, code):
        """Return the phone's sign-in when it may confirm ``code``, else None."""
        sign_in = login.current_sign_in(request, self.app)
        if sign_in is None or not flow.phone_is_fresh(code, sign_in):
            return None
        return sign_in

    def render_error(self, error):
        logger.info(
            "scan code rejected on phone app=%s reason=%s", self.app.pk, error.code
        )
        return self.render_page(
            "scan_code/phone_error.html",
            {"error": error},
            status=ERROR_STATUS[error.code],
        )
