"""What both apps use, in one place: email normalising and the client address (``core.addresses``),
and the counter by the clock hour (or minute) behind every rate limit (``core.counter``).

Core imports Django and nothing of ours: neither ``accounts`` nor ``returns`` (nor ``config``),
so either app may import it and it can never close an import cycle (``tests/test_architecture.py``).
It is not a Django app: it has no models. The counter's table, when counts are kept in the
database, is the model named by the ``THROTTLE_COUNT_MODEL`` setting (``accounts.ThrottleCount``).
"""
