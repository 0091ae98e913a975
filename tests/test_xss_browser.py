"""Cross-site scripting, in real Chromium: a corpus of payloads (tests/xss_payloads.txt) goes in
through every public form and import path, and every page that shows it executes none of it.

The pages are rendered with the content security policy bypassed, so what is proved is the
escaping itself; the policy is a second wall behind it. A payload that runs calls __xss(number)
or opens a dialog; one whose markup survives leaves an element with a data-xss attribute, or a
javascript: link; one that a template engine evaluated leaves TPLXEVAL. A first test renders the
payloads raw, to show that the detector sees what it should.

Many payloads share a page (an entry holds up to three in each of its text fields, a refused form
a share of the whole corpus in each of its inputs), so the whole run is under a hundred page loads.
"""

import csv
import html
import json
import re
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from curation.models import Report, Suggestion
from curation.services import suggestion_approve
from directory.models import Organization
from hsds import importing as hsds_importing
from tests.factories import make_category, make_org

pytestmark = pytest.mark.browser

PAYLOAD_FILE = Path(__file__).with_name("xss_payloads.txt")


def load_payloads():
    # split("\n"), not splitlines(): some payloads hold U+2028 and form feeds on purpose.
    lines = PAYLOAD_FILE.read_text(encoding="utf-8").split("\n")
    corpus = [line for line in lines if line and not line.startswith("# ")]
    return [line.replace("XSSN", str(n)) for n, line in enumerate(corpus, start=1)]


PAYLOADS = load_payloads()

HOOK = "window.__fired = []; window.__xss = (n) => window.__fired.push(String(n));"
# What a page shows of a payload that got through, as short readable lines.
CHECK = r"""(secret) => {
  const found = (window.__fired || []).map((n) => `ran payload ${n}`);
  for (const el of document.querySelectorAll("[data-xss]")) {
    found.push(`markup survived: ${el.outerHTML.slice(0, 100)}`);
  }
  for (const el of document.querySelectorAll("[href],[src],[action],[formaction],[data]")) {
    for (const name of ["href", "src", "action", "formaction", "data"]) {
      const value = (el.getAttribute(name) || "").replace(/[\s\u0000-\u001f]/g, "").toLowerCase();
      if (/^(javascript|vbscript|data:text\/html)/.test(value)) {
        found.push(`script URL: ${el.outerHTML.slice(0, 100)}`);
      }
    }
  }
  const page = document.documentElement.outerHTML;
  if (page.includes("TPLXEVAL")) found.push("template evaluated");
  if (secret && page.includes(secret)) found.push("the secret key is on the page");
  return found;
}"""


def chunks(items, size):
    return [items[i : i + size] for i in range(0, len(items), size)]


def pack(fields, per_field=3):
    """The corpus as entries {field: text}: up to `per_field` payloads in each field, as many as
    its (name, longest, separator) allow, so every payload is in one field of one entry."""
    entries, queue = [], list(PAYLOADS)
    while queue:
        entry = {}
        for name, longest, separator in fields:
            taken = []
            while queue and len(taken) < per_field:
                text = separator.join([*taken, queue[0]])
                if len(text) > longest:
                    break
                taken.append(queue.pop(0))
            entry[name] = separator.join(taken)
        entries.append(entry)
    return entries


def one_line(text):
    """What the one-line fields keep (they refuse line and page breaks, as they should)."""
    return re.sub(r"[\u2028\u2029\x0b\x0c\x85]", " ", text)


class Tab:
    """One Chromium tab with the execution hook, collecting what each page lets through."""

    def __init__(self, browser, site, cookie=None):
        self.site = site
        self.context = browser.new_context(bypass_csp=True)
        if cookie:
            host = re.sub(r"^https?://|:\d+$", "", site)
            self.context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": cookie,
                        "domain": host,
                        "path": "/",
                    }
                ]
            )
        self.context.add_init_script(HOOK)
        self.page = self.context.new_page()
        self.found = {}
        self.pages = 0
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog):
        self.found.setdefault(self.page.url, []).append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def check(self, label):
        self.pages += 1
        problems = self.page.evaluate(CHECK, settings.SECRET_KEY)
        if problems:
            self.found.setdefault(label, []).extend(problems)

    def visit(self, path, expect=200):
        response = self.page.goto(self.site + path, wait_until="load")
        assert response.status == expect, (path, response.status)
        self.check(path)

    def submit(self, path, values, form="form:has(input[name=token])"):
        """Fill a form's text fields with `values` {name: text} and send it as typed (the
        browser's own checks skipped, as a script would), then check the answer."""
        self.page.goto(self.site + path, wait_until="load")
        with self.page.expect_navigation(wait_until="load"):
            self.page.evaluate(
                """([selector, values]) => {
                  const form = document.querySelector(selector);
                  for (const [name, value] of Object.entries(values)) {
                    form.elements[name].value = value;
                  }
                  HTMLFormElement.prototype.submit.call(form);
                }""",
                [form, values],
            )
        self.check(f"{path} (sent back)")

    def close(self):
        self.context.close()


