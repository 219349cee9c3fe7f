from django.urls import path

from . import views

app_name = "mfa_recovery"

urlpatterns = [
    path("", views.RecoveryCodeSignInView.as_view(), name="use"),
    path("new/", views.NewRecoveryCodesView.as_view(), name="new"),
]
