"""Experience Login: lets an administrator try an app's hosted login."""

from django.urls import reverse


def experience_login_url(app):
    """Return the URL the Experience Login button opens for ``app``."""
    return reverse("authn:login", args=[app.client_id])
