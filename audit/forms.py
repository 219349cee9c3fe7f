"""The filter of the console's audit log page."""

import datetime

from django import forms
from django.db.models import Q
from django.utils import timezone

from authn.models import Application

from .models import EventType


class EventFilterForm(forms.Form):
    """Filters of one pool's audit events; every field is optional."""

    event = forms.ChoiceField(
        label="Event",
        choices=[("", "All events"), *EventType.choices],
        required=False,
    )
    user = forms.CharField(
        label="User",
        max_length=254,
        required=False,
        help_text="Part of a username, email or phone number.",
    )
    app = forms.ModelChoiceField(
        label="Application",
        queryset=Application.objects.none(),
        required=False,
        empty_label="All applications",
    )
    date_from = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="First day to show.",
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Last day to show, included.",
    )

    def __init__(self, *args, pool, **kwargs):
        super().__init__(*args, **kwargs)
        # An app of another pool is not a valid choice, so its id in the URL
        # is a form error rather than a way to read another pool's events.
        self.fields["app"].queryset = pool.applications.all()

    def clean(self):
        cleaned = super().clean()
        date_from = cleaned.get("date_from")
        date_to = cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", "The last day is before the first day.")
        return cleaned

    def filter(self, events):
        """Return ``events`` narrowed by the cleaned filters; call after is_valid()."""
        data = self.cleaned_data
        if data.get("event"):
            events = events.filter(event=data["event"])

        user = data.get("user", "").strip()
        if user:
            events = events.filter(
                Q(identifier__icontains=user)
                | Q(end_user__username__icontains=user)
                | Q(end_user__email__icontains=user)
                | Q(end_user__phone__icontains=user)
            )

        if data.get("app"):
            events = events.filter(application=data["app"])

        # The first and last representable dates bound nothing, and shifting
        # them by a day or a time zone would overflow.
        if data.get("date_from") and data["date_from"] > datetime.date.min:
            events = events.filter(created_at__gte=start_of_day(data["date_from"]))
        if data.get("date_to") and data["date_to"] < datetime.date.max:
            next_day = data["date_to"] + datetime.timedelta(days=1)
            events = events.filter(created_at__lt=start_of_day(next_day))
        return events


def start_of_day(day):
    """Return midnight of ``day`` in the current time zone, as an aware datetime."""
    return datetime.datetime.combine(
        day, datetime.time.min, tzinfo=timezone.get_current_timezone()
    )
