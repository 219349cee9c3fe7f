from django import forms


class RecoveryCodeForm(forms.Form):
    code = forms.CharField(
        label="Recovery code",
        max_length=64,
        help_text="One of the codes shown when you enrolled your face, for example ABCDE-12345.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
        error_messages={
            "required": "Enter one of your recovery codes.",
            "max_length": "A recovery code has 10 characters. Check the code and try again.",
        },
    )
