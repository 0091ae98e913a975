"""CSV import and export: idempotent, previewed, all or nothing, with history, safe to open."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from curation import importing
from curation.csv_format import HEADERS, ImportRefused, read_csv
from curation.importing import import_organizations
from directory.models import Organization
from tests.factories import make_category, make_org

FIELDS = [
    "external_id",
    "slug",
    "name",
    "status",
    "causes",
    "city",
    "state",
    "postal_code",
    "coverage",
    "coverage_radius",
    "website",
    "phone",
    "languages",
    "summary",
]


@pytest.fixture
def causes(db):
    return [
        make_category(slug="cur-tenants", name="Tenants"),
        make_category(slug="cur-housing", name="Housing"),
    ]


def row(n, **fields):
    values = {
        "external_id": f"ext-{n}",
        "slug": f"list-group-{n}",
        "name": f"List Group {n}",
        "status": "published",
        "causes": "cur-tenants;cur-housing",
        "city": "Berkeley",
        "state": "CA",
        "postal_code": "94704",
        "coverage": "local",
        "coverage_radius": "10",
        "website": f"https://group{n}.example.org",
        "phone": "+1 510 555 0100",
        "languages": "en;es",
        "summary": f"Group number {n}",
    }
    values.update(fields)
    return values


def csv_text(rows, fields=FIELDS):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write(tmp_path, rows, fields=FIELDS, name="orgs.csv"):
    path = tmp_path / name
    path.write_text(csv_text(rows, fields), encoding="utf-8")
    return str(path)


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_orgs", *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_preview_writes_nothing_then_commit_then_the_same_file_changes_nothing(tmp_path, causes):
    path = write(tmp_path, [row(n) for n in range(50)])
    assert "50 new" in run(path) and "Preview only" in run(path, "--dry-run")
    assert not Organization.objects.exists()
    assert "50 new, 0 changed" in run(path, "--commit")
    org = Organization.objects.get(external_id="ext-7")
    assert org.status == "published" and org.languages == "en,es"
    assert 37.8 < org.latitude < 37.9  # placed offline from the ZIP
    assert sorted(org.causes.values_list("slug", flat=True)) == ["cur-housing", "cur-tenants"]
    records = Organization.history.count()
    versions = dict(Organization.objects.values_list("pk", "version"))
    second = run(path, "--commit")
    assert "0 new, 0 changed, 50 unchanged" in second and "Nothing to change" in second
    assert Organization.history.count() == records
    assert dict(Organization.objects.values_list("pk", "version")) == versions


def test_changed_rows_are_updated_with_history_and_matched_on_the_key(tmp_path, causes):
    importer = User.objects.create_user("importer")
    run(write(tmp_path, [row(1), row(2)]), "--commit")
    changed = [row(1, name="Renamed Group", slug="renamed", causes="cur-tenants"), row(2)]
    out = run(write(tmp_path, changed), "--commit", "--user", "importer")
    assert "0 new, 1 changed, 1 unchanged" in out
    org = Organization.objects.get(external_id="ext-1")
    assert (org.name, org.slug, org.version) == ("Renamed Group", "renamed", 2)
    assert list(org.causes.values_list("slug", flat=True)) == ["cur-tenants"]
    latest, first = org.history.all()[:2]
    assert latest.history_type == "~" and latest.history_user == importer
    assert latest.name == "Renamed Group" and first.name == "List Group 1"
    assert list(latest.causes.values_list("category__slug", flat=True)) == ["cur-tenants"]
    assert sorted(first.causes.values_list("category__slug", flat=True)) == [
        "cur-housing",
        "cur-tenants",
    ]
    assert "import_orgs" in latest.history_change_reason


def test_an_entry_made_by_hand_is_matched_by_slug_and_adopts_the_external_id(tmp_path, causes):
    org = make_org(slug="list-group-1", name="List Group 1", causes=causes)
    run(write(tmp_path, [row(1)]), "--commit")
    org.refresh_from_db()
    assert org.external_id == "ext-1" and Organization.objects.count() == 1


@pytest.mark.parametrize(
    "bad, field, message",
    [
        ({"name": ""}, "name", "cannot be blank"),
        ({"name": "x" * 10_000}, "name", "at most 200"),
        ({"summary": "nul\x00byte"}, "summary", "NUL"),
        ({"status": "<script>"}, "status", "not a valid choice"),
        ({"coverage_radius": "-5"}, "coverage_radius", "1 to 250"),
        ({"coverage_radius": "many"}, "coverage_radius", "not a number"),
        ({"causes": "cur-tenants;space-lasers"}, "causes", "space-lasers"),
        ({"causes": ""}, "causes", "at least one cause"),
        ({"website": "javascript:alert(1)"}, "website", "valid URL"),
        ({"languages": "english"}, "languages", "Comma-separated"),
        ({"postal_code": "00000", "city": "Nowhere"}, "postal_code", "needs a place"),
        ({"external_id": "ext-1"}, "external_id", "twice in the file (first in row 2)"),
        ({"external_id": "", "slug": ""}, "slug", "external_id or a slug"),
    ],
)
def test_a_bad_row_aborts_the_whole_file_naming_its_row_and_field(
    tmp_path, causes, bad, field, message
):
    rows = [row(1), row(2), row(3, **bad)]
    with pytest.raises(CommandError, match="Nothing was imported"):
        run(write(tmp_path, rows), "--commit")
    report = import_organizations(*read_csv(csv_text(rows).encode()), commit=True)
    errors = [(e.row, e.field) for e in report.errors]
    assert (4, field) in errors, report.errors
    assert any(message in e.message for e in report.errors if e.row == 4)
    assert f"Row 4, {field}: " in "\n".join(str(error) for error in report.errors)
    assert not Organization.objects.exists()


def test_database_constraints_still_hold_if_a_check_were_missed(causes):
    headers, rows = read_csv(
        csv_text(
            [row(1, latitude="91", longitude="10")], FIELDS + ["latitude", "longitude"]
        ).encode()
    )
    report = import_organizations(headers, rows, commit=True)
    assert [(e.row, e.field) for e in report.errors] == [(2, "latitude")]
    assert not Organization.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"\xff\xfe\x00garbage", "UTF-8"),
        (b"name,colour\nA,red\n", "Unknown columns: colour"),
        (b"name,summary\nA,b\n", "external_id or a slug"),
        (b"slug,slug\nx,y\n", "twice"),
    ],
)
def test_files_that_cannot_be_imported_say_why(tmp_path, causes, data, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    with pytest.raises(CommandError, match=message):
        run(str(path), "--commit")
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path / "missing.csv"))
    with pytest.raises(ImportRefused):
        import_organizations(*read_csv(data), commit=True) if data else read_csv(data)


def test_export_neutralises_formulas_and_round_trips_unchanged(tmp_path, causes):
    make_org(
        name='=HYPERLINK("http://evil.example","x")',
        summary="+cmd|' /C calc'!A0",
        phone="@SUM(1+1)",
        accessibility="\tTabbed",
        latitude=-33.9,
        longitude=18.4,
        external_id="-7",
        causes=causes,
        slug="evil",
    )
    out = io.StringIO()
    call_command("export_orgs", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == HEADERS
    exported = rows[0]
    assert exported["name"].startswith("'=HYPERLINK")
    assert exported["summary"].startswith("'+cmd") and exported["phone"] == "'@SUM(1+1)"
    assert exported["accessibility"].startswith("'\t") and exported["external_id"] == "-7"
    assert exported["latitude"] == "-33.9" and exported["causes"] == "cur-housing;cur-tenants"
    assert exported["contact_email"].endswith("@example.net")
    path = tmp_path / "export.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    assert "0 new, 0 changed, 1 unchanged" in run(str(path), "--commit")
    assert Organization.objects.get().name.startswith("=HYPERLINK")
    call_command(
        "export_orgs",
        "--output",
        str(tmp_path / "file.csv"),
        "--status",
        "archived",
        stderr=io.StringIO(),
    )
    assert (tmp_path / "file.csv").read_text().strip() == ",".join(HEADERS)


def test_admin_import_previews_then_confirms_and_export_downloads(admin_client, causes):
    content = csv_text([row(1), row(2)]).encode()
    upload = SimpleUploadedFile("orgs.csv", content, content_type="text/csv")
    preview = admin_client.post(
        "/admin/directory/organization/import/",
        {"import_file": upload, "format": "0", "resource": "0"},
    )
    html = preview.content.decode()
    assert preview.status_code == 200 and "List Group 1" in html and "Confirm import" in html
    assert not Organization.objects.exists()
    confirm = preview.context["confirm_form"]
    done = admin_client.post(
        "/admin/directory/organization/process_import/",
        {**confirm.initial, "format": "0", "resource": "0"},
        follow=True,
    )
    assert done.status_code == 200
    assert Organization.objects.count() == 2
    assert Organization.history.filter(history_type="+", slug__startswith="list-group").count() == 2

    again = admin_client.post(
        "/admin/directory/organization/import/",
        {
            "import_file": SimpleUploadedFile("orgs.csv", content, content_type="text/csv"),
            "format": "0",
            "resource": "0",
        },
    )
    assert "List Group 1" not in again.content.decode()  # nothing to change, nothing listed
    assert again.context["result"].totals["skip"] == 2

    bad = csv_text([row(1), row(2, coverage_radius="-5")]).encode()
    refused = admin_client.post(
        "/admin/directory/organization/import/",
        {
            "import_file": SimpleUploadedFile("bad.csv", bad, content_type="text/csv"),
            "format": "0",
            "resource": "0",
        },
    )
    assert refused.context["result"].invalid_rows[0].number == 3
    assert "confirm_form" not in refused.context

    export = admin_client.post("/admin/directory/organization/export/", {"format": "0"})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert b"list-group-1" in b"".join(
        export.streaming_content if export.streaming else [export.content]
    )


def test_thousands_of_rows_import_in_a_few_queries_and_twice_changes_nothing(tmp_path, causes):
    # More rows than one compared chunk (CHUNK) and several write batches (BATCH).
    rows = importing.CHUNK + 2 * importing.BATCH
    path = write(tmp_path, [row(n) for n in range(rows)])
    with CaptureQueriesContext(connection) as queries:
        assert f"{rows} new" in run(path, "--commit")
    # 100,000 rows take about 40 s on SQLite (docs/curation.md): queries go by the batch (and
    # by as many rows as SQLite takes parameters for in one INSERT), never by the row.
    assert len(queries) < rows / 10, len(queries)
    assert Organization.history.filter(slug__startswith="list-group").count() == rows
    assert f"{rows} unchanged" in run(path, "--commit")


# --- Imports that cannot destroy ---


def export_file(tmp_path, *args):
    path = tmp_path / "export.csv"
    call_command("export_orgs", "--output", str(path), *args, stderr=io.StringIO())
    return path


def upload(admin_client, content, **extra):
    return admin_client.post(
        "/admin/directory/organization/import/",
        {
            "import_file": SimpleUploadedFile("orgs.csv", content, content_type="text/csv"),
            "format": "0",
            "resource": "0",
            **extra,
        },
    )


def test_a_truncated_export_is_refused_and_blanks_nothing(tmp_path, causes):
    orgs = [make_org(causes=causes, slug=f"kept-{n}", accessibility="Step-free") for n in range(3)]
    path = export_file(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:-60])  # a copy cut short: the last row loses its last cells
    last_row = next(csv.reader([data[:-60].decode().splitlines()[-1]]))
    assert len(last_row) < len(HEADERS)
    errors = run_errors(str(path), "--commit")
    assert f"Row 4: expected {len(HEADERS)} columns, found {len(last_row)}." in errors
    assert "Nothing was imported" in errors
    for org in orgs:
        before = (org.contact_email, org.source, org.last_verified, org.version)
        org.refresh_from_db()
        assert (org.contact_email, org.source, org.last_verified, org.version) == before
        assert org.contact_email


def run_errors(*args):
    """What import_orgs says when it refuses: each row's error, then the summary."""
    err = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_orgs", *args, stdout=io.StringIO(), stderr=err)
    return err.getvalue() + str(refused.value)


