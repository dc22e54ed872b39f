import datetime
import os

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import translation

from billing.models import Account, Membership, Role
from logs.ingest.rollups import forget_facets
from logs.models import ApiToken, IngestToken
from tests.factories import ACCOUNT_A, ACCOUNT_B

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a
# thread with a running loop unless told it's fine (it is: the loop is Playwright's).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
IN_CI = bool(os.environ.get("CI"))


def is_postgres():
    return connection.vendor == "postgresql"


# The query plan tests need a database no transactional test has flushed yet: after the
# DELETE flushes below, PostgreSQL's planner, told of a million rows that have no statistics,
# weighs the filtered reads' index against a sort differently. They run first.
FIRST = ("tests/listing/test_query_plans.py", "tests/listing/test_live_query_plans.py")


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: not item.nodeid.startswith(FIRST))


# The days most tests store generations on: the last month, as the demo load and the list's
# windows span it. Made once per session on PostgreSQL, committed.
STANDING_DAYS = 30
_standing = []


@pytest.fixture(autouse=True)
def _standing_partitions(request, django_db_blocker):
    """On PostgreSQL ingestion makes the partitions of each day a batch touches (four
    tables); inside a test's transaction they go with its rollback, so a fixture that stores
    a month of history made ~160 tables for every test that used it: 2-3 s, most of those
    tests' time. Made once, committed, they are there for every test after. Not before the
    query plan tests (FIRST), whose plans are asserted on the tables as migrations leave them,
    and only once some test has asked for the database."""
    if _standing or request.node.nodeid.startswith(FIRST):
        return
    if "django_db_setup" not in request.fixturenames:
        return
    request.getfixturevalue("django_db_setup")
    _standing.append(True)
    with django_db_blocker.unblock():
        if not is_postgres():
            return
        from django.utils import timezone

        from zenlogs import partitions

        today = partitions.day_of(timezone.now())
        first = today - datetime.timedelta(days=STANDING_DAYS - 1)
        partitions.ensure(partitions.days_between(first, today + datetime.timedelta(days=1)))


@pytest.fixture(scope="session", autouse=True)
def _flush_by_delete_on_postgres():
    """After each transactional test (browser, live server) Django empties every table with
    one TRUNCATE. On PostgreSQL that statement makes new files for each table, partition and
    index: 1.2-2.6 s here, on tables that hold a few dozen rows, and most of a browser test's
    time. DELETE of every table (foreign keys are deferred, checked at commit once all rows
    are gone) empties them in milliseconds. Only for flushes that keep sequences, as all ours
    do."""
    if not is_postgres():  # the vendor is known without a query
        yield
        return
    ops = type(connection.ops)
    truncate = ops.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or not tables:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        quoted = [self.quote_name(table) for table in tables]
        return ["SET CONSTRAINTS ALL DEFERRED", *(f"DELETE FROM {name}" for name in quoted)]

    ops.sql_flush = sql_flush
    yield
    ops.sql_flush = truncate


# ----------------------------------------------------------------------------- actors


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    # LocaleMiddleware activates a request's language in the thread and leaves it there:
    # a test that asked for Chinese must not leave code run outside a request (commands,
    # a template rendered directly) speaking it in the tests after it.
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's cost is the point in production and a third of a second per user in tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _facets_written_are_forgotten():
    # Ingestion remembers the facets it committed, for the life of the process; a test's
    # database does not live that long.
    yield
    forget_facets()


def _member(username, account_id, plan=Account.Plan.PAY_AS_YOU_GO, role=Role.OWNER):
    """A user in the account. Owners by default: the suite's actors may do everything, as
    every member could before roles; tests/site/test_roles.py gives the other roles."""
    account, _ = Account.objects.get_or_create(
        external_id=account_id, defaults={"name": f"Account {account_id[-4:]}", "plan": plan}
    )
    user = get_user_model().objects.create_user(username=username, password="pw")
    Membership.objects.create(user=user, account=account, role=role)
    return user


@pytest.fixture
def owner(db):
    return _member("owner", ACCOUNT_A)


@pytest.fixture
def teammate(db, owner):
    return _member("teammate", ACCOUNT_A)


@pytest.fixture
def outsider(db):
    return _member("outsider", ACCOUNT_B)


@pytest.fixture
def account_a(owner):
    return Account.objects.get(external_id=ACCOUNT_A)


@pytest.fixture
def account_b(outsider):
    return Account.objects.get(external_id=ACCOUNT_B)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client


@pytest.fixture
def ingest_token(db):
    return IngestToken.issue(name="test gateway")[1]


@pytest.fixture
def owner_token(owner):
    return ApiToken.issue(user=owner, name="test")[1]


# ----------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def _playwright():
    if not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    yield browser
    browser.close()


@pytest.fixture
def prices(transactional_db):
    """Transactional tests flush every table afterwards, the price table the data migration
    loaded included; load it again for the tests that follow."""
    from billing.models import FeeRate, ModelPrice, PriceVersion
    from billing.prices import FIXTURES, load_price_file

    load_price_file(FIXTURES / "prices-0.0.3.json", PriceVersion, ModelPrice, FeeRate)


@pytest.fixture
def login_page(browser, live_server, prices):
    """A fresh browser context and a function that signs a user in and returns a page."""
    contexts = []

    def _login(username, password="pw", javascript=True, **context_args):
        context = browser.new_context(java_script_enabled=javascript, **context_args)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("main button[type=submit]")  # not the header's language switch
        page.wait_for_url("**/logs/**")
        return page

    yield _login
    for context in contexts:
        context.close()


# ----------------------------------------------------------------------------- CI rules


_skipped = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    # In CI nothing may be skipped: a skip there means a database or Chromium went missing
    # and the run would silently prove less than it claims.
    if IN_CI and _skipped and exitstatus == 0:
        session.exitstatus = 1
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(
                f"FAILED: {len(_skipped)} test(s) skipped under CI=true: {_skipped[:5]}",
                red=True,
            )


def pytest_report_header(config):
    from django.conf import settings

    chromium = CHROMIUM if os.path.exists(CHROMIUM) else "missing (browser tests will skip)"
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return [f"chromium: {chromium}", f"database: {engine}"]


def pytest_configure(config):
    # The .mo catalogues are built from the checked-in .po files, not checked in: a bare
    # `pytest` (without `make test`) builds whatever is missing or out of date.
    from zenlogs.translations import compile_catalogues

    compile_catalogues()
