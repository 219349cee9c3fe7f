"""The console page that lists a user pool's audit events."""

from django.core.paginator import Paginator

from console.views import PoolView

from .conf import settings as audit_settings
from .forms import EventFilterForm
from .models import AuditEvent


class EventListView(PoolView):
    """Security Settings -> Audit Log: one pool's events, newest first.

    ``PoolView`` looks the pool up among the signed-in administrator's own
    pools, so another administrator's pool id is a 404. An invalid filter shows
    its errors inline with status 400 and lists no events.
    """

    section = "audit"
    template_name = "audit/event_list.html"

    def get(self, request, **kwargs):
        form = EventFilterForm(request.GET or None, pool=self.pool)
        events = AuditEvent.objects.filter(pool=self.pool).select_related(
            "application", "end_user", "actor"
        )

        status = 200
        if form.is_bound:
            if form.is_valid():
                events = form.filter(events)
            else:
                events = events.none()
                status = 400

        paginator = Paginator(events, audit_settings.AUDIT_PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        return self.render_page(
            self.template_name,
            {"form": form, "page_obj": page, "events": page.object_list},
            status=status,
        )
