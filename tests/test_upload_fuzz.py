"""Bad uploads to the face endpoints: each is a 4xx JSON rejection, never a 5xx.

Every upload carries a fresh challenge nonce unless the case is about the
nonce, so that the frames reach the image decoder. The pool's liveness is off,
so a single frame is a complete attempt. Every case also checks that the face
device table is unchanged. The fuzz tests
use hypothesis with derandomize=True and no example database, so every run
tries the same inputs and a failure reproduces on any machine.
"""

import io
import json
import re
import struct
import zlib

import numpy as np
import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image

from authn import transaction as login
from authn.models import LivenessLevel
from mfa_face.models import FaceDevice

from .conftest import END_USER_PASSWORD
from .faces import face_bytes

pytestmark = pytest.mark.django_db

ENDPOINTS = ["enroll", "verify"]
OBAMA = "people/obama/obama.jpg"
ERROR_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
BOUNDARY = "fuzzboundary7MA4YWxkTrZu0gW"

FUZZ_SETTINGS = hypothesis_settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    # The fixtures sign in once; every example then posts into the same
    # pending sign-in, which a rejected upload leaves as it was.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# Uploads ----------------------------------------------------------------------


def encoded_image(image_format, size=(64, 48)):
    """Return a small JPEG or PNG of a color gradient, which shows no face."""
    width, height = size
    ramp = np.linspace(0, 255, width * height * 3).reshape(height, width, 3)
    buffer = io.BytesIO()
    Image.fromarray(ramp.astype(np.uint8)).save(buffer, format=image_format)
    return buffer.getvalue()


GRADIENT_JPEG = encoded_image("JPEG")
GRADIENT_PNG = encoded_image("PNG")


def png_with_declared_size(width, height):
    """Return a valid small PNG whose IHDR chunk claims ``width`` x ``height``.

    The chunk's CRC is recomputed, so only the pixel-count limit can reject it.
    """
    data = bytearray(GRADIENT_PNG)
    # Signature (8 bytes), chunk length (4), "IHDR" (4), then width and height.
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    chunk = bytes(data[12:29])
    data[29:33] = struct.pack(">I", zlib.crc32(chunk))
    return bytes(data)


def jpeg_with_declared_size(width, height):
    """Return a small JPEG whose SOF0 header claims ``width`` x ``height``."""
    data = bytearray(GRADIENT_JPEG)
    marker = data.index(b"\xff\xc0")
    # Marker (2), length (2), precision (1), then height and width.
    data[marker + 5 : marker + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def multipart_body(parts, boundary=BOUNDARY):
    """Encode ``parts`` as a multipart/form-data body.

    :param parts: (name, value, filename, content_type) tuples; ``filename``
        None makes a plain field.
    """
    lines = []
    for name, value, filename, content_type in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        lines.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode())
        if content_type is not None:
            lines.append(f"Content-Type: {content_type}\r\n".encode())
        lines.append(b"\r\n" + value + b"\r\n")
    lines.append(f"--{boundary}--\r\n".encode())
    return b"".join(lines)


def frame_part(data, content_type="image/jpeg", name="frame"):
    return (name, data, "frame-0.jpg", content_type)


# Fixtures and checks ----------------------------------------------------------


def sign_in(client, app):
    response = client.post(
        reverse("authn:login", args=[app.client_id]),
        {"identifier": "alice", "password": END_USER_PASSWORD},
    )
    assert response.status_code == 302


def pending_transaction_id(client, app):
    return client.session[login.SESSION_KEY][app.client_id]["id"]


def enrolled_device(user):
    """Store a face device directly; bad uploads never reach the comparison."""
    device = FaceDevice(user=user, name="Face", confirmed=True)
    device.descriptors = np.full((1, 128), 0.05)
    device.save()
    return device


