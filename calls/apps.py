from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = "Calls and callers"

    def ready(self):
        from calls.callbacks import flag_overdue_callbacks
        from dispatch.sweep import sweep_step

        sweep_step("callbacks_overdue")(flag_overdue_callbacks)
