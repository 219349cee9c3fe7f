from django.apps import AppConfig


class MfaRecoveryConfig(AppConfig):
    name = "mfa_recovery"
    verbose_name = "Recovery codes"
