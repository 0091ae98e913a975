"""English and Spanish: the catalogs, how a language is chosen, the widget's interface language,
mails in the reader's language, and Spanish pages with no English left in them."""

import re
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import polib
import pytest
from django.conf import settings
from django.core.cache import cache

from directory import geocoding
from referrals.forms import ContactForm
from referrals.mail import followup_email, relay_email
from referrals.models import Referral
from referrals.services import followup_token
from tests.factories import make_category, make_org

LOCALE = Path(settings.BASE_DIR) / "locale"
CATALOGS = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))


# --- The catalogs ------------------------------------------------------------------------------


def test_there_is_a_spanish_catalog_for_python_templates_and_javascript():
    names = {(path.parent.parent.name, path.name) for path in CATALOGS}
    assert {("es", "django.po"), ("es", "djangojs.po")} <= names
    assert [code for code, _name in settings.LANGUAGES] == ["en", "es"]


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_catalog_is_complete(path):
    catalog = polib.pofile(str(path))
    assert [e.msgid for e in catalog.untranslated_entries()] == []
    assert [e.msgid for e in catalog.fuzzy_entries()] == []
    assert catalog.metadata["Plural-Forms"].startswith("nplurals=")


def _entries(catalog):
    found = {}
    for entry in catalog:
        if entry.obsolete or "fuzzy" in entry.flags:
            continue
        key = (entry.msgctxt, entry.msgid, entry.msgid_plural or None)
        if entry.msgid_plural:
            found[key] = tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
        else:
            found[key] = entry.msgstr
    return found


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_compiled_catalog_matches_its_source(path):
    """The committed .mo says what the .po says (`make messages` compiles it)."""
    compiled = path.with_suffix(".mo")
    assert compiled.exists(), f"{compiled} is missing: run `make messages`"
    source = {k: v for k, v in _entries(polib.pofile(str(path))).items() if k[1]}
    built = {k: v for k, v in _entries(polib.mofile(str(compiled))).items() if k[1]}
    assert built == source, "the .mo is out of date: run `make messages`"


