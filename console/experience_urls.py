"""URLs of Experience Login, included by console/urls.py."""

from django.urls import path

from . import experience

urlpatterns = [
    path(
        "pools/<int:pool_id>/apps/<int:app_id>/experience/",
        experience.ExperienceStartView.as_view(),
        name="experience_start",
    ),
    # One fixed redirect URI per host, registered on every app that uses
    # Experience Login.
    path(
        "experience/callback/",
        experience.ExperienceCallbackView.as_view(),
        name="experience_callback",
    ),
    path(
        "experience/signed-out/",
        experience.ExperienceSignedOutView.as_view(),
        name="experience_signed_out",
    ),
]
