from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self):
        from reports import receivers  # noqa: F401 - subscribes the reports to changes of calls and to the sweep
