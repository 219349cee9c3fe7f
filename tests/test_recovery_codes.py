"""Recovery codes: issue, single use, normalisation, throttling, storage."""

import re
from datetime import timedelta

import django_otp
import pytest
from django.utils import timezone

from authn.models import EndUser
from mfa_recovery import factor
from mfa_recovery.models import (
    ALPHABET,
    RecoveryCode,
    RecoveryCodeDevice,
    hash_code,
    normalize_code,
)

pytestmark = pytest.mark.django_db

CODE_FORMAT = re.compile(rf"^[{ALPHABET}]{{5}}-[{ALPHABET}]{{5}}$")


@pytest.fixture
def codes(end_user):
    return factor.issue_codes(end_user)


@pytest.fixture
def other_user(pool):
    user = EndUser(pool=pool, username="bob")
    user.set_password("another long password")
    user.save()
    return user


def device_of(user):
    return RecoveryCodeDevice.objects.get(user=user)


def allow_next_attempt(user):
    """Move the last failure an hour back, past any throttling delay."""
    RecoveryCodeDevice.objects.filter(user=user).update(
        throttling_failure_timestamp=timezone.now() - timedelta(hours=1)
    )


def typed_sloppily(code):
    """Return ``code`` in lower case, without the dash, with look-alike letters."""
    return code.replace("-", " ").lower().replace("0", "o").replace("1", "l")


def test_issue_returns_ten_codes(codes):
    assert len(codes) == 10


def test_issued_codes_are_distinct(codes):
    assert len(set(codes)) == len(codes)


def test_issued_codes_have_grouped_format(codes):
    for code in codes:
        assert CODE_FORMAT.match(code), code


def test_issue_count_follows_setting(settings, end_user):
    settings.MFA_RECOVERY_CODE_COUNT = 3
    assert len(factor.issue_codes(end_user)) == 3


