from django.apps import AppConfig


class HazardsConfig(AppConfig):
    name = "hazards"
    verbose_name = "Hazard alerts and disaster mode"

    def ready(self):
        from dispatch.sweep import sweep_step
        from hazards.services import disaster_end_expired

        sweep_step("disaster_expired")(disaster_end_expired)
