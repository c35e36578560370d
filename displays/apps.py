from django.apps import AppConfig


class DisplaysConfig(AppConfig):
    name = "displays"
    verbose_name = "Wall displays"
    default_auto_field = "django.db.models.BigAutoField"
