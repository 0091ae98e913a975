"""Configuration: environment parsing and refusing to start unconfigured in production."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

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


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's page cache")
def test_each_sqlite_connection_keeps_the_configured_cache(settings, db):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        assert cursor.fetchone()[0] == -settings.SQLITE_CACHE_MB * 1024


def test_a_cache_of_less_than_a_megabyte_is_refused():
    result = run_settings(DEBUG="1", SQLITE_CACHE_MB="-5")
    assert result.returncode != 0
    assert "SQLITE_CACHE_MB must be at least 1" in result.stderr


def test_the_test_settings_strip_every_variable_the_settings_read():
    """A variable settings.py reads but test_settings.py lets through would make the suite
    depend on a developer's environment (a REFERRALS_FORM_MIN_SECONDS=0 in a shell, say)."""
    import ast
    from pathlib import Path

    from orgsite import env, test_settings

    readers = {name for name in dir(env) if name.startswith("env_")}
    tree = ast.parse(Path(test_settings.__file__).with_name("settings.py").read_text())
    read = {
        call.args[0].value
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id in readers
        and call.args
        and isinstance(call.args[0], ast.Constant)
    }
    assert len(read) > 50, read  # the walk finds the settings' reads at all
    # Reads by another route than orgsite.env would escape the walk above.
    assert "os.environ" not in Path(test_settings.__file__).with_name("settings.py").read_text()
    passed = sorted(
        name
        for name in read - test_settings._KEEP
        if name not in test_settings._NAMES and not name.startswith(test_settings._PREFIXES)
    )
    assert passed == [], f"add these to orgsite/test_settings.py's _NAMES or _PREFIXES: {passed}"