@pytest.fixture(params=ENDPOINTS)
def endpoint(request, client, face_app, end_user):
    """A browser at the face step, and the URLs of one upload endpoint.

    The verify endpoint needs an enrolled face to get past its own 409, and the
    enroll endpoint needs none.
    """
    face_app.pool.liveness = LivenessLevel.OFF
    face_app.pool.save()
    if request.param == "verify":
        enrolled_device(end_user)
    sign_in(client, face_app)
    return {
        "url": reverse(f"mfa_face:{request.param}", args=[face_app.client_id]),
        "challenge_url": reverse("mfa_face:challenge", args=[face_app.client_id]),
        "transaction": pending_transaction_id(client, face_app),
    }


def fresh_nonce(browser, endpoint, headers=None):
    """Request the challenge nonce that the next upload must carry."""
    response = browser.post(
        endpoint["challenge_url"],
        {"transaction": endpoint["transaction"]},
        headers=headers or {},
    )
    assert response.status_code == 200, response.content
    return response.json()["nonce"]


def base_parts(browser, endpoint):
    """Return the transaction and challenge fields of a well-formed upload."""
    return [
        ("transaction", endpoint["transaction"].encode(), None, None),
        ("challenge", fresh_nonce(browser, endpoint).encode(), None, None),
    ]


def device_rows():
    return list(FaceDevice.objects.order_by("pk").values())


def post_parts(client, endpoint, parts, boundary=BOUNDARY):
    return client.generic(
        "POST",
        endpoint["url"],
        multipart_body(parts, boundary),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def post_frame(client, endpoint, data, content_type="image/jpeg"):
    parts = [*base_parts(client, endpoint), frame_part(data, content_type)]
    return post_parts(client, endpoint, parts)


def assert_client_error(response):
    assert 400 <= response.status_code < 500, (response.status_code, response.content)


def assert_json_rejection(response):
    """Check the status and the body shape every face-endpoint rejection has."""
    assert_client_error(response)
    assert response["Content-Type"].startswith("application/json"), response.content
    body = json.loads(response.content)
    assert ERROR_CODE.match(str(body.get("code", ""))), body
    assert isinstance(body.get("message"), str), body
    assert body["message"].strip(), body


# Property tests ---------------------------------------------------------------

FIELD_NAMES = st.one_of(
    # Repeats weight the draw towards the names the endpoints read.
    st.sampled_from(
        ["frame", "frame", "frame", "frame", "frames", "Frame", "frame[]", "photo"]
    ),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-0123456789", min_size=1, max_size=12),
)
CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            "image/jpeg",
            "image/png",
            "image/gif",
            "application/octet-stream",
            "text/plain",
            "application/json",
        ]
    ),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz/+.-;= ", max_size=30),
    st.none(),
)


@st.composite
def damaged_images(draw):
    """A gradient JPEG or PNG with some bytes overwritten and maybe truncated."""
    data = bytearray(draw(st.sampled_from([GRADIENT_JPEG, GRADIENT_PNG])))
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        position = draw(st.integers(min_value=0, max_value=len(data) - 1))
        data[position] = draw(st.integers(min_value=0, max_value=255))
    cut = draw(st.integers(min_value=0, max_value=len(data)))
    return bytes(data[:cut] if draw(st.booleans()) else data)


PAYLOADS = st.one_of(st.binary(max_size=4096), damaged_images())


@st.composite
def upload_parts(draw, transaction_id, nonce):
    """Random multipart parts: frames, other fields, the transaction and nonce."""
    parts = []
    for _ in range(draw(st.integers(min_value=0, max_value=10))):
        name = draw(FIELD_NAMES)
        value = draw(PAYLOADS)
        filename = draw(st.sampled_from(["frame.jpg", "frame.jpg", "f.png", "", None]))
        parts.append((name, value, filename, draw(CONTENT_TYPES)))

    for name, right in [("challenge", nonce), ("transaction", transaction_id)]:
        choice = draw(st.sampled_from(["right", "right", "right", "wrong", "none"]))
        if choice == "right":
            parts.insert(0, (name, right.encode(), None, None))
        elif choice == "wrong":
            parts.insert(0, (name, draw(st.binary(max_size=40)), None, None))
    return parts


