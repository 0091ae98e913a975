"""Rate limits that hold: shared by every app server and across restarts (counted in the database
when there is no Redis, and while Redis is down), IPv6 clients by their /64, and a group's
daily cap that a few clients cannot use up. A cache outage is never a 500 and never a lost form.
"""

import re

import psycopg
import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory

from abuse.limits import _count_in_database, client_address, client_hash
from abuse.models import RateCount
from curation.models import Report, Suggestion
from referrals.models import CapReached, Referral
from tests.factories import aged_token, make_category, make_org
from tests.outages import Drill, Reader, free_port
from tests.test_referrals_form import form_data

DEAD_REDIS = "redis://127.0.0.1:{port}/0"


@pytest.fixture
def org(db, settings):
    # One group takes every message here: its per-client share is tested on its own below.
    settings.REFERRALS_ORG_CLIENT_LIMIT = 99
    return make_org(slug="limits-group", contact_email="organizers@example.net")


@pytest.fixture
def dead_redis(settings):
    """The cache is a Redis URL where nothing listens, as during a Redis outage."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS.format(port=free_port()),
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }


def contact(client, org, n, address="203.0.113.7"):
    return client.post(
        f"/groups/{org.slug}/contact/",
        form_data(org, message=f"Message {n}: when do you meet?", email=f"r{n}@example.com"),
        REMOTE_ADDR=address,
    )


def test_without_redis_the_limits_count_in_the_database(client, org, settings):
    statuses = [contact(client, org, n).status_code for n in range(7)]
    assert statuses == [302] * 5 + [429, 429]
    assert Referral.objects.count() == 5
    assert RateCount.objects.filter(key__startswith="referrals:client:").get().count == 7


def test_a_redis_outage_degrades_every_form_to_the_database_count(client, org, dead_redis, caplog):
    with pytest.raises(Exception, match="Connection refused|Error"):
        cache.get("anything")  # really down
    statuses = [contact(client, org, n).status_code for n in range(6)]
    assert statuses == [302] * 5 + [429]
    assert Referral.objects.count() == 5
    assert "counting in the database" in caplog.text

    cause = make_category(slug="housing")
    suggested = client.post(
        "/suggest/",
        {
            "name": "Fresno Tenants Union",
            "causes": [cause.slug],
            "coverage": "local",
            "city": "Fresno",
            "country": "US",
            "email": "suggester@example.com",
            "token": aged_token("suggest"),
        },
    )
    assert suggested.status_code == 302
    assert Suggestion.objects.count() == 1
    reported = client.post(
        f"/groups/{org.slug}/report/",
        {"reason": "moved", "details": "New address.", "token": aged_token(f"report:{org.pk}")},
    )
    assert reported.status_code == 200
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("[2001:db8::5]", "2001:db8::/64"),
        ("not an address", "not an address"),
    ],
)
def test_a_client_is_its_ipv4_address_or_its_ipv6_64(address, counted_as):
    request = RequestFactory().get("/", REMOTE_ADDR=address)
    assert client_address(request) == counted_as


def test_rotating_addresses_inside_one_ipv6_64_does_not_reset_the_limit(client, org):
    addresses = [f"2001:db8:aa:bb::{n:x}" for n in range(1, 8)]
    statuses = [contact(client, org, n, address).status_code for n, address in enumerate(addresses)]
    assert statuses == [302] * 5 + [429, 429]
    # The next /64 is somebody else.
    assert contact(client, org, 99, "2001:db8:aa:bc::1").status_code == 302
    first = RequestFactory().get("/", REMOTE_ADDR=addresses[0])
    last = RequestFactory().get("/", REMOTE_ADDR=addresses[-1])
    assert client_hash(first) == client_hash(last)


def test_a_few_clients_cannot_fill_a_groups_daily_cap(client, org, settings):
    settings.REFERRALS_ORG_LIMIT = 30
    settings.REFERRALS_ORG_CLIENT_LIMIT = 3  # the default: a tenth of the cap
    # Three addresses, each sending as much as the hourly limit (5) allows.
    responses = [
        contact(client, org, f"{who}-{n}", f"198.51.100.{who}")
        for who in (1, 2, 3)
        for n in range(5)
    ]
    statuses = [response.status_code for response in responses]
    assert statuses == ([302] * 3 + [429] * 2) * 3  # three each, not the group's thirty
    assert "already written to this group several times today" in responses[3].content.decode()
    # Everyone else still gets through.
    assert contact(client, org, "new", "198.51.100.50").status_code == 302
    assert not CapReached.objects.exists()


def test_a_cap_that_turns_readers_away_is_flagged_for_curators(client, org, settings):
    settings.REFERRALS_ORG_LIMIT = 4
    settings.REFERRALS_ORG_CLIENT_LIMIT = 1
    statuses = [contact(client, org, n, f"192.0.2.{n}").status_code for n in range(1, 7)]
    assert statuses == [302] * 4 + [429, 429]
    flag = CapReached.objects.get()
    assert (flag.organization, flag.refused) == (org, 2)

    curator = User.objects.create_superuser("curator", "c@example.org", "x" * 12)
    client.force_login(curator)
    page = client.get("/admin/referrals/capreached/")
    assert page.status_code == 200
    assert org.name in page.content.decode()


def test_the_database_count_restarts_after_its_window(db):
    assert [_count_in_database("k", 60, now=1000) for _ in range(3)] == [1, 2, 3]
    assert _count_in_database("k", 60, now=1059) == 4
    assert _count_in_database("k", 60, now=1060) == 1  # a new window
    assert RateCount.objects.get(key="k").expires == 1120


# --- Across processes: two app servers, then a restart ------------------------------------


@pytest.fixture
def drill(tmp_path):
    """A deployment on this run's kind of database (PostgreSQL: a database of its own)."""
    if connection.vendor != "postgresql":
        site = Drill(tmp_path, f"sqlite:///{tmp_path / 'limits.sqlite3'}")
        site.prepare()
        yield site
        site.close()
        return
    params = connection.settings_dict
    server = psycopg.connect(
        host=params["HOST"],
        port=params["PORT"] or 5432,
        user=params["USER"],
        password=params["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    server.execute("DROP DATABASE IF EXISTS resil_limits_drill")
    server.execute("CREATE DATABASE resil_limits_drill")
    port = params["PORT"] or 5432
    site = Drill(
        tmp_path, f"postgres://{params['USER']}@{params['HOST']}:{port}/resil_limits_drill"
    )
    try:
        site.prepare()
        yield site
    finally:
        site.close()
        server.execute("DROP DATABASE IF EXISTS resil_limits_drill WITH (FORCE)")
        server.close()


def post_message(server, n):
    reader = Reader(server.base)
    fields = reader.form("/groups/drill-group/contact/")
    return reader.post(
        "/groups/drill-group/contact/",
        {
            **fields,
            "name": "Ana",
            "email": f"ana{n}@example.com",
            "message": f"Message {n} through server {server.pid}.",
        },
    ).status


@pytest.mark.parametrize("redis", ["none", "dead"])
def test_two_app_servers_share_the_limit_and_a_restart_keeps_it(drill, redis):
    env = {"REFERRALS_ORG_CLIENT_LIMIT": "99"}  # the per-address limit (5) is the one tested
    if redis == "dead":
        env["REDIS_URL"] = DEAD_REDIS.format(port=free_port())
    servers = [drill.serve(env=env), drill.serve(env=env)]
    # One client, alternating between the two servers as a load balancer would send it.
    statuses = [post_message(servers[n % 2], n) for n in range(8)]
    assert statuses == [302] * 5 + [429] * 3, statuses
    for server in servers:
        drill.stop(server)
    restarted = drill.serve(env=env)
    assert post_message(restarted, 9) == 429  # the count outlived the restart
    stored = drill.python("from referrals.models import Referral; print(Referral.objects.count())")
    assert stored == "5"
    print(f"\nlimits across 2 servers and a restart (redis {redis}): {statuses} then 429")


def test_no_cache_error_reaches_a_reader(client, org, dead_redis):
    response = contact(client, org, 1)
    assert response.status_code == 302
    assert not re.search(r"Traceback|Server Error", response.content.decode())
