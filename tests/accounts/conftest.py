import pytest


@pytest.fixture
def client(client, django_capture_on_commit_callbacks):
    """A test client whose requests run their after-commit work (the outbox's sending) as a server would.

    Tests run inside a transaction that never commits; this runs each request's
    on-commit callbacks when the request ends, so its emails are sent then.
    """
    send = client.request

    def request(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return send(**kwargs)

    client.request = request
    return client
