"""The admin's sign-in: lockouts per username and client, two-factor, sessions, passwords."""

import re
import time
from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "a long enough passphrase"
CURATOR_ADDRESS = "198.51.100.7"
ATTACKER_ADDRESS = "203.0.113.9"

pytestmark = [pytest.mark.django_db, pytest.mark.real_otp]


@pytest.fixture
def editor():
    """A staff account without a second factor (optional for staff)."""
    return get_user_model().objects.create_user("editor", password=PASSWORD, is_staff=True)


@pytest.fixture
def superuser():
    return get_user_model().objects.create_superuser("boss", password=PASSWORD)


def sign_in(client, username, password=PASSWORD, code=None, address=CURATOR_ADDRESS):
    data = {"username": username, "password": password, "next": "/admin/"}
    if code is not None:
        data["otp_token"] = code
    return client.post(LOGIN, data, REMOTE_ADDR=address)


def in_admin(client):
    return client.get("/admin/").status_code == 200


def current_code(device):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def authenticator(user):
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


# --- Lockout (django-axes) ---


def test_wrong_passwords_lock_that_username_from_that_client(editor, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, "editor", "wrong password", address=ATTACKER_ADDRESS)
        assert response.status_code == 200  # the form again, with its error
    last = sign_in(client, "editor", "wrong password", address=ATTACKER_ADDRESS)
    assert last.status_code == 429
    # Now even the right password is refused, without being checked.
    assert sign_in(client, "editor", address=ATTACKER_ADDRESS).status_code == 429
    assert not in_admin(client)


def test_a_lockout_does_not_shut_the_curator_out_from_their_own_address(editor, settings):
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 3):
        sign_in(attacker, "editor", "wrong password", address=ATTACKER_ADDRESS)
    assert sign_in(attacker, "editor", address=ATTACKER_ADDRESS).status_code == 429

    curator = Client()
    response = sign_in(curator, "editor", address=CURATOR_ADDRESS)
    assert response.status_code == 302
    assert in_admin(curator)


def test_a_lockout_is_per_username(editor, settings):
    get_user_model().objects.create_user("second", password=PASSWORD, is_staff=True)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "editor", "wrong password", address=ATTACKER_ADDRESS)
    assert sign_in(client, "second", address=ATTACKER_ADDRESS).status_code == 302
    assert in_admin(client)


def test_the_lockout_ends_after_the_cool_off(editor, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "editor", "wrong password", address=ATTACKER_ADDRESS)
    assert sign_in(client, "editor", address=ATTACKER_ADDRESS).status_code == 429
    # The failures were stored; let the cool-off pass for them.
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
        attempt.save()
    assert sign_in(client, "editor", address=ATTACKER_ADDRESS).status_code == 302
    assert in_admin(client)


def test_lockouts_store_no_client_address(editor):
    sign_in(Client(), "editor", "wrong password", address=ATTACKER_ADDRESS)
    stored = AccessAttempt.objects.get()
    assert stored.ip_address != ATTACKER_ADDRESS
    assert ATTACKER_ADDRESS not in str(stored.__dict__)


def test_a_successful_sign_in_clears_earlier_failures(editor, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "editor", "wrong password")
    assert sign_in(client, "editor").status_code == 302
    assert not AccessAttempt.objects.filter(failures_since_start__gt=0).exists()


# --- Two-factor (django-otp) ---


def test_a_superuser_without_an_authenticator_cannot_sign_in(superuser):
    client = Client()
    response = sign_in(client, "boss")
    assert response.status_code == 200
    assert "manage.py add_totp_device boss" in response.content.decode()
    assert not in_admin(client)


def test_a_superuser_signs_in_with_password_and_code(superuser):
    device = authenticator(superuser)
    client = Client()
    response = sign_in(client, "boss")
    assert "Enter the code from your authenticator app." in response.content.decode()
    assert not in_admin(client)
    assert sign_in(client, "boss", code=current_code(device)).status_code == 302
    assert in_admin(client)
    assert client.get("/admin/auth/user/").status_code == 200


