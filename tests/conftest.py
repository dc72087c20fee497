import os
import shutil

import pytest
from django.conf import settings

from tests.factories import OrderFactory, OrderLineFactory, StaffFactory, UserFactory


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    """Each test writes photos to its own folder, removed afterwards."""
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


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


def pytest_report_header(config):
    return f"database: {settings.DATABASES['default']['ENGINE']}"


_postgres_passed = []


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed and "postgres" in report.keywords:
        _postgres_passed.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    """With REQUIRE_POSTGRES_TESTS=1 (CI), fail unless the concurrency tests ran on PostgreSQL."""
    if os.environ.get("REQUIRE_POSTGRES_TESTS") != "1":
        return
    engine = settings.DATABASES["default"]["ENGINE"]
    problem = None
    if "postgresql" not in engine:
        problem = f"REQUIRE_POSTGRES_TESTS is set but the database is {engine}."
    elif not _postgres_passed:
        problem = "No test marked `postgres` passed on PostgreSQL."
    if problem:
        session.config.get_terminal_writer().line(f"\nFAILED: {problem}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    else:
        session.config.get_terminal_writer().line(
            f"\n{len(_postgres_passed)} concurrency tests passed on PostgreSQL.", green=True
        )
