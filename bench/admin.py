"""Fill a database with realistic return requests in bulk and time each staff page and filter.

    DATABASE_URL=postgres://…/bench python -m bench admin --requests 1000000

Run it against a database of its own: it refuses to add to one that already holds
orders or returns (a second run with the same --requests reuses the data).

The data: one order (two lines) and one request per RMA, spread over two years
(at a million; fewer days for fewer requests, at least 60),
newest first; the customer reuses an email every third order. A request's status
follows its age, as in a real store: the last days are under review, the last
two weeks on their way or at the warehouse, older ones closed (mostly refunded,
some rejected, cancelled, expired or completed). Refunds exist for inspected and
refunded requests; one in ten requests has an email in the outbox.

Rows are written by ``INSERT … SELECT`` over a generated series, in the database
itself: a million requests take about a minute on PostgreSQL. Columns this
command does not know get their model default, so it keeps working as models grow.

Each page is fetched in-process with Django's test client as a superuser, once
to warm up, then ``--repeat`` times; the median is the server time (middleware,
queries and template). EXPLAIN ANALYZE of the slowest query of the three slowest
pages follows the table.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import NOT_PROVIDED
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from accounts.models import User
from returns.admin.search import partial_search_available
from returns.domain.events import Event
from returns.models import (
    RMA_ALPHABET,
    Notification,
    Order,
    OrderLine,
    Refund,
    ReturnLine,
    ReturnRequest,
    StatusChange,
)

SPAN_DAYS = 730
SKUS = 250
# RMAs spread over the whole RMA alphabet as real (random) ones are: i times a number prime to 30^8,
# modulo 30^8, written in base 30, is a different RMA for every i, with no run of shared letters.
RMA_SPACE = len(RMA_ALPHABET) ** 8
RMA_SCATTER = 104_729
BENCH_USER = "bench-admin@alotrop.test"


class Sql:
    """The few expressions that differ between PostgreSQL and SQLite."""

    def __init__(self, vendor: str, n: int):
        self.pg = vendor == "postgresql"
        self.n = n
        # Two years of history at a million; a smaller store covers fewer days (at least 60).
        self.span_days = max(60, min(SPAN_DAYS, n // 100))
        self.seconds_per_step = max(1, self.span_days * 86400 // n)

    def series(self) -> str:
        if self.pg:
            return f"generate_series(1, {self.n}) AS g(i)"
        recursive = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d) SELECT i FROM s"
        return f"({recursive % self.n}) g"

    def pad(self, expr: str, width: int) -> str:
        if self.pg:
            return f"lpad(({expr})::text, {width}, '0')"
        return f"substr('{'0' * width}' || ({expr}), -{width}, {width})"

    def text(self, expr: str) -> str:
        return f"({expr})::text" if self.pg else f"CAST(({expr}) AS TEXT)"

    def age_seconds(self, extra_days: int = 0) -> str:
        return f"(i * {self.seconds_per_step} - {extra_days * 86400})"

    def moment(self, extra_days: int = 0) -> str:
        """``created_at`` of request i, plus some days (minus: before it)."""
        if self.pg:
            return f"(now() - ({self.age_seconds(extra_days)}) * interval '1 second')"
        return f"datetime('now', CAST(-{self.age_seconds(extra_days)} AS TEXT) || ' seconds')"

    def day(self, extra_days: int = 0) -> str:
        if self.pg:
            return f"({self.moment(extra_days)})::date"
        return f"date('now', CAST(-{self.age_seconds(extra_days)} AS TEXT) || ' seconds')"

    def age_days(self) -> str:
        return f"(i * {self.seconds_per_step} / 86400)"

    def rma(self) -> str:
        x = f"((CAST(i AS BIGINT) * {RMA_SCATTER} + 7) % {RMA_SPACE})"
        base = len(RMA_ALPHABET)
        letters = [
            f"substr('{RMA_ALPHABET}', CAST(({x} / {base**k}) % {base} AS INTEGER) + 1, 1)" for k in range(7, -1, -1)
        ]
        return "'RMA-' || " + " || ".join(letters[:4]) + " || '-' || " + " || ".join(letters[4:])

    def status(self) -> str:
        a = self.age_days()
        return (
            f"CASE WHEN {a} < 2 THEN 'submitted' "
            f"WHEN {a} < 12 THEN (CASE i % 4 WHEN 0 THEN 'approved' WHEN 3 THEN 'received' ELSE 'shipped' END) "
            f"WHEN {a} < 16 THEN (CASE i % 3 WHEN 0 THEN 'received' WHEN 1 THEN 'inspected' ELSE 'refunded' END) "
            f"WHEN {a} < 30 AND i % 50 = 0 THEN 'approved' "
            f"ELSE (CASE i % 20 WHEN 0 THEN 'rejected' WHEN 1 THEN 'cancelled' WHEN 2 THEN 'expired' "
            f"WHEN 3 THEN 'completed' ELSE 'refunded' END) END"
        )


REASONS = ["changed_mind", "wrong_size", "damaged", "defective", "not_as_described", "wrong_item", "other"]
FAULT = ("damaged", "defective", "wrong_item")


def _insert(model, columns: dict[str, str], sql: Sql, where: str = "") -> None:
    """INSERT INTO model's table SELECT the given expressions over i = 1..n; other columns get their default."""
    exprs, params = [], []
    names = []
    for field in model._meta.concrete_fields:
        names.append(connection.ops.quote_name(field.column))
        if field.column in columns:
            exprs.append(columns[field.column].replace("%", "%%"))  # modulo, not a placeholder
            continue
        if field.has_default() or field.default is not NOT_PROVIDED:
            value = field.get_default()
        elif field.null:
            value = None
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            exprs.append(sql.moment().replace("%", "%%"))
            continue
        elif field.blank and field.get_internal_type() in ("CharField", "TextField", "EmailField"):
            value = ""
        else:
            raise CommandError(f"bench admin does not know how to fill {model.__name__}.{field.name}.")
        exprs.append("%s")
        params.append(field.get_db_prep_save(value, connection))
    table = connection.ops.quote_name(model._meta.db_table)
    # Built from this module's own expressions and integers; nothing typed by anyone reaches it.
    statement = f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(exprs)} FROM {sql.series()}"  # noqa: S608
    if where:
        statement += " WHERE " + where.replace("%", "%%")
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def fill(n: int, out) -> None:
    sql = Sql(connection.vendor, n)
    status = sql.status()
    closed_unpaid = f"({status}) IN ('rejected', 'cancelled', 'expired')"
    price = "(10 + i % 90 + 0.99)"
    tax = "(1 + i % 7 + 0.25)"
    started = time.perf_counter()

    def step(name):
        out.write(f"  {name}: {time.perf_counter() - started:.1f} s")

    with transaction.atomic():
        _insert(
            Order,
            {
                "id": "i",
                "number": "'9' || " + sql.pad("i", 8),
                "email": f"'customer' || {sql.text(f'i % {n // 3 + 1}')} || '@example.com'",
                "customer_name": "'Bench Customer'",
                "placed_at": sql.moment(-12),
                "delivered_on": sql.day(-8),
                "currency": "'USD'",
                "shipping_charged": "4.95",
                "free_shipping": "FALSE" if sql.pg else "0",
                "payment_method": "'Visa ending 4242'",
                "created_at": sql.moment(-12),
                "updated_at": sql.moment(-12),
            },
            sql,
        )
        step("orders")
        for k, sku in ((1, f"i % {SKUS}"), (0, f"{SKUS} + (i * 7) % {SKUS}")):
            _insert(
                OrderLine,
                {
                    "id": f"2 * i - {k}",
                    "order_id": "i",
                    "sku": "'SKU-' || " + sql.pad(sku, 4),
                    "name": "'Product ' || " + sql.pad(sku, 4),
                    "quantity": "1 + i % 3",
                    "unit_price": price,
                    "unit_tax": tax,
                    "quantity_in_returns": f"CASE WHEN {k} = 1 AND NOT {closed_unpaid} THEN 1 ELSE 0 END",
                },
                sql,
            )
        step("order lines")
        after_review = f"({status}) NOT IN ('submitted', 'rejected', 'cancelled')"
        shipped = f"({status}) IN ('shipped', 'received', 'inspected', 'refunded', 'completed')"
        _insert(
            ReturnRequest,
            {
                "id": "i",
                "rma": sql.rma(),
                "order_id": "i",
                "status": status,
                "return_required": f"CASE WHEN ({status}) IN ('submitted', 'rejected', 'cancelled') THEN NULL "
                f"WHEN i % 10 = 9 AND ({status}) = 'completed' THEN FALSE ELSE TRUE END",
                "approved_on": f"CASE WHEN {after_review} THEN {sql.day(1)} END",
                "ship_by": f"CASE WHEN {after_review} THEN {sql.day(15)} END",
                "carrier": f"CASE WHEN {shipped} THEN 'UPS' ELSE '' END",
                "tracking_number": f"CASE WHEN {shipped} THEN '1Z' || {sql.pad('i', 10)} ELSE '' END",
                "rejection_reason": f"CASE WHEN ({status}) = 'rejected' THEN 'Outside the return window' ELSE '' END",
                # What auto-approval decided: one in five held by a risk rule, one in five left for staff.
                "auto_review": "CASE i % 5 WHEN 0 THEN 'held' WHEN 1 THEN 'staff' ELSE 'approved' END",
                "auto_review_rule": "CASE i % 5 WHEN 0 THEN 'max_refund' ELSE 'AUTO_APPROVE=standard' END",
                "created_at": sql.moment(),
                "updated_at": sql.moment(),
            },
            sql,
        )
        step("requests")
        reason = "CASE i % 7 " + " ".join(f"WHEN {k} THEN '{r}'" for k, r in enumerate(REASONS)) + " END"
        fault = f"({reason}) IN {FAULT}"
        inspected = f"({status}) IN ('inspected', 'refunded', 'completed')"
        _insert(
            ReturnLine,
            {
                "id": "i",
                "request_id": "i",
                "order_line_id": "2 * i - 1",
                "quantity": "1",
                "reason": reason,
                "description": "'Bench request'",
                "condition_confirmed": f"NOT {fault}",
                "preference": "'refund'",
                "inspected_at": f"CASE WHEN {inspected} THEN {sql.moment(5)} END",
                "accepted": f"CASE WHEN {inspected} THEN ({status}) <> 'completed' END",
                "fault_confirmed": f"CASE WHEN {inspected} THEN {fault} AND i % 3 <> 0 END",
                "resolution": f"CASE WHEN {inspected} AND ({status}) <> 'completed' THEN 'refund' ELSE '' END",
                "replacement_status": "''",
            },
            sql,
        )
        step("return lines")
        _insert(
            Refund,
            {
                "id": "i",
                "request_id": "i",
                "order_id": "i",
                "currency": "'USD'",
                "merchandise": price,
                "tax": tax,
                "shipping": "0",
                "deduction": "0",
                "total": f"{price} + {tax}",
                "fault_merchandise": "0",
                "breakdown": "'[]'",
                "state": f"CASE WHEN ({status}) = 'refunded' THEN 'issued' "
                "WHEN i % 7 = 0 THEN 'failed' ELSE 'pending' END",
                "payment_method": "'Visa ending 4242'",
                "reference": f"CASE WHEN ({status}) = 'refunded' THEN 're_' || {sql.pad('i', 10)} ELSE '' END",
                "issued_on": f"CASE WHEN ({status}) = 'refunded' THEN {sql.day(6)} END",
                "created_at": sql.moment(5),
                "updated_at": sql.moment(5),
            },
            sql,
            where=f"({status}) IN ('inspected', 'refunded')",
        )
        step("refunds")
        _insert(
            StatusChange,
            {
                "id": "i",
                "request_id": "i",
                "at": sql.moment(),
                "from_status": "''",
                "to_status": "'submitted'",
                "event": f"'{Event.SUBMITTED}'",
            },
            sql,
        )
        _insert(
            Notification,
            {
                "id": "i",
                "request_id": "i",
                "change_id": "i",
                "event": f"'{Event.SUBMITTED}'",
                "audience": "'customer'",
                "to": f"'customer' || {sql.text(f'i % {n // 3 + 1}')} || '@example.com'",
                "subject": "'We received your return request'",
                "body_text": "'Bench email'",
                "state": "CASE WHEN i % 1000 = 0 THEN 'failed' ELSE 'sent' END",
                "attempts": "1",
                "next_attempt_at": sql.moment(),
                "sent_at": f"CASE WHEN i % 1000 = 0 THEN NULL ELSE {sql.moment()} END",
                "created_at": sql.moment(),
            },
            sql,
            where="i % 10 = 0",
        )
        step("history and emails")
        models = [Order, OrderLine, ReturnRequest, ReturnLine, Refund, StatusChange, Notification]
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(_NoStyle(), models):
                cursor.execute(statement)
    with connection.cursor() as cursor:
        # As autovacuum would leave the tables: statistics, and (PostgreSQL) the visibility map that lets
        # a count read the index alone.
        cursor.execute("VACUUM ANALYZE" if sql.pg and not connection.in_atomic_block else "ANALYZE")
    step("vacuum and analyze")


