"""Django system checks of the hosted login's settings."""

from django.conf import settings
from django.core import checks

# Cache backends whose contents another process cannot see.
PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@checks.register(checks.Tags.security, deploy=True)
def check_shared_throttle_cache(app_configs=None, **kwargs):
    """Warn when failed password sign-ins would be counted per process."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend not in PER_PROCESS_CACHES:
        return []
    return [
        checks.Warning(
            f"The default cache is {backend}, so each server process counts "
            "failed password sign-ins on its own and the limits grow with the "
            "number of workers.",
            hint="Set REDIS_URL, for example redis://127.0.0.1:6379/0.",
            id="authn.W001",
        )
    ]
