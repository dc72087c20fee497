import time

import pytest
from django.test import Client

import core.counter


def _runs_after_commit_work(client, capture):
    """Each request of this client runs its on-commit callbacks (the outbox's sending) when it ends."""
    send = client.request

    def request(**kwargs):
        with capture(execute=True):
            return send(**kwargs)

    client.request = request
    return client


@pytest.fixture
def client(client, django_capture_on_commit_callbacks):
    """A test client whose requests run their after-commit work (the outbox's sending) as a server would.

    Tests run inside a transaction that never commits; this runs each request's
    on-commit callbacks when the request ends, so its emails are sent then.
    """
    return _runs_after_commit_work(client, django_capture_on_commit_callbacks)


@pytest.fixture
def stranger(django_capture_on_commit_callbacks):
    """Another browser (its own cookies), like ``client``: the attacker beside the owner's ``client``."""
    return _runs_after_commit_work(Client(), django_capture_on_commit_callbacks)


class Clock:
    """The time the shared counter (core.counter) reads: ten minutes and five seconds into an hour."""

    def __init__(self):
        self.now = time.time() // 3600 * 3600 + 10 * 60 + 5

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    """Moves the link limits' clock by hand, so a test can wait a minute in no time."""
    fake = Clock()
    monkeypatch.setattr(core.counter, "time", fake)
    return fake


@pytest.fixture
def documented_limits(settings):
    """The sign-in and link limits at README's defaults, whatever the environment says; no proxy in front."""
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_LOCKOUT_MINUTES = 15
    settings.LOGIN_FAILURE_LIMIT_PER_CLIENT = 30
    settings.LOGIN_FAILURE_LIMIT_PER_DEVICE = 5
    settings.GUEST_LINK_RATE_PER_ADDRESS = 5
    settings.GUEST_LINK_RATE_PER_CLIENT_AND_ADDRESS = 3
    settings.GUEST_LINK_RATE_PER_CLIENT = 100
    settings.NUM_PROXIES = 0
