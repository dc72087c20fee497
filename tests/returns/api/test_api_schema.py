"""The OpenAPI description at /api/v1/schema: valid OpenAPI 3.1 (openapi-spec-validator), every documented example
valid against its schema (jsonschema), and the read API's real answers, in every state a return goes through,
valid against the schemas it documents, so the code and the description cannot drift apart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from returns.api.schema import document
from returns.services.api_keys import api_key_add
from returns.services.deadlines import return_request_expire
from returns.services.refunds import refund_issue, refund_mark_failed
from returns.services.requests import return_request_approve, return_request_record_shipment
from tests.returns.admin.test_admin import (  # noqa: F401  (the fixtures are used by name)
    damaged,
    fixture_approved,
    fixture_inspected,
    fixture_received,
    fixture_submitted,
    lamp,
    submit,
)
from tests.returns.api.test_api_store import make_returns

pytestmark = pytest.mark.django_db
DOC = document()
READ_PATHS = ("/api/v1/returns", "/api/v1/returns/{rma}", "/api/v1/refunds")


def check(schema: dict, value) -> list[str]:
    """Every error of ``value`` against ``schema`` (which may $ref the document's components)."""
    validator = Draft202012Validator(
        {**schema, "components": DOC["components"]}, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(value)]


def examples():
    """(where, schema, value) for every example the document gives: bodies, answers and parameters."""
    for path, item in DOC["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            media = [("request", c) for c in operation.get("requestBody", {}).get("content", {}).values()]
            media += [(code, c) for code, r in operation["responses"].items() for c in r.get("content", {}).values()]
            for code, content in media:
                if "example" in content:
                    yield f"{where} {code}", content["schema"], content["example"]
                for name, example in content.get("examples", {}).items():
                    yield f"{where} {code} {name}", content["schema"], example["value"]
            for parameter in operation.get("parameters", []):
                if "example" in parameter:
                    yield f"{where} {parameter['name']}", parameter["schema"], parameter["example"]
            for code, answer in operation["responses"].items():
                for name, header in answer.get("headers", {}).items():
                    yield f"{where} {code} {name}", header["schema"], header["example"]


EXAMPLES = list(examples())


def test_the_served_document_is_valid_openapi_3_1(client):
    served = client.get("/api/v1/schema").json()
    assert served == DOC
    validate(served)  # raises on the first problem, with its place in the document


def test_the_read_api_is_described_with_its_key_and_answers():
    assert DOC["components"]["securitySchemes"]["apiKey"] == DOC["components"]["securitySchemes"]["apiKey"] | {
        "type": "http",
        "scheme": "bearer",
    }
    for path in READ_PATHS:
        operation = DOC["paths"][path]["get"]
        assert operation["security"] == [{"apiKey": []}]
        assert {"200", "400", "401", "429"} <= set(operation["responses"])
    names = {p["name"] for p in DOC["paths"]["/api/v1/returns"]["get"]["parameters"]}
    assert names == {"updated_since", "status", "order", "cursor", "limit"}
    names = {p["name"] for p in DOC["paths"]["/api/v1/refunds"]["get"]["parameters"]}
    assert names == {"issued_since", "updated_since", "state", "cursor", "limit"}


def test_there_are_examples_for_every_read_answer():
    places = {where for where, _, _ in EXAMPLES}
    for path in READ_PATHS:
        assert f"GET {path} 200" in places and f"GET {path} 401" in places


@pytest.mark.parametrize(("where", "schema", "value"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_every_documented_example_is_valid_against_its_schema(where, schema, value):
    assert check(schema, value) == []


def test_a_wrong_example_would_be_caught():
    """The check can fail: an amount as a number, and a field the description does not know."""
    schema = DOC["paths"]["/api/v1/returns/{rma}"]["get"]["responses"]["200"]["content"]["application/json"]
    wrong = {**schema["example"], "refund": {**schema["example"]["refund"], "total": 27.0}, "email": "a@b.c"}
    errors = check(schema["schema"], wrong)
    assert any(e.startswith("refund") for e in errors) and any("'email' was unexpected" in e for e in errors)


# --- the real answers ---------------------------------------------------------------------------------------


def answer_schema(path: str, code: str) -> dict:
    return DOC["paths"][path]["get"]["responses"][code]["content"]["application/json"]["schema"]


@pytest.fixture
def every_state(order, customer, service_agent, warehouse, inspected):
    """Returns in many states: refunded, failed refund, shipped with tracking, expired, two-outcome estimate."""
    refund_issue(refund=inspected.refund, by=service_agent, reference="re_777")
    fault = submit(order, damaged(lamp(order)), by=customer)  # an estimate with a reason the verdict decides
    return_request_approve(request=fault, by=service_agent, return_required=True)
    return_request_record_shipment(request=fault, by=customer, carrier="UPS", tracking_number="1Z999")
    [late] = make_returns(1)
    late = return_request_approve(request=late, by=service_agent, return_required=True)
    assert return_request_expire(request=late, today=late.ship_by + timedelta(days=1))  # not shipped in time
    return inspected, fault, late


def test_real_answers_match_the_documented_schemas(client, every_state, service_agent):
    key = api_key_add(name="ERP")[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    lists = {"/api/v1/returns": "ReturnList", "/api/v1/refunds": "RefundList"}
    for path in lists:
        body = client.get(path, **auth).json()
        assert body["data"], path
        assert check(answer_schema(path, "200"), body) == [], path
        paged = client.get(path, {"limit": 1}, **auth).json()
        assert check(answer_schema(path, "200"), paged) == [], path
        assert paged["has_more"] == (len(body["data"]) > 1), path
    statuses = set()
    for row in client.get("/api/v1/returns", **auth).json()["data"]:
        detail = client.get(f"/api/v1/returns/{row['rma']}", **auth).json()
        statuses.add(detail["status"])
        assert check(answer_schema("/api/v1/returns/{rma}", "200"), detail) == [], row["rma"]
    assert {"refunded", "shipped", "expired"} <= statuses


def test_a_failed_refund_answer_matches_too(client, inspected, service_agent):
    refund_mark_failed(refund=inspected.refund, by=service_agent, reason="Card closed")
    key = api_key_add(name="ERP")[1]
    body = client.get("/api/v1/refunds", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert body["data"][0]["state"] == "failed"
    assert check(answer_schema("/api/v1/refunds", "200"), body) == []


@pytest.mark.parametrize(
    ("path", "code", "headers"),
    [
        ("/api/v1/returns?status=lost", "400", True),
        ("/api/v1/refunds?issued_since=x", "400", True),
        ("/api/v1/returns", "401", False),
        ("/api/v1/returns/RMA-ZZZZ-ZZZZ", "404", True),
    ],
)
def test_real_errors_match_the_documented_schemas(client, path, code, headers):
    key = api_key_add(name="ERP")[1]
    answer = client.get(path, **({"HTTP_AUTHORIZATION": f"Bearer {key}"} if headers else {}))
    assert str(answer.status_code) == code
    documented = path.split("?")[0].replace("RMA-ZZZZ-ZZZZ", "{rma}")
    assert check(answer_schema(documented, code), answer.json()) == []
