from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self):
        # Connects the sign-in receiver that copies the user's language into the session.
        from . import language  # noqa: F401
