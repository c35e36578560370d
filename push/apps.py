from django.apps import AppConfig


class PushConfig(AppConfig):
    name = "push"
    verbose_name = "Web Push"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from push import receivers  # noqa: F401 - wakes agency phones on new and escalated dispatches
