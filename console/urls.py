from django.urls import include, path

from .views import account, apps, pools, security, users

app_name = "console"

pool = "pools/<int:pool_id>/"
app = pool + "apps/<int:app_id>/"
end_user = pool + "users/<int:user_id>/"

urlpatterns = [
    path("", pools.HomeView.as_view(), name="home"),
    # Account
    path("register/", account.RegisterView.as_view(), name="register"),
    path("login/", account.SignInView.as_view(), name="login"),
    path("logout/", account.SignOutView.as_view(), name="logout"),
    path(
        "account/password/",
        account.PasswordChangeView.as_view(),
        name="password_change",
    ),
    # User pools
    path("pools/", pools.PoolListView.as_view(), name="pool_list"),
    path("pools/new/", pools.PoolCreateView.as_view(), name="pool_create"),
    path("pools/switch/", pools.PoolSwitchView.as_view(), name="pool_switch"),
    path(pool + "rename/", pools.PoolRenameView.as_view(), name="pool_rename"),
    path(pool + "delete/", pools.PoolDeleteView.as_view(), name="pool_delete"),
    # Applications -> Self-built Apps
    path(pool + "apps/", apps.AppListView.as_view(), name="app_list"),
    path(pool + "apps/new/", apps.AppCreateView.as_view(), name="app_create"),
    path(app, apps.AppDetailView.as_view(), name="app_detail"),
    path(app + "basic/", apps.AppBasicView.as_view(), name="app_basic"),
    path(
        app + "secret/rotate/",
        apps.AppSecretRotateView.as_view(),
        name="app_secret_rotate",
    ),
    path(app + "delete/", apps.AppDeleteView.as_view(), name="app_delete"),
    path(
        app + "custom-security-rules/",
        apps.AppCustomRulesView.as_view(),
        name="app_custom_rules",
    ),
    path(app + "face-mfa/", apps.AppFaceMfaView.as_view(), name="app_face_mfa"),
    # Security Settings -> Multi-factor Authentication
    path(pool + "security/mfa/", security.PoolMfaView.as_view(), name="pool_mfa"),
    path(
        pool + "security/mfa/face/",
        security.PoolFaceMfaView.as_view(),
        name="pool_face_mfa",
    ),
    path(
        pool + "security/mfa/liveness/",
        security.PoolLivenessView.as_view(),
        name="pool_liveness",
    ),
    path(
        pool + "security/mfa/sources/password/",
        security.PoolPasswordSourceView.as_view(),
        name="pool_mfa_password",
    ),
    path(
        pool + "security/mfa/sources/scan-code/",
        security.PoolScanCodeSourceView.as_view(),
        name="pool_mfa_scan_code",
    ),
    # User Management
    path(pool + "users/", users.UserListView.as_view(), name="user_list"),
    path(pool + "users/new/", users.UserCreateView.as_view(), name="user_create"),
    path(end_user, users.UserDetailView.as_view(), name="user_detail"),
    path(end_user + "enable/", users.UserEnableView.as_view(), name="user_enable"),
    path(end_user + "disable/", users.UserDisableView.as_view(), name="user_disable"),
    path(
        end_user + "face/reset/",
        users.UserResetFaceView.as_view(),
        name="user_reset_face",
    ),
    path(end_user + "delete/", users.UserDeleteView.as_view(), name="user_delete"),
    path("", include("console.experience_urls")),
]
