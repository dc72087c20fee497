"""The read API's part of the OpenAPI description (``returns.api.schema``): its paths, parameters, key and answers.

The schemas are strict (every field required, no other field allowed), and the tests check the examples and
real answers against them, so a field added to ``returns.selectors.public`` without its line here fails them.
"""

from __future__ import annotations

from returns.domain.estimates import CONFIRMED, NOT_CONFIRMED, SINGLE
from returns.domain.events import PUBLIC_TYPES
from returns.domain.vocabulary import Reason, RefundState, ReplacementStatus, Resolution, ReturnStatus

STATUSES = list(ReturnStatus.values)
REFUND_STATES = list(RefundState.values)
AMOUNT = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "description": "Two places, in the currency."}
CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$"}
MOMENT = {"type": "string", "format": "date-time", "description": "UTC, ISO 8601."}


def _null(schema: dict) -> dict:
    kind = schema.get("type")
    if kind is not None:
        return {**schema, "type": [kind, "null"] if isinstance(kind, str) else [*kind, "null"]}
    return {"oneOf": [schema, {"type": "null"}]}


def _strict(properties: dict, description: str = "") -> dict:
    schema = {"type": "object", "required": list(properties), "properties": properties, "additionalProperties": False}
    return {**schema, "description": description} if description else schema


TEXT, DAY, BOOL = {"type": "string"}, {"type": "string", "format": "date"}, {"type": "boolean"}
ORDER_REF = _strict({"number": {"type": "string"}, "currency": CURRENCY}, "The order, by its number in the store.")

REFUND_FIELDS = {
    "state": {"enum": REFUND_STATES},
    "currency": CURRENCY,
    "merchandise": AMOUNT,
    "tax": AMOUNT,
    "shipping": AMOUNT,
    "deduction": {**AMOUNT, "description": "The free-shipping return fee (R10), shown as a positive amount."},
    "total": AMOUNT,
    "breakdown": {
        "type": "array",
        "items": _strict({"label": TEXT, "amount": AMOUNT, "rule": _null(TEXT)}),
        "description": "Line by line, with the policy's rule (R10, …); a deduction is negative.",
    },
    "issued_on": _null(DAY),
    "reference": _null({**TEXT, "description": "The payment processor's reference."}),
    "expected_between": _null(
        {
            "type": "array",
            "items": DAY,
            "minItems": 2,
            "maxItems": 2,
            "description": "R11: the first and last day the money should reach the customer.",
        }
    ),
}
LINE = _strict(
    {
        "sku": TEXT,
        "name": TEXT,
        "quantity": {"type": "integer", "minimum": 1},
        "unit_price": AMOUNT,
        "unit_tax": AMOUNT,
        "reason": {"enum": list(Reason.values)},
        "preference": {"enum": list(Resolution.values)},
        "inspected": BOOL,
        "accepted": _null(BOOL),
        "fault_confirmed": _null(BOOL),
        "resolution": {"enum": [*Resolution.values, None]},
        "replacement_status": {"enum": [v for v in ReplacementStatus.values if v] + [None]},
    }
)
RETURN_FIELDS = {
    "rma": {"type": "string", "examples": ["RMA-7KQ4-M9TX"]},
    "order": {"$ref": "#/components/schemas/OrderRef"},
    "status": {"enum": STATUSES},
    "status_label": TEXT,
    "held_for_review": {**BOOL, "description": "A risk rule held the request for staff."},
    "return_required": _null({**BOOL, "description": "Set at approval: whether the items come back (R9)."}),
    "approved_on": _null(DAY),
    "ship_by": _null(DAY),
    "carrier": _null(TEXT),
    "tracking_number": _null(TEXT),
    "created_at": MOMENT,
    "updated_at": {**MOMENT, "description": "Moves with every step (what updated_since and the pages go by)."},
    "currency": CURRENCY,
    "lines": {"type": "array", "items": {"$ref": "#/components/schemas/ReturnLine"}},
    "refund": _null({"$ref": "#/components/schemas/Refund"}),
}
STEP = _strict(
    {
        "type": {"enum": sorted(PUBLIC_TYPES.values())},
        "at": MOMENT,
        "from_status": {"enum": [*STATUSES, None]},
        "to_status": {"enum": STATUSES},
        "note": _null({**TEXT, "description": "What the customer read of the step; staff-only notes are left out."}),
    },
    "One step, as its event's type.",
)
ESTIMATE = _strict(
    {
        "currency": CURRENCY,
        "outcomes": {
            "type": "array",
            "items": _strict(
                {
                    "key": {"enum": [SINGLE, CONFIRMED, NOT_CONFIRMED]},
                    "title": TEXT,
                    "total": AMOUNT,
                    "because": _null(TEXT),
                    "rows": {
                        "type": "array",
                        "items": _strict({"label": TEXT, "amount": AMOUNT, "rule": _null(TEXT), "explanation": TEXT}),
                    },
                }
            ),
        },
        "replacements": {"type": "array", "items": TEXT},
        "notes": {"type": "array", "items": _strict({"name": TEXT, "message": TEXT, "rule": _null(TEXT)})},
        "problem": _null(TEXT),
    },
    "The estimate the customer was shown before submitting; two outcomes when staff's verdict on a fault decides.",
)