def test_a_wrong_code_is_refused_counted_and_throttled(superuser):
    device = authenticator(superuser)
    client = Client()
    wrong = f"{(int(current_code(device)) + 1) % 10**6:06d}"
    response = sign_in(client, "boss", code=wrong)
    assert "That code is not right." in response.content.decode()
    assert not in_admin(client)
    assert AccessAttempt.objects.get().failures_since_start == 1
    # django-otp then makes the device wait before it checks another code.
    response = sign_in(client, "boss", code=current_code(device))
    assert "Verification temporarily disabled" in response.content.decode()
    assert not in_admin(client)


def test_a_logged_in_but_unverified_superuser_is_kept_out(superuser):
    client = Client()
    client.force_login(superuser)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_an_authenticator_sign_in_with_the_password(editor):
    client = Client()
    assert sign_in(client, "editor").status_code == 302
    assert in_admin(client)


def test_staff_with_an_authenticator_must_use_it(editor):
    device = authenticator(editor)
    client = Client()
    sign_in(client, "editor")
    assert not in_admin(client)
    assert sign_in(client, "editor", code=current_code(device)).status_code == 302
    assert in_admin(client)


def test_a_backup_code_works_once(superuser):
    authenticator(superuser)
    out = StringIO()
    call_command("add_totp_device", "boss", "--name", "spare", "--backup-codes", "2", stdout=out)
    code = StaticToken.objects.filter(device__user=superuser).first().token
    assert code in out.getvalue()
    first = Client()
    assert sign_in(first, "boss", code=code).status_code == 302
    assert in_admin(first)
    second = Client()
    sign_in(second, "boss", code=code)
    assert not in_admin(second)


def test_without_enforcement_a_superuser_signs_in_with_the_password(superuser, settings):
    # DEBUG's setting, for `make run`'s local admin (ensure_admin).
    settings.ADMIN_REQUIRE_SUPERUSER_OTP = False
    client = Client()
    assert sign_in(client, "boss").status_code == 302
    assert in_admin(client)


def test_ensure_admin_then_add_totp_device_lets_the_admin_in():
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    password = re.search(r"password: (\S+)", out.getvalue()).group(1)
    client = Client()
    sign_in(client, "admin", password)
    assert not in_admin(client)  # production requires the second factor of a superuser

    out = StringIO()
    call_command("add_totp_device", "admin", stdout=out)
    printed = re.search(r"Key, to type in instead: ([A-Z2-7]+)", out.getvalue()).group(1)
    device = TOTPDevice.objects.get(user__username="admin")
    assert printed in device.config_url
    assert "otpauth://totp/" in out.getvalue()
    assert sign_in(client, "admin", password, code=current_code(device)).status_code == 302
    assert in_admin(client)


def test_add_totp_device_dry_run_saves_nothing_and_refuses_non_staff(superuser):
    call_command("add_totp_device", "boss", "--dry-run", "--backup-codes", "3", stdout=StringIO())
    assert not TOTPDevice.objects.exists()
    assert not StaticDevice.objects.exists()
    get_user_model().objects.create_user("reader", password=PASSWORD)
    with pytest.raises(CommandError, match="not staff"):
        call_command("add_totp_device", "reader", stdout=StringIO())
    with pytest.raises(CommandError, match="No account"):
        call_command("add_totp_device", "nobody", stdout=StringIO())


def test_add_totp_device_replace_removes_the_old_authenticator(superuser):
    old = authenticator(superuser)
    call_command("add_totp_device", "boss", "--replace", stdout=StringIO())
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert TOTPDevice.objects.filter(user=superuser).count() == 1


# --- Sessions and passwords ---


def test_staff_sessions_last_a_working_day(editor):
    client = Client()
    sign_in(client, "editor")
    assert client.session.get_expiry_age() == 8 * 3600
    assert client.cookies["sessionid"]["max-age"] == 8 * 3600


@pytest.mark.parametrize(
    "password",
    ["short1!", "password1234", "123456789012345", "editor12"],
)
def test_weak_passwords_are_refused(password, editor):
    with pytest.raises(ValidationError):
        validate_password(password, editor)


def test_a_long_passphrase_is_accepted(editor):
    validate_password("correct horse battery staple", editor)
