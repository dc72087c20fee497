from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "returns"
    verbose_name = "Returns"

    def ready(self):
        from returns import checks  # noqa: F401  (registers the deployment checks)
