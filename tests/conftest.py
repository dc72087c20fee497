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
