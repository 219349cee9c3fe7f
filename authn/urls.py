from django.urls import path

from . import views

app_name = "authn"

urlpatterns = [
    path("", views.SignInView.as_view(), name="login"),
    path("done/", views.SignedInView.as_view(), name="done"),
    path("me/", views.CurrentUserView.as_view(), name="me"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("cancel/", views.CancelView.as_view(), name="cancel"),
]
