from django.apps import AppConfig


class AuthnConfig(AppConfig):
    name = "authn"
    verbose_name = "Authentication"

    def ready(self):
        # Registers the system checks of the hosted login's settings.
        from . import checks  # noqa: F401
