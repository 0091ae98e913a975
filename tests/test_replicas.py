"""Reads go to a replica and writes to the primary, with real connections to both."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent(
    """
    import django
    django.setup()
    from django.core.management import call_command
    from django.db import connections, transaction
    from django.test.utils import CaptureQueriesContext

    from directory.models import Category

    call_command("migrate", verbosity=0)
    aliases = [alias for alias in connections if alias.startswith("replica")]
    replicas = [CaptureQueriesContext(connections[alias]) for alias in aliases]
    with CaptureQueriesContext(connections["default"]) as primary:
        for replica in replicas:
            replica.__enter__()
        Category.objects.create(slug="labor", name="Labor")
        for _ in range(8):
            assert Category.objects.filter(slug="labor").count() == 1
        with transaction.atomic():
            assert Category.objects.get(slug="labor").name == "Labor"
        for replica in replicas:
            replica.__exit__(None, None, None)
    reads = [q["sql"] for replica in replicas for q in replica.captured_queries]
    writes = [q["sql"] for q in primary.captured_queries]
    assert any("COUNT" in sql for sql in reads), reads
    assert not any("INSERT" in sql for sql in reads), reads
    assert any("INSERT" in sql for sql in writes), writes
    assert not any("COUNT" in sql for sql in writes), writes
    # Within a transaction, the primary answers, so a read sees what the transaction wrote.
    assert any("SELECT" in sql and "COUNT" not in sql for sql in writes), writes
    print("routed")
    """
)


@pytest.mark.parametrize("replicas", [1, 2])
def test_reads_go_to_a_replica_and_writes_to_the_primary(tmp_path, replicas):
    database = tmp_path / "db.sqlite3"
    url = f"sqlite:///{database}"
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "orgsite.settings",
        "DEBUG": "1",
        "ORGSITE_VAR_DIR": str(tmp_path),
        "DATABASE_URL": url,
        # The replicas are the same file through other connections, as a test replica is.
        "DATABASE_REPLICA_URLS": ",".join([url] * replicas),
    }
    done = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", SCRIPT],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "routed" in done.stdout


def test_without_replicas_there_is_no_router(settings):
    assert settings.DATABASE_ROUTERS == []
    assert list(settings.DATABASES) == ["default"]
