"""Steps of the hosted login that several browser tests take."""

from playwright.sync_api import expect

RECOVERY_CODE_COUNT = 10


def finish_enrollment(page, timeout_ms):
    """Wait for the recovery codes shown after enrollment, then continue.

    :returns: the codes as the page lists them.
    """
    codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(codes).to_have_count(RECOVERY_CODE_COUNT, timeout=timeout_ms)
    listed = [text.strip() for text in codes.all_inner_texts()]
    page.get_by_role("link", name="I have saved these codes").click()
    return listed
