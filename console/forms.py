"""Forms of the administrator console."""

from urllib.parse import urlsplit

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
    class Meta:
        model = UserPool
        fields = ["name"]
        labels = {"name": "User pool name"}


def validate_redirect_uri(uri):
    """Raise ValidationError unless ``uri`` is an absolute https URL or on localhost."""
    parsed = urlsplit(uri)
    if not parsed.scheme or not parsed.netloc:
        raise ValidationError(
            f"{uri} is not an absolute URL. Enter it with https:// and a host."
        )

    if parsed.fragment:
        raise ValidationError(
            f"{uri} has a #fragment, which redirect URIs must not have."
        )

    if parsed.scheme == "https":
        return

    if parsed.scheme == "http" and parsed.hostname in LOCAL_HOSTS:
        return

    raise ValidationError(f"{uri} must use https (http is allowed only for localhost).")


LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


class ApplicationForm(forms.Form):
    name = forms.CharField(label="App name", max_length=255)
    redirect_uris = forms.CharField(
        label="Redirect URIs",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Where your app receives the sign-in result. One absolute URL per line.",
    )

    def clean_redirect_uris(self):
        uris = self.cleaned_data["redirect_uris"].split()
        for uri in uris:
            validate_redirect_uri(uri)
        return " ".join(uris)


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
        phone = normalize_phone(phone)
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
