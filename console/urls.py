from django.urls import include, path

from . import views

app_name = "console"

pool = "pools/<int:pool_id>/"
app = pool + "apps/<int:app_id>/"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("register/", views.RegisterView.as_view(), name="register"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("pools/", views.PoolListView.as_view(), name="pool_list"),
    path("pools/new/", views.PoolCreateView.as_view(), name="pool_create"),
    path("pools/switch/", views.PoolSwitchView.as_view(), name="pool_switch"),
    path(pool + "apps/", views.AppListView.as_view(), name="app_list"),
    path(pool + "apps/new/", views.AppCreateView.as_view(), name="app_create"),
    path(app, views.AppDetailView.as_view(), name="app_detail"),
    path(
        app + "custom-security-rules/",
        views.AppCustomRulesView.as_view(),
        name="app_custom_rules",
    ),
    path(app + "face-mfa/", views.AppFaceMfaView.as_view(), name="app_face_mfa"),
    path(pool + "security/mfa/", views.PoolMfaView.as_view(), name="pool_mfa"),
    path(
        pool + "security/mfa/face/",
        views.PoolFaceMfaView.as_view(),
        name="pool_face_mfa",
    ),
    path(
        pool + "security/mfa/sources/password/",
        views.PoolPasswordSourceView.as_view(),
        name="pool_mfa_password",
    ),
    path(
        pool + "security/mfa/sources/scan-code/",
        views.PoolScanCodeSourceView.as_view(),
        name="pool_mfa_scan_code",
    ),
    path(pool + "users/", views.UserListView.as_view(), name="user_list"),
    path(pool + "users/new/", views.UserCreateView.as_view(), name="user_create"),
    path("", include("console.experience_urls")),
]
