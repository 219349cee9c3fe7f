"""Root URLs: the administrator console, the hosted login and the OpenID providers."""

from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:home", permanent=False)),
    path("console/", include("console.urls")),
    path("console/pools/<int:pool_id>/audit/", include("audit.urls")),
    path("login/<str:client_id>/face/", include("mfa_face.urls")),
    path("login/<str:client_id>/recovery/", include("mfa_recovery.urls")),
    path("login/<str:client_id>/scan/", include("scan_code.urls")),
    path("login/<str:client_id>/", include("authn.urls")),
    # Each pool's issuer identifier is this prefix; see oidc/issuer.py.
    path("oidc/<int:pool_id>/", include("oidc.urls")),
]

handler400 = "idp.views.bad_request"
handler404 = "idp.views.not_found"
handler500 = "idp.views.server_error"
