"""Backups that restore to the same answers: one way per database, behind `manage.py backup`
and `manage.py restore`.

A plain copy of a live SQLite file misses what is still in its write-ahead log (a copy made
here had 560 of 590 messages), and dumpdata/loaddata rewrites rows through the models (it
changed 9 of 14 answers and added 241 history records). So:

- SQLite: the online backup API, a consistent snapshot taken while the site keeps writing (in
  WAL mode writers are not blocked); restore copies the pages back the same way, under the
  database's own lock.
- PostgreSQL: `pg_dump --format=custom`, a consistent snapshot; `pg_restore --clean
  --single-transaction`, which replaces every table it holds, all or nothing.

Either way the file is written beside its destination and renamed into place when complete,
so a failed backup never leaves a half-written file under the expected name.
"""

import os
import re
import shutil
import sqlite3
import subprocess  # noqa: S404 (fixed argument lists, no shell)
import tempfile
from pathlib import Path

from django.db import connection
from django.db.backends.sqlite3._functions import register as register_sqlite_functions
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

PG_BIN_DIRS = "/usr/lib/postgresql/*/bin"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


def backup(path, bin_dir=None):
    """Write a backup of the default database to `path`; returns a one-line description."""
    path = Path(path)
    if connection.vendor == "sqlite":
        _sqlite_backup(path)
    elif connection.vendor == "postgresql":
        _pg_backup(path, bin_dir)
    else:
        raise BackupError(_("Backups support SQLite and PostgreSQL, not %s.") % connection.vendor)
    return _("%(vendor)s backup written to %(path)s (%(size)s bytes).") % {
        "vendor": connection.display_name,
        "path": path,
        "size": path.stat().st_size,
    }


def restore(path, bin_dir=None):
    """Replace the default database's contents with the backup at `path`.

    Returns the number of migrations the restored data lacks (then `migrate` must run).
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("There is no file at %s.") % path)
    if connection.vendor == "sqlite":
        _sqlite_restore(path)
    elif connection.vendor == "postgresql":
        _pg_restore(path, bin_dir)
    else:
        raise BackupError(_("Backups support SQLite and PostgreSQL, not %s.") % connection.vendor)
    return missing_migrations()


def missing_migrations():
    """How many of the code's migrations the database has not applied."""
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _beside(path):
    """A temporary name in the destination's folder, so the final rename cannot cross disks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(handle)
    return Path(name)


# --- SQLite ---


def _sqlite_backup(path):
    connection.ensure_connection()
    partial = _beside(path)
    try:
        partial.unlink()  # sqlite3 makes the file itself
        target = sqlite3.connect(partial)
        try:
            connection.connection.backup(target)
            # A self-contained file: no -wal or -shm beside it, readable from any folder.
            target.execute("PRAGMA journal_mode=DELETE")
            _sqlite_check(target, partial)
        finally:
            target.close()
        os.replace(partial, path)
    except sqlite3.Error as error:
        raise BackupError(_("The backup failed: %s") % error) from None
    finally:
        partial.unlink(missing_ok=True)


def _sqlite_restore(path):
    try:
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BackupError(
            _("Cannot open %(path)s: %(error)s") % {"path": path, "error": error}
        ) from None
    try:
        _sqlite_check(source, path)
        if connection.in_atomic_block:
            raise BackupError(_("A restore cannot run inside a transaction."))
        connection.ensure_connection()
        # Copies every page under the database's write lock; other connections wait for it
        # (the busy timeout) and then see the restored data.
        source.backup(connection.connection)
    except sqlite3.Error as error:
        raise BackupError(_("The restore failed: %s") % error) from None
    finally:
        source.close()


def _sqlite_check(db, path):
    # The check constraints call the functions Django adds to its SQLite connections (REGEXP).
    register_sqlite_functions(db)
    try:
        result = db.execute("PRAGMA quick_check").fetchone()[0]
        tables = db.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
        ).fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise BackupError(
            _("%(path)s is not an SQLite database: %(error)s") % {"path": path, "error": error}
        ) from None
    if result != "ok":
        raise BackupError(_("%(path)s is damaged: %(error)s") % {"path": path, "error": result})
    if not tables:
        raise BackupError(_("%s holds no Django database.") % path)


# --- PostgreSQL ---


def _pg_backup(path, bin_dir):
    partial = _beside(path)
    try:
        _run(
            _pg_tool("pg_dump", bin_dir),
            ["--format=custom", "--no-password", f"--file={partial}"],
            _("The backup failed"),
        )
        # Reading the table of contents back proves the file is whole.
        reader = _pg_tool("pg_restore", bin_dir)
        _run(reader, ["--list", str(partial)], _("The backup is unreadable"))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _pg_restore(path, bin_dir):
    tool = _pg_tool("pg_restore", bin_dir)
    _run(tool, ["--list", str(path)], _("%s is not a pg_dump custom-format file") % path)
    if connection.in_atomic_block:
        raise BackupError(_("A restore cannot run inside a transaction."))
    # Our own connection must hold no lock on the tables about to be replaced.
    connection.close()
    _run(
        tool,
        [
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-password",
            f"--dbname={connection.settings_dict['NAME']}",
            str(path),
        ],
        _("The restore failed, and changed nothing"),
    )


def _run(tool, arguments, failure):
    result = subprocess.run(  # noqa: S603 (a fixed tool and arguments, no shell)
        [str(tool), *arguments],
        env=_pg_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise BackupError(f"{failure}: {result.stderr.strip() or result.returncode}")
    return result.stdout


def _pg_environment():
    """libpq's variables for the default database: no password on any command line."""
    settings = connection.settings_dict
    options = settings.get("OPTIONS", {})
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    for variable, value in (
        ("PGHOST", settings.get("HOST")),
        ("PGPORT", settings.get("PORT")),
        ("PGUSER", settings.get("USER")),
        ("PGPASSWORD", settings.get("PASSWORD")),
        ("PGDATABASE", settings.get("NAME")),
        ("PGSSLMODE", options.get("sslmode")),
        ("PGCONNECT_TIMEOUT", options.get("connect_timeout")),
    ):
        if value:
            env[variable] = str(value)
    return env


def _pg_tool(name, bin_dir=None):
    """The newest `name` that can read this server (a tool older than the server cannot)."""
    connection.ensure_connection()
    server = connection.pg_version // 10000
    candidates = [Path(bin_dir) / name] if bin_dir else []
    if not bin_dir:
        found = shutil.which(name)
        candidates += [Path(found)] if found else []
        candidates += sorted(Path("/").glob(PG_BIN_DIRS.lstrip("/") + "/" + name), reverse=True)
    best = None
    for candidate in candidates:
        version = _tool_version(candidate)
        if version and version >= server and (best is None or version > best[0]):
            best = (version, candidate)
    if best is None:
        raise BackupError(
            _(
                "No %(tool)s of version %(version)s or newer was found (looked in PATH and "
                "%(dirs)s). Install the PostgreSQL client tools, or name their folder with "
                "--bin-dir."
            )
            % {"tool": name, "version": server, "dirs": PG_BIN_DIRS}
        )
    return best[1]


def _tool_version(tool):
    try:
        output = subprocess.run(  # noqa: S603
            [str(tool), "--version"], capture_output=True, text=True, check=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", output)
    return int(match.group(1)) if match else None
