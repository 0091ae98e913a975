"""Configuration: environment parsing and refusing to start unconfigured in production."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from orgsite.env import env_bool, env_int, env_list


def run_settings(**env):
    base = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    return subprocess.run(
        [sys.executable, "-c", "import orgsite.settings"],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_settings(DEBUG="0", ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "SECRET_KEY and ALLOWED_HOSTS must be set" in result.stderr


def test_production_starts_when_configured():
    assert (
        run_settings(DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="example.org").returncode
        == 0
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("True", True), ("on", True), ("0", False), ("False", False), ("", False)],
)
def test_env_bool_reads_false_as_false(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG") is expected


def test_env_bool_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG")


def test_env_int_and_list(monkeypatch):
    monkeypatch.setenv("N", "12")
    monkeypatch.setenv("HOSTS", "a.example, b.example,,")
    assert env_int("N", 1) == 12 and env_int("MISSING", 3) == 3
    assert env_list("HOSTS") == ["a.example", "b.example"]
    monkeypatch.setenv("N", "twelve")
    with pytest.raises(ImproperlyConfigured):
        env_int("N", 1)


def test_connections_persist_across_requests(settings):
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
