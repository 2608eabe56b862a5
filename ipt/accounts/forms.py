from django import forms
from django.contrib.auth import password_validation

from ipt.accounts.models import Role, User


class LoginForm(forms.Form):
    # 254: the longest address there is (and no account has a longer one); django-axes stores what
    # was typed in a 255-character column, which PostgreSQL enforces.
    username = forms.EmailField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class TokenForm(forms.Form):
    otp_token = forms.RegexField(
        label="6-digit code from your authenticator app",
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": "Enter the 6 digits your authenticator app shows."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "7"}
        ),
    )

    def clean_otp_token(self) -> str:
        return self.cleaned_data["otp_token"].strip()


class SetPasswordWithTermsForm(forms.Form):
    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        help_text="At least 12 characters; avoid common passwords.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Type it again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    accept_terms = forms.BooleanField(
        label="I have read and accept the terms of use and the privacy notice.",
        error_messages={"required": "Please accept the terms to continue."},
    )

    def __init__(self, user: User, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords do not match.")
        elif first:
            try:
                password_validation.validate_password(first, self.user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class InvitePatientForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField()
    referral_reason = forms.CharField(
        label="Reason for referral (encrypted; seen only by the care team)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


STAFF_ROLE_CHOICES = [(r.value, r.label) for r in Role if r != Role.PATIENT]


class InviteStaffForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField()
    role = forms.ChoiceField(choices=STAFF_ROLE_CHOICES)
    supervisor = forms.ModelChoiceField(
        queryset=User.objects.filter(role=Role.SUPERVISOR, is_active=True),
        required=False,
        help_text="For therapists: their clinical supervisor.",
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=STAFF_ROLE_CHOICES)


class ActiveForm(forms.Form):
    active = forms.TypedChoiceField(
        choices=[("1", "Active"), ("0", "Deactivated")], coerce=lambda value: value == "1"
    )
