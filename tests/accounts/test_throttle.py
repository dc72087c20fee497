"""The link throttle counts where every process sees it: the database by default, Redis when set."""

from __future__ import annotations

import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import override_settings
from django.urls import reverse

from accounts.models import ThrottleCount
from core import counter
from returns.models import Notification
from tests.support.pages import text
from tests.support.server import post_form, readme_gunicorn


def ask(client, email="ana@example.com", **extra):
    return client.post(reverse("accounts:guest"), {"order_number": "100234", "email": email}, **extra)


@pytest.mark.django_db
def test_without_cache_url_the_counts_are_rows_in_the_database_holding_no_address(client, settings, order, clock):
    settings.THROTTLE_STORE = "database"
    for _ in range(3):
        assert ask(client).status_code == 200
    assert ask(client).status_code == 429
    counts = dict(ThrottleCount.objects.values_list("key", "count"))
    # The address this hour and this minute (refused ones not counted), the pair, the client.
    assert sorted(counts.values()) == [3, 3, 4, 4]
    assert not any("ana" in key or "example" in key for key in counts)


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.django_db
@pytest.mark.skipif(not _redis_reachable(), reason="no Redis on 127.0.0.1:6379")
def test_cache_url_redis_counts_in_redis(client, settings, order):
    settings.THROTTLE_STORE = "cache"
    # A prefix of this test's own: other test runs may share the Redis server (and its databases)
    # at the same moment, and their counts must not mix; the keys expire with the throttle's window.
    redis_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"alotrop-test-{uuid.uuid4().hex}",
        }
    }
    with override_settings(CACHES=redis_cache):
        for _ in range(3):
            assert ask(client).status_code == 200
        assert ask(client).status_code == 429
        assert not ThrottleCount.objects.exists()
        assert ask(client, REMOTE_ADDR="198.51.100.7").status_code == 200


REDIS_URL = "redis://127.0.0.1:6379/14"


def _ask_over_http(port: int, client_ip: str) -> int:
    fields = {"order_number": "100234", "email": "ana@example.com"}
    return post_form(port, "/account/guest/", fields, client_ip)[0]


@pytest.mark.django_db(transaction=True)
def test_30_requests_for_one_address_across_gunicorn_workers_send_5_links(order):
    """README's gunicorn command (3 workers), no CACHE_URL: the workers count together."""
    # 30 visitors from 30 addresses, 6 at a time, so all three workers serve some. The limit counts by the clock
    # hour: a run that would straddle the hour (a CI run once did at 16:00, and 3 + 5 links went out) starts after it.
    if counter.seconds_left() < 90:
        time.sleep(counter.seconds_left())
    with readme_gunicorn(EMAIL_DELIVERY="worker", NUM_PROXIES="1") as port, ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda n: _ask_over_http(port, f"203.0.113.{n + 1}"), range(30)))
    assert statuses.count(200) == 5, statuses
    assert statuses.count(429) == 25
    assert Notification.objects.filter(event="guest_link", to="ana@example.com").count() == 5


@pytest.mark.django_db
def test_attack_6_a_stranger_asking_from_two_addresses_cannot_spend_the_owners_links(
    client, stranger, mailoutbox, documented_limits, order, clock
):
    """3 requests from one client and 2 from another for someone's address: its owner waits a minute at most."""
    for address in ["203.0.113.1"] * 3 + ["203.0.113.2"] * 2:
        assert ask(stranger, REMOTE_ADDR=address).status_code == 200

    owners = ask(client, REMOTE_ADDR="192.0.2.10")

    # Never an hour: at most "try again in a minute", and a minute later the link is sent.
    assert owners.status_code == 429
    assert "please try again in a minute" in text(owners) and "in an hour" not in text(owners)
    assert 0 < int(owners["Retry-After"]) <= 60
    clock.advance(int(owners["Retry-After"]))
    owners = ask(client, REMOTE_ADDR="192.0.2.10")
    assert owners.status_code == 200
    assert Notification.objects.filter(event="guest_link", to="ana@example.com").count() == 6
    assert len(mailoutbox) == 6