def test_a_file_cut_inside_a_quoted_cell_is_refused(tmp_path, causes):
    make_org(causes=causes, slug="quoted", description='Line one\nline "two"')
    path = export_file(tmp_path)
    text = path.read_text()
    path.write_text(text[: text.index("line ") + 3])
    with pytest.raises(CommandError, match="cut short"):
        run(str(path), "--commit")


@pytest.mark.parametrize(
    "cells, message",
    [
        (1, "Row 3: expected 14 columns, found 13."),  # the last cell missing
        (5, "Row 3: expected 14 columns, found 9."),
        (-1, "Row 3: expected 14 columns, found 15."),  # one cell too many, not empty
    ],
)
def test_short_and_long_rows_are_refused_by_number_and_width(tmp_path, causes, cells, message):
    lines = csv_text([row(1), row(2), row(3)]).splitlines()
    short = next(csv.reader([lines[2]]))
    short = short[:-cells] if cells > 0 else short + ["surplus"]
    lines[2] = ",".join(short)
    path = tmp_path / "short.csv"
    path.write_text("\n".join(lines) + "\n")
    errors = run_errors(str(path), "--commit")
    assert message in errors
    assert not Organization.objects.exists()


def test_empty_cells_after_the_last_column_and_blank_lines_are_harmless(tmp_path, causes):
    lines = csv_text([row(1), row(2)]).splitlines()
    lines[1] += ",,"  # as a spreadsheet may save a row
    path = tmp_path / "padded.csv"
    path.write_text(lines[0] + "\n" + lines[1] + "\n\n" + lines[2] + "\n\n")
    assert "2 rows: 2 new" in run(str(path), "--commit")
    bad = lines[0] + "\n\n" + lines[1] + "\n" + lines[2][:-20] + "\n"
    path.write_text(bad)
    # Row numbers count the blank line, as a spreadsheet would.
    assert "Row 4: expected 14 columns" in run_errors(str(path), "--commit")


