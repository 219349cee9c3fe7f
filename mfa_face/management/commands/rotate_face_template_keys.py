"""Re-encrypt every face template with the first of FACE_TEMPLATE_KEYS."""

from django.core.management.base import BaseCommand

from mfa_face.models import FaceDevice


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored face template with the first key of "
        "FACE_TEMPLATE_KEYS. Run it after putting a new key first; then the old "
        "keys can be removed."
    )

    def handle(self, *args, **options):
        count = 0
        for device in FaceDevice.objects.iterator():
            # Loading decrypts with any configured key; saving encrypts with
            # the first.
            device.save(update_fields=["template"])
            count += 1
        self.stdout.write(f"Re-encrypted {count} face templates.")
