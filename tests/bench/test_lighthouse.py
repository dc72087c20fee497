"""`make lighthouse` holds every customer page to issue 16's bar; here, how it reads Lighthouse's figures."""

from bench.lighthouse import PAGES, misses


def figures(**changes):
    return {"performance": 100, "best-practices": 100, "cls": 0.0, "kib": 64.0, "failed": []} | changes


def test_a_page_at_the_bar_passes():
    assert misses(figures(performance=95, cls=0.05, kib=100.0)) == []


def test_each_miss_is_said_in_words():
    said = misses(figures(performance=86, cls=0.277, kib=120.4, **{"best-practices": 96}, failed=["Console errors"]))
    assert said == ["performance 86 < 95", "best practices 96 (Console errors)", "CLS 0.277 > 0.05", "120 KiB > 100"]


def test_every_customer_page_is_measured_start_a_return_included():
    keys = {key for key, *_ in PAGES}
    assert {"home", "policy", "orders", "order", "start", "return", "authorization"} <= keys
    assert not any(path.startswith("/admin/") for *_, path in PAGES)
