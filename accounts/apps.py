from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        # The guest-link email is written by the sender, which looks the order up off the request.
        from accounts.emails import prepare_guest_link
        from returns.outbox.account_emails import AccountEmail
        from returns.outbox.mail import PREPARERS

        PREPARERS[AccountEmail.GUEST_LINK] = prepare_guest_link
