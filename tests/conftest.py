import os
import shutil
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache

from returns.conf import store_today
from tests.factories import OrderFactory, OrderLineFactory, StaffFactory, UserFactory


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    """Each test writes photos to its own folder, removed afterwards."""
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


@pytest.fixture
def fresh_cache():
    """An empty cache (rate limits, throttles) before and after the test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def customer(db):
    return UserFactory(email="ana@example.com", full_name="Ana Lima")


@pytest.fixture
def other_customer(db):
    return UserFactory(email="bruno@example.com", full_name="Bruno Souza")


@pytest.fixture
def warehouse(db):
    return StaffFactory(email="wes@alotrop.com", role="Warehouse")


@pytest.fixture
def service_agent(db):
    return StaffFactory(email="cara@alotrop.com", role="Customer service")


@pytest.fixture
def order(customer):
    """Delivered a week ago: two mugs and a lamp, paid shipping."""
    o = OrderFactory(email=customer.email, number="100234")
    OrderLineFactory(order=o, sku="MUG-01", name="Stoneware mug", quantity=2, unit_price="12.50", unit_tax="1.00")
    OrderLineFactory(order=o, sku="LAMP-02", name="Desk lamp", quantity=1, unit_price="45.00", unit_tax="3.60")
    return o


@pytest.fixture
def trusted_agent(db):
    """Customer service with the permission to grant goodwill exceptions (given per person, not by the group)."""
    from django.contrib.auth.models import Permission

    agent = StaffFactory(email="sam@alotrop.com", full_name="Sam Lee", role="Customer service")
    agent.user_permissions.add(Permission.objects.get(codename="grant_exception"))
    return agent


@pytest.fixture
def late_order(customer):
    """Delivered 30 days ago, two days past the 28-day window: two mugs."""
    o = OrderFactory(email=customer.email, delivered_on=store_today() - timedelta(days=30), customer_name="Ana Lima")
    OrderLineFactory(order=o, sku="MUG-01", name="Stoneware mug", quantity=2, unit_price="12.50", unit_tax="1.00")
    return o


# Photos in an S3-compatible bucket: moto's S3 server on 127.0.0.1, spoken to over HTTP by the real boto3.
BUCKET = "alotrop-photos-test"


@pytest.fixture(scope="session")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_server, settings, monkeypatch):
    """An empty private bucket, and the portal's photos stored in it."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test-key",
        "AWS_SECRET_ACCESS_KEY": "test-secret",
        "AWS_S3_ENDPOINT_URL": s3_server,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ADDRESSING_STYLE": "path",
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
    }.items():
        monkeypatch.setenv(name, value)
    import boto3

    from config.settings.base import s3_photo_storage

    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {**settings.STORAGES, "default": s3_photo_storage(BUCKET)}
    yield s3
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    s3.delete_bucket(Bucket=BUCKET)


def pytest_report_header(config):
    return f"database: {settings.DATABASES['default']['ENGINE']}"


_passed_by_marker: dict[str, list[str]] = {"postgres": [], "browser": []}


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed:
        for marker, passed in _passed_by_marker.items():
            if marker in report.keywords:
                passed.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    """CI sets REQUIRE_POSTGRES_TESTS=1 and REQUIRE_BROWSER_TESTS=1: a skipped guarantee is a failure."""
    problems = []
    if os.environ.get("REQUIRE_POSTGRES_TESTS") == "1":
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            problems.append(f"REQUIRE_POSTGRES_TESTS is set but the database is {engine}.")
        elif not _passed_by_marker["postgres"]:
            problems.append("No test marked `postgres` passed on PostgreSQL.")
    if os.environ.get("REQUIRE_BROWSER_TESTS") == "1" and not _passed_by_marker["browser"]:
        problems.append("No test marked `browser` passed (is chromium installed?).")
    writer = session.config.get_terminal_writer()
    for problem in problems:
        writer.line(f"\nFAILED: {problem}", red=True)
    if problems:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    for marker, passed in _passed_by_marker.items():
        if passed:
            writer.line(f"{len(passed)} `{marker}` tests passed.", green=True)


STRIPE_WEBHOOK_TEST_SECRET = "whsec_test_alotrop"


@pytest.fixture
def fake_stripe(settings):
    """Stripe's API on 127.0.0.1 (tests/fakes/stripe_api.py), with the portal set to refund through it."""
    from tests.fakes.stripe_api import API_KEY, FakeStripe

    fake = FakeStripe().start()
    settings.REFUND_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_TEST_SECRET
    # As in production, the library retries a dropped connection once (same idempotency key);
    # the tests of Stripe being down turn that off to see our own retries.
    settings.STRIPE_TIMEOUT = 5.0
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    yield fake
    fake.stop()


@pytest.fixture
def receiver():
    """A store's webhook receiver on 127.0.0.1 (tests/fakes/receiver.py)."""
    from tests.fakes.receiver import Receiver

    fake = Receiver().start()
    yield fake
    fake.stop()


SHOPIFY_LOCATION = "gid://shopify/Location/71"


@pytest.fixture
def fake_shopify(settings):
    """Shopify's Admin GraphQL API on 127.0.0.1 (tests/fakes/shopify_api.py), with the portal refunding through it."""
    from tests.fakes.shopify_api import TOKEN, FakeShopify

    fake = FakeShopify().start()
    settings.REFUND_PROVIDER = "shopify"
    settings.SHOPIFY_SHOP_DOMAIN = "alotrop.myshopify.com"
    settings.SHOPIFY_ADMIN_ACCESS_TOKEN = TOKEN
    settings.SHOPIFY_API_BASE = fake.base_url
    settings.SHOPIFY_API_VERSION = "2026-10"
    settings.SHOPIFY_RESTOCK_LOCATION_ID = SHOPIFY_LOCATION
    settings.SHOPIFY_TIMEOUT = 5.0
    settings.SHOPIFY_CLICK_TIMEOUT = 5.0
    yield fake
    fake.stop()
