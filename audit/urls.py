"""URLs of the audit log, included under console/pools/<int:pool_id>/audit/."""

from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.EventListView.as_view(), name="event_list"),
]
