from django.apps import AppConfig


class MfaFaceConfig(AppConfig):
    name = "mfa_face"
    verbose_name = "Face Recognition MFA"

    def ready(self):
        # Registers the system checks of the face factor's settings.
        from . import checks  # noqa: F401
