from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = "Incidents and dispatches"

    def ready(self):
        from dispatch import checks  # noqa: F401 - registers the deployment checks
        from dispatch import account_signals  # noqa: F401 - connects the account receivers
