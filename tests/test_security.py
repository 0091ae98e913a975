"""Production defaults and the security headers of every URL pattern."""

import itertools
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import timezone
from django.utils.regex_helper import normalize

from curation import services as curation_services
from curation.models import Reconfirmation
from directory.models import Category, Organization
from orgsite.checks import PLAIN_HTTP_WARNING
from orgsite.headers import permissions_policy
from referrals import services as referral_services
from referrals.models import Referral

BASE_DIR = Path(__file__).resolve().parent.parent
HTTPS_SETTINGS = [
    "SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "LANGUAGE_COOKIE_SECURE",
]


def production_env(tmp_path, **extra):
    """A production environment: DEBUG off, the two required variables, nothing else."""
    return {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "orgsite.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "orgsite.example",
        "ORGSITE_VAR_DIR": str(tmp_path),
        **extra,
    }


def run_python(env, *args):
    return subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def settings_under(env, names=HTTPS_SETTINGS):
    """The settings a process started with `env` gets, and what it said on stderr."""
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    done = run_python(env, "-c", code)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


# --- Production defaults, as a fresh process reads them ---


def test_production_is_https_only_by_default(tmp_path):
    values, said = settings_under(production_env(tmp_path))
    assert values == {
        "SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "LANGUAGE_COOKIE_SECURE": True,
    }
    assert "SECURE=0" not in said


def test_hsts_preload_when_configured(tmp_path):
    values, _ = settings_under(production_env(tmp_path, SECURE_HSTS_PRELOAD="1"))
    assert values["SECURE_HSTS_PRELOAD"] is True


def test_secure_0_is_plain_http_and_says_so_at_start(tmp_path):
    values, said = settings_under(production_env(tmp_path, SECURE="0"))
    assert not any(values.values())
    assert PLAIN_HTTP_WARNING in said


def test_local_debug_is_plain_http_without_a_warning_and_without_required_otp(tmp_path):
    env = production_env(tmp_path, DEBUG="1")
    values, said = settings_under(env, ["SECURE", "ADMIN_REQUIRE_SUPERUSER_OTP"])
    assert values == {"SECURE": False, "ADMIN_REQUIRE_SUPERUSER_OTP": False}
    assert "SECURE=0" not in said
    values, _ = settings_under(production_env(tmp_path), ["ADMIN_REQUIRE_SUPERUSER_OTP"])
    assert values == {"ADMIN_REQUIRE_SUPERUSER_OTP": True}