def test_emptying_a_private_contact_email_needs_an_explicit_flag(tmp_path, causes):
    org = make_org(causes=causes, slug="relay", contact_email="organizer@example.net")
    path = export_file(tmp_path)
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    rows[0]["contact_email"] = ""
    rows[0]["summary"] = "A new summary"
    blanked = write(tmp_path, rows, fields=HEADERS, name="blanked.csv")
    errors = run_errors(blanked, "--commit")
    assert "Row 2, contact_email: This would erase the private contact email" in errors
    org.refresh_from_db()
    assert org.contact_email == "organizer@example.net" and org.summary != "A new summary"

    out = run(blanked, "--commit", "--allow-blank-private")
    assert "1 changed" in out
    org.refresh_from_db()
    assert org.contact_email == "" and org.summary == "A new summary"


def test_a_file_without_the_private_column_leaves_it_alone(tmp_path, causes):
    org = make_org(causes=causes, slug="kept", contact_email="organizer@example.net")
    path = export_file(tmp_path, "--no-private")
    assert "contact_email" not in path.read_text().splitlines()[0]
    assert "organizer@example.net" not in path.read_text()
    text = path.read_text().replace("A fictional group for tests.", "Changed")
    path.write_text(text)
    assert "1 changed" in run(str(path), "--commit")
    org.refresh_from_db()
    assert org.summary == "Changed" and org.contact_email == "organizer@example.net"