@pytest.fixture
def site(live_server, transactional_db, settings):
    settings.CURATION_FORM_MIN_SECONDS = 0
    settings.CURATION_CLIENT_LIMIT = 100_000
    settings.REFERRALS_CLIENT_LIMIT = 100_000
    settings.SEARCH_BLOCK_LIMIT = 1000
    return live_server.url


def test_the_detector_sees_payloads_rendered_raw(browser):
    """The control: written into pages unescaped (each in a frame of its own, so that none
    swallows the next), the payloads are caught."""
    frames = "".join(
        f'<iframe title="{n}" srcdoc="{html.escape(payload)}"></iframe>'
        for n, payload in enumerate(PAYLOADS, start=1)
    )
    tab = Tab(browser, "http://raw.invalid")
    # The page never reaches a server: the browser is handed it, and anything it asks for fails.
    tab.page.route(
        "http://raw.invalid/**",
        lambda route: (
            route.fulfill(body=f"<!doctype html><body>{frames}", content_type="text/html")
            if route.request.url == "http://raw.invalid/"
            else route.abort()
        ),
    )
    tab.page.goto("http://raw.invalid/", wait_until="load")
    caught = sum(bool(frame.evaluate(CHECK, "")) for frame in tab.page.main_frame.child_frames)
    tab.close()
    assert len(PAYLOADS) >= 100
    # Payloads made for attributes, scripts or URLs are harmless as text in a paragraph.
    assert caught >= 80, caught


# --- The ways in. ---

CSV_FIELDS = [
    ("name", 200, " "),
    ("summary", 280, " "),
    ("description", 2000, "\n"),
    ("address", 200, " "),
    ("city", 100, " "),
    ("first_step", 300, " "),
    ("meeting_schedule", 200, " "),
    ("accessibility", 300, " "),
]
HSDS_FIELDS = [
    ("name", 200, " "),
    ("summary", 280, " "),
    ("description", 2000, "\n"),
    ("first_step", 300, " "),
    ("street", 200, " "),
    ("accessibility", 300, " "),
]
SUGGEST_FIELDS = [
    ("name", 200, " "),
    ("city", 100, " "),
    ("summary", 280, " "),
    ("first_step", 300, " "),
    ("meeting_schedule", 200, " "),
    ("note", 2000, "\n"),
]


def import_csv(tmp_path, cause):
    """The corpus through the curators' CSV import."""
    rows = []
    for i, entry in enumerate(pack(CSV_FIELDS)):
        row = {name: one_line(text) for name, text in entry.items()}
        row.update(
            slug=f"csv-{i}",
            name=row["name"] or f"CSV {i}",
            status="published",
            causes=cause.slug,
            address_public="true",
            state="CA",
            postal_code="94704",
            country="US",
            latitude=f"{37.80 + i * 0.001:.4f}",
            longitude="-122.27",
            coverage="local",
            coverage_radius="10",
            languages="en",
        )
        rows.append(row)
    path = tmp_path / "groups.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    call_command("import_orgs", str(path), "--commit", verbosity=0)
    return len(rows)


def import_hsds(tmp_path, cause):
    """The corpus through the HSDS import, as a list of services."""
    services = []
    for i, entry in enumerate(pack(HSDS_FIELDS)):
        ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"xss:{i}:{k}")) for k in range(7)]
        name = entry["name"] or f"HSDS {i}"
        location = {
            "id": ids[3],
            "location_type": "physical",
            "latitude": 37.85 + i * 0.001,
            "longitude": -122.26,
            "addresses": [
                {
                    "id": ids[4],
                    "address_1": entry["street"] or "1 Main St",
                    "city": "Oakland",
                    "state_province": "CA",
                    "postal_code": "94612",
                    "country": "US",
                    "address_type": "physical",
                }
            ],
            "accessibility": [{"id": ids[5], "description": entry["accessibility"] or "Ramp."}],
        }
        services.append(
            {
                "id": ids[0],
                "name": name,
                "status": "active",
                "description": entry["summary"] or "A service.",
                "application_process": entry["first_step"],
                "organization": {
                    "id": ids[1],
                    "name": name,
                    "description": entry["description"] or "An organization.",
                },
                "service_at_locations": [{"id": ids[2], "location": location}],
                "attributes": [
                    {
                        "id": ids[6],
                        "taxonomy_term": {
                            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "xss:term")),
                            "name": cause.name,
                            "description": "The cause.",
                        },
                    }
                ],
            }
        )
    path = tmp_path / "services.json"
    path.write_text(json.dumps(services))
    hsds_importing.import_hsds(path)
    return len(services)


def _errors(response):
    return response.context["form"].errors if response.context else response.status_code


def form_token(client, path):
    html = client.get(path).content.decode()
    return re.search(r'name="token" value="([^"]*)"', html)[1]


