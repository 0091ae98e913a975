"""The contact form through the test client: storing, and every abuse control with its message."""

import pytest
from django.core import mail

from referrals.forms import ContactForm
from referrals.models import Referral
from tests.factories import aged_token, make_org


@pytest.fixture(autouse=True)
def _deliver_at_once(settings):
    settings.REFERRALS_DELIVER_AT_ONCE = True


@pytest.fixture
def org(db):
    return make_org(name="Tenants <United>", slug="tenants-united", contact_email="org@example.net")


def form_data(org, **overrides):
    data = {
        "name": "Ana Reader",
        "email": "ana@example.com",
        "message": "Hello! I'd like to come to your next meeting.",
        "heard_from": "A blog post",
        "website": "",
        "token": aged_token(org.pk, form=ContactForm),
        "via": "site",
    }
    data.update(overrides)
    return data


def post(client, org, **overrides):
    return client.post(f"/groups/{org.slug}/contact/", form_data(org, **overrides))


def test_the_organization_page_shows_the_form_with_a_consent_line(client, org):
    html = client.get(org.get_absolute_url()).content.decode()
    assert 'action="/groups/tenants-united/contact/"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "go by email to the organizers of Tenants &lt;United&gt;" in html
    assert 'for="id_website"' in html  # even the honeypot has a label
    assert "org@example.net" not in html


def test_a_group_without_a_private_address_shows_no_form(client, db):
    org = make_org(contact_email="")
    html = client.get(org.get_absolute_url()).content.decode()
    assert "does not take messages through this site" in html
    assert '<form class="contact-form"' not in html
    response = client.post(f"/groups/{org.slug}/contact/", form_data(org))
    assert response.status_code == 200
    assert Referral.objects.count() == 0


def test_a_message_is_stored_then_delivered_and_the_reader_sees_a_confirmation(
    client, org, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, org)
    assert response.status_code == 302
    assert response["Location"] == "/groups/tenants-united/contact/sent/"
    referral = Referral.objects.get()
    assert (referral.name, referral.email, referral.heard_from) == (
        "Ana Reader",
        "ana@example.com",
        "A blog post",
    )
    assert referral.status == "sent" and referral.attempts == 1
    assert referral.origin == "http://testserver"
    assert len(referral.client_hash) == 64 and "127.0.0.1" not in referral.client_hash
    [message] = mail.outbox
    assert message.to == ["org@example.net"]
    assert message.reply_to == ["Ana Reader <ana@example.com>"]
    page = client.get(response["Location"]).content.decode()
    assert "Your message is on its way" in page
    assert "org@example.net" not in page


