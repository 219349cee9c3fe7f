"""Security Settings of a pool: Multi-factor Authentication and its policy."""

import logging

from django.shortcuts import redirect

from audit.events import record
from audit.models import EventType

from ..forms import LivenessForm
from .base import PoolView, SwitchMixin, redirect_with_message

logger = logging.getLogger(__name__)


class PoolMfaView(PoolView):
    section = "security"
    template_name = "console/pool_mfa.html"

    def get(self, request, **kwargs):
        return self.render_mfa(LivenessForm(instance=self.pool))

    def render_mfa(self, liveness_form, status=200):
        return self.render_page(
            self.template_name,
            {
                "liveness_form": liveness_form,
                # These apps replace the pool's settings with their own, so
                # the page names them next to the pool-wide switch.
                "custom_apps": self.pool.applications.filter(
                    custom_security_rules=True
                ),
            },
            status=status,
        )


class PoolLivenessView(PoolMfaView):
    """Saves the liveness level of the pool's face step."""

    def get(self, request, **kwargs):
        return redirect("console:pool_mfa", pool_id=self.pool.pk)

    def post(self, request, **kwargs):
        form = LivenessForm(request.POST, instance=self.pool)
        if not form.is_valid():
            return self.render_mfa(form, status=400)

        form.save()
        logger.info(
            "liveness changed admin=%s pool=%s liveness=%s",
            request.user.pk,
            self.pool.pk,
            self.pool.liveness,
        )
        record(
            EventType.MFA_SWITCH_CHANGED,
            request=request,
            pool=self.pool,
            actor=request.user,
            switch="liveness",
            value=self.pool.liveness,
        )
        return redirect_with_message(
            request,
            f"Liveness detection set to {self.pool.get_liveness_display()}.",
            "console:pool_mfa",
            self.pool.pk,
        )


class PoolSwitchFieldView(SwitchMixin, PoolView):
    section = "security"

    def switch_target(self):
        return self.pool

    def switch_saved(self, target):
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