def suggest(cause):
    """The corpus through the public suggestion form (as sent by a browser), then approved."""
    client = Client()
    for entry in pack(SUGGEST_FIELDS):
        data = {name: one_line(text) for name, text in entry.items()}
        data.update(
            name=data["name"] or "A group",
            note=entry["note"],
            token=form_token(client, "/suggest/"),
            causes=[cause.slug],
            coverage="local",
            state="CA",
            postal_code="94704",
            country="US",
            email="suggester@example.com",
        )
        response = client.post("/suggest/", data)
        assert response.status_code == 302, _errors(response)
    curator = User.objects.create_superuser("approver", "approver@example.com", "x" * 20)
    for suggestion in Suggestion.objects.all():
        suggestion_approve(suggestion, curator)


def report(slug):
    """The corpus through the public report form, many payloads in each report's details."""
    client = Client()
    path = f"/groups/{slug}/report/"
    for entry in pack([("details", 2000, "\n")], per_field=40):
        data = {"token": form_token(client, path), "reason": "other", **entry}
        response = client.post(path, data)
        # Thanked on the same address; a refusal would show the form again.
        assert "form" not in response.context, _errors(response)


def curator_cookie():
    user = User.objects.create_superuser("curator", "curator@example.com", "a long password!")
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


ORG_TEXT = ["name", "summary", "description", "address", "city", "first_step"]
ORG_TEXT += ["meeting_schedule", "accessibility"]


def assert_kept(queryset, fields=ORG_TEXT):
    """Every payload is stored somewhere in these rows (one-line fields lose line breaks)."""
    text = one_line(" ".join(str(v) for row in queryset.values_list(*fields) for v in row))
    assert [p for p in PAYLOADS if one_line(p).strip() not in text] == []


def split(items, parts):
    """`items` in `parts` runs of about the same length."""
    size = -(-len(items) // parts)
    return chunks(items, size) + [[]] * (parts - len(chunks(items, size)))


@pytest.mark.django_db(transaction=True)
def test_no_payload_runs_on_any_page_that_shows_it(browser, site, tmp_path, settings):
    cause = make_category(slug="housing", name="Housing & tenants")
    target = make_org(causes=[cause], name="Target Tenants", slug="target")
    entries = 1 + import_csv(tmp_path, cause) + import_hsds(tmp_path, cause)
    suggest(cause)
    report("target")
    published = Organization.objects.published()
    assert published.count() == entries + Suggestion.objects.count()
    # Each way in kept every payload (one-line fields without their line breaks).
    assert_kept(Organization.objects.filter(slug__startswith="csv-"))
    assert_kept(Organization.objects.filter(hsds_record__isnull=False))
    assert_kept(
        Organization.objects.filter(suggestion__isnull=False), [*ORG_TEXT, "suggestion__note"]
    )
    assert_kept(Report.objects.all(), ["details"])

    tab = Tab(browser, site)
    # Every group page, the search with everything listed, the widget, the cause page.
    for org in published.exclude(pk=target.pk):
        tab.visit(org.get_absolute_url())
    tab.visit("/search/?near=94704&radius=50")
    tab.visit(f"/search/?near=94704&radius=50&cause={cause.slug}")
    tab.visit("/embed/?near=94704&radius=50&layout=map&max=50")
    tab.visit(f"/causes/{cause.slug}/?state=CA")

    # Search parameters reflected on the results and the widget: seven payloads in each.
    for group in chunks(PAYLOADS, 14):
        q, near = " ".join(group[:7]), " ".join(group[7:])
        query = f"?q={quote(q, safe='')}&near={quote(near, safe='')}"
        tab.visit("/search/" + query)
        tab.visit("/embed/" + query)

    # What the public forms send back when they refuse a submission (sent too fast): the whole
    # corpus spread over each form's inputs.
    settings.CURATION_FORM_MIN_SECONDS = 3600
    settings.REFERRALS_FORM_MIN_SECONDS = 3600
    forms = {
        "/suggest/": ["name", "city", "state", "postal_code", "website", "summary"]
        + ["first_step", "meeting_schedule", "contact_email", "email", "note"],
        "/groups/target/report/": ["email", "details"],
        "/groups/target/contact/": ["name", "email", "heard_from", "message"],
    }
    for path, inputs in forms.items():
        runs = split(PAYLOADS, len(inputs))
        tab.submit(path, {name: "\n".join(run) for name, run in zip(inputs, runs, strict=True)})
    tab.close()

    # The curators' side: lists and change forms of entries, suggestions and reports.
    admin = Tab(browser, site, cookie=curator_cookie())
    admin.visit(reverse("admin:directory_organization_changelist") + "?all=")
    for org in Organization.objects.filter(slug__startswith="csv-"):
        admin.visit(reverse("admin:directory_organization_change", args=[org.pk]))
    admin.visit(reverse("admin:curation_suggestion_changelist"))
    for suggestion in Suggestion.objects.all():
        admin.visit(reverse("admin:curation_suggestion_change", args=[suggestion.pk]))
    admin.visit(reverse("admin:curation_report_changelist"))
    for item in Report.objects.all():
        admin.visit(reverse("admin:curation_report_change", args=[item.pk]))
    admin.close()

    found = {**tab.found, **admin.found}
    assert found == {}, "\n".join(f"{page}: {p}" for page, ps in found.items() for p in ps)
