import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.utils import translation

# One headless Chromium per browser test module, found by name wherever a test asks for it.
from tests.browser import browser  # noqa: F401

# The official HSDS schemas (skipped with the reason when absent) or, as on a fresh clone, none.
from tests.hsds_helpers import official, without_schemas  # noqa: F401


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate limits and cached answers live in the cache: each test starts with none, leaves none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def answers_cached(settings, db):
    """Search outcomes and whole public answers kept, as in production (off in test settings)."""
    settings.SEARCH_CACHE_SECONDS = 60


@pytest.fixture
def dead_cache(answers_cached, settings):
    """The cache switched on and pointed at a Redis where nothing listens."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
        "template_fragments": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }


@pytest.fixture(autouse=True)
def default_language_after_each_test():
    """A request under /es/ leaves its language active in the thread (the locale middleware
    activates but never deactivates), so the next test's command output would come out Spanish."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def superuser_logins_pass_two_factor(request):
    """A superuser that a test logs in (admin_client, force_login) has passed two-factor sign-in.

    The admin requires it of superusers; this gives the account a TOTP device and marks the
    session verified by it, as the admin's sign-in form does. Tests of the sign-in itself are
    marked `real_otp` and get no such help.
    """
    from django.contrib.auth.signals import user_logged_in

    if request.node.get_closest_marker("real_otp"):
        yield
        return

    def verified(sender, request, user, **kwargs):
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        if user.is_superuser:
            device, _ = TOTPDevice.objects.get_or_create(
                user=user, name="test authenticator", defaults={"confirmed": True}
            )
            request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id

    user_logged_in.connect(verified, dispatch_uid="tests.superuser_logins_pass_two_factor")
    yield
    user_logged_in.disconnect(dispatch_uid="tests.superuser_logins_pass_two_factor")


@pytest.fixture
def seeded(db):
    """The seed data set: causes and the fictional sample groups."""
    call_command("loadseeds", verbosity=0)


@pytest.fixture
def seed_causes(db, tmp_path_factory):
    """The seed data set's causes alone, for tests that need the taxonomy but not 241 groups
    (loading those takes most of a second, many times over on a busy machine)."""
    from directory.seeding import SEEDS_DIR

    folder = tmp_path_factory.mktemp("causes-only")
    (folder / "categories.json").write_bytes((SEEDS_DIR / "categories.json").read_bytes())
    (folder / "organizations.json").write_text("[]")
    call_command("loadseeds", seeds_dir=folder, verbosity=0)


@pytest.fixture(scope="module")
def seeded_db(django_db_setup, django_db_blocker):
    """Seeds loaded once per module for read-only tests (which also take `db`).

    Like TestCase.setUpTestData: loaded inside a transaction that is rolled back when the
    module is done, so no other module ever sees them.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("loadseeds", verbosity=0)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def curator(db):
    """A superuser, as curators sign in to the admin."""
    from django.contrib.auth.models import User

    return User.objects.create_superuser("curator", "curator@example.org", "pw")


@pytest.fixture
def cause(db):
    """One cause, Tenants, for tests of suggestions, reports and the curators' queues."""
    from tests.factories import make_category

    return make_category(slug="cur-tenants", name="Tenants")
