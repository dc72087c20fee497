"""Requests whose address carries characters no database column can hold are refused with a 400.

PostgreSQL refuses NUL in text, and a lone UTF-16 surrogate cannot be encoded at all; either,
reaching a query from a URL or a filter in the query string, would end in a 500. One check
at the door, before any view or admin filter sees the request, instead of one per field.
"""

from django.http import HttpResponseBadRequest


def _unstorable(text: str) -> bool:
    return "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text)


class RejectUnstorableInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _unstorable(request.path) or any(
            _unstorable(key) or any(_unstorable(value) for value in values) for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest(
                "This address contains characters that cannot be part of a web address here. "
                "Check the link and try again.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