def test_fuzzed_multipart_uploads_are_rejected(client, endpoint):
    before = device_rows()

    @FUZZ_SETTINGS
    @given(data=st.data())
    def check(data):
        nonce = fresh_nonce(client, endpoint)
        parts = data.draw(upload_parts(endpoint["transaction"], nonce))
        response = post_parts(client, endpoint, parts)
        assert_json_rejection(response)
        assert device_rows() == before
        event(f"code={json.loads(response.content)['code']}")

    check()


def test_fuzzed_frame_bytes_are_rejected(client, endpoint):
    before = device_rows()

    @FUZZ_SETTINGS
    @given(payload=PAYLOADS, content_type=CONTENT_TYPES)
    def check(payload, content_type):
        response = post_frame(client, endpoint, payload, content_type)
        assert_json_rejection(response)
        assert device_rows() == before
        event(f"code={json.loads(response.content)['code']}")

    check()


@st.composite
def damaged_bodies(draw, transaction_id, nonce):
    """A valid upload body with bytes overwritten, inserted or cut off."""
    parts = [
        ("transaction", transaction_id.encode(), None, None),
        ("challenge", nonce.encode(), None, None),
        frame_part(GRADIENT_JPEG),
    ]
    data = bytearray(multipart_body(parts))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        position = draw(st.integers(min_value=0, max_value=len(data) - 1))
        change = draw(st.sampled_from(["overwrite", "insert", "delete"]))
        if change == "overwrite":
            data[position] = draw(st.integers(min_value=0, max_value=255))
        elif change == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[position : position + draw(st.integers(min_value=1, max_value=64))]
    if draw(st.booleans()):
        data = data[: draw(st.integers(min_value=0, max_value=len(data)))]
    return bytes(data)