@pytest.mark.parametrize("preload", ["0", "1"])
def test_check_deploy_is_clean_with_production_settings(tmp_path, preload):
    env = production_env(tmp_path, SECURE_HSTS_PRELOAD=preload)
    done = run_python(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_check_deploy_fails_on_plain_http_production(tmp_path):
    env = production_env(tmp_path, SECURE="0")
    done = run_python(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode != 0
    assert "orgsite.W001" in done.stderr
    assert "security.W004" in done.stderr  # and Django's own: no HSTS


def test_the_admin_path_is_configurable(tmp_path):
    code = (
        "import django; django.setup(); from django.urls import resolve, reverse\n"
        "print(reverse('admin:index'))\n"
        "from django.urls import Resolver404\n"
        "try: print(resolve('/admin/').url_name)\n"
        "except Resolver404: print('none')"
    )
    done = run_python(production_env(tmp_path, ADMIN_PATH="/curators-x7/"), "-c", code)
    assert done.returncode == 0, done.stderr
    index, old = done.stdout.split()
    assert index == "/curators-x7/"
    assert old == "none"  # /admin/ is no longer the admin
    refused = run_python(production_env(tmp_path, ADMIN_PATH="/"), "-c", code)
    assert "ADMIN_PATH must name a path" in refused.stderr


# --- Every URL pattern's headers, under the production HTTPS settings ---


@pytest.fixture(scope="module")
def https_settings(tmp_path_factory):
    values, _ = settings_under(production_env(tmp_path_factory.mktemp("prod")))
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


@pytest.fixture
def production_https(settings, https_settings):
    for name, value in https_settings.items():
        setattr(settings, name, value)
    return settings


def _regex(pattern):
    text = pattern.regex.pattern
    return text.removeprefix("^").removesuffix(r"\Z").removesuffix("$")


def all_patterns(resolver=None, prefix=""):
    """(full regex, pattern) for every endpoint, through every include."""
    for entry in (resolver or get_resolver()).url_patterns:
        regex = prefix + _regex(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from all_patterns(entry, regex)
        else:
            yield regex, entry


def sample_path(regex, samples):
    """A path the regex matches, with the sample value for each named part where one fits."""
    fmt, params = normalize(regex)[0]
    choices = [samples.get(name, []) + ["1", "directory", "x", "0" * 12] for name in params]
    for values in itertools.product(*choices):
        path = fmt % dict(zip(params, values, strict=True))
        if re.fullmatch(regex, path):
            return "/" + path
    raise AssertionError(f"no sample path for {regex}")


def assert_secure_headers(response, path):
    headers = response.headers
    assert response.status_code != 500, path  # (a 503 from the readiness check is deliberate)
    assert headers.get("Strict-Transport-Security") == "max-age=31536000; includeSubDomains", path
    assert headers.get("X-Content-Type-Options") == "nosniff", path
    # A page whose address is a secret (a writer's stats link) sends no referrer at all.
    assert headers.get("Referrer-Policy") in ("same-origin", "no-referrer"), path
    if path.startswith("/embed/stats/"):
        assert headers["Referrer-Policy"] == "no-referrer", path
    assert headers.get("Cross-Origin-Opener-Policy") == "same-origin", path
    assert headers.get("Permissions-Policy") == permissions_policy(
        django_settings.PERMISSIONS_POLICY
    ), path
    csp = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors" in csp and "default-src 'self'" in csp, path
    assert "unsafe-" not in csp, path
    for name, morsel in response.cookies.items():
        if morsel["max-age"] == 0:
            continue  # a deletion: nothing is kept
        assert morsel["secure"], (path, name)
        assert morsel["samesite"] in ("Lax", "Strict"), (path, name)
        if name == django_settings.SESSION_COOKIE_NAME:
            assert morsel["httponly"], path


def test_every_url_pattern_sends_the_security_headers(
    seeded_db, db, production_https, admin_client
):
    org = Organization.objects.published().first()
    samples = {
        "slug": [org.slug, Category.objects.first().slug],
        "token": ["not-a-signed-token"],
        "answer": ["yes"],
        "object_id": [str(org.pk)],
        "id": [str(org.pk)],
    }
    admin_prefix = "/" + django_settings.ADMIN_PATH
    public = Client()
    seen = set()
    for regex, _pattern in all_patterns():
        path = sample_path(regex, samples)
        if path in seen:
            continue
        seen.add(path)
        client = admin_client if path.startswith(admin_prefix) else public
        assert_secure_headers(client.get(path, secure=True), path)
    # Not vacuous: the walk reached every app, the admin and the signed-link pages.
    for expected in ("/", "/search/", "/embed/", "/widget.js", "/api/v1/organizations/"):
        assert expected in seen
    assert any(p.startswith("/api/hsds/") for p in seen)
    assert any(p.startswith("/confirm/") for p in seen)
    assert any(p.startswith("/followup/") for p in seen)
    assert sum(p.startswith(admin_prefix) for p in seen) > 50


def test_static_files_send_the_headers_too(production_https):
    # WhiteNoise answers before the CSP middleware (a stylesheet runs nothing to restrict).
    response = Client().get("/static/css/site.css", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Permissions-Policy"].startswith("accelerometer=()")


def test_plain_http_is_redirected_to_https(production_https):
    response = Client().get("/search/?near=94704")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/search/?near=94704"


# --- Signed-link pages are never cached ---


def assert_not_cacheable(response):
    cache_control = response.headers.get("Cache-Control", "")
    assert "no-store" in cache_control and "private" in cache_control, cache_control


def test_signed_link_pages_are_not_cacheable(seeded_db, db):
    org = Organization.objects.published().first()
    client = Client()
    confirm = curation_services.reconfirmation_token(
        Reconfirmation.objects.create(organization=org)
    )
    page = client.get(f"/confirm/{confirm}/")
    assert page.status_code == 200
    assert_not_cacheable(page)
    assert_not_cacheable(client.get("/confirm/not-a-signed-token/"))

    referral = Referral.objects.create(
        organization=org,
        created=timezone.now(),
        sent_at=timezone.now(),
        status="sent",
        message_id="<1@groups.example.org>",
        name="Reader",
        email="reader@example.com",
        message="How do I join?",
        origin="https://groups.example.org",
    )
    followup = referral_services.followup_token(referral)
    page = client.get(f"/followup/{followup}/yes/")
    assert page.status_code == 200
    assert_not_cacheable(page)
    assert_not_cacheable(client.post(f"/followup/{followup}/yes/"))
    assert_not_cacheable(client.get("/followup/not-a-signed-token/no/"))


def test_every_page_taking_a_token_is_not_cacheable(seeded_db, db):
    client = Client()
    token_patterns = [regex for regex, _ in all_patterns() if "?P<token>" in regex]
    assert len(token_patterns) >= 2
    for regex in token_patterns:
        path = sample_path(regex, {"token": ["not-a-signed-token"], "answer": ["yes"]})
        assert_not_cacheable(client.get(path))