def test_admin_import_refuses_a_truncated_file_and_asks_before_blanking(admin_client, causes):
    org = make_org(causes=causes, slug="relay", contact_email="organizer@example.net")
    out = io.StringIO()
    call_command("export_orgs", stdout=out)
    data = out.getvalue().encode()

    refused = upload(admin_client, data[:-60])
    assert "confirm_form" not in refused.context
    invalid = refused.context["result"].invalid_rows
    assert [r.number for r in invalid] == [2]
    assert "expected 36 columns" in refused.content.decode()

    blank = out.getvalue().replace("organizer@example.net", "").encode()
    preview = upload(admin_client, blank)
    assert "confirm_form" not in preview.context
    assert "This would erase the private contact email" in preview.content.decode()
    form = admin_client.get("/admin/directory/organization/import/").content.decode()
    assert 'name="allow_blank_private"' in form and "Allow erasing private contact emails" in form

    preview = upload(admin_client, blank, allow_blank_private="on")
    confirm = preview.context["confirm_form"]
    assert confirm.initial["allow_blank_private"] is True
    admin_client.post(
        "/admin/directory/organization/process_import/",
        {**confirm.initial, "format": "0", "resource": "0"},
    )
    org.refresh_from_db()
    assert org.contact_email == ""


def test_a_file_cut_short_in_the_admin_says_why(admin_client, causes):
    content = csv_text([row(1), row(2, summary="In two\nlines")]).encode()
    cut = content[: content.index(b"In two") + 3]  # ends inside the quoted summary
    response = upload(admin_client, cut)
    assert "cut short" in response.content.decode()
    assert not Organization.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_import_commits_batch_by_batch_so_other_writers_get_the_lock(tmp_path, monkeypatch):
    make_category(slug="cur-tenants", name="Tenants")
    make_category(slug="cur-housing", name="Housing")
    monkeypatch.setattr(importing, "BATCH", 10)
    monkeypatch.setattr(importing, "SQLITE_PAUSE", 0)
    seen = []

    def between_batches(written, total):
        # Nothing is held open between two batches: what was written is committed, and
        # another connection may write now.
        assert not connection.in_atomic_block
        seen.append((written, total, Organization.objects.count()))
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    rows = [row(n) for n in range(35)]
    report = import_organizations(*read_csv(csv_text(rows)), commit=True, on_batch=between_batches)
    assert report.committed and len(report.created) == 35
    assert seen == [(10, 35, 10), (20, 35, 20), (30, 35, 30), (35, 35, 35)]
    assert Organization.history.filter(history_type="+").count() == 35
    # Updates go in batches too, after the creations.
    seen.clear()
    changed = [row(n, summary="Changed") for n in range(35)]
    import_organizations(*read_csv(csv_text(changed)), commit=True, on_batch=between_batches)
    assert [written for written, _total, _count in seen] == [10, 20, 30, 35]
    assert Organization.objects.filter(summary="Changed").count() == 35


