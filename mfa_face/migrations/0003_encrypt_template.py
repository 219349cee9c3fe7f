import idp.crypto
from django.db import migrations


def encrypt_templates(apps, schema_editor):
    # The historical field is still a plain BinaryField here, so the stored
    # bytes are the plaintext descriptors.
    FaceDevice = apps.get_model("mfa_face", "FaceDevice")
    for device in FaceDevice.objects.iterator():
        FaceDevice.objects.filter(pk=device.pk).update(
            template=idp.crypto.encrypt(bytes(device.template))
        )


def decrypt_templates(apps, schema_editor):
    FaceDevice = apps.get_model("mfa_face", "FaceDevice")
    for device in FaceDevice.objects.iterator():
        FaceDevice.objects.filter(pk=device.pk).update(
            template=idp.crypto.decrypt(bytes(device.template))
        )


class Migration(migrations.Migration):
    dependencies = [
        ("mfa_face", "0002_enrollment_quality"),
    ]

    operations = [
        migrations.RunPython(encrypt_templates, decrypt_templates),
        migrations.AlterField(
            model_name="facedevice",
            name="template",
            field=idp.crypto.EncryptedBinaryField(),
        ),
    ]