def test_codes_are_stored_only_as_hashes(end_user, codes):
    stored = list(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert len(stored) == 10
    for code in codes:
        assert code not in stored
        assert normalize_code(code) not in stored
    for code_hash in stored:
        assert re.fullmatch(r"[0-9a-f]{64}", code_hash)


def test_same_code_of_two_users_hashes_differently(end_user, other_user, codes):
    factor.issue_codes(other_user)
    first = hash_code(device_of(end_user).salt, "ABCDEFGHJK")
    second = hash_code(device_of(other_user).salt, "ABCDEFGHJK")
    assert first != second


def test_remaining_counts_unused_codes(end_user, codes):
    assert factor.remaining(end_user) == 10


def test_use_code_returns_codes_left(end_user, codes):
    assert factor.use_code(end_user, codes[0]) == 9


def test_used_code_is_rejected_second_time(end_user, codes):
    factor.use_code(end_user, codes[0])
    allow_next_attempt(end_user)
    assert factor.use_code(end_user, codes[0]) is None


def test_last_code_returns_zero(settings, end_user):
    settings.MFA_RECOVERY_CODE_COUNT = 1
    (code,) = factor.issue_codes(end_user)
    assert factor.use_code(end_user, code) == 0


def test_code_typed_sloppily_is_accepted(end_user, codes):
    assert factor.use_code(end_user, typed_sloppily(codes[3])) == 9


def test_normalize_removes_dashes_spaces_case():
    assert normalize_code(" ab cde-\tfghjk\n") == "ABCDEFGHJK"


def test_normalize_maps_look_alike_letters():
    assert normalize_code("ILO") == "110"


def test_wrong_code_is_rejected(end_user, codes):
    assert factor.use_code(end_user, "AAAAA-AAAAA") is None


def test_wrong_code_keeps_every_code(end_user, codes):
    factor.use_code(end_user, "AAAAA-AAAAA")
    assert factor.remaining(end_user) == 10


def test_wrong_code_counts_a_failure(end_user, codes):
    factor.use_code(end_user, "AAAAA-AAAAA")
    assert device_of(end_user).throttling_failure_count == 1


def test_overlong_input_is_rejected(end_user, codes):
    assert factor.use_code(end_user, codes[0] + " " * 100) is None


def test_right_code_while_throttled_raises(settings, end_user, codes):
    settings.MFA_RECOVERY_THROTTLE_FACTOR = 60
    factor.use_code(end_user, "AAAAA-AAAAA")
    with pytest.raises(factor.CodesThrottled) as raised:
        factor.use_code(end_user, codes[0])
    assert raised.value.locked_until == factor.locked_until(end_user)


def test_throttled_attempt_consumes_nothing(settings, end_user, codes):
    settings.MFA_RECOVERY_THROTTLE_FACTOR = 60
    factor.use_code(end_user, "AAAAA-AAAAA")
    with pytest.raises(factor.CodesThrottled):
        factor.use_code(end_user, codes[0])
    assert factor.remaining(end_user) == 10


def test_locked_until_after_failure(settings, end_user, codes):
    settings.MFA_RECOVERY_THROTTLE_FACTOR = 60
    before = timezone.now()
    factor.use_code(end_user, "AAAAA-AAAAA")
    until = factor.locked_until(end_user)
    assert until is not None
    assert until >= before + timedelta(seconds=60)


def test_locked_until_is_none_without_failure(end_user, codes):
    assert factor.locked_until(end_user) is None


def test_locked_until_is_none_without_codes(end_user):
    assert factor.locked_until(end_user) is None


def test_delay_doubles_per_failure(settings, end_user, codes):
    settings.MFA_RECOVERY_THROTTLE_FACTOR = 60
    factor.use_code(end_user, "AAAAA-AAAAA")
    allow_next_attempt(end_user)
    factor.use_code(end_user, "AAAAA-AAAAA")
    device = device_of(end_user)
    delay = factor.locked_until(end_user) - device.throttling_failure_timestamp
    assert delay == timedelta(seconds=120)


def test_throttle_factor_zero_disables_delay(settings, end_user, codes):
    settings.MFA_RECOVERY_THROTTLE_FACTOR = 0
    factor.use_code(end_user, "AAAAA-AAAAA")
    assert factor.use_code(end_user, codes[0]) == 9


def test_success_resets_failure_count(end_user, codes):
    factor.use_code(end_user, "AAAAA-AAAAA")
    allow_next_attempt(end_user)
    factor.use_code(end_user, codes[0])
    assert device_of(end_user).throttling_failure_count == 0


def test_success_sets_last_used(end_user, codes):
    factor.use_code(end_user, codes[0])
    assert device_of(end_user).last_used_at is not None


def test_reissue_invalidates_old_codes(end_user, codes):
    factor.issue_codes(end_user)
    assert factor.use_code(end_user, codes[0]) is None


def test_reissue_keeps_one_device(end_user, codes):
    factor.issue_codes(end_user)
    assert RecoveryCodeDevice.objects.filter(user=end_user).count() == 1


def test_reissue_resets_throttling(end_user, codes):
    factor.use_code(end_user, "AAAAA-AAAAA")
    factor.issue_codes(end_user)
    assert device_of(end_user).throttling_failure_count == 0


def test_code_of_other_user_is_rejected(end_user, other_user, codes):
    factor.issue_codes(other_user)
    assert factor.use_code(other_user, codes[0]) is None


def test_use_code_without_codes_is_none(end_user):
    assert factor.use_code(end_user, "AAAAA-AAAAA") is None


def test_remaining_without_codes_is_zero(end_user):
    assert factor.remaining(end_user) == 0


def test_revoke_deletes_codes(end_user, codes):
    factor.revoke_codes(end_user)
    assert factor.remaining(end_user) == 0
    assert not RecoveryCodeDevice.objects.filter(user=end_user).exists()


def test_revoke_returns_unused_count(end_user, codes):
    factor.use_code(end_user, codes[0])
    assert factor.revoke_codes(end_user) == 9


def test_deleting_user_deletes_codes(end_user, codes):
    end_user.delete()
    assert not RecoveryCode.objects.exists()


def test_django_otp_match_token_finds_device(end_user, codes):
    matched = django_otp.match_token(end_user, codes[0])
    assert isinstance(matched, RecoveryCodeDevice)
    assert factor.remaining(end_user) == 9
