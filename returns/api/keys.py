"""The door of the store's read API: ``Authorization: Bearer <key>``, a key made by ``manage.py api_keys add``.

A missing, malformed, wrong or revoked key is a 401 with ``WWW-Authenticate: Bearer`` and a JSON error
(RFC 6750), whatever the address asked for, so nothing is learnt without a key. Wrong keys are counted per
client address on the shared counter (``core.counter``); past API_KEY_FAILURES_PER_CLIENT in the clock hour
the address is answered 429 until the hour ends, before any key is looked up. A missing header is not
counted: it is a browser or a tool that was not given a key, not a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from core.addresses import client_address
from core.counter import count, current, seconds_left
from returns.services.api_keys import api_key_use

SCOPE = "api-key"
REALM = 'Bearer realm="Alotrop Returns API"'
NO_KEY = "Send an API key: Authorization: Bearer <key> (manage.py api_keys add NAME makes one)."
MALFORMED = "The Authorization header must be 'Bearer <key>', with the key manage.py api_keys add printed."
WRONG = "This API key is wrong or was revoked."
TOO_MANY = "Too many wrong API keys from this address this hour; try again when the hour is over."


def refused(message: str, *, error: str = "") -> JsonResponse:
    challenge = f'{REALM}, error="{error}"' if error else REALM
    return JsonResponse({"error": message}, status=401, headers={"WWW-Authenticate": challenge})


def api_key_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def door(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        if not header.strip():
            return refused(NO_KEY)
        client = client_address(request)
        if current(SCOPE, "client", client) >= settings.API_KEY_FAILURES_PER_CLIENT:
            return JsonResponse({"error": TOO_MANY}, status=429, headers={"Retry-After": str(seconds_left())})
        scheme, _, key = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            count(SCOPE, "client", client)
            return refused(MALFORMED, error="invalid_request")
        if api_key_use(key=key.strip()) is None:
            count(SCOPE, "client", client)
            return refused(WRONG, error="invalid_token")
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        return response

    return door
