"""Which app may import which: the table in docs/architecture.md, checked against every import.

The imports are read from the source (ast), at module level and inside functions alike, so a
late import to dodge a cycle counts too. Migrations are left out: they are frozen history.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
PROJECT = "orgsite"
ROW = re.compile(r"^\| `(?P<app>[a-z_]+)` \|.*\| (?P<imports>[^|]+) \|$", re.MULTILINE)
# Known edges against the rules, each with its reason; an entry here is debt, not design.
KNOWN = {
    # outage.py is middleware that knows the apps' 503s (the widget's frameable page, the
    # delivery worker's heartbeat for /ready/), and directory's /ready/ view calls its
    # readiness(): moving that view (and /healthz) to the project would make outage.py wiring
    # that no app imports, and these two edges would go.
    ("orgsite.outage", "embed"),
    ("orgsite.outage", "referrals"),
}


def allowed():
    """{app: {apps it may import}} from the table of docs/architecture.md."""
    table = DOC.read_text().split("## The apps", 1)[1].split("\n## ", 1)[0]
    return {
        row["app"]: set(re.findall(r"`([a-z_]+)`", row["imports"])) for row in ROW.finditer(table)
    }


def imported(path):
    """The modules a file imports, as dotted names (`from pkg import mod` gives pkg.mod too)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def sources(package):
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" not in path.relative_to(ROOT).parts:
            yield path


def module_name(path):
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def edges(package, targets):
    """{(importing module, imported top-level package)} for imports of any of `targets`."""
    found = set()
    for path in sources(package):
        for name in imported(path):
            top = name.split(".")[0]
            if top in targets and top != package:
                found.add((module_name(path), top))
    return found


def test_the_table_names_every_app_of_the_project():
    apps = allowed()
    local = {path.parent.name for path in ROOT.glob("*/apps.py")} - {PROJECT}
    assert set(apps) == local, "docs/architecture.md's table of apps is not the list of apps"


def test_apps_import_only_what_the_table_allows():
    apps = allowed()
    wrong = sorted(
        f"{module} imports {target}"
        for app in apps
        for module, target in edges(app, set(apps))
        if target not in apps[app]
    )
    assert wrong == [], "against docs/architecture.md's table: " + "; ".join(wrong)


def test_the_table_allows_nothing_the_code_does_not_do():
    apps = allowed()
    unused = sorted(
        f"{app} -> {target}"
        for app in apps
        for target in apps[app] - {target for _module, target in edges(app, set(apps))}
    )
    assert unused == [], "allowed but never imported (tighten the table): " + ", ".join(unused)


def test_directory_imports_no_other_app():
    apps = set(allowed())
    assert edges("directory", apps - {"directory"}) == set()
    assert allowed()["directory"] == set()


def test_the_project_modules_apps_use_import_no_app():
    """Apps lean on a few project modules (orgsite.env, orgsite.jsonedge, ...); if one of those
    imported an app, the table's directions would be broken through the back door."""
    apps = set(allowed())
    used = {
        name
        for app in apps
        for path in sources(app)
        for name in imported(path)
        if name.startswith(PROJECT + ".") and (ROOT / (name.replace(".", "/") + ".py")).exists()
    }
    assert used, "apps use no project module: the walk is broken"
    wrong = sorted(
        f"{module} imports {target}"
        for module, target in edges(PROJECT, apps)
        if module in used and (module, target) not in KNOWN
    )
    assert wrong == [], "; ".join(wrong)
    assert edges(PROJECT, apps) >= KNOWN, "a known exception is gone: remove it from KNOWN"


def test_the_walk_sees_imports_inside_functions(tmp_path):
    path = tmp_path / "late.py"
    path.write_text("def f():\n    from referrals.models import Referral\n")
    assert "referrals.models" in set(imported(path))
