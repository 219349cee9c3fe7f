"""The face step of the hosted login: the camera page and its JSON endpoints.

The page requests a one-time nonce from ``challenge/`` before each attempt,
then posts its burst of frames with that nonce to ``enroll/`` or ``verify/``.
"""

import logging

from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.http import Http404, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from audit.events import record
from audit.models import EventType
from authn import transaction as login
from authn.models import EndUser
from authn.views import HostedLoginView
from mfa_recovery import factor as recovery_codes

from . import attempts, engine, factor, images, liveness
from . import challenge as challenges
from .conf import settings as face_settings
from .errors import ImageRejected
from .models import FaceDevice
from .quality import GATES

logger = logging.getLogger(__name__)

# HTTP status of each rejection code; anything not listed is a 400.
ERROR_STATUS = {
    "image_too_large": 413,
    "burst_too_large": 413,
    "unsupported_image_type": 415,
    **dict.fromkeys(GATES, 422),
    "inconsistent_frames": 422,
    "liveness_too_few_frames": 422,
    "liveness_needs_motion": 422,
    "liveness_needs_background": 422,
    "liveness_frame_count": 422,
    "frame_size_changed": 422,
    # A presentation attack fails the factor, as a face mismatch does.
    "still_image": 401,
    "flat_face": 401,
    "scene_changed": 401,
    "actions_not_seen": 401,
    "challenge_unknown": 400,
    "challenge_used": 409,
    "challenge_expired": 410,
    "too_many_attempts": 429,
}

# Prompt text of the page while it captures a burst, by liveness level. Active
# liveness prompts for each requested action instead.
CAPTURE_PROMPTS = {
    liveness.OFF: "Look at the camera.",
    liveness.PASSIVE: "Look at the camera and turn your head slightly from side to side.",
    liveness.ACTIVE: "Look straight at the camera.",
}


def error_response(code, message, status=None, **extra):
    """Return the JSON body every face-step rejection uses."""
    body = {"code": code, "message": message, **extra}
    return JsonResponse(body, status=status or ERROR_STATUS.get(code, 400))


class FaceStepMixin:
    """Resolves the app and the login transaction waiting for the face step."""

    # For an unknown client id, the JSON endpoints return a JSON error that the
    # camera page can show, and the HTML page raises the 404 page.
    json_errors = False

    @method_decorator(never_cache)
    def dispatch(self, request, client_id, *args, **kwargs):
        self.app = login.get_app(client_id)
        if self.app is None:
            if not self.json_errors:
                raise Http404("No application has this client id.")
            logger.info("face request for unknown client id=%.64r", client_id)
            return error_response(
                "unknown_application",
                "No application has this client id. Start the sign-in again "
                "from the application.",
                status=404,
            )

        self.transaction, self.end_user = login.pending_face_step_user(
            request, self.app
        )
        return super().dispatch(request, *args, **kwargs)

    def http_method_not_allowed(self, request, *args, **kwargs):
        response = super().http_method_not_allowed(request, *args, **kwargs)
        if not self.json_errors:
            return response
        # Django's own response is an empty HTML page. A JSON error replaces
        # it and keeps its Allow header.
        allowed = response["Allow"]
        response = error_response(
            "method_not_allowed",
            f"{request.method} is not accepted here. Send a POST request.",
            status=405,
        )
        response["Allow"] = allowed
        return response

    def face_device(self):
        return FaceDevice.objects.filter(user=self.end_user, confirmed=True).first()


class FaceStepView(FaceStepMixin, View):
    """The camera page: enrollment the first time, verification afterwards."""

    def get(self, request):
        if self.end_user is None:
            return redirect("authn:login", client_id=self.app.client_id)

        device = self.face_device()
        mode = "verify" if device is not None else "enroll"
        locked_until = None
        if device is not None:
            allowed, details = device.verify_is_allowed()
            if not allowed:
                locked_until = (details or {}).get("locked_until")
        return render(
            request,
            "mfa_face/face_step.html",
            {
                "app": self.app,
                "end_user": self.end_user,
                "mode": mode,
                "transaction_id": self.transaction.id,
                "upload_url": reverse(f"mfa_face:{mode}", args=[self.app.client_id]),
                "challenge_url": reverse(
                    "mfa_face:challenge", args=[self.app.client_id]
                ),
                "done_url": reverse("authn:done", args=[self.app.client_id]),
                "recovery_url": None
                if self.transaction.recheck
                else reverse("mfa_recovery:use", args=[self.app.client_id]),
                "locked_until": locked_until,
                "can_cancel": can_cancel(request, self.app),
                "burst_frames": face_settings.MFA_FACE_BURST_FRAMES,
                "burst_interval_ms": face_settings.MFA_FACE_BURST_INTERVAL_MS,
            },
        )


