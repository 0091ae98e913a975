"""The curators' admin: sign-in with a second factor (django-otp) and lockouts (django-axes).

Staff who set up an authenticator must use it; superusers must have one (unless DEBUG, see
ADMIN_REQUIRE_SUPERUSER_OTP). Wrong passwords and wrong codes both count towards the lockout of
a username from one client address.
"""

import ipaddress

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, user_has_device
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from abuse.limits import client_hash
from curation.dashboard import waiting_queues


def second_factor_required(user):
    """Whether this account may not use the admin on its password alone."""
    return bool(
        (user.is_superuser and settings.ADMIN_REQUIRE_SUPERUSER_OTP)
        or user_has_device(user, confirmed=True)
    )


def lockout_client(request):
    """The client a lockout counts: a keyed hash of its address, never the address itself.

    django-axes stores it in an IP address column, so the hash is written as an IPv6 address.
    The client is the one the contact relay's limits count (the same proxy header setting).
    """
    return str(ipaddress.IPv6Address(int(client_hash(request)[:32], 16)))


class LoginForm(OTPAuthenticationFormMixin, AdminAuthenticationForm):
    """Username, password and, for accounts with a device, the code it shows."""

    otp_token = forms.CharField(
        label=_("Authentication code"),
        required=False,
        max_length=16,
        help_text=_("From your authenticator app, or one of your backup codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    otp_error_messages = dict(
        OTPAuthenticationFormMixin.otp_error_messages,
        token_required=_("Enter the code from your authenticator app."),
        device_required=_("That code is not right. Please try again."),
        invalid_token=_("That code is not right. Please try again."),
    )
    error_messages = dict(
        AdminAuthenticationForm.error_messages,
        no_device=_(
            "This account must sign in with an authenticator app and has none yet. "
            "An administrator can set one up with: manage.py add_totp_device %(username)s"
        ),
    )

    def clean(self):
        cleaned_data = super().clean()  # the password first: axes counts a wrong one
        user = self.get_user()
        if user is None or not second_factor_required(user):
            return cleaned_data
        if not user_has_device(user, confirmed=True):
            raise forms.ValidationError(
                self.error_messages["no_device"],
                code="no_device",
                params={"username": user.get_username()},
            )
        try:
            self.clean_otp(user)
        except forms.ValidationError as error:
            if error.code in ("invalid_token", "device_required"):
                # A right password with a wrong code counts towards the lockout as well.
                user_login_failed.send(
                    sender=type(self),
                    credentials={"username": user.get_username()},
                    request=self.request,
                )
            raise
        return cleaned_data

    def _chosen_device(self, user):
        # No device menu: six digits are an authenticator's code, anything else a backup code.
        token = (self.cleaned_data.get("otp_token") or "").strip()
        kind = TOTPDevice if token.isdigit() and len(token) <= 8 else StaticDevice
        return next((device for device in devices_for_user(user) if isinstance(device, kind)), None)

    def _update_form(self, user):
        """The mixin fills a device menu here; this form has none."""


class AdminSite(admin.AdminSite):
    """The admin, open only to staff who passed the second factor their account requires.

    Named after the site; its index is the curators' dashboard (curation/dashboard.py).
    """

    login_form = LoginForm
    login_template = "orgsite/admin_login.html"
    index_title = _("Curators’ dashboard")

    def each_context(self, request):
        context = super().each_context(request)
        context["site_header"] = _("%(site)s curators") % {"site": settings.SITE_NAME}
        context["site_title"] = context["site_header"]
        return context

    def index(self, request, extra_context=None):
        context = {"queues": waiting_queues(request.user), **(extra_context or {})}
        return super().index(request, context)

    def has_permission(self, request):
        user = request.user
        if not super().has_permission(request):
            return False
        return user.is_verified() or not second_factor_required(user)
