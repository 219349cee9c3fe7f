"""Response headers that Django's SecurityMiddleware does not set."""


class PermissionsPolicyMiddleware:
    """Add ``Permissions-Policy`` from the ``PERMISSIONS_POLICY`` setting.

    The camera is allowed for this origin only, because the face step needs
    it; every other powerful feature listed in the setting is off.
    """

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(allowlist)})"
            for feature, allowlist in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response
