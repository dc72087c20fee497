"""Requests whose address carries what no database column or calendar can hold are refused with a 400.

PostgreSQL refuses NUL in text, and a lone UTF-16 surrogate cannot be encoded at all; either,
reaching a query from a URL or a filter in the query string, would end in a 500. One check
at the door, before any view or admin filter sees the request, instead of one per field.

A number too large for a column or a date (an admin filter's ``id__in=`` or date drill-down
``__year=`` with 30 digits: SQLite cannot bind it, Python's dates cannot hold it) raises
OverflowError wherever it is first used, so that one is answered on the way out instead:
a 400 when the address carries such a number, still a 500 (a bug of ours) when it does not.

An admin action posted with selected rows that are not row ids (``_selected_action=x``, or 30
digits) would fail in the action's query with a 500, in every changelist alike: refused here.
"""

import logging
import re

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import HttpResponseBadRequest
from django.urls import reverse

logger = logging.getLogger(__name__)
# Beyond 32 bits: more than any year, month, page or count a client may ask for.
_HUGE_NUMBER = re.compile(r"\d{10,}")


# Every table here has integer ids (BigAutoField): at most 18 digits fit.
_ROW_ID = re.compile(r"[0-9]{1,18}")


def _unstorable(text: str) -> bool:
    return "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text)


def _bad_admin_selection(request) -> bool:
    if request.method != "POST" or not request.path.startswith(reverse("admin:index")):
        return False
    return any(not _ROW_ID.fullmatch(value) for value in request.POST.getlist(ACTION_CHECKBOX_NAME))


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
        if _bad_admin_selection(request):
            return HttpResponseBadRequest(
                "The selected rows are not valid. Reload the list, tick the rows again and retry.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OverflowError) and _HUGE_NUMBER.search(
            request.path + request.META.get("QUERY_STRING", "")
        ):
            logger.info("A number too large in %s: %s", request.path, exception)
            return HttpResponseBadRequest(
                "A number in this address is too large to look up. Check the link and try again.",
                content_type="text/plain; charset=utf-8",
            )
        return None
