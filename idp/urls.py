"""Root URLs: the administrator console and the hosted login."""

from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:home", permanent=False)),
    path("console/", include("console.urls")),
    path("login/<str:client_id>/face/", include("mfa_face.urls")),
    path("login/<str:client_id>/", include("authn.urls")),
]

handler500 = "idp.views.server_error"
