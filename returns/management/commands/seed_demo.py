"""Demo data that shows every case of the policy. Safe to run again."""

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from returns.conf import store_today
from returns.models import Order, OrderLine
from returns.outbox.mail import background_idle
from returns.roles import CUSTOMER_SERVICE, WAREHOUSE, ensure_roles
from returns.services.inspection import LineVerdict, return_request_inspect
from returns.services.messages import message_from_customer
from returns.services.requests import (
    LineRequest,
    return_request_approve,
    return_request_receive,
    return_request_record_shipment,
    return_request_submit,
)

PASSWORD = "alotrop-demo"  # noqa: S105 - demo accounts, printed for the newcomer
PEOPLE = [
    # email, name, superuser, role
    ("admin@alotrop.com", "Alex Admin", True, None),
    ("warehouse@alotrop.com", "Wes Warehouse", False, WAREHOUSE),
    ("service@alotrop.com", "Cara Service", False, CUSTOMER_SERVICE),
    ("ana@example.com", "Ana Lima", False, None),
    ("bruno@example.com", "Bruno Souza", False, None),
]


def _orders(today):
    """(number, email, days since delivery or None, shipping, free, lines, what it shows)."""
    return [
        (
            "100101",
            "ana@example.com",
            5,
            "5.99",
            False,
            [
                ("MUG-01", "Stoneware mug", 2, "12.50", "1.00", False, False),
                ("LAMP-02", "Desk lamp", 1, "45.00", "3.60", False, False),
                ("TEA-03", "Loose-leaf tea tin", 3, "8.00", "0.64", False, False),
            ],
            "several lines, paid shipping, well inside the window",
        ),
        (
            "100102",
            "ana@example.com",
            28,
            "0",
            True,
            [("SCARF-04", "Wool scarf", 1, "39.00", "3.12", False, False)],
            "free shipping, today is the last day to return",
        ),
        (
            "100103",
            "ana@example.com",
            40,
            "6.50",
            False,
            [("BOOT-05", "Leather boots", 1, "120.00", "9.60", False, False)],
            "delivered 40 days ago: the window has closed",
        ),
        (
            "100104",
            "ana@example.com",
            10,
            "4.99",
            False,
            [
                ("VASE-06", "Clearance vase", 1, "15.00", "1.20", True, False),
                ("PEN-07", "Engraved pen", 1, "30.00", "2.40", False, True),
            ],
            "final sale and personalized items",
        ),
        (
            "100105",
            "ana@example.com",
            None,
            "5.99",
            False,
            [("RUG-08", "Cotton rug", 1, "80.00", "6.40", False, False)],
            "not delivered yet",
        ),
        (
            "100201",
            "bruno@example.com",
            3,
            "0",
            True,
            [
                ("JACKET-09", "Rain jacket", 1, "95.00", "7.60", False, False),
                ("CAP-10", "Cap", 2, "18.00", "1.44", False, False),
            ],
            "another customer's order, free shipping",
        ),
        (
            "100202",
            "bruno@example.com",
            12,
            "7.99",
            False,
            [
                ("KETTLE-11", "Glass kettle", 1, "60.00", "4.80", False, False),
                ("CUP-12", "Espresso cup", 4, "6.00", "0.48", False, False),
            ],
            "another customer's order with returns in progress",
        ),
    ]


class Command(BaseCommand):
    help = "Create demo users and orders covering every policy case (idempotent)."

    @transaction.atomic
    def _seed(self) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("seed_demo makes accounts with a known password; it does not run in production.")
        ensure_roles(Group, Permission)
        User = get_user_model()
        users = {}
        for email, name, superuser, role in PEOPLE:
            user = User.objects.filter(email=email).first()
            if user is None:
                maker = User.objects.create_superuser if superuser else User.objects.create_user
                user = maker(email=email, password=PASSWORD, full_name=name, email_verified=True)
                user.is_staff = superuser or bool(role)
                user.save(update_fields=["is_staff"])
            if role:
                user.groups.add(Group.objects.get(name=role))
            users[email] = user
        # The demo's customer service may grant goodwill exceptions (a permission given per person).
        users["service@alotrop.com"].user_permissions.add(Permission.objects.get(codename="grant_exception"))

        today = store_today()
        for number, email, days, shipping, free, lines, _what in _orders(today):
            order, created = Order.objects.get_or_create(
                number=number,
                defaults={
                    "email": email,
                    "customer_name": users[email].full_name,
                    "placed_at": timezone.now() - timedelta(days=(days or 0) + 4),
                    "delivered_on": today - timedelta(days=days) if days is not None else None,
                    "shipping_charged": Decimal(shipping),
                    "free_shipping": free,
                    "payment_method": "Visa ending 4242" if email.startswith("ana") else "Mastercard ending 5100",
                },
            )
            if created:
                OrderLine.objects.bulk_create(
                    OrderLine(
                        order=order,
                        sku=sku,
                        name=name,
                        quantity=q,
                        unit_price=Decimal(p),
                        unit_tax=Decimal(t),
                        final_sale=fs,
                        personalized=pers,
                    )
                    for sku, name, q, p, t, fs, pers in lines
                )
        self._returns_in_progress(users)

    def handle(self, *args, **options):
        # The demo's dozen emails (files in sent-emails/ locally, sent after the commit) are not news on a first
        # run: their lines are left out, a failure still shows, and the accounts are the last thing printed.
        mail_log = logging.getLogger("returns.outbox.mail")
        level = mail_log.level
        mail_log.setLevel(logging.WARNING)
        try:
            self._seed()
            background_idle(timeout=60)
        finally:
            mail_log.setLevel(level)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Sign in with any of these (password: {PASSWORD}):"))
        for email, _name, superuser, role in PEOPLE:
            what = "superuser" if superuser else role or "customer"
            self.stdout.write(f"  {email:<24} {what}")

    def _returns_in_progress(self, users):
        """Give staff something to work on: one request in each early state."""
        order = Order.objects.get(number="100202")
        if order.return_requests.exists():
            return
        agent, wes, bruno = users["service@alotrop.com"], users["warehouse@alotrop.com"], users["bruno@example.com"]
        kettle, cups = order.lines.get(sku="KETTLE-11"), order.lines.get(sku="CUP-12")

        def std(ol, q):
            return LineRequest(
                order_line_id=ol.pk,
                quantity=q,
                reason="changed_mind",
                description="Did not match my kitchen.",
                condition_confirmed=True,
            )

        waiting = return_request_submit(order=order, lines=[std(cups, 1)], by=bruno)
        question = "Can I drop the cups off at your shop instead of posting them?"
        message_from_customer(request=waiting, by=bruno, body=question, limited=False)
        approved = return_request_submit(order=order, lines=[std(cups, 1)], by=bruno)
        return_request_approve(request=approved, by=agent)
        done = return_request_submit(
            order=order,
            lines=[
                LineRequest(
                    order_line_id=kettle.pk,
                    quantity=1,
                    reason="wrong_item",
                    description="Received a teapot instead of the kettle.",
                )
            ],
            by=bruno,
        )
        return_request_approve(request=done, by=agent)
        return_request_record_shipment(request=done, by=bruno, carrier="UPS", tracking_number="1Z999AA10123456784")
        return_request_receive(request=done, by=wes)
        line = done.lines.get()
        return_request_inspect(
            request=done,
            by=wes,
            verdicts={line.pk: LineVerdict(accepted=True, fault_confirmed=True, note="Wrong item confirmed.")},
        )