def test_fuzzed_raw_bodies_are_rejected(client, endpoint):
    before = device_rows()
    boundaries = st.one_of(
        st.just(BOUNDARY),
        st.text(
            alphabet="abcdefghijklmnopqrstuvwxyz0123456789'()+_,-./:=?", max_size=72
        ),
    )

    @FUZZ_SETTINGS
    @given(data=st.data(), boundary=boundaries)
    def check(data, boundary):
        nonce = fresh_nonce(client, endpoint)
        body = data.draw(
            st.one_of(
                st.binary(max_size=2048),
                damaged_bodies(endpoint["transaction"], nonce),
            )
        )
        response = client.generic(
            "POST",
            endpoint["url"],
            body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
        assert_json_rejection(response)
        assert device_rows() == before
        event(f"code={json.loads(response.content)['code']}")

    check()


# Hand-made cases --------------------------------------------------------------


def test_truncated_jpeg_is_rejected(client, endpoint):
    before = device_rows()
    photo = face_bytes(OBAMA)
    response = post_frame(client, endpoint, photo[: len(photo) // 2])
    assert_json_rejection(response)
    assert device_rows() == before


def test_jpeg_cut_after_header_is_rejected(client, endpoint):
    before = device_rows()
    response = post_frame(client, endpoint, face_bytes(OBAMA)[:600])
    assert_json_rejection(response)
    assert device_rows() == before


def test_png_with_huge_declared_size_is_413(client, endpoint):
    before = device_rows()
    response = post_frame(
        client, endpoint, png_with_declared_size(100_000, 100_000), "image/png"
    )
    assert_json_rejection(response)
    assert response.status_code == 413
    assert device_rows() == before


def test_png_just_over_pixel_limit_is_413(client, endpoint, settings):
    settings.MFA_FACE_MAX_FRAME_PIXELS = 64 * 48 - 1
    response = post_frame(client, endpoint, GRADIENT_PNG, "image/png")
    assert response.status_code == 413


def test_jpeg_with_huge_declared_size_is_413(client, endpoint):
    before = device_rows()
    response = post_frame(client, endpoint, jpeg_with_declared_size(65_000, 65_000))
    assert_json_rejection(response)
    assert response.status_code == 413
    assert device_rows() == before


def test_zero_byte_file_is_rejected(client, endpoint):
    before = device_rows()
    response = post_frame(client, endpoint, b"")
    assert_json_rejection(response)
    assert device_rows() == before


@pytest.mark.parametrize(
    "payload",
    [
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
        b"<!doctype html><html><body>not a photo</body></html>",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"\x7fELF\x02\x01\x01" + b"\x00" * 100,
        b"PK\x03\x04" + b"\x00" * 100,
    ],
    ids=["pdf", "html", "gif", "elf", "zip"],
)
def test_non_image_labelled_jpeg_is_rejected(client, endpoint, payload):
    before = device_rows()
    response = post_frame(client, endpoint, payload, "image/jpeg")
    assert_json_rejection(response)
    assert device_rows() == before


@pytest.mark.parametrize(
    "body",
    [
        b"not multipart at all",
        b"--x\r\n",
        b'--x\r\nContent-Disposition: form-data; name="frame"; filename="a.jpg"\r\n',
        b"--x\r\n\r\n\r\n--x--\r\n",
        b'--x\r\nContent-Disposition: form-data; name="transaction"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!!\r\n--x--\r\n",
        b'--x\r\nContent-Disposition: form-data; name="frame"; filename="a.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0",
    ],
    ids=[
        "no_parts",
        "opening_only",
        "headers_only",
        "empty_part",
        "bad_base64",
        "no_end",
    ],
)
def test_malformed_multipart_body_is_rejected(client, endpoint, body):
    before = device_rows()
    response = client.generic(
        "POST", endpoint["url"], body, content_type="multipart/form-data; boundary=x"
    )
    assert_json_rejection(response)
    assert device_rows() == before


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=" + "b" * 80,
    ],
    ids=["no_boundary", "empty_boundary", "overlong_boundary"],
)
def test_invalid_multipart_content_type_is_rejected(client, endpoint, content_type):
    before = device_rows()
    response = client.generic(
        "POST", endpoint["url"], b"abc", content_type=content_type
    )
    assert_json_rejection(response)
    assert device_rows() == before


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"transaction": 5, "frame": "aGVsbG8="}',
        b"[]",
        b"null",
        b'"frame"',
    ],
    ids=["invalid_json", "base64_frame", "array", "null", "string"],
)
def test_json_body_is_rejected(client, endpoint, body):
    before = device_rows()
    response = client.generic(
        "POST", endpoint["url"], body, content_type="application/json"
    )
    assert_json_rejection(response)
    assert device_rows() == before


def test_json_body_with_right_fields_is_rejected(client, endpoint):
    before = device_rows()
    body = json.dumps(
        {
            "transaction": endpoint["transaction"],
            "challenge": fresh_nonce(client, endpoint),
            "frame": "aGVsbG8=",
        }
    )
    response = client.generic(
        "POST", endpoint["url"], body.encode(), content_type="application/json"
    )
    assert_json_rejection(response)
    assert device_rows() == before


def test_form_urlencoded_body_is_rejected(client, endpoint):
    before = device_rows()
    nonce = fresh_nonce(client, endpoint)
    response = client.generic(
        "POST",
        endpoint["url"],
        f"transaction={endpoint['transaction']}&challenge={nonce}&frame=abc".encode(),
        content_type="application/x-www-form-urlencoded",
    )
    assert_json_rejection(response)
    assert device_rows() == before


def test_frame_sent_as_plain_field_is_rejected(client, endpoint):
    before = device_rows()
    plain_frame = ("frame", face_bytes(OBAMA), None, None)
    response = post_parts(
        client, endpoint, [*base_parts(client, endpoint), plain_frame]
    )
    assert_json_rejection(response)
    assert device_rows() == before


# Request limits and CSRF ---------------------------------------------------------
#
# Django raises these rejections before the view runs, or inside request.POST,
# so idp.views.bad_request and idp.views.csrf_failure reply to them with the
# same JSON {code, message} body as the view's own errors.


