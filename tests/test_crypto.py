"""Encryption at rest of face templates: keys, rotation and the model field."""

import stat

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models
from django.test.utils import isolate_apps

from idp import crypto
from idp.crypto import DecryptionFailed, EncryptedBinaryField

TEMPLATE = bytes(range(256)) * 4


@pytest.fixture
def key():
    return Fernet.generate_key().decode()


@pytest.fixture
def old_key():
    return Fernet.generate_key().decode()


@pytest.fixture
def keys(settings, key):
    settings.FACE_TEMPLATE_KEYS = [key]
    return [key]


def test_round_trip_returns_plaintext(keys):
    assert crypto.decrypt(crypto.encrypt(TEMPLATE)) == TEMPLATE


def test_token_does_not_contain_plaintext(keys):
    token = crypto.encrypt(b"descriptor-bytes-0123456789")
    assert b"descriptor-bytes" not in token


def test_same_data_encrypts_differently(keys):
    assert crypto.encrypt(TEMPLATE) != crypto.encrypt(TEMPLATE)


def test_old_key_still_decrypts_after_new_key_added(settings, key, old_key):
    settings.FACE_TEMPLATE_KEYS = [old_key]
    token = crypto.encrypt(TEMPLATE)
    settings.FACE_TEMPLATE_KEYS = [key, old_key]
    assert crypto.decrypt(token) == TEMPLATE


def test_new_tokens_use_first_key(settings, key, old_key):
    settings.FACE_TEMPLATE_KEYS = [key, old_key]
    token = crypto.encrypt(TEMPLATE)
    assert Fernet(key).decrypt(token) == TEMPLATE


def test_rotate_lets_old_key_be_removed(settings, key, old_key):
    settings.FACE_TEMPLATE_KEYS = [old_key]
    token = crypto.encrypt(TEMPLATE)
    settings.FACE_TEMPLATE_KEYS = [key, old_key]
    rotated = crypto.rotate(token)
    settings.FACE_TEMPLATE_KEYS = [key]
    assert crypto.decrypt(rotated) == TEMPLATE


def test_removed_key_cannot_decrypt(settings, key, old_key):
    settings.FACE_TEMPLATE_KEYS = [old_key]
    token = crypto.encrypt(TEMPLATE)
    settings.FACE_TEMPLATE_KEYS = [key]
    with pytest.raises(DecryptionFailed):
        crypto.decrypt(token)


def test_altered_token_cannot_decrypt(keys):
    token = bytearray(crypto.encrypt(TEMPLATE))
    token[40] = ord("A") if token[40] != ord("A") else ord("B")
    with pytest.raises(DecryptionFailed):
        crypto.decrypt(bytes(token))


def test_rotate_of_unknown_token_fails(keys, old_key):
    token = Fernet(old_key).encrypt(TEMPLATE)
    with pytest.raises(DecryptionFailed):
        crypto.rotate(token)


def test_keys_from_comma_separated_setting(settings, key, old_key):
    settings.FACE_TEMPLATE_KEYS = f" {key} , {old_key} ,"
    assert crypto.configured_keys() == [key, old_key]


def test_keys_from_environment_without_setting(settings, monkeypatch, key, old_key):
    settings.FACE_TEMPLATE_KEYS = None
    monkeypatch.setenv("FACE_TEMPLATE_KEYS", f"{key},{old_key}")
    assert crypto.configured_keys() == [key, old_key]


def test_invalid_key_is_improperly_configured(settings, key):
    settings.FACE_TEMPLATE_KEYS = [key, "not-a-fernet-key"]
    with pytest.raises(ImproperlyConfigured, match="Key 2 of FACE_TEMPLATE_KEYS"):
        crypto.encrypt(TEMPLATE)


def test_invalid_key_message_hides_key(settings):
    settings.FACE_TEMPLATE_KEYS = ["secret-looking-value"]
    with pytest.raises(ImproperlyConfigured) as raised:
        crypto.encrypt(TEMPLATE)
    assert "secret-looking-value" not in str(raised.value)


def test_production_without_keys_is_improperly_configured(
    settings, monkeypatch, tmp_path
):
    settings.PRODUCTION = True
    settings.FACE_TEMPLATE_KEYS = []
    settings.BASE_DIR = tmp_path
    monkeypatch.delenv("FACE_TEMPLATE_KEYS", raising=False)
    with pytest.raises(ImproperlyConfigured, match="FACE_TEMPLATE_KEYS must be set"):
        crypto.encrypt(TEMPLATE)