def test_placeholders_survive_translation():
    for path in CATALOGS:
        for entry in polib.pofile(str(path)):
            if entry.msgid_plural:
                # The singular may say "one day" where the English says "a day"; the plural
                # must keep every placeholder.
                names = set(re.findall(r"%\((\w+)\)", entry.msgid_plural))
                forms = [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
                assert set(re.findall(r"%\((\w+)\)", forms[-1])) == names, entry.msgid
                assert set(re.findall(r"%\((\w+)\)", forms[0])) <= names, entry.msgid
            else:
                names = sorted(re.findall(r"%\((\w+)\)", entry.msgid))
                assert sorted(re.findall(r"%\((\w+)\)", entry.msgstr)) == names, entry.msgid


# --- Choosing the language ---------------------------------------------------------------------


@pytest.fixture
def group(db):
    cause = make_category(
        slug="immigrant-rights",
        name="Immigrant rights",
        name_es="Derechos de inmigrantes",
        description="Rapid response networks that stand with immigrant neighbors.",
        description_es="Redes de respuesta rápida que apoyan a nuestros vecinos inmigrantes.",
    )
    return make_org(
        causes=[cause],
        name="Comité Vecinal del Barrio",
        slug="comite-vecinal",
        summary="Vecinas y vecinos que se organizan por la vivienda.",
        first_step="Ven a la asamblea del primer martes.",
        contact_email="comite@example.net",
    )


def test_plain_addresses_stay_english_and_es_is_spanish(client, group):
    english = client.get("/groups/comite-vecinal/")
    assert english.status_code == 200
    assert '<html lang="en">' in english.content.decode()
    spanish = client.get("/es/groups/comite-vecinal/")
    assert '<html lang="es">' in spanish.content.decode()
    assert "Tu primer paso" in spanish.content.decode()
    assert spanish.headers["Content-Language"] == "es"


def test_a_first_visit_follows_the_browser_and_says_it_varies(client, group):
    response = client.get(
        "/groups/comite-vecinal/?near=94704", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/es/groups/comite-vecinal/?near=94704"
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response.headers["Vary"].split(",")}
    assert response.cookies == {}  # nothing is stored about the reader
    english = client.get("/groups/comite-vecinal/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert english.status_code == 200
    assert "Cookie" in english.headers["Vary"]


def test_a_choice_in_the_switcher_is_kept_in_the_language_cookie(client, group):
    # From the Spanish page, choose English: back to the plain address, with the cookie set.
    response = client.post(
        "/es/language/", {"language": "en", "next": "/es/groups/comite-vecinal/"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/groups/comite-vecinal/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    # The choice beats the browser's header from then on...
    stay = client.get("/groups/comite-vecinal/", HTTP_ACCEPT_LANGUAGE="es")
    assert stay.status_code == 200 and '<html lang="en">' in stay.content.decode()
    # ...and choosing Spanish sends plain addresses to /es/.
    client.post("/language/", {"language": "es", "next": "/groups/comite-vecinal/"})
    assert client.get("/causes/").headers["Location"] == "/es/causes/"


def test_pages_set_no_cookie_and_the_switcher_needs_no_token(client, group):
    # (Pages with a form set the CSRF cookie; the switcher's form is not one of them.)
    for path in ("/", "/es/", "/es/search/?near=94704", "/es/causes/", "/es/about/"):
        response = client.get(path)
        assert response.cookies == {}, path
    html = client.get("/es/search/?near=94704&cause=immigrant-rights").content.decode()
    switcher = re.search(r'<form class="language-switcher".*?</form>', html, re.S).group(0)
    assert 'action="/es/language/"' in switcher
    assert 'value="/es/search/?near=94704&amp;cause=immigrant-rights"' in switcher
    assert 'name="language" value="en" lang="en">English</button>' in switcher
    assert 'lang="es" aria-current="true">Español' in switcher
    assert "csrfmiddlewaretoken" not in switcher


def test_machine_addresses_are_never_prefixed_or_redirected(client, group):
    spanish = {"HTTP_ACCEPT_LANGUAGE": "es"}
    for path in (
        "/healthz",
        "/api/v1/organizations/?near=94704",
        "/api/hsds/",
        "/widget.js",
        "/embed/?near=94704",
        "/oembed?url=http://testserver/search/%3Fnear%3D94704",
        "/places/suggest/?q=Berk",
        "/robots.txt",
        "/sitemap.xml",
    ):
        assert client.get(path, **spanish).status_code == 200, path
    assert client.get("/es/api/v1/organizations/").status_code == 404
    # The frame is English unless its own preset says otherwise, whatever the reader's browser.
    assert '<html lang="en"' in client.get("/embed/", **spanish).content.decode()


def test_every_page_links_its_other_languages(client, group):
    html = client.get("/es/groups/comite-vecinal/?near=94704").content.decode()
    assert '<link rel="canonical" href="http://testserver/es/groups/comite-vecinal/">' in html
    assert (
        '<link rel="alternate" hreflang="en" href="http://testserver/groups/comite-vecinal/">'
        in html
    )
    assert 'hreflang="es" href="http://testserver/es/groups/comite-vecinal/"' in html
    assert 'hreflang="x-default" href="http://testserver/groups/comite-vecinal/"' in html


def test_javascript_strings_come_from_the_catalog(client, db):
    catalog = client.get("/es/jsi18n/")
    assert catalog.status_code == 200
    assert "Buscando tu ubicaci\\u00f3n\\u2026" in catalog.content.decode()
    assert "max-age=86400" in catalog.headers["Cache-Control"]


def test_dates_and_distances_follow_the_language(client, group):
    import datetime

    group.last_verified = datetime.date(2026, 9, 15)
    group.save()
    html = client.get("/es/groups/comite-vecinal/?near=94705").content.decode()
    assert "septiembre de 2026" in html.lower() or "septiembre 2026" in html.lower()
    assert re.search(r"a [\d.]+ km de Berkeley", html)


# --- The widget's interface language -----------------------------------------------------------


def test_the_widget_speaks_its_locale_preset_apart_from_the_meeting_language(client, group):
    spanish = client.get("/embed/?near=94704&locale=es")
    html = spanish.content.decode()
    assert '<html lang="es"' in html and "Buscar" in html
    assert spanish.headers["Content-Language"] == "es"
    # lang is still the meeting-language filter, and locale goes on with the search form.
    both = client.get("/embed/?near=94704&lang=es").content.decode()
    assert '<html lang="en"' in both
    assert '<input type="hidden" name="locale" value="es">' in html
    unknown = client.get("/embed/?near=94704&locale=xx").content.decode()
    assert "There is no interface language “xx”; it was ignored." in unknown


def test_the_builder_hands_out_a_widget_in_the_writers_language(client, group):
    html = client.get("/es/embed/builder/?cause=immigrant-rights").content.decode()
    assert '<html lang="es">' in html
    assert 'data-locale="es"' in html
    assert "data-title=&quot;Grupos locales a los que unirte, de orgsite&quot;" in html
    assert "/embed/?cause=immigrant-rights&amp;amp;locale=es" in html
    # An English widget from the Spanish builder: no preset, the plain frame.
    english = client.get("/es/embed/builder/?cause=immigrant-rights&locale=en").content.decode()
    assert "data-locale" not in english
    assert "title=&quot;Local groups to join, from orgsite&quot;" in english


def test_oembed_of_a_spanish_page_embeds_a_spanish_widget(client, group):
    data = client.get(
        "/oembed", {"url": "http://testserver/es/search/?near=94704&cause=immigrant-rights"}
    ).json()
    assert "locale=es" in data["html"]
    assert data["title"].startswith("Grupos de Derechos de inmigrantes")


# --- Mails in the reader's language ------------------------------------------------------------


@pytest.fixture
def fresh_limits(settings):
    cache.clear()
    settings.REFERRALS_DELIVER_AT_ONCE = True
    yield
    cache.clear()


def test_a_spanish_reader_gets_spanish_mail_and_the_organizer_english(client, group, fresh_limits):
    response = client.post(
        "/es/groups/comite-vecinal/contact/",
        {
            "name": "Ana",
            "email": "ana@example.com",
            "message": "Hola, quiero ir a la próxima asamblea.",
            "heard_from": "",
            "website": "",
            "token": ContactForm.stamp(group.pk, issued=time.time() - 60),
            "via": "site",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/es/")
    referral = Referral.objects.get()
    assert referral.language == "es"
    relay = relay_email(referral)
    assert relay.subject == "Ana wrote to you through orgsite"
    assert "They used the site in Spanish" in relay.body

    message = followup_email(referral, followup_token(referral))
    assert message.subject == "¿Comité Vecinal del Barrio te respondió?"
    assert "Sí, me respondieron:" in message.body
    yes = re.search(r"http://testserver(\S+/yes/)", message.body).group(1)
    assert yes.startswith("/es/followup/")
    page = client.get(yes).content.decode()
    assert '<html lang="es">' in page and "Sí, me respondieron" in page
    assert _english_left(page) == []
    assert _english_left(message.body, html=False) == []


def test_an_english_reader_gets_english_mail(group):
    referral = Referral.objects.create(
        organization=group,
        created=group.created,
        name="Sam",
        email="sam@example.com",
        message="Hi",
        origin="http://testserver",
        next_attempt_at=group.created,
        message_id="<1@testserver>",
    )
    assert referral.language == "en"
    assert followup_email(referral, "t").subject == "Did Comité Vecinal del Barrio get back to you?"
    assert "They used the site in" not in relay_email(referral).body


# --- No English left on a Spanish page ---------------------------------------------------------


class _Text(HTMLParser):
    """What a reader sees or hears: text and the attributes read aloud, outside other-language
    elements (the switcher names English in English) and outside scripts and styles."""

    ATTRIBUTES = {"alt", "title", "aria-label", "placeholder", "content"}
    VOID = {"meta", "link", "input", "img", "br", "hr", "source", "area", "base", "col", "wbr"}

    def __init__(self):
        super().__init__()
        self.parts, self.stack = [], []

    def _skipping(self):
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skip = tag in ("script", "style") or attrs.get("lang", "es") not in ("es", "")
        skip = skip or attrs.get("translate") == "no"  # an address written out, not words
        said = ("description", "og:title", "og:description", "og:image:alt", "twitter:title")
        if tag == "meta" and (attrs.get("property") or attrs.get("name")) not in said:
            skip = True  # addresses, types and codes, not words
        if not skip and not self._skipping():
            self.parts += [v for k, v in attrs.items() if k in self.ATTRIBUTES and v]
            if tag == "input" and attrs.get("type") in ("submit", "button"):
                self.parts.append(attrs.get("value") or "")
            # Words in data attributes (data-copied="Copied"), not ids they name (snippet-link).
            self.parts += [
                v
                for k, v in attrs.items()
                if k.startswith("data-") and v and not re.fullmatch(r"[a-z0-9_-]+", v)
            ]
        if tag not in self.VOID:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self._skipping():
            self.parts.append(data)


def _kept_names():
    """Pieces of English the Spanish keeps as they are (GeoNames, Open Referral)."""
    kept = set()
    for path in LOCALE.glob("es/LC_MESSAGES/*.po"):
        for entry in polib.pofile(str(path)):
            targets = [entry.msgstr, *entry.msgstr_plural.values()]
            for piece in re.split(r"%%|%\(\w+\)[sd]|%[sd]|<[^>]+>", entry.msgid):
                piece = piece.strip()
                if (
                    len(piece) > 3
                    and entry.msgid != entry.msgstr
                    and any(piece in t for t in targets)
                ):
                    kept.add(piece)
    return sorted(kept, key=len, reverse=True)


def _english_fragments():
    """Literal pieces of every English string whose Spanish differs: long enough to mean
    something (a word of four letters or more), split at placeholders and tags."""
    fragments = set()
    for path in LOCALE.glob("es/LC_MESSAGES/*.po"):
        for entry in polib.pofile(str(path)):
            sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
            targets = [entry.msgstr, *entry.msgstr_plural.values()]
            for source in sources:
                if source in targets:
                    continue
                for piece in re.split(r"%%|%\(\w+\)[sd]|%[sd]|<[^>]+>|\{\{[^}]+\}\}", source):
                    piece = piece.strip(" \n.,:;()¿?!“”\"'")
                    # Names the Spanish keeps too (GeoNames, Leaflet) are not English left over.
                    if re.search(r"[A-Za-z]{4,}", piece) and not any(piece in t for t in targets):
                        fragments.add(piece)
    return fragments


FRAGMENTS = None
KEPT = _kept_names()


def _english_left(text, html=True):
    global FRAGMENTS  # noqa: PLW0603 - read once per test run
    FRAGMENTS = FRAGMENTS or _english_fragments()
    if html:
        parser = _Text()
        parser.feed(text)
        text = " ".join(parser.parts)
    text = " ".join(text.split())
    # Place names are GeoNames' and stay as they are ("New Mexico" is not English left over).
    for name in [*KEPT, *sorted(geocoding.us_states().values(), key=len, reverse=True)]:
        text = text.replace(name, " ")
    return sorted(f for f in FRAGMENTS if re.search(rf"(?<!\w){re.escape(f)}(?!\w)", text))


def test_the_english_fragments_are_found_where_they_are():
    assert "Find more groups" in _english_fragments()
    assert "Find more groups" in _english_left("<p>Please <b>Find more groups</b> now</p>")
    assert _english_left('<button lang="en">English</button><p>Hola</p>') == []


@pytest.fixture
def spanish_site(group, settings):
    settings.REFERRALS_FORM_MIN_SECONDS = 0
    national = make_org(
        causes=group.causes.all(),
        coverage="national",
        name="Red Nacional de Apoyo",
        slug="red-nacional",
        summary="Apoyo en línea para todo el país.",
        first_step="Llena el formulario de voluntariado.",
    )
    return group, national


SPANISH_PAGES = [
    "/es/",
    "/es/search/?near=94704",
    "/es/search/?near=94704&cause=immigrant-rights&radius=5",
    "/es/search/?near=Sprngfield",
    "/es/search/?near=94704&radius=-5",
    "/es/search/",
    "/es/groups/comite-vecinal/",
    "/es/groups/comite-vecinal/?near=94705",
    "/es/groups/red-nacional/",
    "/es/causes/",
    "/es/causes/immigrant-rights/",
    "/es/about/",
    "/es/privacy/",
    "/es/suggest/",
    "/es/suggest/thanks/",
    "/es/groups/comite-vecinal/report/",
    "/es/groups/comite-vecinal/contact/",
    "/es/groups/comite-vecinal/contact/sent/",
    "/es/followup/not-a-token/yes/",
    "/es/no/such/page/",
    "/es/embed/builder/",
    "/embed/?near=94704&locale=es",
    "/embed/?near=94704&locale=es&layout=map",
    "/embed/?near=Sprngfield&locale=es",
]


def _english_cause_words_left(html):
    """Causes' English names and descriptions (from the database, not the catalog) on a page."""
    from directory.models import Category

    parser = _Text()
    parser.feed(html)
    text = " ".join(" ".join(parser.parts).split())
    english = Category.objects.values_list("name_en", "description_en")
    return [words for pair in english for words in pair if words and words in text]


@pytest.mark.parametrize("path", SPANISH_PAGES)
def test_spanish_pages_have_no_english_left(client, spanish_site, path):
    response = client.get(path)
    assert response.status_code in (200, 400, 404), path
    html = response.content.decode()
    assert re.search(r'<html lang="es"', html), path
    assert _english_left(html) == [], path
    assert _english_cause_words_left(html) == [], path


def test_spanish_forms_with_errors_have_no_english_left(client, spanish_site):
    for path in (
        "/es/groups/comite-vecinal/contact/",
        "/es/suggest/",
        "/es/groups/comite-vecinal/report/",
    ):
        html = client.post(path, {"email": "not an address", "website": ""}).content.decode()
        assert "Hay un problema" in html, path
        assert _english_left(html) == [], path


def test_a_redirected_first_visit_keeps_the_query(client, group):
    response = client.get("/search/?near=94704&cause=immigrant-rights", HTTP_ACCEPT_LANGUAGE="es")
    location = urlsplit(response.headers["Location"])
    assert location.path == "/es/search/"
    assert parse_qs(location.query) == {"near": ["94704"], "cause": ["immigrant-rights"]}


def test_the_error_page_speaks_spanish_without_a_context(db):
    from django.template import loader
    from django.utils import translation

    with translation.override("es"):
        html = loader.get_template("500.html").render()
    assert '<html lang="es">' in html and "Algo salió mal" in html
    assert 'href="/es/"' in html
    assert _english_left(html) == []


def test_the_admin_speaks_spanish_under_es_and_has_the_switcher(admin_client, group):
    from django.urls import reverse
    from django.utils import translation

    with translation.override("es"):
        changelist = reverse("admin:directory_organization_changelist")
    html = admin_client.get(changelist).content.decode()
    assert '<html lang="es"' in html
    assert 'action="/es/language/"' in html
    assert 'name="language" value="en" lang="en">English</button>' in html


# --- Causes' names and descriptions --------------------------------------------------------------


def test_causes_speak_the_pages_language(client, group):
    for path in ("/es/causes/", "/es/causes/immigrant-rights/", "/es/search/?near=94704"):
        html = client.get(path).content.decode()
        assert "Derechos de inmigrantes" in html, path
        assert "Immigrant rights" not in html, path
    html = client.get("/es/groups/comite-vecinal/").content.decode()
    assert ">Derechos de inmigrantes</a>" in html
    cause_page = client.get("/es/causes/immigrant-rights/").content.decode()
    assert "Redes de respuesta rápida" in cause_page
    assert "Derechos de inmigrantes" in client.get("/embed/?near=94704&locale=es").content.decode()
    english = client.get("/causes/immigrant-rights/").content.decode()
    assert "Immigrant rights" in english and "Derechos de inmigrantes" not in english


def test_a_cause_not_yet_translated_shows_its_english_name(client, group):
    make_category(slug="peace", name="Peace & anti-war")
    assert "Peace &amp; anti-war" in client.get("/es/causes/").content.decode()


def test_the_api_keeps_causes_in_english_whatever_the_reader_speaks(client, group):
    spanish = {"HTTP_ACCEPT_LANGUAGE": "es", "HTTP_COOKIE": "django_language=es"}
    causes = client.get("/api/v1/categories/", **spanish).json()["results"]
    assert [c["name"] for c in causes] == ["Immigrant rights"]
    found = client.get("/api/v1/organizations/?near=94704", **spanish).json()["results"]
    causes = found[0]["organization"]["causes"]
    assert causes == [{"slug": "immigrant-rights", "name": "Immigrant rights"}]


def test_every_seeded_cause_has_its_spanish_name_and_description(db):
    from django.utils import translation

    from directory.models import Category
    from directory.seeding import load_seeds

    with translation.override("es"):
        load_seeds()
    causes = list(Category.objects.all())
    assert len(causes) > 10
    for cause in causes:
        assert cause.name_es and cause.name_es != cause.name_en, cause.slug
        assert cause.description_es and cause.description_es != cause.description_en, cause.slug
    assert Category.objects.get(slug="immigrant-rights").name_en == "Immigrant rights"
    # Loading again, in either language, changes nothing.
    assert str(load_seeds()[0]) == f"0 created, 0 updated, {len(causes)} unchanged"


def test_curators_edit_a_cause_in_both_languages(admin_client, group):
    from directory.models import Category

    cause = Category.objects.get(slug="immigrant-rights")
    url = f"/admin/directory/category/{cause.pk}/change/"
    html = admin_client.get(url).content.decode()
    for field in ("name_en", "name_es", "description_en", "description_es"):
        assert re.search(rf'<label[^>]* for="id_{field}">', html), field
    assert 'value="Derechos de inmigrantes"' in html
    form = {
        "slug": "immigrant-rights",
        "name_en": "Immigrant rights",
        "name_es": "Derechos de las personas inmigrantes",
        "description_en": "",
        "description_es": "",
        "colour": "#336699",
        "order": "1",
    }
    assert admin_client.post(url, form).status_code == 302
    cause.refresh_from_db()
    assert (cause.name_en, cause.name_es) == (
        "Immigrant rights",
        "Derechos de las personas inmigrantes",
    )
    assert cause.history.first().name_es == "Derechos de las personas inmigrantes"
    found = admin_client.get("/admin/directory/category/", {"q": "personas inmigrantes"})
    assert found.context["cl"].result_count == 1


def test_a_cause_history_keeps_both_languages_and_reverts_them(group):
    from django.utils import translation

    from directory.models import Category

    cause = Category.objects.get(slug="immigrant-rights")
    with translation.override("es"):
        cause.name = "Inmigración"
        cause.save()
    cause.refresh_from_db()
    assert (cause.name_en, cause.name_es) == ("Immigrant rights", "Inmigración")
    latest, first = cause.history.all()[:2]
    assert (latest.name_en, latest.name_es) == ("Immigrant rights", "Inmigración")
    assert (first.name_en, first.name_es) == ("Immigrant rights", "Derechos de inmigrantes")
    first.instance.save()
    cause.refresh_from_db()
    assert (cause.name_en, cause.name_es) == ("Immigrant rights", "Derechos de inmigrantes")
    assert cause.history.count() == 3