def too_many_files(base):
    count = django_settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1
    return base + [frame_part(GRADIENT_JPEG) for _ in range(count)]


def too_many_fields(base):
    count = django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1
    return base + [(f"field{i}", b"1", None, None) for i in range(count)]


def oversized_field(base):
    size = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    return base + [("note", b"a" * size, None, None)]


# Each case's parts and the error code of its rejection.
LIMIT_CASES = {
    "too_many_files": (too_many_files, "too_many_files"),
    "too_many_fields": (too_many_fields, "too_many_fields"),
    "oversized_field": (oversized_field, "field_too_large"),
}


@pytest.mark.parametrize("case", LIMIT_CASES)
def test_request_over_django_limits_is_4xx(client, endpoint, case):
    build, code = LIMIT_CASES[case]
    before = device_rows()
    response = post_parts(client, endpoint, build(base_parts(client, endpoint)))
    assert_json_rejection(response)
    assert json.loads(response.content)["code"] == code
    assert device_rows() == before


@pytest.fixture
def strict_endpoint(face_app, end_user):
    """Like ``endpoint`` but in a browser whose CSRF checks are enforced.

    The CSRF cookie comes from the console sign-in page, which sets the same
    site-wide cookie as the hosted login.
    """
    browser = Client(enforce_csrf_checks=True)
    browser.get(reverse("console:login"))
    token = browser.cookies["csrftoken"].value
    signed_in = browser.post(
        reverse("authn:login", args=[face_app.client_id]),
        {
            "identifier": "alice",
            "password": END_USER_PASSWORD,
            "csrfmiddlewaretoken": token,
        },
    )
    assert signed_in.status_code == 302
    return {
        "browser": browser,
        "token": token,
        "url": reverse("mfa_face:enroll", args=[face_app.client_id]),
        "challenge_url": reverse("mfa_face:challenge", args=[face_app.client_id]),
        "transaction": pending_transaction_id(browser, face_app),
    }


def post_without_csrf_token(strict_endpoint):
    browser = strict_endpoint["browser"]
    nonce = fresh_nonce(
        browser, strict_endpoint, headers={"X-CSRFToken": strict_endpoint["token"]}
    )
    parts = [
        ("transaction", strict_endpoint["transaction"].encode(), None, None),
        ("challenge", nonce.encode(), None, None),
        frame_part(face_bytes(OBAMA)),
    ]
    return browser.generic(
        "POST",
        strict_endpoint["url"],
        multipart_body(parts),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )


def test_upload_without_csrf_token_is_403(strict_endpoint):
    response = post_without_csrf_token(strict_endpoint)
    assert response.status_code == 403
    assert not FaceDevice.objects.exists()


def test_upload_without_csrf_token_is_json(strict_endpoint):
    assert_json_rejection(post_without_csrf_token(strict_endpoint))


def test_upload_with_csrf_header_reaches_view(strict_endpoint):
    """The control case: the same browser with the token reaches the view."""
    response = strict_endpoint["browser"].generic(
        "POST",
        strict_endpoint["url"],
        multipart_body([frame_part(b"")]),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        headers={"X-CSRFToken": strict_endpoint["token"]},
    )
    assert_json_rejection(response)


def post_bad_content_type_with_csrf(strict_endpoint):
    # CsrfViewMiddleware reads request.POST for the form token before the view
    # runs, so a body that cannot be parsed fails there.
    return strict_endpoint["browser"].generic(
        "POST",
        strict_endpoint["url"],
        b"abc",
        content_type="multipart/form-data; boundary=",
        headers={"X-CSRFToken": strict_endpoint["token"]},
    )


def test_unparsable_body_with_csrf_is_4xx(strict_endpoint):
    response = post_bad_content_type_with_csrf(strict_endpoint)
    assert_client_error(response)
    assert not FaceDevice.objects.exists()


def test_unparsable_body_with_csrf_is_json(strict_endpoint):
    assert_json_rejection(post_bad_content_type_with_csrf(strict_endpoint))
