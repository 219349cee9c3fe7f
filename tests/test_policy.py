"""The MFA rule as a table over every combination of switches."""

import itertools

import pytest

from authn.models import Application, IdentitySource, UserPool
from authn.policy import face_mfa_required


def expected(custom, app_face, pool_face, source_on):
    if custom:
        return app_face
    return pool_face and source_on


CASES = list(itertools.product([False, True], repeat=4))


@pytest.mark.parametrize("source", [IdentitySource.PASSWORD, IdentitySource.SCAN_CODE])
@pytest.mark.parametrize(("custom", "app_face", "pool_face", "source_on"), CASES)
def test_face_mfa_required_table(source, custom, app_face, pool_face, source_on):
    pool = UserPool(
        name="p",
        face_mfa_enabled=pool_face,
        mfa_on_password=source_on
        if source == IdentitySource.PASSWORD
        else not source_on,
        mfa_on_scan_code=source_on
        if source == IdentitySource.SCAN_CODE
        else not source_on,
    )
    app = Application(
        pool=pool, name="a", custom_security_rules=custom, face_mfa_enabled=app_face
    )

    assert face_mfa_required(pool, app, source) is expected(
        custom, app_face, pool_face, source_on
    )
