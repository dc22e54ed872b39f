from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self):
        # Sign-ins happen in Django's and django-axes' code: their signals are where the
        # audit log hears of them (billing/team/signins.py).
        from .team import signins  # noqa: F401
