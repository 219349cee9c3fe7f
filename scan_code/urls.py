"""URLs of scan-code sign-in; idp/urls.py mounts them at /login/<client id>/scan/."""

from django.urls import path

from . import views

app_name = "scan_code"

urlpatterns = [
    path("", views.ScanStartView.as_view(), name="start"),
    path("<uuid:code_id>/status/", views.ScanStatusView.as_view(), name="status"),
    path("<uuid:code_id>/complete/", views.ScanCompleteView.as_view(), name="complete"),
    # The one-time URL in the QR code, opened on the phone.
    path("c/<str:token>/", views.PhoneView.as_view(), name="phone"),
]
