"""A small stand-in for Shopify's Admin GraphQL API on 127.0.0.1, for the portal's own client to talk to.

It answers the three operations the portal sends (the order with its transactions and refunds, one refund,
``refundCreate``), recognised by their fields, and behaves as Shopify documents:

- ``POST /admin/api/<version>/graphql.json`` with ``X-Shopify-Access-Token``; a wrong token is 401;
- the mutation's ``$input`` is checked against ``RefundInput`` (an unknown field, a missing required one, an enum
  value that is not one, a non-integer quantity): a top-level ``errors`` answer as Shopify gives for invalid
  variables, nothing made;
- ``@idempotent(key: …)`` is honoured: a key seen before answers with the first answer, whatever the input; from
  version 2026-04 a ``refundCreate`` without it is an error;
- business rules answer ``userErrors`` and make nothing: an unknown order or line item, more units than are left
  to refund, a restock without a location, a parent that is not the order's payment, an amount larger than what
  is left of the payment (the over-refund).

It can be told to misbehave for the next mutation(s): ``timeout`` (makes the refund, answers too late),
``throttled`` (200 with a THROTTLED error, makes nothing), ``429``, ``500`` (makes nothing), or a user error
(``user_error("…")``: Shopify's no, in its words).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
import time
from collections import deque
from decimal import Decimal
from http.server import BaseHTTPRequestHandler

from tests.fakes.local_server import LocalServer

TOKEN = "shpat_test_fake_alotrop"
GRAPHQL_PATH = re.compile(r"^/admin/api/(\d{4}-\d{2}|unstable)/graphql\.json$")
IDEMPOTENT = re.compile(r'@idempotent\(\s*key:\s*("(?:[^"\\]|\\.)*")\s*\)')

# RefundInput and the input objects inside it: field -> (kind, required). Kinds: id, str, int, bool, money,
# an enum's values (a frozenset), or a nested input object's spec (a dict), list_of: (spec,).
LINE_ITEM_INPUT = {
    "lineItemId": ("id", True),
    "quantity": ("int", True),
    "restockType": (frozenset({"RETURN", "NO_RESTOCK", "CANCEL"}), False),
    "locationId": ("id", False),
}
TRANSACTION_INPUT = {
    "amount": ("money", True),
    "gateway": ("str", True),
    "kind": (
        frozenset(
            {"AUTHORIZATION", "CAPTURE", "CHANGE", "EMV_AUTHORIZATION", "REFUND", "SALE", "SUGGESTED_REFUND", "VOID"}
        ),
        True,
    ),
    "orderId": ("id", True),
    "parentId": ("id", False),
}
SHIPPING_INPUT = {"amount": ("money", False), "fullRefund": ("bool", False)}
REFUND_INPUT = {
    "orderId": ("id", True),
    "note": ("str", False),
    "notify": ("bool", False),
    "currency": ("currency", False),
    "allowOverRefunding": ("bool", False),
    "discrepancyReason": (frozenset({"CUSTOMER", "DAMAGE", "OTHER", "RESTOCK"}), False),
    "processedAt": ("str", False),
    "refundLineItems": ((LINE_ITEM_INPUT,), False),
    "refundDuties": (("any",), False),
    "refundMethods": (("any",), False),
    "shipping": (SHIPPING_INPUT, False),
    "transactions": ((TRANSACTION_INPUT,), False),
}


def _problems(spec: dict, value, path: list) -> list[dict]:
    """Shopify's "invalid value" problems for ``value`` against an input object's spec."""
    if not isinstance(value, dict):
        return [{"path": path, "explanation": "Expected value to be an input object"}]
    problems = [
        {"path": [*path, name], "explanation": "Field is not defined on this input object"}
        for name in value
        if name not in spec
    ]
    for name, (kind, required) in spec.items():
        item = value.get(name)
        where = [*path, name]
        if item is None:
            if required:
                problems.append({"path": where, "explanation": "Expected value to not be null"})
            continue
        if isinstance(kind, tuple):
            if kind == ("any",):
                continue
            if not isinstance(item, list):
                problems.append({"path": where, "explanation": "Expected value to be a list"})
                continue
            for index, element in enumerate(item):
                problems += _problems(kind[0], element, [*where, index])
        elif isinstance(kind, dict):
            problems += _problems(kind, item, where)
        elif isinstance(kind, frozenset):
            if item not in kind:
                problems.append(
                    {
                        "path": where,
                        "explanation": f"Expected {json.dumps(item)} to be one of: {', '.join(sorted(kind))}",
                    }
                )
        elif not _of_kind(kind, item):
            problems.append({"path": where, "explanation": f"Could not coerce value {json.dumps(item)} to {kind}"})
    return problems


def _of_kind(kind: str, item) -> bool:
    if kind == "int":
        return isinstance(item, int) and not isinstance(item, bool)
    if kind == "bool":
        return isinstance(item, bool)
    if kind == "id":
        return isinstance(item, str) and item.startswith("gid://shopify/")
    if kind == "money":
        return isinstance(item, str | int | float) and re.fullmatch(r"-?\d+(\.\d+)?", str(item)) is not None
    if kind == "currency":
        return isinstance(item, str) and re.fullmatch(r"[A-Z]{3}", item) is not None
    return isinstance(item, str)


def _money(amount: Decimal, currency: str) -> dict:
    money = {"amount": str(amount), "currencyCode": currency}
    return {"shopMoney": money, "presentmentMoney": money}


class FakeShopify(LocalServer):
    def __init__(self, *, refund_status: str = "SUCCESS", slow_seconds: float = 2.0):
        self.refund_status = refund_status  # the status of a new refund's transaction: SUCCESS or PENDING
        self.slow_seconds = slow_seconds
        self.orders: dict[str, dict] = {}  # order gid -> order
        self.refunds: dict[str, dict] = {}  # refund gid -> refund (with "_order")
        self.answers: dict[str, dict] = {}  # idempotency key -> first answer
        self.misbehave: deque[tuple[str, str]] = deque()
        self.requests: list[dict] = []  # each: path, headers, query, variables
        self.ids = itertools.count(9_100_000_000)
        self.lock = threading.Lock()
        self._serve()

    # --- test controls -----------------------------------------------------

    def add_order(
        self, order_id: str, *, lines: dict[str, int], paid: str, currency: str = "USD", name: str = ""
    ) -> dict:
        """An order paid ``paid`` by Shopify Payments; ``lines``: line item id -> quantity bought."""
        gid = f"gid://shopify/Order/{order_id}"
        sale = f"gid://shopify/OrderTransaction/{next(self.ids)}"
        self.orders[gid] = {
            "id": gid,
            "name": name or f"#{order_id}",
            "currency": currency,
            "lines": {f"gid://shopify/LineItem/{line}": quantity for line, quantity in lines.items()},
            "transactions": [
                {
                    "id": sale,
                    "kind": "SALE",
                    "status": "SUCCESS",
                    "gateway": "shopify_payments",
                    "amount": Decimal(paid),
                }
            ],
        }
        return self.orders[gid]

    def fail_next(self, how: str, times: int = 1, message: str = "") -> None:
        assert how in ("timeout", "throttled", "429", "500", "user_error")
        self.misbehave.extend([(how, message)] * times)

    def refunds_for(self, order_id: str) -> list[dict]:
        gid = f"gid://shopify/Order/{order_id}"
        return [r for r in self.refunds.values() if r["_order"] == gid]

    def mutations(self) -> list[dict]:
        return [r for r in self.requests if "refundCreate" in r["query"]]

    def refund_by_hand(self, order_id: str, *, lines: dict[str, int], amount: str, note: str = "") -> dict:
        """Staff refunding in Shopify's own admin: no key, no note of ours."""
        order = self.orders[f"gid://shopify/Order/{order_id}"]
        with self.lock:
            return self._make_refund(
                order,
                [
                    {"lineItemId": f"gid://shopify/LineItem/{k}", "quantity": v, "restockType": "NO_RESTOCK"}
                    for k, v in lines.items()
                ],
                Decimal(amount),
                order["transactions"][0]["id"],
                note,
            )

    def webhook_payload(self, refund: dict) -> dict:
        """The ``refunds/create`` webhook Shopify sends for ``refund`` (its REST shape)."""
        number = refund["id"].rsplit("/", 1)[1]
        return {
            "id": int(number),
            "order_id": int(refund["_order"].rsplit("/", 1)[1]),
            "created_at": "2026-12-05T10:00:00-05:00",
            "note": refund["note"],
            "user_id": None,
            "processed_at": "2026-12-05T10:00:00-05:00",
            "restock": False,
            "admin_graphql_api_id": refund["id"],
            "refund_line_items": [
                {
                    "id": next(self.ids),
                    "quantity": item["quantity"],
                    "line_item_id": int(item["lineItemId"].rsplit("/", 1)[1]),
                    "location_id": None,
                    "restock_type": item.get("restockType", "NO_RESTOCK").lower(),
                }
                for item in refund["_lines"]
            ],
            "transactions": [
                {
                    "id": int(t["id"].rsplit("/", 1)[1]),
                    "order_id": int(refund["_order"].rsplit("/", 1)[1]),
                    "kind": "refund",
                    "gateway": "shopify_payments",
                    "status": t["status"].lower(),
                    "amount": str(t["_amount"]),
                    "currency": refund["_currency"],
                }
                for t in refund["transactions"]["nodes"]
            ],
            "order_adjustments": [],
        }

    # --- Shopify's behaviour -----------------------------------------------------

    def _refunded_units(self, order_gid: str, line: str) -> int:
        return sum(
            item["quantity"]
            for r in self.refunds.values()
            if r["_order"] == order_gid
            for item in r["_lines"]
            if item["lineItemId"] == line
        )

    def _refunded_amount(self, parent: str) -> Decimal:
        return sum(
            (
                t["_amount"]
                for r in self.refunds.values()
                for t in r["transactions"]["nodes"]
                if t["_parent"] == parent and t["status"] != "FAILURE"
            ),
            Decimal(0),
        )

    def _make_refund(self, order: dict, items: list, amount: Decimal, parent: str, note: str) -> dict:
        gid = f"gid://shopify/Refund/{next(self.ids)}"
        transaction = {
            "id": f"gid://shopify/OrderTransaction/{next(self.ids)}",
            "kind": "REFUND",
            "status": self.refund_status,
            "errorCode": None,
            "_amount": amount,
            "_parent": parent,
        }
        refund = {
            "id": gid,
            "note": note,
            "totalRefundedSet": _money(amount, order["currency"]),
            "transactions": {"nodes": [transaction]},
            "_order": order["id"],
            "_lines": items,
            "_currency": order["currency"],
            "_amount": amount,
        }
        self.refunds[gid] = refund
        return refund

    @staticmethod
    def _public(refund: dict) -> dict:
        nodes = [{k: v for k, v in t.items() if not k.startswith("_")} for t in refund["transactions"]["nodes"]]
        return {**{k: v for k, v in refund.items() if not k.startswith("_")}, "transactions": {"nodes": nodes}}

    def _order_answer(self, gid: str) -> dict:
        order = self.orders.get(gid)
        if order is None:
            return {"data": {"order": None}}
        return {
            "data": {
                "order": {
                    "id": order["id"],
                    "name": order["name"],
                    "presentmentCurrencyCode": order["currency"],
                    "transactions": [
                        {
                            "id": t["id"],
                            "kind": t["kind"],
                            "status": t["status"],
                            "gateway": t["gateway"],
                            "amountSet": _money(t["amount"], order["currency"]),
                        }
                        for t in order["transactions"]
                    ],
                    "refunds": [self._public(r) for r in self.refunds.values() if r["_order"] == gid],
                }
            }
        }

    def _user_errors(self, order: dict | None, refund_input: dict) -> list[dict]:
        if order is None:
            return [{"field": ["orderId"], "message": "Order does not exist"}]
        errors = []
        wanted: dict[str, int] = {}
        for index, item in enumerate(refund_input.get("refundLineItems") or []):
            line = item["lineItemId"]
            if line not in order["lines"]:
                errors.append(
                    {"field": ["refundLineItems", str(index), "lineItemId"], "message": "Line item does not exist"}
                )
                continue
            if item.get("restockType") == "RETURN" and not item.get("locationId"):
                errors.append(
                    {
                        "field": ["refundLineItems", str(index), "locationId"],
                        "message": "Location must be specified when restocking",
                    }
                )
            wanted[line] = wanted.get(line, 0) + item["quantity"]
        for line, quantity in wanted.items():
            left = order["lines"][line] - self._refunded_units(order["id"], line)
            if quantity < 1 or quantity > left:
                errors.append(
                    {
                        "field": ["refundLineItems"],
                        "message": f"Quantity cannot refund more items than were purchased ({left} left on {line})",
                    }
                )
        for index, transaction in enumerate(refund_input.get("transactions") or []):
            parent = next((t for t in order["transactions"] if t["id"] == transaction.get("parentId")), None)
            if parent is None:
                errors.append(
                    {"field": ["transactions", str(index), "parentId"], "message": "Parent transaction does not exist"}
                )
                continue
            left = parent["amount"] - self._refunded_amount(parent["id"])
            if Decimal(str(transaction["amount"])) > left and not refund_input.get("allowOverRefunding"):
                errors.append(
                    {
                        "field": ["transactions", str(index), "amount"],
                        "message": "Refund amount must be less than or equal to the refundable amount of "
                        f"{left} {order['currency']}",
                    }
                )
        return errors

    def _refund_create(self, refund_input: dict) -> dict:
        order = self.orders.get(refund_input["orderId"])
        errors = self._user_errors(order, refund_input)
        if errors:
            return {"data": {"refundCreate": {"refund": None, "userErrors": errors}}}
        [transaction] = refund_input.get("transactions") or [{"amount": "0", "parentId": None}]
        refund = self._make_refund(
            order,
            refund_input.get("refundLineItems") or [],
            Decimal(str(transaction["amount"])),
            transaction["parentId"],
            refund_input.get("note") or "",
        )
        refund["_input"] = refund_input
        return {"data": {"refundCreate": {"refund": self._public(refund), "userErrors": []}}}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up: done stays done
                    self.wfile.write(data)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                version = GRAPHQL_PATH.match(self.path)
                try:
                    body = json.loads(self.rfile.read(length))
                except ValueError:
                    return self._send(400, {"errors": "Bad Request"})
                query, variables = body.get("query") or "", body.get("variables") or {}
                with fake.lock:
                    fake.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "query": query, "variables": variables}
                    )
                if version is None:
                    return self._send(404, {"errors": "Not Found"})
                if self.headers.get("X-Shopify-Access-Token") != TOKEN:
                    return self._send(
                        401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
                    )
                if "refundCreate" in query:
                    return self._mutation(query, variables, version.group(1))
                with fake.lock:
                    if re.search(r"\border\(id:", query):
                        return self._send(200, fake._order_answer(variables.get("id")))
                    if re.search(r"\brefund\(id:", query):
                        refund = fake.refunds.get(variables.get("id"))
                        return self._send(200, {"data": {"refund": fake._public(refund) if refund else None}})
                self._send(200, {"errors": [{"message": "Field doesn't exist on type 'QueryRoot'"}]})

            def _mutation(self, query: str, variables: dict, version: str):
                found = IDEMPOTENT.search(query)
                key = json.loads(found.group(1)) if found else None
                if key is None and version >= "2026-04":
                    error = {
                        "message": "The @idempotent directive is required for this mutation.",
                        "extensions": {"code": "BAD_REQUEST"},
                    }
                    return self._send(200, {"errors": [error]})
                problems = _problems(REFUND_INPUT, variables.get("input"), [])
                if problems:
                    error = {
                        "message": "Variable $input of type RefundInput! was provided invalid value for "
                        + ", ".join(".".join(map(str, p["path"])) for p in problems),
                        "extensions": {"value": variables.get("input"), "problems": problems},
                    }
                    return self._send(200, {"errors": [error]})
                with fake.lock:
                    if key is not None and key in fake.answers:
                        return self._send(200, fake.answers[key])
                    how, message = fake.misbehave.popleft() if fake.misbehave else (None, "")
                    if how == "throttled":
                        return self._send(
                            200, {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}
                        )
                    if how in ("429", "500"):
                        return self._send(
                            int(how),
                            {"errors": "Exceeded 2 calls per second" if how == "429" else "Internal Server Error"},
                        )
                    if how == "user_error":
                        answer = {
                            "data": {
                                "refundCreate": {"refund": None, "userErrors": [{"field": None, "message": message}]}
                            }
                        }
                    else:
                        answer = fake._refund_create(variables["input"])
                    if key is not None:
                        fake.answers[key] = answer
                if how == "timeout":
                    time.sleep(fake.slow_seconds)
                self._send(200, answer)

        return Handler
