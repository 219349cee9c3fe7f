from django.apps import AppConfig


class ScanCodeConfig(AppConfig):
    name = "scan_code"
    verbose_name = "Scan-code sign-in"
