"""Django settings for the identity provider.

Every value that differs between a laptop and a server comes from an
environment variable. ``IDP_ENVIRONMENT`` is ``development`` (the default) or
``production``; production refuses to start without ``SECRET_KEY`` and turns on
the secure-cookie and HSTS settings.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


ENVIRONMENT = os.environ.get("IDP_ENVIRONMENT", "development").strip().lower()
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"IDP_ENVIRONMENT={ENVIRONMENT!r} is invalid: use development or production."
    )
PRODUCTION = ENVIRONMENT == "production"


def read_secret_key():
    """Return SECRET_KEY from the environment, or a per-checkout development key.

    In development the key is generated once into ``.secret_key`` (ignored by
    git) so sessions survive a restart. Production has no such fallback.
    """
    key = os.environ.get("SECRET_KEY")
    if key:
        return key

    if PRODUCTION:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when IDP_ENVIRONMENT=production."
        )

    key_file = BASE_DIR / ".secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = read_secret_key()
DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "oauth2_provider",
    "authn",
    "mfa_face",
    "console",
    "mfa_recovery",
    "audit",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "idp.middleware.PermissionsPolicyMiddleware",
    # Innermost, so that its 413 gets the headers above, and still before
    # any view or the CSRF check reads the body.
    "idp.middleware.RequestBodyLimitMiddleware",
]

# Maximum Content-Length of a request, in bytes, except the face step's frame
# uploads, whose limit follows MFA_FACE_MAX_FRAMES and MFA_FACE_MAX_FRAME_BYTES
# (idp/middleware.py). No form of the console or the hosted login comes close.
IDP_MAX_REQUEST_BYTES = int(os.environ.get("IDP_MAX_REQUEST_BYTES", "1048576"))

# WhiteNoise serves collected static files under gunicorn; in development
# Django's staticfiles app serves them from the source folders instead.
if PRODUCTION:
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "idp.urls"
WSGI_APPLICATION = "idp.wsgi.application"
ASGI_APPLICATION = "idp.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite is the embedded default for a local run; CI and production pass a
# PostgreSQL URL such as postgres://postgres@127.0.0.1:5432/test.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # In SQLite's default deferred mode, when two transactions both read and
    # then write, one fails at once with "database is locked", because each
    # holds a read lock that the other's write would wait for. IMMEDIATE takes
    # the write lock at BEGIN, so the second waits, up to the timeout in
    # seconds.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache contains the counters of failed password sign-ins (authn/throttle.py).
# Without REDIS_URL it is Django's local-memory cache, which counts per
# process. A server with several workers therefore sets REDIS_URL (for example
# redis://127.0.0.1:6379/0) to share the counts, and `check --deploy` warns
# without it.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "idp"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Argon2 first, as Django recommends; the others only verify older hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "console:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Frame uploads arrive as multipart bodies of a few JPEGs. Django's own limit
# on non-file fields stays at its default; the face app checks each frame's size.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 20_000_000

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# No inline script or style anywhere: every page loads its JavaScript and CSS
# from /static/, so an injected <script> does not run. frame-ancestors 'none'
# repeats X-Frame-Options for browsers that read only CSP (clickjacking).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Powerful browser features: the face step needs the camera on this origin.
PERMISSIONS_POLICY = {
    "camera": ["self"],
    "microphone": [],
    "geolocation": [],
    "payment": [],
    "usb": [],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Self-built apps are django-oauth-toolkit applications with pool fields.
OAUTH2_PROVIDER_APPLICATION_MODEL = "authn.Application"

# Failed password sign-ins allowed per identifier and per client IP within
# AUTHN_PASSWORD_FAILURE_WINDOW seconds; see authn/throttle.py.
AUTHN_PASSWORD_MAX_FAILURES_PER_ACCOUNT = int(
    os.environ.get("AUTHN_PASSWORD_MAX_FAILURES_PER_ACCOUNT", "10")
)
AUTHN_PASSWORD_MAX_FAILURES_PER_IP = int(
    os.environ.get("AUTHN_PASSWORD_MAX_FAILURES_PER_IP", "50")
)
AUTHN_PASSWORD_FAILURE_WINDOW = int(
    os.environ.get("AUTHN_PASSWORD_FAILURE_WINDOW", "900")
)

# Seconds a password-only login transaction waits for the face step.
AUTHN_FIRST_FACTOR_TTL = int(os.environ.get("AUTHN_FIRST_FACTOR_TTL", "300"))

# Seconds a face check stays recent enough to delete the face data or get new
# recovery codes. After that the user verifies the face again first.
AUTHN_FACE_RECHECK_TTL = int(os.environ.get("AUTHN_FACE_RECHECK_TTL", "600"))

# --- OpenID Connect provider and scan-code sign-in -------------------------
# Each user pool is an OpenID provider under /oidc/<pool id>/ (oidc/), and the
# hosted login offers scan-code sign-in (scan_code/). django-oauth-toolkit and
# oauthlib run the protocol; oidc/models.py replaces the toolkit's grant and
# token models with ones whose user is the pool's end user.
INSTALLED_APPS += ["oidc", "scan_code"]

# S105 below: these are model names, not secrets.
OAUTH2_PROVIDER_GRANT_MODEL = "oidc.Grant"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oidc.AccessToken"  # noqa: S105
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oidc.RefreshToken"  # noqa: S105
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oidc.IDToken"  # noqa: S105

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "SCOPES": {
        "openid": "Sign you in (OpenID Connect)",
        "profile": "Your username",
        "email": "Your email address",
        "phone": "Your phone number",
    },
    "DEFAULT_SCOPES": ["openid"],
    # Seconds. A code is exchanged right after the redirect, so one minute is
    # plenty; ID and access tokens last one hour, and a signing key stays in
    # the JWKS for one ID token lifetime after its rotation.
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "ID_TOKEN_EXPIRE_SECONDS": 3600,
    # Seconds a refresh token outlives its last access token.
    "REFRESH_TOKEN_EXPIRE_SECONDS": 30 * 24 * 3600,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # Seconds relying parties may cache the JWKS. Rotation keeps the old key
    # published, so a cached copy still verifies tokens signed before it.
    "OIDC_JWKS_MAX_AGE_SECONDS": 3600,
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    # RFC 9700 behaviour: no implicit or password grant, no plain PKCE, no
    # access token in a URL query string, and only hashes of tokens stored.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    # Authorization responses carry the RFC 9207 "iss" parameter. The toolkit
    # would add one issuer for the whole site; oidc/server.py adds the pool's.
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
}

# Public scheme and host of the provider, for example https://id.example.com;
# unset derives each pool's issuer from the request. See oidc/conf.py.
OIDC_ISSUER_BASE_URL = os.environ.get("OIDC_ISSUER_BASE_URL") or None

# Seconds a pool-wide sign-on session lasts after its last authentication.
AUTHN_SIGN_ON_TTL = int(os.environ.get("AUTHN_SIGN_ON_TTL", str(8 * 3600)))

# Seconds a scan-code QR code stays valid; see scan_code/conf.py.
SCAN_CODE_TTL = int(os.environ.get("SCAN_CODE_TTL", "120"))
# --- end of OpenID Connect provider and scan-code sign-in ------------------

# Fernet keys that encrypt face templates at rest, newest first. The first
# encrypts and every key decrypts, so a new key goes in front, and the old one
# is removed after rotate_face_template_keys. See idp/crypto.py.
FACE_TEMPLATE_KEYS = env_list("FACE_TEMPLATE_KEYS", [])
if PRODUCTION and not FACE_TEMPLATE_KEYS:
    raise ImproperlyConfigured(
        "FACE_TEMPLATE_KEYS must be set when IDP_ENVIRONMENT=production."
    )

# Audit records take the client IP from REMOTE_ADDR. Turn this on only behind
# exactly one trusted proxy that sets X-Forwarded-For.
AUDIT_TRUST_X_FORWARDED_FOR = env_bool("AUDIT_TRUST_X_FORWARDED_FOR", False)

# Django-level rejections (CSRF failure, unreadable upload) return JSON on the
# face step's endpoints, like every other face-step error.
CSRF_FAILURE_VIEW = "idp.views.csrf_failure"

# Face matching: see mfa_face/conf.py for every MFA_FACE_* name and default.
if "MFA_FACE_MATCH_THRESHOLD" in os.environ:
    MFA_FACE_MATCH_THRESHOLD = float(os.environ["MFA_FACE_MATCH_THRESHOLD"])
if "MFA_FACE_CLEAR_MATCH_DISTANCE" in os.environ:
    _clear_match = os.environ["MFA_FACE_CLEAR_MATCH_DISTANCE"].strip().lower()
    if _clear_match == "off":
        MFA_FACE_CLEAR_MATCH_DISTANCE = None
    else:
        try:
            MFA_FACE_CLEAR_MATCH_DISTANCE = float(_clear_match)
        except ValueError:
            raise ImproperlyConfigured(
                f"MFA_FACE_CLEAR_MATCH_DISTANCE {_clear_match!r} is invalid. Set it "
                "to a distance such as 0.4, or to off."
            ) from None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Audit lines stay visible when LOG_LEVEL is raised.
        "audit": {"level": "INFO"},
    },
}
