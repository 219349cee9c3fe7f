from django.apps import AppConfig


class MfaFaceConfig(AppConfig):
    name = "mfa_face"
    verbose_name = "Face Recognition MFA"