EXAMPLE_RETURN = {
    "rma": "RMA-7KQ4-M9TX",
    "order": {"number": "100234", "currency": "USD"},
    "status": "refunded",
    "status_label": "Refunded",
    "held_for_review": False,
    "return_required": True,
    "approved_on": "2026-12-05",
    "ship_by": "2027-01-02",
    "carrier": "UPS",
    "tracking_number": "1Z999AA10123456784",
    "created_at": "2026-12-05T10:15:00.123456Z",
    "updated_at": "2026-12-09T14:02:11.654321Z",
    "currency": "USD",
    "lines": [
        {
            "sku": "MUG-01",
            "name": "Stoneware mug",
            "quantity": 2,
            "unit_price": "12.50",
            "unit_tax": "1.00",
            "reason": "changed_mind",
            "preference": "refund",
            "inspected": True,
            "accepted": True,
            "fault_confirmed": False,
            "resolution": "refund",
            "replacement_status": None,
        }
    ],
    "refund": {
        "state": "issued",
        "currency": "USD",
        "merchandise": "25.00",
        "tax": "2.00",
        "shipping": "0.00",
        "deduction": "0.00",
        "total": "27.00",
        "breakdown": [
            {"label": "Stoneware mug × 2", "amount": "25.00", "rule": "R10"},
            {"label": "Tax on Stoneware mug × 2", "amount": "2.00", "rule": "R10"},
        ],
        "issued_on": "2026-12-09",
        "reference": "re_3Alotrop777",
        "expected_between": ["2026-12-14", "2026-12-23"],
    },
}
EXAMPLE_RETURN_DETAIL = {
    **EXAMPLE_RETURN,
    "history": [
        {
            "type": "return.submitted",
            "at": "2026-12-05T10:15:00.2Z",
            "from_status": None,
            "to_status": "submitted",
            "note": None,
        },
        {
            "type": "return.approved",
            "at": "2026-12-05T11:00:00Z",
            "from_status": "submitted",
            "to_status": "approved",
            "note": None,
        },
        {
            "type": "return.shipped",
            "at": "2026-12-06T09:30:00Z",
            "from_status": "approved",
            "to_status": "shipped",
            "note": "UPS 1Z999AA10123456784",
        },
        {
            "type": "return.received",
            "at": "2026-12-08T15:00:00Z",
            "from_status": "shipped",
            "to_status": "received",
            "note": None,
        },
        {
            "type": "return.inspected",
            "at": "2026-12-09T13:59:00Z",
            "from_status": "received",
            "to_status": "inspected",
            "note": "All 2 items accepted. Refund: $27.00.",
        },
        {
            "type": "refund.issued",
            "at": "2026-12-09T14:02:11Z",
            "from_status": "inspected",
            "to_status": "inspected",
            "note": None,
        },
        {
            "type": "return.closed",
            "at": "2026-12-09T14:02:11.5Z",
            "from_status": "inspected",
            "to_status": "refunded",
            "note": "Refunded $27.00.",
        },
    ],
    "estimate": {
        "currency": "USD",
        "outcomes": [
            {
                "key": "single",
                "title": "Estimated refund",
                "total": "27.00",
                "because": None,
                "rows": [
                    {"label": "Stoneware mug × 2", "amount": "25.00", "rule": "R10", "explanation": "Price paid."},
                    {"label": "Tax on Stoneware mug × 2", "amount": "2.00", "rule": "R10", "explanation": "Tax paid."},
                ],
            }
        ],
        "replacements": [],
        "notes": [],
        "problem": None,
    },
}
EXAMPLE_REFUND = {
    "rma": EXAMPLE_RETURN["rma"],
    "order": EXAMPLE_RETURN["order"],
    "return_status": "refunded",
    "created_at": "2026-12-09T13:59:00.1Z",
    "updated_at": "2026-12-09T14:02:11.2Z",
    **EXAMPLE_RETURN["refund"],
}
NEXT_CURSOR = "WyIyMDI2LTEyLTA5VDE0OjAyOjExLjY1NDMyMSswMDowMCIsNDJd:1tQ…"


def _list(item: str) -> dict:
    return _strict(
        {
            "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
            "has_more": {"type": "boolean"},
            "next_cursor": _null({"type": "string", "description": "Give it as cursor, with the same filters."}),
        },
        "A page, oldest change first.",
    )


