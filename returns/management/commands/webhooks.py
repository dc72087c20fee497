"""The store's webhook endpoints: ``add URL [--events a,b|all]`` (prints the secret once), ``list``,
``remove ID``, ``roll-secret ID`` and ``enable ID``."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q

from returns.domain.events import EVENT_OF_TYPE
from returns.exceptions import EndpointRefused
from returns.models import EventDelivery, WebhookEndpoint
from returns.services.endpoints import (
    webhook_endpoint_add,
    webhook_endpoint_enable,
    webhook_endpoint_remove,
    webhook_endpoint_roll_secret,
)


def _types(value: str) -> list[str]:
    value = value.strip()
    return [] if value in ("", "all") else [t.strip() for t in value.split(",") if t.strip()]


class Command(BaseCommand):
    help = "Add, list, remove, enable a webhook endpoint of the store's systems, or roll its signing secret."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Add an endpoint; prints its signing secret (whsec_…) once.")
        add.add_argument("url")
        add.add_argument(
            "--events",
            default="all",
            help=f"Comma-separated event types, or all (the default). Known: {', '.join(sorted(EVENT_OF_TYPE))}",
        )
        add.add_argument("--description", default="")
        sub.add_parser("list", help="List the endpoints, what they hear and what waits for them.")
        for name, text in (
            ("remove", "Remove an endpoint and what it had still to receive."),
            ("enable", "Enable a disabled endpoint again; what waited is sent in order."),
            ("roll-secret", "A new secret signs from now; the old one too for WEBHOOKS_SECRET_OVERLAP_HOURS."),
        ):
            sub.add_parser(name, help=text).add_argument("id", type=int)

    def handle(self, *args, **options):
        action = options["action"]
        if action == "add":
            try:
                endpoint, secret = webhook_endpoint_add(
                    url=options["url"], event_types=_types(options["events"]), description=options["description"]
                )
            except EndpointRefused as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"Endpoint {endpoint.pk} added: {endpoint.url}")
            self.stdout.write(f"Hears: {', '.join(endpoint.event_types) or 'every event'}")
            self.stdout.write("Signing secret (shown only now; keep it with the receiver):")
            self.stdout.write(secret)
            return
        if action == "list":
            waiting = Q(deliveries__state__in=[EventDelivery.State.PENDING, EventDelivery.State.SENDING])
            rows = WebhookEndpoint.objects.annotate(waiting=Count("deliveries", filter=waiting))
            if not rows:
                self.stdout.write("No endpoints. Add one with: manage.py webhooks add https://…")
            for e in rows:
                state = "enabled" if e.enabled else f"DISABLED since {e.disabled_at:%Y-%m-%d %H:%M} UTC"
                self.stdout.write(f"{e.pk}\t{e.url}\t{state}\t{', '.join(e.event_types) or 'all'}\t{e.waiting} waiting")
            return
        try:
            endpoint = WebhookEndpoint.objects.get(pk=options["id"])
        except WebhookEndpoint.DoesNotExist:
            raise CommandError(f"No endpoint {options['id']}; see manage.py webhooks list.") from None
        if action == "remove":
            webhook_endpoint_remove(endpoint_id=endpoint.pk)
            self.stdout.write(f"Endpoint {endpoint.pk} removed: {endpoint.url}")
        elif action == "enable":
            webhook_endpoint_enable(endpoint=endpoint)
            self.stdout.write(f"Endpoint {endpoint.pk} enabled: {endpoint.url}")
        else:
            secret = webhook_endpoint_roll_secret(endpoint=endpoint)
            self.stdout.write("New signing secret (the old one also signs for WEBHOOKS_SECRET_OVERLAP_HOURS):")
            self.stdout.write(secret)