def test_the_standalone_page_works_for_widget_readers(client, org):
    response = client.get(f"/groups/{org.slug}/contact/?via=widget")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<input type="hidden" name="via" value="widget"' in html
    garbage = client.get(f"/groups/{org.slug}/contact/?via=%3Cscript%3E" + "x" * 10_000)
    assert garbage.status_code == 200
    assert "xxxxxxxxxx" not in garbage.content.decode()
    post(client, org, via="widget")
    assert Referral.objects.get().via == "widget"
    post(client, org, via="<script>", message="Another message entirely.")
    assert Referral.objects.count() == 1  # a bad "via" is a form error, not a 500


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"website": "http://spam.example"}, "hidden field that people leave empty"),
        ({"token": ""}, "could not be checked"),
        ({"token": "garbage\x00" * 30}, "could not be checked"),
        ({"token": "tampered"}, "could not be checked"),
        ({"name": "Ana\r\nBcc: victim@example.com"}, "line breaks and control characters"),
        ({"email": "ana@example.com\nBcc: victim@example.com"}, "line breaks"),
        ({"email": "ana@example.com\r\n"}, None),  # trailing whitespace is trimmed, accepted
        ({"name": "x" * 10_240}, "shorten this to 100 characters or fewer (it has 10240)"),
        ({"message": "y" * 10_240}, "shorten this to 5000 characters"),
        ({"heard_from": "z" * 10_240}, "shorten this to 200"),
        ({"email": "not an email"}, "email address like name@example.org"),
        ({"message": "nul \x00 byte"}, "Null characters are not allowed"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_bad_submissions_get_a_clear_message_and_keep_what_was_typed(
    client, org, overrides, expected
):
    if overrides.get("token") == "tampered":
        overrides["token"] = aged_token(org.pk, form=ContactForm)[:-3] + "abc"
    response = post(client, org, **overrides)
    html = response.content.decode()
    if expected is None:
        assert response.status_code == 302
        return
    assert response.status_code == 200
    assert expected in html
    assert Referral.objects.count() == 0
    assert mail.outbox == []
    # What the reader typed is still in the form (escaped), and the org address never shows.
    if "message" not in overrides:
        assert "I&#x27;d like to come to your next meeting." in html
    if "name" not in overrides:
        assert 'value="Ana Reader"' in html
    assert "org@example.net" not in html


def test_a_form_sent_too_fast_is_refused_then_accepted_when_sent_again(client, org, settings):
    settings.REFERRALS_FORM_MIN_SECONDS = 3
    fresh = ContactForm.stamp(org.pk)
    response = post(client, org, token=fresh)
    html = response.content.decode()
    assert "within seconds of opening it" in html
    assert "I&#x27;d like to come to your next meeting." in html
    assert f'value="{fresh}"' in html  # the same token comes back, so its age keeps counting
    assert Referral.objects.count() == 0
    settings.REFERRALS_FORM_MIN_SECONDS = 0
    assert post(client, org, token=fresh).status_code == 302


def test_an_expired_form_is_refused_and_comes_back_with_a_fresh_token(client, org, settings):
    stale = aged_token(org.pk, settings.REFERRALS_FORM_MAX_SECONDS + 5, ContactForm)
    html = post(client, org, token=stale).content.decode()
    assert "open too long" in html
    assert f'value="{stale}"' not in html
    assert Referral.objects.count() == 0


def test_a_token_for_another_group_is_refused(client, org):
    other = make_org()
    html = post(client, org, token=aged_token(other.pk, form=ContactForm)).content.decode()
    assert "could not be checked" in html


def test_the_same_message_twice_is_stored_once(client, org):
    assert post(client, org).status_code == 302
    response = post(client, org, message="  HELLO!  I'd like to come   to your next meeting. ")
    assert "You sent this same message to this group a few minutes ago" in response.content.decode()
    assert Referral.objects.count() == 1
    # A different message, or the same one after the window, is accepted.
    assert post(client, org, message="A second question: is there childcare?").status_code == 302
    Referral.objects.update(created="2020-01-01T00:00Z")
    assert post(client, org).status_code == 302
    assert Referral.objects.count() == 3


def test_rate_limit_per_client_address(client, org, settings):
    settings.REFERRALS_CLIENT_LIMIT = 2
    others = [make_org() for _ in range(3)]
    for other in others[:2]:
        assert post(client, other).status_code == 302
    response = post(client, others[2])
    assert response.status_code == 429
    html = response.content.decode()
    assert "several messages in a short time" in html
    assert "I&#x27;d like to come to your next meeting." in html
    assert Referral.objects.count() == 2
    # Another address is not affected.
    other_client = client.__class__(REMOTE_ADDR="203.0.113.9")
    assert other_client.post(f"/groups/{org.slug}/contact/", form_data(org)).status_code == 302


def test_rate_limit_per_group(client, org, settings):
    settings.REFERRALS_ORG_LIMIT = 2
    for n in range(2):
        reader = client.__class__(REMOTE_ADDR=f"198.51.100.{n + 1}")
        assert reader.post(f"/groups/{org.slug}/contact/", form_data(org)).status_code == 302
        Referral.objects.update(fingerprint="")  # not a duplicate: a different reader
    reader = client.__class__(REMOTE_ADDR="198.51.100.77")
    response = reader.post(f"/groups/{org.slug}/contact/", form_data(org))
    assert response.status_code == 429
    assert "This group has received many messages today" in response.content.decode()
    assert Referral.objects.count() == 2


def test_client_address_behind_a_proxy_uses_the_last_forwarded_entry(rf, settings):
    from abuse.limits import client_hash

    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    spoofed = rf.get("/", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.5", REMOTE_ADDR="10.0.0.1")
    real = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.5", REMOTE_ADDR="10.0.0.1")
    other = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.6", REMOTE_ADDR="10.0.0.1")
    assert client_hash(spoofed) == client_hash(real) != client_hash(other)


def test_script_tags_are_escaped_everywhere(client, org):
    response = post(client, org, name="<script>alert(1)</script>", website="x")
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_unknown_or_unpublished_groups_are_not_found(client, db):
    hidden = make_org(status="pending")
    assert client.get(f"/groups/{hidden.slug}/contact/").status_code == 404
    assert client.post(f"/groups/{hidden.slug}/contact/", form_data(hidden)).status_code == 404
    assert client.get("/groups/nobody/contact/").status_code == 404
    assert client.get("/groups/nobody/contact/sent/").status_code == 404
    assert Referral.objects.count() == 0


def test_other_methods_are_refused(client, org):
    assert client.put(f"/groups/{org.slug}/contact/").status_code == 405
    assert client.post(f"/groups/{org.slug}/contact/sent/").status_code == 405


def test_the_form_needs_a_csrf_token(org):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/groups/{org.slug}/contact/", form_data(org)).status_code == 403
    assert Referral.objects.count() == 0


def test_organization_page_query_count_stays_constant(client, org, django_assert_max_num_queries):
    from referrals.models import FollowupAnswer

    for _ in range(6):
        r = Referral.objects.create(
            organization=org,
            created="2025-01-01T00:00Z",
            origin="http://testserver",
            message_id=f"<{_}@x>",
            status="sent",
            sent_at="2025-01-01T00:00Z",
        )
        FollowupAnswer.objects.create(referral=r, replied=True, answered="2025-01-02T00:00Z")
    with django_assert_max_num_queries(3):
        html = client.get(org.get_absolute_url()).content.decode()
    assert "Usually replies: 100% of readers" in html


def test_a_group_that_stops_taking_messages_mid_form_gives_the_words_back(client, db):
    from tests.factories import make_org as make_group

    org = make_group(contact_email="")
    response = client.post(
        f"/groups/{org.slug}/contact/",
        {"name": "Ana", "email": "ana@example.org", "message": "I want to help <b>now</b>"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Your message was not sent" in html
    assert "I want to help &lt;b&gt;now&lt;/b&gt;" in html
