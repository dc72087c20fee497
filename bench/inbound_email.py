"""Time a customer's emailed reply from the provider's webhook to the return's thread.

    python -m bench inbound_email                 # 200 text replies and 50 with a 1600×1200 photo
    DATABASE_URL=postgres://…/bench python -m bench inbound_email --posts 500

Each post is Postmark's inbound JSON for a reply to a real return's reply address (its token
from ``guest_access.reply_address``), with its own MessageID, through Django's test client in
this process: the time is the server's (basic auth, reading the body, anymail's parsing, the
quoted part cut off, the photo re-encoded, the message and history rows, the staff notice
written to the outbox, the commit). When the answer comes the message is in the thread: the
webhook does its work before it answers. The order, return and messages it wrote are deleted
at the end.
"""

from __future__ import annotations

import base64
import io
import json
import secrets
import statistics
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone
from PIL import Image

from returns.conf import store_today
from returns.models import Message, Order, OrderLine
from returns.services.guest_access import reply_address
from returns.services.requests import LineRequest, return_request_submit

SECRET = f"bench:{secrets.token_urlsafe(12)}"
WARM_UP = 5


def _photo() -> str:
    image = Image.new("RGB", (1600, 1200), (180, 40, 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return base64.b64encode(out.getvalue()).decode()


class Command(BaseCommand):
    help = "Post N emailed replies to the inbound webhook and print the median and p95 time to the thread."

    def add_arguments(self, parser):
        parser.add_argument("--posts", type=int, default=200, help="Text replies posted (default 200).")
        parser.add_argument("--photo-posts", type=int, default=50, help="Replies with one photo (default 50).")

    def handle(self, *args, posts: int, photo_posts: int, **options):
        run = secrets.token_hex(3).upper()
        order = Order.objects.create(
            number=f"BENCH-{run}",
            email=f"bench-{run.lower()}@example.com",
            placed_at=timezone.now() - timedelta(days=3),
            delivered_on=store_today() - timedelta(days=1),
            payment_method="Visa ending 4242",
        )
        line = OrderLine.objects.create(order=order, sku="MUG", name="Mug", quantity=1, unit_price="10.00")
        client = Client()
        report = {"database": connection.vendor}
        with override_settings(
            REPLY_TO_ADDRESS="returns@reply.example.com",
            ANYMAIL={**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET},
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
            SECURE_SSL_REDIRECT=False,
            EMAIL_DELIVERY="worker",
        ):
            try:
                request = return_request_submit(
                    order=order,
                    lines=[LineRequest(line.pk, 1, "changed_mind", "Bench", condition_confirmed=True)],
                    by=None,
                )
                to = reply_address(request)
                photo = _photo()
                report["text"] = self._time(posts, lambda i: self._post(client, to, order.email, f"{run}-t{i}", None))
                report["photo"] = self._time(
                    photo_posts, lambda i: self._post(client, to, order.email, f"{run}-p{i}", photo)
                )
                report["in_thread"] = Message.objects.filter(request=request).count()
            finally:
                order.return_requests.all().delete()
                Message.objects.filter(order=order).delete()
                order.delete()
        for name in ("text", "photo"):
            r = report[name]
            self.stdout.write(
                f"{name:<6} {r['posts']} replies on {connection.vendor}: median {r['median_ms']:.1f} ms, "
                f"p95 {r['p95_ms']:.1f} ms from the post to the message in the thread; answers {r['statuses']}"
            )
        self.stdout.write(json.dumps(report))

    def _time(self, posts: int, post) -> dict:
        for i in range(-WARM_UP, 0):
            post(i)
        times, statuses = [], {}
        for i in range(posts):
            started = time.perf_counter()
            status = post(i)
            times.append((time.perf_counter() - started) * 1000)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        p95 = statistics.quantiles(times, n=20)[18] if len(times) > 1 else times[0]
        return {
            "posts": posts,
            "median_ms": round(statistics.median(times), 2),
            "p95_ms": round(p95, 2),
            "statuses": statuses,
        }

    @staticmethod
    def _post(client: Client, to: str, sender: str, message_id: str, photo: str | None) -> int:
        body = {
            "FromFull": {"Email": sender, "Name": "Bench"},
            "ToFull": [{"Email": to, "Name": ""}],
            "OriginalRecipient": to,
            "Subject": "Re: your return",
            "MessageID": message_id,
            "TextBody": "Is the label free?\n\nOn Mon, the store wrote:\n> Your return is approved.\n",
            "Headers": [],
            "Attachments": (
                [{"Name": "photo.jpg", "Content": photo, "ContentType": "image/jpeg"}] if photo is not None else []
            ),
        }
        auth = "Basic " + base64.b64encode(SECRET.encode()).decode()
        return client.post(
            "/anymail/postmark/inbound/", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=auth
        ).status_code