def test_production_without_keys_writes_no_key_file(settings, monkeypatch, tmp_path):
    settings.PRODUCTION = True
    settings.FACE_TEMPLATE_KEYS = []
    settings.BASE_DIR = tmp_path
    monkeypatch.delenv("FACE_TEMPLATE_KEYS", raising=False)
    with pytest.raises(ImproperlyConfigured):
        crypto.configured_keys()
    assert not (tmp_path / ".face_template_key").exists()


@pytest.fixture
def development_without_keys(settings, monkeypatch, tmp_path):
    settings.PRODUCTION = False
    settings.FACE_TEMPLATE_KEYS = []
    settings.BASE_DIR = tmp_path
    monkeypatch.delenv("FACE_TEMPLATE_KEYS", raising=False)
    return tmp_path / ".face_template_key"


def test_development_generates_key_file(development_without_keys):
    keys = crypto.configured_keys()
    assert keys == [development_without_keys.read_text()]


def test_development_key_file_is_private(development_without_keys):
    crypto.configured_keys()
    mode = stat.S_IMODE(development_without_keys.stat().st_mode)
    assert mode == 0o600


def test_development_key_survives_restart(development_without_keys):
    token = crypto.encrypt(TEMPLATE)
    crypto._build_fernet.cache_clear()
    assert crypto.decrypt(token) == TEMPLATE


def test_development_key_file_leaves_no_temporary_file(development_without_keys):
    crypto.configured_keys()
    crypto.configured_keys()
    names = sorted(path.name for path in development_without_keys.parent.iterdir())
    assert names == [".face_template_key"]


def test_development_key_is_not_regenerated(development_without_keys, key):
    development_without_keys.write_text(key + "\n")
    assert crypto.configured_keys() == [key]


def test_field_prep_value_is_token(keys):
    token = EncryptedBinaryField().get_prep_value(TEMPLATE)
    assert crypto.decrypt(token) == TEMPLATE


def test_field_prep_value_accepts_memoryview(keys):
    token = EncryptedBinaryField().get_prep_value(memoryview(TEMPLATE))
    assert crypto.decrypt(token) == TEMPLATE


def test_field_from_db_value_decrypts(keys):
    token = crypto.encrypt(TEMPLATE)
    field = EncryptedBinaryField()
    assert field.from_db_value(memoryview(token), None, connection) == TEMPLATE


def test_field_keeps_null(keys):
    field = EncryptedBinaryField(null=True)
    assert field.get_prep_value(None) is None
    assert field.from_db_value(None, None, connection) is None


def test_field_serializes_token_not_plaintext(keys):
    class Holder:
        template = TEMPLATE

    field = EncryptedBinaryField()
    field.attname = "template"
    text = field.value_to_string(Holder())
    assert crypto.decrypt(text.encode()) == TEMPLATE


def test_field_deserializes_token(keys):
    text = crypto.encrypt(TEMPLATE).decode()
    assert EncryptedBinaryField().to_python(text) == TEMPLATE


# The round trip through a real table uses a model in an isolated app registry,
# so the project's models and migrations never see it. The schema editor
# creates and drops its table around the test, and because SQLite's schema
# editor cannot run inside a transaction, the test uses transactional_db.
@isolate_apps("idp")
def test_database_stores_only_ciphertext(transactional_db, keys):
    class Sealed(models.Model):
        template = EncryptedBinaryField()

        class Meta:
            app_label = "idp"
            db_table = "test_crypto_sealed"

        def __str__(self):
            return f"sealed {self.pk}"

    with connection.schema_editor() as editor:
        editor.create_model(Sealed)
    try:
        row = Sealed.objects.create(template=TEMPLATE)
        with connection.cursor() as cursor:
            cursor.execute("SELECT template FROM test_crypto_sealed")
            raw = bytes(cursor.fetchone()[0])
        loaded = Sealed.objects.get(pk=row.pk)
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(Sealed)

    assert TEMPLATE[:64] not in raw
    assert crypto.decrypt(raw) == TEMPLATE
    assert loaded.template == TEMPLATE
