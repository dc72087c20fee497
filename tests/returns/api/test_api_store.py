"""The store's read API: the key at the door, the lists' filters and cursor walk, one return in full, refunds,
and the number of queries whatever the page size."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from returns.models import Refund, ReturnRequest
from returns.selectors.public import moment
from returns.services.api_keys import api_key_add, api_key_revoke
from returns.services.refunds import refund_issue, refund_mark_failed
from returns.services.requests import return_request_approve
from tests.factories import OrderFactory, OrderLineFactory
from tests.returns.admin.test_admin import (  # noqa: F401  (the fixtures are used by name)
    fixture_approved,
    fixture_inspected,
    fixture_received,
    fixture_submitted,
    inspect_all,
    standard,
    submit,
)

pytestmark = pytest.mark.django_db
S = ReturnRequest.Status


@pytest.fixture
def key(db):
    return api_key_add(name="ERP")[1]


def get(client, path, key=None, **params):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return client.get(path, params, **headers)


def make_returns(count, customer=None):
    """``count`` returns, each on an order of its own: one mug, changed mind."""
    made = []
    for _ in range(count):
        order = OrderFactory()
        line = OrderLineFactory(order=order, sku="MUG-01", name="Stoneware mug", unit_price="12.50", unit_tax="1.00")
        made.append(submit(order, standard(line), by=None))
    return made


def walk(client, key, path="/api/v1/returns", between=None, **params):
    """Every page of a list, following next_cursor; ``between(page_number)`` runs after each page."""
    pages, cursor = [], None
    while True:
        answer = get(client, path, key, **params, **({"cursor": cursor} if cursor else {}))
        assert answer.status_code == 200, answer.content
        body = answer.json()
        pages.append(body["data"])
        if between:
            between(len(pages))
        if not body["has_more"]:
            assert body["next_cursor"] is None
            return pages
        cursor = body["next_cursor"]


# --- the issue's "done when" -------------------------------------------------------------------------


def test_an_approved_return_is_listed_with_a_key_and_the_list_is_refused_without_one(
    client, key, submitted, service_agent
):
    before = timezone.now() - timedelta(seconds=1)
    return_request_approve(request=submitted, by=service_agent, return_required=True)

    answer = get(client, "/api/v1/returns", key, updated_since=before.isoformat())
    assert answer.status_code == 200
    [listed] = answer.json()["data"]
    assert (listed["rma"], listed["status"], listed["order"]["number"]) == (submitted.rma, "approved", "100234")
    assert listed["lines"][0]["unit_price"] == "12.50" and listed["ship_by"]

    refused = get(client, "/api/v1/returns", updated_since=before.isoformat())
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in refused.json()["error"]
    assert submitted.rma not in refused.content.decode()


# --- the key ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/returns", "/api/v1/refunds", "/api/v1/returns/RMA-AAAA-BBBB"])
@pytest.mark.parametrize(
    ("header", "error"),
    [
        ("Bearer alr_" + "x" * 43, "invalid_token"),
        ("Bearer nonsense", "invalid_token"),
        ("Basic dXNlcjpwYXNz", "invalid_request"),
        ("Bearer", "invalid_request"),
    ],
)
def test_a_wrong_or_malformed_key_is_a_401_everywhere(client, key, submitted, path, header, error):
    answer = client.get(path.replace("RMA-AAAA-BBBB", submitted.rma), HTTP_AUTHORIZATION=header)
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == f'Bearer realm="Alotrop Returns API", error="{error}"'
    assert answer.json()["error"]
    assert submitted.rma not in answer.content.decode()


def test_a_revoked_key_is_refused_from_the_next_call(client, submitted):
    row, key = api_key_add(name="Warehouse")
    assert get(client, "/api/v1/returns", key).status_code == 200
    api_key_revoke(key_id=row.pk)
    answer = get(client, "/api/v1/returns", key)
    assert answer.status_code == 401 and answer.json() == {"error": "This API key is wrong or was revoked."}


def test_a_key_records_when_it_was_last_used(client, key):
    from returns.models import ApiKey

    assert ApiKey.objects.get().last_used_at is None
    get(client, "/api/v1/returns", key)
    assert ApiKey.objects.get().last_used_at is not None


def test_an_address_sending_wrong_keys_is_stopped_for_the_hour_and_others_are_not(client, key, settings, fresh_cache):
    settings.API_KEY_FAILURES_PER_CLIENT = 3
    for _ in range(3):
        assert get(client, "/api/v1/returns", "alr_" + "y" * 43).status_code == 401
    stopped = get(client, "/api/v1/returns", key)  # even a right key: the limit is not a hint about the guess
    assert stopped.status_code == 429 and int(stopped["Retry-After"]) > 0
    assert "Too many wrong API keys" in stopped.json()["error"]
    assert client.get("/api/v1/returns", HTTP_AUTHORIZATION=f"Bearer {key}", REMOTE_ADDR="192.0.2.9").status_code == 200


def test_a_missing_key_is_not_counted_as_a_guess(client, key, settings, fresh_cache):
    settings.API_KEY_FAILURES_PER_CLIENT = 1
    for _ in range(3):
        assert get(client, "/api/v1/returns").status_code == 401
    assert get(client, "/api/v1/returns", key).status_code == 200


# --- filters -----------------------------------------------------------------------------------------------


def test_status_order_and_updated_since_filter_the_list(client, key, order, customer, service_agent):
    mine = submit(order, standard(order.lines.get(sku="MUG-01")), by=customer)
    others = make_returns(2)
    return_request_approve(request=others[0], by=service_agent, return_required=True)
    long_ago = timezone.now() - timedelta(days=3)
    ReturnRequest.objects.filter(pk=others[1].pk).update(updated_at=long_ago)

    def rmas(**params):
        answer = get(client, "/api/v1/returns", key, **params)
        assert answer.status_code == 200, answer.content
        return {row["rma"] for row in answer.json()["data"]}

    assert rmas() == {mine.rma, others[0].rma, others[1].rma}
    assert rmas(status="approved") == {others[0].rma}
    assert rmas(order="100234") == {mine.rma}
    assert rmas(order="no-such-order") == set()
    since = moment(long_ago + timedelta(hours=1))
    assert rmas(updated_since=since) == {mine.rma, others[0].rma}
    assert rmas(updated_since=(long_ago + timedelta(hours=1)).astimezone().isoformat()) == {mine.rma, others[0].rma}
    # updated_since is inclusive: the row updated at that very moment is listed.
    assert others[1].rma in rmas(updated_since=moment(long_ago))


def test_an_offset_sent_with_an_unencoded_plus_is_read_as_meant(client, key, submitted):
    # curl's "?updated_since=2026-01-01T00:00:00+01:00" arrives with a space for the plus.
    answer = client.get("/api/v1/returns?updated_since=2020-01-01T00:00:00+01:00", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert answer.status_code == 200 and [r["rma"] for r in answer.json()["data"]] == [submitted.rma]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("updated_since=yesterday", "updated_since must be an ISO 8601 date and time"),
        ("updated_since=2026-12-05T10:00:00", "updated_since needs a UTC offset"),
        ("updated_since=0001-01-01T00:00:00%2B01:00", "updated_since must be"),
        ("updated_since=2026-02-30T10:00:00Z", "updated_since must be"),
        ("updated_since=" + "9" * 5000, "updated_since must be"),
        ("status=lost", "status must be one of submitted"),
        ("status=", "status must be one of"),
        ("order=" + "1" * 41, "order must be an order number of 1 to 40"),
        ("order=", "order must be an order number"),
        ("limit=0", "limit must be a whole number from 1 to 200"),
        ("limit=201", "limit must be"),
        ("limit=-1", "limit must be"),
        ("limit=1e3", "limit must be"),
        ("limit=" + "9" * 30, "limit must be"),
        ("limit=%D9%A3", "limit must be"),  # an Arabic-Indic three: a digit to Python, not to us
        ("cursor=abc", "cursor is not one this list gave"),
        ("cursor=" + "x" * 10_000, "cursor is not one"),
        ("status=approved&status=received", "Give status once"),
        ("updated_after=2026-12-05T10:00:00Z", "Unknown parameter 'updated_after'"),
    ],
)
def test_a_parameter_that_cannot_be_used_is_a_400_naming_it(client, key, submitted, query, named):
    answer = client.get(f"/api/v1/returns?{query}", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert answer.status_code == 400
    assert named in answer.json()["error"]


# --- the cursor walk -----------------------------------------------------------------------------------------


def test_the_walk_reads_every_return_once_and_a_changed_one_again_with_its_change(client, key, service_agent):
    made = make_returns(8)
    changed = {}

    def change_between(page_number):
        if page_number == 1:  # one row already read, one still to come
            seen, unseen = made[0], made[6]
            for request in (seen, unseen):
                changed[request.rma] = return_request_approve(request=request, by=service_agent, return_required=True)

    pages = walk(client, key, limit=3, between=change_between)
    rows = [row for page in pages for row in page]
    assert [len(page) for page in pages] == [3, 3, 3]
    rmas = [row["rma"] for row in rows]
    assert set(rmas) == {r.rma for r in made}  # no gap
    assert rmas.count(made[0].rma) == 2 and rmas.count(made[6].rma) == 1  # read again only for its change
    assert len(rmas) == len(made) + 1
    last_seen = {row["rma"]: row for row in rows}
    assert last_seen[made[0].rma]["status"] == last_seen[made[6].rma]["status"] == "approved"
    assert rmas[-2:] == [made[0].rma, made[6].rma]  # the changed ones come last, in the order they changed


def test_rows_changed_at_the_same_moment_are_paged_by_id_without_a_gap(client, key):
    made = make_returns(7)
    ReturnRequest.objects.update(updated_at=timezone.now())
    rmas = [row["rma"] for page in walk(client, key, limit=2) for row in page]
    assert rmas == [r.rma for r in sorted(made, key=lambda r: r.pk)]


def test_the_walk_keeps_its_filters_on_every_page(client, key, service_agent):
    made = make_returns(5)
    for request in made[:4]:
        return_request_approve(request=request, by=service_agent, return_required=True)
    pages = walk(client, key, limit=3, status="approved")
    assert [len(p) for p in pages] == [3, 1]
    assert {row["status"] for page in pages for row in page} == {"approved"}


def test_a_cursor_of_another_list_is_refused(client, key, inspected, service_agent):
    make_returns(2)
    cursor = get(client, "/api/v1/returns", key, limit=1).json()["next_cursor"]
    answer = get(client, "/api/v1/refunds", key, cursor=cursor)
    assert answer.status_code == 400 and "cursor is not one this list gave" in answer.json()["error"]


# --- one return in full ------------------------------------------------------------------------------------------


def test_one_return_has_its_lines_history_estimate_and_refund(client, key, inspected, service_agent):
    refund_issue(refund=inspected.refund, by=service_agent, reference="re_777")
    answer = get(client, f"/api/v1/returns/{inspected.rma}", key)
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "refunded"
    assert [step["type"] for step in body["history"]] == [
        "return.submitted",
        "return.approved",
        "return.received",
        "return.inspected",
        "refund.issued",
        "return.closed",
    ]
    assert body["history"][1] | {"at": None} == {
        "type": "return.approved",
        "at": None,
        "from_status": "submitted",
        "to_status": "approved",
        "note": body["history"][1]["note"],
    }
    assert body["estimate"]["outcomes"][0]["total"] == "27.00"
    assert body["estimate"]["currency"] == "USD" and "payment_method" not in body["estimate"]
    refund = body["refund"]
    assert (refund["state"], refund["total"], refund["reference"], refund["currency"]) == (
        "issued",
        "27.00",
        "re_777",
        "USD",
    )
    assert [line["sku"] for line in body["lines"]] == ["MUG-01"]


def test_a_refund_failure_keeps_its_reason_between_staff(client, key, inspected, service_agent):
    refund_mark_failed(refund=inspected.refund, by=service_agent, reason="Card closed: processor code 51")
    text = get(client, f"/api/v1/returns/{inspected.rma}", key).content.decode()
    assert "refund.failed" in text and "processor code 51" not in text


def test_no_customer_data_beyond_what_the_events_carry(client, key, inspected, customer):
    for path in ("/api/v1/returns", f"/api/v1/returns/{inspected.rma}", "/api/v1/refunds"):
        text = get(client, path, key).content.decode()
        for private in (customer.email, "No longer needed", "Visa ending 4242", "Ana Lima", "photo"):
            assert private not in text, (path, private)


def test_an_unknown_return_is_a_json_404_and_a_key_is_asked_first(client, key):
    answer = get(client, "/api/v1/returns/RMA-ZZZZ-ZZZZ", key)
    assert answer.status_code == 404 and answer.json() == {"error": "No return 'RMA-ZZZZ-ZZZZ'."}
    assert get(client, "/api/v1/returns/RMA-ZZZZ-ZZZZ").status_code == 401


def test_the_rma_may_be_written_in_lower_case(client, key, submitted):
    assert get(client, f"/api/v1/returns/{submitted.rma.lower()}", key).json()["rma"] == submitted.rma


def test_a_refund_sent_or_failed_moves_the_returns_updated_at(client, key, inspected, service_agent):
    """updated_since must catch a step that leaves the status as it is but changes the refund."""
    after_inspection = timezone.now()
    assert get(client, "/api/v1/returns", key, updated_since=moment(after_inspection)).json()["data"] == []
    refund_mark_failed(refund=inspected.refund, by=service_agent, reason="Card closed")
    [row] = get(client, "/api/v1/returns", key, updated_since=moment(after_inspection)).json()["data"]
    assert row["refund"]["state"] == "failed"


# --- refunds -----------------------------------------------------------------------------------------------------


@pytest.fixture
def two_refunds(inspected, service_agent, warehouse):
    """One issued (27.00, re_777) on 100234, one pending on another order."""
    refund_issue(refund=inspected.refund, by=service_agent, reference="re_777")
    [other] = make_returns(1)
    from returns.services.requests import return_request_receive

    return_request_approve(request=other, by=service_agent, return_required=True)
    return_request_receive(request=other, by=warehouse)
    inspect_all(other, warehouse)
    return Refund.objects.get(request=inspected), Refund.objects.get(request=other)


def test_refunds_are_listed_with_their_return_and_filtered_by_state_and_issue_day(client, key, two_refunds):
    issued, pending = two_refunds
    every = get(client, "/api/v1/refunds", key).json()
    assert [(r["rma"], r["state"], r["total"]) for r in every["data"]] == [
        (issued.request.rma, "issued", "27.00"),
        (pending.request.rma, "pending", "13.50"),
    ]
    assert every["data"][0]["order"] == {"number": "100234", "currency": "USD"}
    assert every["data"][0]["return_status"] == "refunded"
    only = get(client, "/api/v1/refunds", key, state="pending").json()["data"]
    assert [r["rma"] for r in only] == [pending.request.rma]
    today = issued.issued_on
    assert [r["rma"] for r in get(client, "/api/v1/refunds", key, issued_since=today.isoformat()).json()["data"]] == [
        issued.request.rma
    ]
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert get(client, "/api/v1/refunds", key, issued_since=tomorrow).json()["data"] == []


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("issued_since=2026-12-05T10:00:00Z", "issued_since must be a date (YYYY-MM-DD)"),
        ("issued_since=2026-13-01", "issued_since must be a date"),
        ("state=paid", "state must be one of pending, processing, issued, failed"),
        ("updated_since=soon", "updated_since must be"),
        ("status=issued", "Unknown parameter 'status'"),
    ],
)
def test_a_refunds_parameter_that_cannot_be_used_is_a_400_naming_it(client, key, query, named):
    answer = client.get(f"/api/v1/refunds?{query}", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert answer.status_code == 400 and named in answer.json()["error"]


def test_the_refunds_walk_pages_through_every_refund(client, key, two_refunds):
    rmas = [row["rma"] for page in walk(client, key, path="/api/v1/refunds", limit=1) for row in page]
    assert rmas == [refund.request.rma for refund in two_refunds]


# --- queries ------------------------------------------------------------------------------------------------------


def queries(client, key, path, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        answer = get(client, path, key, **params)
    assert answer.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("path", ["/api/v1/returns", "/api/v1/refunds"])
def test_a_page_costs_the_same_queries_for_one_row_as_for_many(client, key, path, service_agent, warehouse):
    """A page of 1 and a page of 30: the same count (key, limit, rows, lines), never a query per row."""
    from returns.services.requests import return_request_receive

    def refunded(requests):
        for request in requests:
            return_request_approve(request=request, by=service_agent, return_required=True)
            return_request_receive(request=request, by=warehouse)
            inspect_all(request, warehouse)

    refunded(make_returns(1))
    get(client, path, key)  # last_used_at is written at most once a minute: out of the way for both counts
    one = queries(client, key, path)
    refunded(make_returns(29))
    many = queries(client, key, path, limit=200)
    assert many == one <= 5
    assert len(get(client, path, key, limit=200).json()["data"]) == 30


def test_the_detail_costs_the_same_queries_whatever_its_history(client, key, inspected, service_agent, warehouse):
    get(client, f"/api/v1/returns/{inspected.rma}", key)
    short = queries(client, key, f"/api/v1/returns/{inspected.rma}")
    refund_issue(refund=inspected.refund, by=service_agent, reference="re_1")
    assert queries(client, key, f"/api/v1/returns/{inspected.rma}") == short


def test_every_answer_is_json_and_never_cached(client, key, submitted):
    for path in ("/api/v1/returns", f"/api/v1/returns/{submitted.rma}", "/api/v1/refunds"):
        answer = get(client, path, key)
        assert answer["Content-Type"] == "application/json" and answer["Cache-Control"] == "private, no-store"
        json.loads(answer.content)


def test_the_detail_takes_no_parameters(client, key, submitted):
    answer = get(client, f"/api/v1/returns/{submitted.rma}", key, expand="history")
    assert answer.status_code == 400 and answer.json() == {
        "error": "Unknown parameter 'expand'; this return takes none."
    }