class _NoStyle:
    def __getattr__(self, name):
        return lambda text: text


def pages(n: int) -> list[tuple[str, str]]:
    """(name, url) of each staff page and filter that must answer in constant time."""
    requests = reverse("admin:returns_returnrequest_changelist")
    refunds = reverse("admin:returns_refund_changelist")
    notifications = reverse("admin:returns_notification_changelist")
    sample = ReturnRequest.objects.filter(status="shipped").order_by("-created_at").first() or (
        ReturnRequest.objects.order_by("pk").first()
    )
    middle = ReturnRequest.objects.filter(pk=max(1, n // 2)).select_related("order").first() or sample
    order = middle.order
    last_page = min(100, n // 50)
    out = [
        ("overview (admin index)", reverse("admin:index")),
        ("request list", requests),
        ("queue: to review", f"{requests}?queue=review"),
        ("queue: held for review", f"{requests}?queue=held"),
        ("queue: overdue to ship", f"{requests}?queue=overdue"),
        ("queue: on the way", f"{requests}?queue=on_the_way"),
        ("queue: to inspect", f"{requests}?queue=inspection"),
        ("queue: replacements", f"{requests}?queue=replacements"),
        ("filter: status refunded", f"{requests}?status__exact=refunded"),
        ("filter: created past 7 days", f"{requests}?{_days_ago(7)}"),
        ("search: RMA (lower case)", f"{requests}?q={middle.rma.lower()}"),
        ("search: order number", f"{requests}?q={order.number}"),
        ("search: email", f"{requests}?q={order.email}"),
        ("search: tracking", f"{requests}?q={sample.tracking_number.lower()}"),
        (f"request list page {last_page}", f"{requests}?p={last_page}"),
        ("refund list", refunds),
        ("refunds: to issue", f"{refunds}?state__exact=pending"),
        ("refunds: failed", f"{refunds}?state__exact=failed"),
        ("refunds: issued this week", f"{refunds}?issued=this_week"),
        ("email list", notifications),
        ("emails: failed", f"{notifications}?state__exact=failed"),
        ("request page", reverse("admin:returns_returnrequest_change", args=[middle.pk])),
    ]
    if partial_search_available():
        out.insert(14, ("search: part of an RMA", f"{requests}?q={middle.rma[4:8]}-{middle.rma[9:11]}"))
    return out


def _days_ago(days: int) -> str:
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days)
    return urlencode({"created_at__gte": str(start)})


STATIC_WITHOUT_MANIFEST = "django.contrib.staticfiles.storage.StaticFilesStorage"


class Command(BaseCommand):
    help = "Fill a database with N realistic return requests and print the server time of each staff page."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=10_000, help="How many return requests (default 10,000).")
        parser.add_argument("--repeat", type=int, default=5, help="Timed fetches per page (median shown).")
        parser.add_argument("--explain", type=int, default=3, help="EXPLAIN the slowest query of this many pages.")

    def handle(self, *args, requests: int, repeat: int, explain: int, **options):
        if requests < 100:
            raise CommandError("Use --requests 100 or more.")
        existing = ReturnRequest.objects.count()
        if existing == 0 and not Order.objects.exists():
            self.stdout.write(f"Filling {connection.vendor} with {requests:,} return requests…")
            fill(requests, self.stdout)
        elif existing != requests:
            raise CommandError(
                f"This database already holds {existing:,} return requests. Point DATABASE_URL at an empty "
                "database (created and migrated for the bench), or repeat the --requests it was filled with."
            )
        else:
            self.stdout.write(f"Reusing the {existing:,} return requests already here.")
        user = User.objects.filter(email=BENCH_USER).first() or User.objects.create_superuser(
            email=BENCH_USER, password=None
        )
        # Timed as production runs (DEBUG off: no query log), with static URLs that need no collectstatic first.
        plain_static = {**settings.STORAGES, "staticfiles": {"BACKEND": STATIC_WITHOUT_MANIFEST}}
        with override_settings(
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"], DEBUG=False, STORAGES=plain_static
        ):
            rows = self.measure(user, requests, repeat)
        self.report(rows, requests, repeat, explain)

    def measure(self, user, requests: int, repeat: int) -> list[tuple]:
        client = Client()
        client.force_login(user)
        rows = []
        for name, url in pages(requests):
            response = client.get(url)  # warm up: connections, caches, compiled templates
            if response.status_code != 200:
                raise CommandError(f"{name}: {url} answered {response.status_code}.")
            times, cpu = [], []
            for _ in range(repeat):
                with CaptureQueriesContext(connection) as ctx:
                    start, start_cpu = time.perf_counter(), time.process_time()
                    client.get(url)
                    times.append((time.perf_counter() - start) * 1000)
                    cpu.append((time.process_time() - start_cpu) * 1000)
            sql_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
            executed = [(*executed_ms(q["sql"], repeat), q["sql"]) for q in ctx.captured_queries]
            pg = connection.vendor == "postgresql"
            db_ms = sum(ms for ms, _, _ in executed if ms is not None) if pg else None
            blocks = sum(b for _, b, _ in executed if b is not None) if pg else None
            slowest = max(executed, key=lambda e: e[0] or 0.0, default=(None, None, ""))[2]
            rows.append(
                Row(
                    name,
                    url,
                    statistics.median(times),
                    len(executed),
                    sql_ms,
                    db_ms,
                    statistics.median(cpu),
                    slowest,
                    blocks,
                )
            )
        return rows

    def report(self, rows, requests: int, repeat: int, explain: int) -> None:
        where = f"{requests:,} requests, {connection.vendor}, median of {repeat}"
        self.stdout.write(f"\nServer time per staff page, {where}:")
        self.stdout.write(
            "(ms: wall time of the request in-process; SQL ms: the database's part of the last run, as the client\n"
            " waited for it; DB exec ms: each query's median EXPLAIN ANALYZE execution time, summed over the page,\n"
            " which a busy machine inflates least; DB blocks: the 8 kB pages those queries touched (shared buffers\n"
            " hit or read), the database's work, which no load changes; Python CPU ms: this process's CPU time)"
        )
        self.stdout.write(
            f"{'page':32} {'ms':>8} {'queries':>8} {'SQL ms':>8} {'DB exec ms':>11} {'DB blocks':>10} "
            f"{'Python CPU ms':>14}"
        )
        for r in rows:
            db = f"{r.db_ms:11.2f}" if r.db_ms is not None else f"{'—':>11}"
            blocks = f"{r.db_blocks:10d}" if r.db_blocks is not None else f"{'—':>10}"
            self.stdout.write(f"{r.name:32} {r.ms:8.1f} {r.queries:8d} {r.sql_ms:8.1f} {db} {blocks} {r.cpu_ms:14.1f}")
        key = (lambda r: -(r.db_ms or 0)) if connection.vendor == "postgresql" else (lambda r: -r.sql_ms)
        self.stdout.write(f"\nEXPLAIN of the slowest query of the {explain} pages with the most database time:")
        for r in sorted(rows, key=key)[:explain]:
            self.stdout.write(f"\n{r.name} ({r.ms:.1f} ms) {r.url}")
            if not r.slowest:
                continue
            self.stdout.write(f"  slowest query: {r.slowest[:300]}")
            prefix = "EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
            with connection.cursor() as cursor:
                cursor.execute(prefix + r.slowest)
                for line in cursor.fetchall()[:16]:
                    self.stdout.write("  " + " | ".join(str(c) for c in line))


@dataclass(frozen=True)
class Row:
    name: str
    url: str
    ms: float
    queries: int
    sql_ms: float
    db_ms: float | None
    cpu_ms: float
    slowest: str
    db_blocks: int | None = None


def executed_ms(sql: str, repeat: int = 1) -> tuple[float | None, int | None]:
    """How long PostgreSQL took to execute a SELECT (EXPLAIN ANALYZE, the median of ``repeat`` runs), without the
    time to reach it, and how many blocks it touched (shared buffers hit or read: the same however busy the
    machine)."""
    if connection.vendor != "postgresql" or not sql.lstrip().upper().startswith("SELECT"):
        return None, None
    times, blocks = [], 0
    with connection.cursor() as cursor:
        for _ in range(max(1, repeat)):
            # TIMING OFF: the statement's own run time without a clock read per row and node, which made
            # queries that pass many rows (a capped count) look several times slower than they run.
            cursor.execute("EXPLAIN (ANALYZE, TIMING OFF, BUFFERS, FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            top = plan[0]["Plan"]
            times.append(float(plan[0]["Execution Time"]))
            blocks = int(top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0))
    return statistics.median(times), blocks