class ChallengeView(FaceStepMixin, View):
    """Issues the one-time nonce, and for active liveness the actions, of an attempt."""

    json_errors = True

    def post(self, request):
        problem = check_transaction(self, request)
        if problem is not None:
            return problem

        challenge = challenges.issue(request, self.app, self.transaction)
        per_action = face_settings.MFA_FACE_ACTIVE_FRAMES_PER_ACTION
        return JsonResponse(
            {
                "nonce": challenge.nonce,
                "liveness": challenge.liveness,
                "expires_in": round(challenge.expires_in()),
                "prompt": CAPTURE_PROMPTS[challenge.liveness],
                "frames": face_settings.MFA_FACE_BURST_FRAMES,
                "interval_ms": face_settings.MFA_FACE_BURST_INTERVAL_MS,
                "actions": [
                    {
                        "action": action,
                        "prompt": liveness.ACTION_PROMPTS[action],
                        "frames": per_action,
                        "interval_ms": face_settings.MFA_FACE_ACTIVE_INTERVAL_MS,
                    }
                    for action in challenge.actions
                ],
            }
        )


class FrameUploadView(FaceStepMixin, View):
    """Base of the two JSON endpoints that receive a burst of frames."""

    json_errors = True

    def post(self, request):
        # Without this check a JSON or raw image body has no transaction field
        # and would be reported as another sign-in's upload.
        if request.content_type != "multipart/form-data":
            logger.info(
                "face upload rejected app=%s content_type=%s",
                self.app.pk,
                request.content_type,
            )
            return error_response(
                "unsupported_media_type",
                "Send the camera frames as multipart/form-data, one 'frame' field "
                "per image, with the 'transaction' and 'challenge' fields.",
                status=415,
            )

        problem = check_transaction(self, request)
        if problem is not None:
            return problem

        try:
            uploads = request.FILES.getlist("frame")
        except MultiPartParserError:
            return malformed_upload()

        try:
            self.challenge = challenges.consume(
                request, self.app, self.transaction, request.POST.get("challenge", "")
            )
            self.liveness_level = challenges.liveness_level(self.app, self.challenge)
        except challenges.ChallengeRejected as error:
            return error_response(error.code, error.message)

        frames, problem = read_frames(uploads)
        if problem is not None:
            return problem

        # Counted only for an attempt that will be analysed, so requests that
        # fail the cheap checks above, image headers included, cannot use up
        # the user's attempts. A frame whose data is damaged after a valid
        # header is found only while decoding, and counts.
        if not attempts.count_attempt(self.end_user):
            logger.warning(
                "face attempts over limit app=%s user=%s", self.app.pk, self.end_user.pk
            )
            minutes = max(1, face_settings.MFA_FACE_ATTEMPT_WINDOW // 60)
            fallback, extra = recovery_fallback(self.app, self.transaction)
            return error_response(
                "too_many_attempts",
                f"Too many face checks in a short time. Wait {minutes} minutes, "
                "then try again." + fallback,
                **extra,
            )

        try:
            return self.handle_frames(frames)
        except engine.FaceError as error:
            logger.info(
                "face step rejected app=%s user=%s code=%s",
                self.app.pk,
                self.end_user.pk,
                error.code,
            )
            if isinstance(error, liveness.PresentationAttack):
                challenges.forget_actions(self.end_user.pk)
            self.audit(EventType.FACE_REJECTED, reason=error.code)
            self.audit_lockout()
            return error_response(error.code, error.message)

    def audit(self, event, **details):
        record(
            event,
            request=self.request,
            app=self.app,
            end_user=self.end_user,
            **details,
        )

    def audit_lockout(self):
        """Record ``face_locked`` when the last failure reached the lockout limit."""
        device = self.face_device()
        if device is None:
            return
        if device.throttling_failure_count < face_settings.MFA_FACE_LOCKOUT_FAILURES:
            return
        allowed, details = device.verify_is_allowed()
        if not allowed:
            self.audit(
                EventType.FACE_LOCKED,
                failures=device.throttling_failure_count,
                locked_until=details["locked_until"].isoformat(),
            )

    def succeed(self, status, message, **extra):
        challenges.forget_actions(self.end_user.pk)
        login.complete_face_step(self.request, self.app, self.transaction)
        self.audit(EventType.SIGN_IN_SUCCEEDED, factors=list(self.transaction.factors))
        return JsonResponse(
            {
                "status": status,
                "message": message,
                "redirect": reverse("authn:done", args=[self.app.client_id]),
                **extra,
            }
        )


class EnrollView(FrameUploadView):
    # NOTE: the first face step enrolls whoever is in front of the camera, so
    # until a user has enrolled (or after an administrator's face reset) the
    # password alone is enough to enroll an attacker's face on the account.
    # Closing this needs a second channel for the first enrollment, such as
    # an emailed enrollment link.
    def handle_frames(self, frames):
        # The burst is analysed before any lock is taken, so a slow attempt
        # does not hold up other requests for this account.
        enrollment = factor.evaluate_enrollment(
            frames, self.liveness_level, self.challenge.actions
        )

        # The face device and its recovery codes are stored together or not
        # at all, so no enrolled face is left without codes. The lock on the
        # user's row lets only one of two concurrent enrollments store its face.
        try:
            with db_transaction.atomic():
                EndUser.objects.select_for_update().filter(pk=self.end_user.pk).first()
                if self.face_device() is not None:
                    return already_enrolled()
                factor.save_enrollment(self.end_user, enrollment)
                codes = recovery_codes.issue_codes(self.end_user)
        except IntegrityError:
            # Another enrollment stored its device first (SQLite, no row lock).
            return already_enrolled()
        self.audit(EventType.FACE_ENROLLED, frame_count=len(frames))
        self.audit(EventType.RECOVERY_CODES_ISSUED, count=len(codes))
        # The codes appear in this one response only; the page shows them
        # until the user continues.
        return self.succeed(
            "enrolled",
            "Your face is enrolled and you are signed in.",
            recovery_codes=codes,
        )


class VerifyView(FrameUploadView):
    def handle_frames(self, frames):
        device = self.face_device()
        if device is None:
            return not_enrolled()

        allowed, details = device.verify_is_allowed()
        if not allowed:
            return locked_response(self.app, details, self.transaction)

        # The expensive analysis runs without a lock. Its outcome is counted
        # under the device's row lock, after the lockout is checked again, so
        # concurrent attempts neither lose failure counts nor pass a lockout
        # that another attempt reached meanwhile.
        attack = None
        try:
            result, figures = factor.evaluate_verification(
                device.descriptors, frames, self.liveness_level, self.challenge.actions
            )
        except liveness.PresentationAttack as caught:
            attack = caught

        with db_transaction.atomic():
            device = (
                FaceDevice.objects.select_for_update()
                .filter(pk=device.pk, confirmed=True)
                .first()
            )
            if device is None:
                return not_enrolled()
            locked, details = device.lockout()
            if locked:
                return locked_response(self.app, details, self.transaction)
            if attack is not None:
                factor.record_attack(device, attack)
            else:
                factor.record_verification(device, result, self.liveness_level, figures)
        if attack is not None:
            raise attack

        if not result.matched:
            challenges.forget_actions(self.end_user.pk)
            self.audit(
                EventType.FACE_REJECTED,
                reason="face_mismatch",
                distance=round(result.distance, 4),
            )
            self.audit_lockout()
            return error_response(
                "face_mismatch",
                "The face does not match the enrolled face. Face the camera and try again.",
                status=401,
            )
        self.audit(EventType.FACE_VERIFIED, distance=round(result.distance, 4))
        return self.succeed("verified", "Face verified. You are signed in.")


def not_enrolled():
    return error_response(
        "not_enrolled",
        "No face is enrolled for this account yet. Reload the page to enroll.",
        status=409,
    )


def already_enrolled():
    return error_response(
        "already_enrolled",
        "A face is already enrolled for this account. Reload the page to verify it.",
        status=409,
    )


def can_cancel(request, app):
    """Return True when a relying party's request waits, so the user can go back.

    A user without a camera cannot finish a first sign-in, because recovery
    codes come with enrollment, so the page offers the way back to the app.
    """
    resume = login.peek_resume(request, app)
    return bool(resume and resume["cancel_url"])


def check_transaction(view, request):
    """Return an error response unless the POST belongs to the pending sign-in."""
    if view.end_user is None:
        return error_response(
            "no_pending_sign_in",
            "No sign-in is waiting for the face step. Sign in with your password first.",
            status=403,
        )

    try:
        transaction_id = request.POST.get("transaction", "")
    except MultiPartParserError:
        return malformed_upload()

    if transaction_id != view.transaction.id:
        return error_response(
            "transaction_mismatch",
            "This face step belongs to another sign-in. Reload the page and try again.",
            status=403,
        )
    return None


def malformed_upload():
    return error_response(
        "malformed_upload",
        "The upload could not be read. Reload the page and try again.",
    )


def recovery_fallback(app, transaction):
    """Return (sentence, extra JSON) that offer the recovery code, if it can help.

    A face recheck before changing the face factor accepts only the face.
    """
    if transaction.recheck:
        return "", {}
    url = reverse("mfa_recovery:use", args=[app.client_id])
    return " Or sign in with a recovery code now.", {"recovery_url": url}


def locked_response(app, details, transaction):
    """Return the 429 of a locked face factor, with when it unlocks and the fallback."""
    fallback, extra = recovery_fallback(app, transaction)
    locked_until = (details or {}).get("locked_until")
    if locked_until is None:
        return error_response(
            "face_locked",
            "Too many failed face checks. Wait a moment and try again." + fallback,
            status=429,
            locked_until=None,
            **extra,
        )

    return error_response(
        "face_locked",
        "Too many failed face checks. Face Recognition is locked until "
        f"{locked_until:%H:%M:%S} UTC. Try again then." + fallback,
        status=429,
        locked_until=locked_until.isoformat(),
        **extra,
    )


def read_frames(uploads):
    """Return (frames, None), or (None, error response) when the upload is bad."""
    if not uploads:
        return None, error_response(
            "no_frames",
            "No camera frames were received. Allow the camera and try again.",
        )

    if len(uploads) > face_settings.MFA_FACE_MAX_FRAMES:
        return None, error_response(
            "too_many_frames",
            f"At most {face_settings.MFA_FACE_MAX_FRAMES} frames are accepted per attempt.",
        )

    frames = []
    total = 0
    for upload in uploads:
        if upload.size > face_settings.MFA_FACE_MAX_FRAME_BYTES:
            return None, error_response(
                "image_too_large",
                "A camera frame is larger than "
                f"{face_settings.MFA_FACE_MAX_FRAME_BYTES} bytes. Try again.",
            )
        frame = upload.read()
        try:
            total += images.check_header(
                frame,
                max_bytes=face_settings.MFA_FACE_MAX_FRAME_BYTES,
                max_pixels=face_settings.MFA_FACE_MAX_FRAME_PIXELS,
            )
        except ImageRejected as error:
            return None, error_response(error.code, error.message)
        frames.append(frame)

    if total > face_settings.MFA_FACE_MAX_BURST_PIXELS:
        return None, error_response(
            "burst_too_large",
            f"The camera frames of this attempt have {total} pixels in all, more "
            f"than the maximum of {face_settings.MFA_FACE_MAX_BURST_PIXELS}. "
            "Send fewer or smaller frames.",
        )
    return frames, None


class FaceRecheckView(HostedLoginView):
    """Starts a new face check for a signed-in user, before a change to the face factor.

    Deleting the face data and getting new recovery codes need a recent face
    check (``AUTHN_FACE_RECHECK_TTL``). The sign-in stays as it is meanwhile.
    """

    def post(self, request):
        app = self.app
        sign_in = login.current_sign_in(request, app)
        if sign_in is None:
            return redirect("authn:login", client_id=app.client_id)
        if not sign_in.user.face_devices.filter(confirmed=True).exists():
            return redirect("authn:done", client_id=app.client_id)

        login.start_face_recheck(request, app, sign_in)
        logger.info("face recheck started app=%s user=%s", app.pk, sign_in.user.pk)
        return redirect("mfa_face:step", client_id=app.client_id)


class FaceDataDeleteView(HostedLoginView):
    """Deletes the signed-in end user's face template and recovery codes.

    Only a sign-in that included the face check may do this. A password alone,
    on an app of the pool without face MFA, or a recovery code would otherwise
    be enough to remove the face and enroll another. The next sign-in that
    needs the face enrolls again.
    """

    def post(self, request):
        app = self.app
        sign_in = login.face_checked_sign_in(request, app)
        if sign_in is None:
            return redirect("authn:login", client_id=app.client_id)

        user = sign_in.user
        _, deleted = FaceDevice.objects.filter(user=user).delete()
        recovery_codes.revoke_codes(user)
        record(
            EventType.FACE_DELETED,
            request=request,
            app=app,
            end_user=user,
            devices=deleted.get(FaceDevice._meta.label, 0),
        )
        logger.info("face data deleted by user app=%s user=%s", app.pk, user.pk)
        return render(
            request, "mfa_face/face_deleted.html", {"app": app, "end_user": user}
        )
