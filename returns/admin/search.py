"""Staff search and counts that cost the same at ten requests and at a million.

The admin's own search ORs ``UPPER(col) LIKE '%q%'`` across joins, which reads
every row. Here a term is first tried in its exact forms, each answered by an
index: the RMA (however it was typed or scanned), the order number, the email
(stored lower-case) and the tracking number (any case). Only when nothing
matches exactly, and only on PostgreSQL, a partial match uses the trigram
indexes (migration 0007); SQLite stays with the exact forms.

Each step is a separate, index-backed query whose result is a short list of
ids, so no query ORs across a join.
"""

from __future__ import annotations

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import ShowFacets
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.functions import Upper
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext

from returns.models import Order, ReturnRequest
from returns.selectors.staff import OVERVIEW_CAP, normalize_rma

# A search shows at most this many requests; a person narrows the term rather than pages through more.
MAX_MATCHES = 1000
# Partial matches need three characters for a trigram index to help.
MIN_PARTIAL = 3
# Lists count their rows up to here and say "more than" beyond it (see CappedCountPaginator), as the overview's
# tiles do (selectors.OVERVIEW_CAP); a page further on counts a few pages past itself, up to MAX_COUNTED_PAGE.
COUNT_CAP = OVERVIEW_CAP
PAGES_AHEAD = 10
MAX_COUNTED_PAGE = 200


def partial_search_available() -> bool:
    return connection.vendor == "postgresql"


def _ids(qs: QuerySet) -> list[int]:
    return list(qs.order_by().values_list("pk", flat=True)[:MAX_MATCHES])


def matching_order_ids(term: str) -> list[int]:
    """Orders whose number or email is ``term`` or, on PostgreSQL when none is, contains it."""
    term = (term or "").strip()
    if not term:
        return []
    found = _ids(Order.objects.filter(Q(number__in={term, term.upper()}) | Q(email=term.lower())))
    if found or not partial_search_available() or len(term) < MIN_PARTIAL:
        return found
    return _ids(Order.objects.filter(Q(number__icontains=term) | Q(email__icontains=term)))


def matching_request_ids(term: str) -> list[int]:
    """Requests whose RMA, order number, customer email or tracking number is ``term``, or contains it."""
    term = (term or "").strip()
    if not term:
        return []
    order_ids = _ids(Order.objects.filter(Q(number__in={term, term.upper()}) | Q(email=term.lower())))
    requests = ReturnRequest.objects.alias(tracking_upper=Upper("tracking_number"))
    exact = Q(rma=normalize_rma(term)) | Q(tracking_upper=term.upper())
    if order_ids:
        exact |= Q(order_id__in=order_ids)
    found = _ids(requests.filter(exact))
    if found or not partial_search_available() or len(term) < MIN_PARTIAL:
        return found
    order_ids = _ids(Order.objects.filter(Q(number__icontains=term) | Q(email__icontains=term)))
    partial = Q(rma__icontains=term) | Q(tracking_number__icontains=term)
    if order_ids:
        partial |= Q(order_id__in=order_ids)
    return _ids(ReturnRequest.objects.filter(partial))


def count_cap_for(request, per_page: int) -> int:
    """How far a list counts: COUNT_CAP rows, or from page 2 on, a few pages past the page asked for (an OFFSET
    that far reads those rows anyway)."""
    try:
        page = min(max(int(request.GET.get("p", 1)), 1), MAX_COUNTED_PAGE)
    except (TypeError, ValueError):
        page = 1
    return COUNT_CAP if page == 1 else max(COUNT_CAP, (page + PAGES_AHEAD) * per_page)


class CappedCountPaginator(Paginator):
    """Counts at most ``cap`` + 1 rows: ``SELECT COUNT(*) FROM (… LIMIT n)`` stops early on a big table.

    The list then says "more than 1,000" (templates/admin/returns/pagination.html) and pages up to there;
    each page further on counts ten pages past itself; a filter or a search narrows it.
    """

    def __init__(self, *args, cap: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cap = COUNT_CAP if cap is None else cap

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if isinstance(qs, QuerySet):
            return qs.order_by().values("pk")[: self.cap + 1].count()
        return super().count

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    def page(self, number):
        """Pages past the first find their ids on the sort index alone, then load those rows and their joins.

        ``OFFSET 4950`` over the full query would join the order and refund, and test the fault claim,
        for every row it skips.
        """
        number = self.validate_number(number)
        qs = self.object_list
        if number == 1 or not isinstance(qs, QuerySet):
            return super().page(number)
        bottom = (number - 1) * self.per_page
        ids = list(qs.values_list("pk", flat=True)[bottom : bottom + self.per_page])
        return self._get_page(qs.filter(pk__in=ids), number, self)


class ConstantCostListMixin:
    """For a ModelAdmin whose table grows without bound."""

    paginator = CappedCountPaginator
    show_full_result_count = False  # no unfiltered COUNT(*) beside the filtered one
    show_facets = ShowFacets.NEVER  # "Show counts" would count every row once per filter choice

    def action_checkbox(self, obj):
        """The admin's row checkbox, the same markup its widget renders, without a template render per row
        (a fifth of a 50-row list's CPU time)."""
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            obj.pk,
            label,
        )

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        cap = count_cap_for(request, per_page)
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page, cap=cap)

    def get_changelist_instance(self, request):
        cl = super().get_changelist_instance(request)
        cap = getattr(cl.paginator, "cap", COUNT_CAP)
        cl.count_capped = cl.result_count > cap
        cl.count_cap = cap
        return cl


class RequestSearchMixin(ConstantCostListMixin):
    """Search for a list of requests, or of rows that belong to one (``search_request_field``)."""

    search_request_field = "pk"
    search_extra_exact: tuple[str, ...] = ()  # more exact-match fields of the model itself

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        condition = Q(**{f"{self.search_request_field}__in": matching_request_ids(term)})
        for name in self.search_extra_exact:
            condition |= Q(**{name: term})
        return queryset.filter(condition), False
