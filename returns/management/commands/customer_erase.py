"""Erase one customer's personal data and keep the accounting, anonymised (GDPR article 17; README)."""

from django.core.management.base import BaseCommand, CommandError

from returns.exceptions import CustomerDataError
from returns.services.customer_data import customer_erase, customer_export


class Command(BaseCommand):
    help = (
        "Erase EMAIL's name, address, account, return descriptions, photos, emails, guest codes and sign-in "
        "attempts; keep order numbers, RMAs, amounts, dates and rule decisions, anonymised. Refused while a "
        "return of that email is open. Asks first unless --yes."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--yes", action="store_true", help="Do not ask.")

    def handle(self, *args, email: str, yes: bool, **options):
        held = customer_export(email)
        returns = [r["rma"] for o in held["orders"] for r in o["returns"]]
        summary = (
            f"{held['email']}: {'an account, ' if held['account'] else ''}{len(held['orders'])} order(s), "
            f"{len(returns)} return(s), {len(held['emails'])} email(s)."
        )
        if not yes:
            self.stdout.write(summary + " This cannot be undone.")
            answer = input("Type 'erase' to erase this customer's data: ")
            if answer.strip() != "erase":
                raise CommandError("Nothing erased.")
        try:
            erasure = customer_erase(email=email, how="manage.py customer_erase")
        except CustomerDataError as error:
            raise CommandError(error.message) from error
        removed = ", ".join(f"{count} {kind}" for kind, count in erasure.removed.items())
        self.stdout.write(
            f"Erased (record {erasure.pk}): {removed}. Kept, anonymised: orders {', '.join(erasure.orders) or 'none'}; "
            f"returns {', '.join(erasure.returns) or 'none'}."
        )
