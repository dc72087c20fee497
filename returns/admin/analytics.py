"""The returns analytics page (customer service and superusers): charts drawn on the server as SVG,
each with its table and its CSV. No script and no inline style, so it works under the strict CSP."""

from __future__ import annotations

import csv
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from returns.admin.display import money
from returns.admin.refunds import spreadsheet_safe
from returns.conf import store_today
from returns.roles import PERM_REVIEW
from returns.selectors.analytics import Analytics, returns_analytics

CSV_KINDS = ("weekly", "skus", "reasons")
MAX_DAYS = 731


class AnalyticsForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To (included)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError("The end date is before the start date.")
            if (end - start).days > MAX_DAYS:
                raise forms.ValidationError("Choose at most two years.")
        return data


def default_range(today):
    """The last twelve whole weeks and this one so far."""
    start = today - timedelta(days=today.weekday()) - timedelta(weeks=12)
    return start, today


def percent(share: Decimal | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


# --- SVG, drawn here -----------------------------------------------------------------


def _n(number: float) -> str:
    """A coordinate, to a tenth of a pixel."""
    return f"{number:.1f}"


RECT = '<rect class="rr-bar" x="{}" y="{}" width="{}" height="{}"><title>{}: {}</title></rect>'


def column_chart(points: list[tuple[str, Decimal | int]], *, title: str, chart_id: str, fmt=str) -> SafeString:
    """Vertical bars, one per point; labels under every bar when they fit, every few otherwise."""
    width, height, left, bottom, top = 720, 240, 48, 36, 20
    inner_w, inner_h = width - left - 8, height - bottom - top
    peak = max((float(v) for _, v in points), default=0) or 1
    step = inner_w / max(len(points), 1)
    every = max(1, round(len(points) / 12))
    bars = []
    for i, (label, value) in enumerate(points):
        h = inner_h * float(value) / peak
        x = left + i * step + step * 0.15
        y = top + inner_h - h
        bars.append(
            format_html(
                RECT,
                _n(x),
                _n(y),
                _n(step * 0.7),
                _n(h),
                label,
                fmt(value),
            )
        )
        if i % every == 0:
            bars.append(
                format_html(
                    '<text class="rr-axis" x="{}" y="{}" text-anchor="middle">{}</text>',
                    _n(x + step * 0.35),
                    height - bottom + 16,
                    label,
                )
            )
    top_label = ""
    if points:
        top_label = fmt(int(peak) if isinstance(points[0][1], int) else Decimal(str(peak)))
    axis = format_html(
        '<text class="rr-axis" x="{}" y="{}" text-anchor="end">{}</text>'
        '<text class="rr-axis" x="{}" y="{}" text-anchor="end">0</text>'
        '<line class="rr-baseline" x1="{}" y1="{}" x2="{}" y2="{}"></line>',
        left - 6,
        top + 10,
        top_label,
        left - 6,
        top + inner_h,
        left,
        top + inner_h,
        width - 8,
        top + inner_h,
    )
    return format_html(
        '<svg class="rr-chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title">'
        '<title id="{}-title">{}</title>{}{}</svg>',
        width,
        height,
        chart_id,
        chart_id,
        title,
        axis,
        format_html_join("", "{}", ((b,) for b in bars)),
    )


def bar_chart(rows: list[tuple[str, Decimal | None]], *, title: str, chart_id: str) -> SafeString:
    """Horizontal bars of shares (0-1), one row each, the share written at the end of the bar."""
    width, row_h, label_w = 720, 26, 220
    inner_w = width - label_w - 70
    height = max(row_h * len(rows), row_h)
    parts = []
    for i, (label, share) in enumerate(rows):
        y = i * row_h
        w = inner_w * float(share or 0)
        parts.append(
            format_html(
                '<text class="rr-axis" x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect class="rr-bar" x="{}" y="{}" width="{}" height="{}"><title>{}: {}</title></rect>'
                '<text class="rr-axis" x="{}" y="{}">{}</text>',
                label_w - 8,
                y + 17,
                label[:34],
                label_w,
                y + 4,
                _n(w),
                row_h - 8,
                label,
                percent(share),
                _n(label_w + w + 6),
                y + 17,
                percent(share),
            )
        )
    return format_html(
        '<svg class="rr-chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title">'
        '<title id="{}-title">{}</title>{}</svg>',
        width,
        height,
        chart_id,
        chart_id,
        title,
        format_html_join("", "{}", ((p,) for p in parts)),
    )


# --- CSV -------------------------------------------------------------------------------


def analytics_csv(data: Analytics, kind: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="returns-{kind}-{data.start}-to-{data.end}.csv"'
    writer = csv.writer(response)
    if kind == "weekly":
        currencies = data.currencies
        writer.writerow(["week starting", "return requests", *[f"refunded {c}" for c in currencies]])
        for w in data.weeks:
            writer.writerow([w.start.isoformat(), w.returns, *[w.refunded.get(c, Decimal("0.00")) for c in currencies]])
    elif kind == "skus":
        writer.writerow(["sku", "product", "units returned", "units sold", "return rate"])
        for r in data.skus:
            writer.writerow(
                [
                    spreadsheet_safe(r.sku),
                    spreadsheet_safe(r.name),
                    r.returned,
                    r.sold,
                    "" if r.rate is None else r.rate,
                ]
            )
    else:
        writer.writerow(["reason", "lines", "inspected", "fault confirmed", "confirmed share"])
        for r in data.reasons:
            writer.writerow(
                [
                    r.label,
                    r.lines,
                    r.inspected,
                    r.fault_confirmed,
                    "" if r.confirmed_share is None else r.confirmed_share,
                ]
            )
    return response


class AnalyticsView:
    """Mixed into ReturnRequestAdmin: ``analytics/``."""

    def analytics_view(self, request):
        if not request.user.has_perm(PERM_REVIEW):  # customer service and superusers
            raise PermissionDenied
        start, end = default_range(store_today())
        form = AnalyticsForm(request.GET if "start" in request.GET else None, initial={"start": start, "end": end})
        status = 200
        if form.is_bound:
            if form.is_valid():
                start, end = form.cleaned_data["start"], form.cleaned_data["end"]
            else:
                status = 400
        data = returns_analytics(start, end)
        kind = request.GET.get("csv")
        if kind in CSV_KINDS and status == 200:
            return analytics_csv(data, kind)
        query = {"start": start.isoformat(), "end": end.isoformat()}
        currencies = data.currencies
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Returns analytics",
            "form": form,
            "data": data,
            "start": start,
            "end": end,
            "csv": {kind: f"?{urlencode({**query, 'csv': kind})}" for kind in CSV_KINDS},
            "currencies": currencies,
            "weeks": [
                {"week": w, "refunded": [money(w.refunded.get(c, 0), c) for c in currencies]} for w in data.weeks
            ],
            "returns_chart": column_chart(
                [(f"{w.start:%b} {w.start.day}", w.returns) for w in data.weeks],
                title="Return requests per week",
                chart_id="chart-returns",
            ),
            "refund_charts": [
                column_chart(
                    [(f"{w.start:%b} {w.start.day}", w.refunded.get(c, Decimal("0"))) for w in data.weeks],
                    title=f"Refunded per week ({c})",
                    chart_id=f"chart-refunded-{c.lower()}",
                    fmt=lambda v, c=c: money(v, c),
                )
                for c in currencies
            ],
            "sku_chart": bar_chart(
                [(f"{r.sku} {r.name}", r.rate) for r in data.skus],
                title="Return rate of the most returned products",
                chart_id="chart-skus",
            ),
            "reason_chart": bar_chart(
                [(r.label, r.confirmed_share) for r in data.reasons],
                title="Share of inspected lines where staff confirmed the fault, by reason",
                chart_id="chart-reasons",
            ),
            "percent": percent,
            "auto_share": percent(data.auto_share),
            "skus": [{"row": r, "rate": percent(r.rate)} for r in data.skus],
            "reasons": [{"row": r, "share": percent(r.confirmed_share)} for r in data.reasons],
            "changelist_url": self._url("changelist"),
            "exceptions": [
                {
                    "rule": r.rule.replace(",", " and "),
                    "granted_by": r.granted_by,
                    "lines": r.lines,
                    "value_text": ", ".join(money(v, c) for c, v in sorted(r.value.items())),
                }
                for r in data.exceptions
            ],
        }
        return TemplateResponse(request, "admin/returns/returnrequest/analytics.html", context, status=status)