SCHEMAS = {
    "OrderRef": ORDER_REF,
    "ReturnLine": LINE,
    "Refund": _strict(REFUND_FIELDS, "The refund, as every event carries it."),
    "Return": _strict(RETURN_FIELDS, "A return as every event carries it."),
    "HistoryStep": STEP,
    "Estimate": ESTIMATE,
    "ReturnDetail": _strict(
        {
            **RETURN_FIELDS,
            "history": {"type": "array", "items": {"$ref": "#/components/schemas/HistoryStep"}},
            "estimate": _null({"$ref": "#/components/schemas/Estimate"}),
        },
        "A return with its history, oldest first, and the estimate it was submitted with.",
    ),
    "RefundItem": _strict(
        {
            "rma": RETURN_FIELDS["rma"],
            "order": {"$ref": "#/components/schemas/OrderRef"},
            "return_status": {"enum": STATUSES},
            "created_at": MOMENT,
            "updated_at": MOMENT,
            **REFUND_FIELDS,
        },
        "A refund with its return.",
    ),
    "ReturnList": _list("Return"),
    "RefundList": _list("RefundItem"),
}
SECURITY_SCHEMES = {
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "Authorization: Bearer <key>, a key made by manage.py api_keys add NAME (or the admin's "
        "API keys, for the superuser). Only its hash is kept: a lost key is revoked and replaced.",
    }
}


def _error(description: str, example: str, headers: dict | None = None) -> dict:
    answer = {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}, "example": {"error": example}}
        },
    }
    return {**answer, "headers": headers} if headers else answer


REFUSED = _error(
    "No key, a malformed Authorization header, or a wrong or revoked key.",
    "This API key is wrong or was revoked.",
    {"WWW-Authenticate": {"schema": {"type": "string"}, "example": 'Bearer realm="Alotrop Returns API"'}},
)
TOO_MANY = _error(
    "This address sent more than API_KEY_FAILURES_PER_CLIENT wrong keys this clock hour: every call from it is "
    "refused until the hour ends (Retry-After, in seconds).",
    "Too many wrong API keys from this address this hour; try again when the hour is over.",
    {"Retry-After": {"schema": {"type": "integer"}, "example": 1800}},
)


def _query(name: str, schema: dict, description: str, example=None) -> dict:
    parameter = {"name": name, "in": "query", "required": False, "schema": schema, "description": description}
    return {**parameter, "example": example} if example is not None else parameter


SINCE = _query(
    "updated_since",
    {"type": "string", "format": "date-time"},
    "Only what changed at or after this time: ISO 8601 with a UTC offset (Z or +01:00; a '+' sent unencoded is "
    "read as meant). To poll, give the last updated_at you read less a minute: a change committed a moment late "
    "is not missed, and one read twice is the same.",
    "2026-12-05T10:00:00Z",
)
PAGING = [
    _query("cursor", {"type": "string"}, "next_cursor of the page before, with the same filters."),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "Rows per page.", 100),
]


def _get(
    summary: str, description: str, parameters: list, ok: str, schema: str, example: dict, bad: str, **more
) -> dict:
    responses = {
        "200": {
            "description": ok,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}, "example": example}},
        },
        "400": _error(
            "A parameter that cannot be used, named in the sentence (an unknown one too); nothing is listed.", bad
        ),
        "401": REFUSED,
        "429": TOO_MANY,
        **more,
    }
    return {
        "get": {
            "summary": summary,
            "description": description,
            "security": [{"apiKey": []}],
            "parameters": parameters,
            "responses": responses,
        }
    }


WALK = (
    "Rows come oldest change first, by (updated_at, id). Follow next_cursor while has_more: a row that changes "
    "while you walk moves to the end and is read again with its change; no other row is skipped or repeated."
)


def paths() -> dict:
    return {
        "/api/v1/returns": _get(
            "List returns, by when they last changed",
            WALK,
            [
                SINCE,
                _query("status", {"enum": STATUSES}, "Only returns in this status.", "approved"),
                _query("order", {"type": "string", "maxLength": 40}, "Only this order number's returns.", "100234"),
                *PAGING,
            ],
            "A page of returns.",
            "ReturnList",
            {"data": [EXAMPLE_RETURN], "has_more": True, "next_cursor": NEXT_CURSOR},
            "status must be one of submitted, approved, rejected, cancelled, expired, shipped, received, inspected, "
            "refunded, completed; 'lost' is not one.",
        ),
        "/api/v1/returns/{rma}": {
            **_get(
                "One return, with its history and estimate",
                "The same fields as in the list and the events, and the history (every step as its event type) "
                "and the estimate the customer was shown.",
                [
                    {
                        "name": "rma",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                        "example": "RMA-7KQ4-M9TX",
                        "description": "The RMA number (any case).",
                    }
                ],
                "The return.",
                "ReturnDetail",
                EXAMPLE_RETURN_DETAIL,
                "Unknown parameter 'expand'; this return takes none.",
                **{"404": _error("No return has this RMA.", "No return 'RMA-ZZZZ-ZZZZ'.")},
            )
        },
        "/api/v1/refunds": _get(
            "List refunds, by when they last changed",
            WALK,
            [
                _query(
                    "issued_since",
                    {"type": "string", "format": "date"},
                    "Only refunds issued on or after this day (YYYY-MM-DD, the store's calendar).",
                    "2026-12-01",
                ),
                SINCE,
                _query("state", {"enum": REFUND_STATES}, "Only refunds in this state.", "issued"),
                *PAGING,
            ],
            "A page of refunds.",
            "RefundList",
            {"data": [EXAMPLE_REFUND], "has_more": False, "next_cursor": None},
            "issued_since must be a date (YYYY-MM-DD), as in 2026-12-01; '2026-12-01T10:00:00Z' is not one.",
        ),
    }
