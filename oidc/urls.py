"""Endpoints of one pool's OpenID provider; idp/urls.py mounts them at
/oidc/<pool id>/, which is also the pool's issuer identifier."""

from django.urls import path

from . import views

app_name = "oidc"

urlpatterns = [
    # OpenID Connect Discovery 1.0, section 4: the issuer followed by this path,
    # without a trailing slash.
    path(
        ".well-known/openid-configuration",
        views.DiscoveryView.as_view(),
        name="discovery",
    ),
    path("jwks/", views.JwksView.as_view(), name="jwks"),
    path("authorize/", views.AuthorizationView.as_view(), name="authorize"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("userinfo/", views.UserInfoView.as_view(), name="userinfo"),
    path("logout/", views.EndSessionView.as_view(), name="end_session"),
]