# --- Private fields in the admin's export ---


def exported(client):
    response = client.post(
        "/admin/directory/organization/export/", {"format": "0", "resource": "0"}
    )
    assert response.status_code == 200, response.status_code
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode()


@pytest.fixture
def view_only_staff(db):
    user = User.objects.create_user("looker", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename="view_organization"))
    return user


def test_view_only_staff_export_no_private_contact_email(client, causes, view_only_staff):
    make_org(causes=causes, slug="relay", contact_email="organizer@example.net")
    client.force_login(view_only_staff)
    body = exported(client)
    assert "relay" in body and "organizer@example.net" not in body
    assert "contact_email" not in body.splitlines()[0]


def test_the_named_permission_lets_a_curator_export_private_fields(client, causes, view_only_staff):
    make_org(causes=causes, slug="relay", contact_email="organizer@example.net")
    view_only_staff.user_permissions.add(Permission.objects.get(codename="export_private_fields"))
    client.force_login(User.objects.get(pk=view_only_staff.pk))
    body = exported(client)
    assert "organizer@example.net" in body and body.splitlines()[0].endswith("contact_email")


def test_superusers_export_everything(admin_client, causes):
    make_org(causes=causes, slug="relay", contact_email="organizer@example.net")
    assert "organizer@example.net" in exported(admin_client)
