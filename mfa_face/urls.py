from django.urls import path

from . import views

app_name = "mfa_face"

urlpatterns = [
    path("", views.FaceStepView.as_view(), name="step"),
    path("challenge/", views.ChallengeView.as_view(), name="challenge"),
    path("enroll/", views.EnrollView.as_view(), name="enroll"),
    path("verify/", views.VerifyView.as_view(), name="verify"),
    path("recheck/", views.FaceRecheckView.as_view(), name="recheck"),
    path("delete/", views.FaceDataDeleteView.as_view(), name="delete"),
]
