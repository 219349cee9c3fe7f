"""Encryption at rest for face templates, with key rotation.

Templates are encrypted with Fernet (AES-128-CBC with HMAC-SHA256, from the
``cryptography`` package) under a list of keys read from ``FACE_TEMPLATE_KEYS``:
the Django setting when it is defined, else the environment variable of the
same name. Either contains comma-separated Fernet keys, as printed by
``python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``.
The first key encrypts; every key decrypts.

Rotating keys:

1. Put the new key first and keep the old ones after it, then restart the app.
   New and re-saved templates use the new key, old ones still decrypt.
2. Re-encrypt the stored templates with the first key: :func:`rotate` does it for
   one value, and re-saving a model instance whose field is an
   :class:`EncryptedBinaryField` does the same.
3. Remove the old key and restart.

In development, when no key is configured, one key is generated into
``.face_template_key`` next to ``manage.py`` (ignored by git) so templates stay
readable across restarts. Production (``settings.PRODUCTION``) has no fallback
and raises ImproperlyConfigured instead.
"""

import os
import secrets
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

KEY_SETTING = "FACE_TEMPLATE_KEYS"
KEY_FILE_NAME = ".face_template_key"


class DecryptionFailed(ValueError):
    """Stored data that no configured key can decrypt."""

    def __init__(self):
        super().__init__(
            "A face template cannot be decrypted with any key in FACE_TEMPLATE_KEYS: "
            "the key that encrypted it was removed, or the stored value was altered. "
            "Add the old key back after the current one."
        )


def encrypt(data: bytes) -> bytes:
    """Encrypt ``data`` with the first configured key.

    :param data: plaintext bytes (a bytearray or memoryview is accepted too).
    :returns: a Fernet token: URL-safe base64 ASCII bytes that also record the
        encryption time. Encrypting the same data twice gives different tokens.
    :raises ImproperlyConfigured: no key is configured in production, or a key
        is not a valid Fernet key.
    """
    return _fernet().encrypt(bytes(data))


def decrypt(token: bytes) -> bytes:
    """Decrypt a token made by :func:`encrypt` with any configured key.

    :raises DecryptionFailed: no key fits or the token was altered.
    """
    try:
        return _fernet().decrypt(bytes(token))
    except InvalidToken as error:
        raise DecryptionFailed() from error


def rotate(token: bytes) -> bytes:
    """Re-encrypt ``token`` with the first configured key.

    The plaintext never leaves this function. The result keeps the token's
    original timestamp, as ``MultiFernet.rotate`` does.

    :raises DecryptionFailed: no key fits or the token was altered.
    """
    try:
        return _fernet().rotate(bytes(token))
    except InvalidToken as error:
        raise DecryptionFailed() from error


def configured_keys() -> list[str]:
    """Return the Fernet keys in use, the encrypting key first.

    :raises ImproperlyConfigured: no key is set while ``settings.PRODUCTION`` is
        true.
    """
    value = getattr(settings, KEY_SETTING, None)
    if value is None:
        value = os.environ.get(KEY_SETTING, "")
    if isinstance(value, str):
        value = value.split(",")
    keys = [key.strip() for key in value if key and key.strip()]
    if keys:
        return keys

    if getattr(settings, "PRODUCTION", False):
        raise ImproperlyConfigured(
            "FACE_TEMPLATE_KEYS must be set when IDP_ENVIRONMENT=production: "
            "give one or more comma-separated Fernet keys, the newest first."
        )
    return [development_key(Path(settings.BASE_DIR) / KEY_FILE_NAME)]


def development_key(path: Path) -> str:
    """Return the key stored in ``path``, generating the file on first use.

    The file is written to a temporary name and then hard-linked into place, so
    two processes that start together (gunicorn workers) end up with the same
    key: the second link fails and that process reads the first one's file.
    """
    if not path.exists():
        temporary = path.with_name(f"{path.name}.{secrets.token_hex(8)}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as key_file:
            key_file.write(Fernet.generate_key().decode("ascii"))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip()


def _fernet() -> MultiFernet:
    return _build_fernet(tuple(configured_keys()))


@lru_cache(maxsize=8)
def _build_fernet(keys: tuple[str, ...]) -> MultiFernet:
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except ValueError as error:
            # The key itself is never put in the message.
            raise ImproperlyConfigured(
                f"Key {position} of FACE_TEMPLATE_KEYS is not a valid Fernet key: "
                "it must be 32 bytes in URL-safe base64 (44 characters)."
            ) from error
    return MultiFernet(fernets)


class EncryptedBinaryField(models.BinaryField):
    """A BinaryField stored as a Fernet token, plaintext bytes in Python.

    Values are encrypted on the way to the database and decrypted when loaded,
    so the database alone never reveals them. Serialization (``dumpdata``)
    writes the token, not the plaintext, and ``loaddata`` decrypts it again, so
    a fixture file needs the key too. Because every encryption is randomised,
    filtering on this field (``exact``, ``in``) never matches: look rows up by
    another field.
    """

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return decrypt(value)

    def to_python(self, value):
        # Deserializers pass the token string that value_to_string wrote.
        if isinstance(value, str):
            return decrypt(value.encode("ascii"))
        return super().to_python(value)

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        if value is None:
            return None
        return encrypt(value).decode("ascii")
