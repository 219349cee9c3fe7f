"""Forms of the administrator console."""

from urllib.parse import urlsplit

import phonenumbers
from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from authn.identifiers import normalize_phone
from authn.models import EndUser, UserPool


class AdminRegistrationForm(forms.Form):
    email = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not a common password.",
    )
    password2 = forms.CharField(
        label="Confirm password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(username__iexact=email).exists():
            raise ValidationError(
                "An account with this email already exists. Sign in instead.",
                code="duplicate_email",
            )
        return email

    def clean(self):
        cleaned = super().clean()
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords do not match.")
            return cleaned

        if password1:
            candidate = get_user_model()(
                username=cleaned.get("email", ""), email=cleaned.get("email", "")
            )
            try:
                password_validation.validate_password(password1, candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned

    def save(self):
        email = self.cleaned_data["email"]
        return get_user_model().objects.create_user(
            username=email, email=email, password=self.cleaned_data["password1"]
        )


class AdminSignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The email or password is incorrect. Check both and try again.",
    }

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


class UserPoolForm(forms.ModelForm):
    """Name of a user pool, unique among the pools of one administrator.

    :param owner: the administrator who owns (or will own) the pool.
    """

    class Meta:
        model = UserPool
        fields = ["name", "default_country"]
        labels = {"name": "User pool name", "default_country": "Default phone country"}
        help_texts = {
            "default_country": (
                "Two-letter country code, for example US, used for phone numbers "
                "entered without a country code. Leave empty to require +country."
            )
        }

    def clean_default_country(self):
        country = self.cleaned_data["default_country"].strip().upper()
        if country and country not in phonenumbers.SUPPORTED_REGIONS:
            raise ValidationError(
                f"{country} is not a known country code. Enter two letters such as US "
                "or GB, or leave it empty.",
                code="invalid_country",
            )
        return country

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = UserPool.objects.filter(owner=self.owner, name__iexact=name)
        if self.instance.pk is not None:
            others = others.exclude(pk=self.instance.pk)

        # The header's pool switcher shows only names, so two pools with one
        # name would look the same there.
        if others.exists():
            raise ValidationError(
                "You already have a user pool with this name. Choose another name.",
                code="duplicate_pool_name",
            )
        return name


class PoolDeleteForm(forms.Form):
    """Confirms a pool deletion by its name, because it cannot be undone."""

    confirm_name = forms.CharField(label="Type the user pool name to confirm")

    def __init__(self, *args, pool, **kwargs):
        super().__init__(*args, **kwargs)
        self.pool = pool

    def clean_confirm_name(self):
        name = self.cleaned_data["confirm_name"].strip()
        if name != self.pool.name:
            raise ValidationError(
                f"Type {self.pool.name} exactly to delete this user pool.",
                code="name_mismatch",
            )
        return name


class LivenessForm(forms.ModelForm):
    class Meta:
        model = UserPool
        fields = ["liveness"]
        labels = {"liveness": "Liveness detection"}
        help_texts = {
            "liveness": (
                "How strictly the face step checks that a live person, not a photo "
                "or a screen, is in front of the camera. Applies to every app of "
                "this user pool."
            )
        }


LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def validate_redirect_uri(uri):
    """Raise ValidationError unless ``uri`` is an absolute https URL or on localhost."""
    try:
        parsed = urlsplit(uri)
        # Reading the port validates it: urlsplit itself accepts "host:99999".
        parsed.port  # noqa: B018
    except ValueError:
        raise ValidationError(
            f"{uri} is not a valid URL. Check the host and the port.",
            code="invalid_uri",
        ) from None

    if not parsed.scheme or not parsed.netloc:
        raise ValidationError(
            f"{uri} is not an absolute URL. Enter it with https:// and a host.",
            code="relative_uri",
        )

    if parsed.fragment:
        raise ValidationError(
            f"{uri} has a #fragment, which redirect URIs must not have.",
            code="uri_fragment",
        )

    if parsed.scheme == "https":
        return

    if parsed.scheme == "http" and parsed.hostname in LOCAL_HOSTS:
        return

    raise ValidationError(
        f"{uri} must use https (http is allowed only for localhost).",
        code="insecure_uri",
    )


def clean_uri_list(value):
    """Return the whitespace-separated URIs of ``value`` as one space-separated string.

    Each URI is checked with :func:`validate_redirect_uri`, and every invalid
    one is reported, not only the first. Repeated URIs are kept once.
    """
    uris = list(dict.fromkeys(value.split()))
    errors = []
    for uri in uris:
        try:
            validate_redirect_uri(uri)
        except ValidationError as error:
            errors.append(error)

    if errors:
        raise ValidationError(errors)
    return " ".join(uris)


def uri_list_field(label, help_text):
    return forms.CharField(
        label=label,
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=help_text,
    )


class ApplicationForm(forms.Form):
    """The fields asked for when a self-built app is created."""

    name = forms.CharField(label="App name", max_length=255)
    redirect_uris = uri_list_field(
        "Redirect URIs",
        "Where your app receives the sign-in result. One absolute URL per line.",
    )

    def clean_redirect_uris(self):
        return clean_uri_list(self.cleaned_data["redirect_uris"])


class ApplicationBasicForm(ApplicationForm):
    """Basic information of a self-built app that the administrator can edit."""

    post_logout_redirect_uris = uri_list_field(
        "Sign-out redirect URIs",
        "Where end users may return after signing out. One absolute URL per line.",
    )

    field_order = ["name", "redirect_uris", "post_logout_redirect_uris"]

    @classmethod
    def for_app(cls, app, data=None):
        """Return the form bound to ``data``, or showing ``app``'s current values."""
        initial = {
            "name": app.name,
            "redirect_uris": "\n".join(app.redirect_uris.split()),
            "post_logout_redirect_uris": "\n".join(
                app.post_logout_redirect_uris.split()
            ),
        }
        return cls(data, initial=initial)

    def clean_post_logout_redirect_uris(self):
        return clean_uri_list(self.cleaned_data["post_logout_redirect_uris"])

    def save(self, app):
        """Copy the cleaned values to ``app`` and save only those columns."""
        app.name = self.cleaned_data["name"]
        app.redirect_uris = self.cleaned_data["redirect_uris"]
        app.post_logout_redirect_uris = self.cleaned_data["post_logout_redirect_uris"]
        app.save(
            update_fields=[
                "name",
                "redirect_uris",
                "post_logout_redirect_uris",
                "updated",
            ]
        )
        return app


class EndUserCreateForm(forms.Form):
    username = forms.CharField(label="Username", max_length=150, required=False)
    email = forms.EmailField(label="Email", required=False)
    phone = forms.CharField(
        label="Phone",
        max_length=32,
        required=False,
        help_text="International form, for example +12025550100.",
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, pool, **kwargs):
        super().__init__(*args, **kwargs)
        self.pool = pool

    def clean_username(self):
        username = self.cleaned_data["username"].strip() or None
        if username and "@" in username:
            raise ValidationError(
                "A username cannot contain @. Put an email in the Email field."
            )
        if (
            username
            and EndUser.objects.filter(pool=self.pool, username=username).exists()
        ):
            raise ValidationError(
                "A user with this username already exists in this pool."
            )
        return username

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower() or None
        if (
            email
            and EndUser.objects.filter(pool=self.pool, email__iexact=email).exists()
        ):
            raise ValidationError("A user with this email already exists in this pool.")
        return email

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if not phone:
            return None
        phone = normalize_phone(phone, self.pool.default_country)
        if EndUser.objects.filter(pool=self.pool, phone=phone).exists():
            raise ValidationError(
                "A user with this phone number already exists in this pool."
            )
        return phone

    def clean(self):
        cleaned = super().clean()
        identifiers = [cleaned.get(name) for name in ("username", "email", "phone")]
        if not any(identifiers) and not self.errors:
            raise ValidationError("Enter a username, an email or a phone number.")

        password = cleaned.get("password")
        if password:
            try:
                password_validation.validate_password(password)
            except ValidationError as error:
                self.add_error("password", error)
        return cleaned

    def save(self):
        user = EndUser(
            pool=self.pool,
            username=self.cleaned_data["username"],
            email=self.cleaned_data["email"],
            phone=self.cleaned_data["phone"],
        )
        user.set_password(self.cleaned_data["password"])
        user.save()
        return user
